// The one I/O port: results go to stdout, everything else (progress, warnings, errors) to stderr.
// Commands and the core talk to an IoHost, never to process streams.
import { CancelledError, UsageError } from '../core/errors.js';

export type Level = 'error' | 'warn' | 'info' | 'success' | 'debug' | 'trace';

export interface Streams {
  stdout: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  stderr: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  stdin: NodeJS.ReadableStream & { isTTY?: boolean };
}

export interface IoHost {
  /** progress and diagnostics (stderr); `code` is a stable id for tests and -o json consumers */
  notify(level: Level, code: string, text: string, data?: unknown): void;
  /** the command's result (stdout) */
  result(text: string): void;
  /** yes/no question; refuses (throws) when not interactive */
  confirm(question: string, defaultAnswer: boolean): Promise<boolean>;
  /**
   * A yes before a change, the one rule for every command: the flag that says yes (--yes) approves
   * without asking; without a terminal it never asks and never assumes yes (a UsageError naming the flag
   * to pass); a "no" is a CancelledError. Neither of those changed anything.
   */
  approve(question: string, o: Approval): Promise<void>;
  readonly interactive: boolean;
  readonly color: boolean;
  readonly verbosity: number;
  readonly streams: Streams;
}

export interface Approval {
  /** the flag that approves this was given (--yes): go on without asking */
  yes?: boolean;
  /**
   * the run was told not to ask (--yes, given for something else): refuse as without a terminal, so a
   * script never waits on a question
   */
  unattended?: boolean;
  defaultAnswer?: boolean;
  /** what it would change, and the flag that says yes ("pass --yes to ..."), for a run without a terminal */
  withoutTerminal: { message: string; next: string };
  /** what a "no" leaves as it was */
  declined: string;
}

export interface HostOptions {
  streams: Streams;
  env: NodeJS.ProcessEnv;
  verbosity: number;
  /** an explicit answer source for tests; the terminal host uses @inquirer/prompts */
  confirm?: (question: string, defaultAnswer: boolean) => Promise<boolean>;
}

const LEVEL_RANK: Record<Level, number> = { error: 0, warn: 0, success: 0, info: 0, debug: 1, trace: 2 };

export function useColor(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== '0') return true;
  return Boolean(stream.isTTY) && env.TERM !== 'dumb';
}

export const paint = (on: boolean) => {
  const wrap = (open: number, close: number) => (s: string) => (on ? `\u001b[${open}m${s}\u001b[${close}m` : s);
  return { red: wrap(31, 39), green: wrap(32, 39), yellow: wrap(33, 39), cyan: wrap(36, 39), dim: wrap(2, 22), bold: wrap(1, 22) };
};

export function terminalHost(opts: HostOptions): IoHost {
  const { streams, env, verbosity } = opts;
  const color = useColor(streams.stderr, env);
  const c = paint(color);
  const interactive = Boolean(streams.stdin.isTTY && streams.stderr.isTTY) && env.CI !== 'true';
  const prefix: Record<Level, string> = {
    error: c.red('error: '),
    warn: c.yellow('warning: '),
    success: c.green('✓ '),
    info: '',
    debug: c.dim('debug: '),
    trace: c.dim('trace: '),
  };
  return {
    interactive,
    color,
    verbosity,
    streams,
    notify(level, _code, text) {
      if (LEVEL_RANK[level] > verbosity) return;
      streams.stderr.write(prefix[level] + text + '\n');
    },
    result(text) {
      streams.stdout.write(text.endsWith('\n') ? text : text + '\n');
    },
    async confirm(question, defaultAnswer) {
      if (opts.confirm) return opts.confirm(question, defaultAnswer);
      if (!interactive) throw new Error('confirm() called without a terminal; commands must check host.interactive first');
      const { confirm } = await import('@inquirer/prompts');
      return confirm({ message: question, default: defaultAnswer }, { input: streams.stdin, output: streams.stderr });
    },
    async approve(question, o) {
      if (o.yes) return;
      if (!interactive || o.unattended) throw new UsageError(o.withoutTerminal.message, o.withoutTerminal.next);
      if (!(await this.confirm(question, o.defaultAnswer ?? false))) throw new CancelledError(o.declined);
    },
  };
}
