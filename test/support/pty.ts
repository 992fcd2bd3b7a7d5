// Drives a command under a real pseudo-terminal with util-linux `script`, so prompts, colours and
// ink behave as they do for a person. No native addon needed.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface Pty {
  /** everything the terminal showed so far, ANSI sequences removed */
  screen(): string;
  /** resolves when the screen (after `from`) matches; rejects after timeoutMs with the screen */
  waitFor(pattern: RegExp | string, timeoutMs?: number): Promise<void>;
  send(keys: string): void;
  exited: Promise<number>;
  kill(signal?: NodeJS.Signals): void;
}

export const KEY = { enter: '\r', down: '\u001b[B', up: '\u001b[A', ctrlC: '\u0003' } as const;

const ANSI = /\u001b\[[0-9;?]*[ -/]*[@-~]|\u001b[()][0-9A-B]|\u001b[=>78]|\r/g;

const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

export function startPty(argv: string[], opts: { env?: NodeJS.ProcessEnv; cwd?: string; cols?: number; rows?: number } = {}): Pty {
  const cols = opts.cols ?? 120;
  const rows = opts.rows ?? 40;
  const command = `stty cols ${cols} rows ${rows} 2>/dev/null; exec ${argv.map(quote).join(' ')}`;
  const child: ChildProcessWithoutNullStreams = spawn('script', ['-qfec', command, '/dev/null'], {
    env: { TERM: 'xterm-256color', ...opts.env },
    // a folder of its own unless told: never the repo, where a kedactl.yaml would change every run
    cwd: opts.cwd ?? mkdtempSync(join(tmpdir(), 'kedactl-pty-')),
  });
  let raw = '';
  child.stdout.on('data', (d: Buffer) => (raw += d.toString('utf8')));
  child.stderr.on('data', (d: Buffer) => (raw += d.toString('utf8')));
  const exited = new Promise<number>((resolve) => child.on('exit', (code, signal) => resolve(code ?? (signal ? 128 : 1))));
  const screen = () => raw.replace(ANSI, '');
  return {
    screen,
    send: (keys) => child.stdin.write(keys),
    kill: (signal = 'SIGTERM') => child.kill(signal),
    exited,
    async waitFor(pattern, timeoutMs = 20_000) {
      const match = () => (typeof pattern === 'string' ? screen().includes(pattern) : pattern.test(screen()));
      const t0 = Date.now();
      while (!match()) {
        if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${pattern}; the screen shows:\n${screen().slice(-3000)}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
  };
}
