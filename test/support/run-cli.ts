// Runs kedactl in-process (main(argv)) with recorded stdout/stderr, or as a real child process.
import { PassThrough } from 'node:stream';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main, type MainOptions } from '../../src/main.ts';

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

function collect(stream: PassThrough): () => string {
  const chunks: Buffer[] = [];
  stream.on('data', (c: Buffer) => chunks.push(Buffer.from(c)));
  return () => Buffer.concat(chunks).toString('utf8');
}

/**
 * The environment a test CLI run starts from: no AWS or kube settings of the machine, and no
 * instance-metadata lookups (the credential chain must never leave 127.0.0.1 in tests).
 */
export const SAFE_ENV: NodeJS.ProcessEnv = {
  PATH: process.env.PATH,
  HOME: process.env.HOME,
  NO_COLOR: '1',
  AWS_EC2_METADATA_DISABLED: 'true',
  AWS_CONFIG_FILE: '/nonexistent/kedactl-test/config',
  AWS_SHARED_CREDENTIALS_FILE: '/nonexistent/kedactl-test/credentials',
  KUBECONFIG: '/nonexistent/kedactl-test/kubeconfig',
  // the run's temporary folder and marker (test/support/run-scope.ts): what a run starts goes with it
  TMPDIR: process.env.TMPDIR,
  KEDACTL_TEST_RUN: process.env.KEDACTL_TEST_RUN,
};

/**
 * Where a run starts when the test names no folder: a new empty one each time, so no run reads a
 * kedactl.yaml another run wrote (init writes one), and nothing lands in the repo.
 */
function freshCwd(): { cwd: string; done: () => void } {
  const cwd = mkdtempSync(join(tmpdir(), 'kedactl-cwd-'));
  return { cwd, done: () => rmSync(cwd, { recursive: true, force: true }) };
}

/** In-process: main(argv) with an env that has no AWS/Kube settings unless given. */
export async function runCli(
  argv: string[],
  opts: { env?: NodeJS.ProcessEnv; cwd?: string; confirm?: MainOptions['confirm']; awsClient?: MainOptions['awsClient'] } = {},
): Promise<CliRun> {
  const fresh = opts.cwd ? undefined : freshCwd();
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const stdin = new PassThrough();
  const out = collect(stdout);
  const err = collect(stderr);
  const code = await main(argv, {
    streams: { stdout, stderr, stdin },
    env: { ...SAFE_ENV, ...opts.env },
    cwd: opts.cwd ?? fresh!.cwd,
    confirm: opts.confirm,
    awsClient: opts.awsClient,
  });
  fresh?.done();
  return { code, stdout: out(), stderr: err() };
}

export const BIN = fileURLToPath(new URL('../../bin/kedactl', import.meta.url));

/** As a child process (needs `npm run build` first; `npm test` does it). */
export function runBin(argv: string[], opts: { env?: NodeJS.ProcessEnv; cwd?: string; timeoutMs?: number } = {}): Promise<CliRun> {
  const fresh = opts.cwd ? undefined : freshCwd();
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [BIN, ...argv],
      { env: { ...SAFE_ENV, ...opts.env }, cwd: opts.cwd ?? fresh!.cwd, timeout: opts.timeoutMs ?? 60_000 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        fresh?.done();
        resolve({ code, stdout, stderr });
      },
    );
  });
}
