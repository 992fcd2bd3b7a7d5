// On a Node older than package.json `engines` allows, every command says so, with how to get a newer
// one, and exits 2 (before this, Node 20 got "internal error: TEXT_ENCODINGS.union is not a function");
// `npm ci` stops before downloading. The older Node is played by Node 24 with process.version(s) set to
// 20.20.2 before anything else runs, so the test needs no second Node.
import { describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, realpathSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { which } from '../../src/adapters/which.ts';
import { BIN, SAFE_ENV } from '../support/run-cli.ts';
import { ROOT } from '../support/loaded-modules.ts';

const OLD =
  'data:text/javascript,' +
  encodeURIComponent(
    'Object.defineProperty(process, "version", { value: "v20.20.2" }); Object.defineProperty(process.versions, "node", { value: "20.20.2" });',
  );

function run(args: string[], cwd: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) =>
    execFile(process.execPath, ['--import', OLD, ...args], { cwd, env: SAFE_ENV, timeout: 60_000 }, (e, stdout, stderr) =>
      resolve({ code: e ? (typeof e.code === 'number' ? e.code : 1) : 0, stdout, stderr }),
    ),
  );
}

describe('on a Node older than engines', () => {
  it('accepts exactly the versions engines names', async () => {
    const { satisfies } = (await import('../../bin/node-version.js' as string)) as { satisfies(v: string, engines: string): boolean };
    const engines = '^22.22.2 || >=24.15.0';
    const ok = ['22.22.2', '22.30.0', '24.15.0', '24.22.3', '25.0.0', 'v26.1.0'];
    const old = ['20.20.2', '22.22.1', '22.9.0', '23.11.0', '24.14.9', '18.0.0'];
    expect(ok.filter((v) => !satisfies(v, engines))).toEqual([]);
    expect(old.filter((v) => satisfies(v, engines))).toEqual([]);
  });

  it('every command says which Node it needs and how to get it, exit 2, no internal error', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'kedactl-oldnode-'));
    for (const argv of [
      ['--help'],
      ['--version'],
      ['plan', '--offline'],
      ['render', '--out', 'x'],
      ['init', '--yes'],
      ['watch'],
      ['nonsense'],
    ]) {
      const r = await run([BIN, ...argv], cwd);
      expect(r.code, argv.join(' ')).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr).toContain('kedactl needs Node.js ^22.22.2 || >=24.15.0; this is Node.js 20.20.2');
      expect(r.stderr).toContain('install Node.js 24 LTS');
      expect(r.stderr).not.toMatch(/internal error|at .*\.js:\d+/);
    }
    expect(existsSync(join(cwd, 'x'))).toBe(false);
  });

  it("npm ci stops at once with npm's engine error, before installing anything", async () => {
    const npm = which('npm', SAFE_ENV);
    if (!npm) throw new Error('npm is not on PATH');
    const dir = mkdtempSync(join(tmpdir(), 'kedactl-oldnode-ci-'));
    for (const f of ['package.json', 'package-lock.json', '.npmrc']) copyFileSync(join(ROOT, f), join(dir, f));
    const r = await run([realpathSync(npm), 'ci', '--no-audit', '--no-fund'], dir);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('EBADENGINE');
    expect(r.stderr).toContain('^22.22.2 || >=24.15.0');
    expect(existsSync(join(dir, 'node_modules'))).toBe(false);
  });
});
