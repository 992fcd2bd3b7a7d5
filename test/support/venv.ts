// A pinned PyPI package in a virtual environment under ~/.cache/kedactl-test (KEDACTL_TEST_CACHE), made
// once and shared by every test run on the machine: one installer at a time, a marker file once done.
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export function testCacheDir(): string {
  return process.env.KEDACTL_TEST_CACHE ?? path.join(os.homedir(), '.cache', 'kedactl-test');
}

function run(cmd: string, args: string[], timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${cmd} ${args.join(' ')} failed: ${err.message}\n${stderr || stdout}`.slice(0, 4000)));
      else resolve();
    });
  });
}

export interface VenvSpec {
  /** folder name under the cache, e.g. "moto-venv" */
  name: string;
  /** what pip installs, pinned, e.g. "moto[server]==5.2.5" */
  requirement: string;
  /** the executable the venv must end up with, relative to bin/ */
  executable: string;
  /** names the marker file written once the install is complete (a new pin, a new marker) */
  marker: string;
  log: (s: string) => void;
}

/** The venv's folder, creating it on first use; throws, naming what is missing, when it cannot. */
export async function ensureVenv(spec: VenvSpec): Promise<string> {
  const cache = testCacheDir();
  const venv = path.join(cache, spec.name);
  const marker = path.join(venv, `.kedactl-${spec.marker}`);
  const bin = path.join(venv, 'bin', spec.executable);
  const ready = () => existsSync(marker) && existsSync(bin);
  if (ready()) return venv;
  mkdirSync(cache, { recursive: true });
  // one installer at a time (two vitest runs at once would otherwise fight over the venv)
  const lock = path.join(cache, `${spec.name}.lock`);
  const deadline = Date.now() + 600_000;
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      if (Date.now() > deadline) throw new Error(`${spec.name}: lock ${lock} held for 10 minutes; remove it if no install is running`);
      await new Promise((r) => setTimeout(r, 1000));
      if (ready()) return venv;
    }
  }
  try {
    if (ready()) return venv;
    const python = process.env.KEDACTL_TEST_PYTHON ?? 'python3';
    spec.log(`installing ${spec.requirement} into ${venv} (once)`);
    rmSync(venv, { recursive: true, force: true });
    await run(python, ['-m', 'venv', venv], 120_000).catch((e: Error) => {
      throw new Error(
        `cannot create a Python venv for ${spec.requirement} (need python3 with the venv module; set KEDACTL_TEST_PYTHON): ${e.message}`,
      );
    });
    await run(path.join(venv, 'bin', 'pip'), ['install', '--disable-pip-version-check', '-q', spec.requirement], 600_000);
    if (!existsSync(bin)) throw new Error(`pip installed ${spec.requirement} but ${bin} is missing`);
    writeFileSync(marker, new Date().toISOString() + '\n');
    return venv;
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}
