// main(argv) runs one kedactl command and returns its exit code; it never calls process.exit.
import { CommanderError } from 'commander';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isKedactlError, CancelledError } from './core/errors.js';
import { buildProgram } from './cli.js';
import { packageRoot } from './core/package-root.js';
import { terminalHost, paint, useColor, type IoHost, type Streams } from './ui/io.js';
import type { CommandContext } from './commands/context.js';

export interface MainOptions {
  streams?: Streams;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** tests answer confirmations with this */
  confirm?: (question: string, defaultAnswer: boolean) => Promise<boolean>;
  /** tests inject faults into the AWS clients (SDK middleware) */
  awsClient?: CommandContext['awsClient'];
}

function version(): string {
  const pkg = JSON.parse(readFileSync(join(packageRoot(import.meta.url), 'package.json'), 'utf8')) as { version: string };
  return pkg.version;
}

export async function main(argv: string[], opts: MainOptions = {}): Promise<number> {
  const streams: Streams = opts.streams ?? { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin };
  const env = opts.env ?? process.env;
  let verbosity = 0;
  let host: IoHost | undefined;
  const getHost = () => (host ??= terminalHost({ streams, env, verbosity, confirm: opts.confirm }));
  const ctx: CommandContext = {
    host: getHost,
    setVerbosity(n) {
      verbosity = n;
      host = undefined;
    },
    env,
    cwd: opts.cwd ?? process.cwd(),
    awsClient: opts.awsClient,
  };
  const program = buildProgram(ctx, version(), argv);
  const c = paint(useColor(streams.stderr, env));
  program.exitOverride();
  program.configureOutput({
    writeOut: (s) => streams.stdout.write(s),
    writeErr: (s) => streams.stderr.write(s),
    outputError: (s, write) => write(c.red(s)),
  });
  const quiet = (cmd: typeof program) => {
    for (const sub of cmd.commands) {
      sub.exitOverride();
      sub.configureOutput(program.configureOutput());
      quiet(sub); // simulate decide
    }
  };
  quiet(program);
  try {
    await program.parseAsync(argv, { from: 'user' });
    return 0;
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help') return 0;
      if (e.code === 'commander.executeSubCommandAsync') return e.exitCode;
      return 2; // commander already printed the usage problem
    }
    if (e instanceof CancelledError) {
      streams.stderr.write(e.message + '\n');
      return e.exitCode;
    }
    if (isKedactlError(e)) {
      streams.stderr.write(c.red('error: ') + e.message + '\n');
      if (e.next) streams.stderr.write(c.dim('next: ') + e.next + '\n');
      return e.exitCode;
    }
    const err = e as Error;
    streams.stderr.write(c.red('internal error: ') + (err?.message ?? String(e)) + '\n');
    streams.stderr.write(
      verbosity > 0 && err?.stack ? err.stack + '\n' : 'this is a bug in kedactl; run again with -v for the stack trace and report it\n',
    );
    return 1;
  }
}
