// A real moto server for integration tests: a pinned moto[server] in a venv outside the repo,
// started on 127.0.0.1 and a free port. If it cannot start, this throws: AWS tests never skip.
import { spawn, type ChildProcess } from 'node:child_process';
import { rmSync, openSync, readFileSync, closeSync } from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from './ports.ts';
import { ensureVenv, testCacheDir } from './venv.ts';

export const MOTO_VERSION = '5.2.5';
const LAUNCHER = fileURLToPath(new URL('./moto-server.py', import.meta.url));

/** Fake static credentials moto accepts; never real ones. */
export const MOTO_ENV = {
  AWS_ACCESS_KEY_ID: 'testing',
  AWS_SECRET_ACCESS_KEY: 'testing',
  AWS_REGION: 'us-east-1',
} as const;

/** moto's fixed account for STS GetCallerIdentity */
export const MOTO_ACCOUNT = '123456789012';

export interface Moto {
  endpoint: string;
  stop(): Promise<void>;
}

const cacheDir = testCacheDir;

function log(s: string): void {
  process.stderr.write(`[moto] ${s}\n`);
}

/** Creates the venv with the pinned moto once; later calls only check a marker file. */
export function ensureMotoVenv(): Promise<string> {
  return ensureVenv({
    name: 'moto-venv',
    requirement: `moto[server]==${MOTO_VERSION}`,
    executable: 'moto_server',
    marker: `moto-${MOTO_VERSION}`,
    log,
  });
}

async function answers(endpoint: string): Promise<boolean> {
  try {
    const r = await fetch(`${endpoint}/moto-api/data.json`, { signal: AbortSignal.timeout(2000) });
    return r.ok;
  } catch {
    return false;
  }
}

function stopProcess(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    const kill = setTimeout(() => child.kill('SIGKILL'), 5000);
    child.once('exit', () => {
      clearTimeout(kill);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

export async function startMoto(opts: { readyTimeoutMs?: number } = {}): Promise<Moto> {
  const venv = await ensureMotoVenv();
  const logFile = path.join(cacheDir(), `moto-${process.pid}.log`);
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    const endpoint = `http://127.0.0.1:${port}`;
    const fd = openSync(logFile, 'w');
    // moto-server.py is moto_server plus one O(N^2) -> O(N) fix for SendMessage (see the file)
    const child = spawn(path.join(venv, 'bin', 'python'), [LAUNCHER, '-H', '127.0.0.1', '-p', String(port)], {
      stdio: ['ignore', fd, fd],
      env: { ...process.env, ...MOTO_ENV },
    });
    closeSync(fd);
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    let dead = false;
    void exited.then(() => (dead = true));
    const deadline = Date.now() + (opts.readyTimeoutMs ?? 60_000);
    while (!dead && Date.now() < deadline && !(await answers(endpoint))) await new Promise((r) => setTimeout(r, 200));
    if (!dead && (await answers(endpoint))) {
      log(`moto ${MOTO_VERSION} ready at ${endpoint} (log ${logFile})`);
      return {
        endpoint,
        async stop() {
          await stopProcess(child);
          rmSync(logFile, { force: true });
        },
      };
    }
    await stopProcess(child);
    const tail = readFileSync(logFile, 'utf8').split('\n').slice(-30).join('\n');
    if (/address already in use/i.test(tail) && attempt < 3) continue;
    throw new Error(`moto_server did not answer on ${endpoint}${dead ? ' (it exited)' : ''}. Last lines of ${logFile}:\n${tail}`);
  }
}

/** The endpoint global-setup started; throws when the setup did not run. */
export function motoEndpoint(): string {
  const e = process.env.KEDACTL_TEST_MOTO_ENDPOINT;
  if (!e) throw new Error('KEDACTL_TEST_MOTO_ENDPOINT is not set: run the tests with vitest (test/support/global-setup.ts starts moto)');
  return e;
}

let seq = 0;
/** A stack name no other test (or earlier run against the same server) uses: DNS-1123, <= 24 chars. */
export function uniqueStack(prefix = 't'): string {
  const rand = Math.random().toString(36).slice(2, 7);
  return `${prefix}-${process.pid.toString(36)}${(seq++).toString(36)}${rand}`.slice(0, 24).replace(/-+$/, '');
}
