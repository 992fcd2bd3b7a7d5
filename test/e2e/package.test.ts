// `npm pack` gives a package that installs and works anywhere: packed from this build, installed
// globally into an empty prefix (dependencies from npm's cache, which `npm ci` filled; the registry only
// for what is missing there), then run from another folder: --help, plan, plan --offline, render with
// its templates. Prints the tarball and installed sizes.
import { describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { SAFE_ENV } from '../support/run-cli.ts';
import { ROOT } from '../support/loaded-modules.ts';

const ISSUER = 'https://oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLE';
// this Node first on PATH (the installed bin's `#!/usr/bin/env node`), none of npm's own npm_* variables
// from `npm test` (they would point the install elsewhere), but the machine's way to the registry: a
// TLS-inspecting proxy's CA or a proxy. Without them npm cannot fetch what its cache lacks and retries
// for minutes (a cold CI run timed out here while a warm one, all cached, passed).
const NETWORK = [
  'NODE_EXTRA_CA_CERTS',
  'SSL_CERT_FILE',
  'SSL_CERT_DIR',
  'HTTPS_PROXY',
  'HTTP_PROXY',
  'NO_PROXY',
  'https_proxy',
  'http_proxy',
  'no_proxy',
];
const env: NodeJS.ProcessEnv = {
  ...Object.fromEntries(NETWORK.filter((k) => process.env[k] !== undefined).map((k) => [k, process.env[k]])),
  ...SAFE_ENV,
  PATH: `${dirname(process.execPath)}${delimiter}${SAFE_ENV.PATH}`,
};

function sh(file: string, args: string[], cwd: string, timeout = 60_000): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) =>
    execFile(file, args, { cwd, env, timeout, maxBuffer: 64 * 1024 * 1024 }, (e, stdout, stderr) => {
      const killed = e?.killed ? `\n(${file} ${args[0]} was stopped after ${timeout / 1000} s)` : '';
      resolve({ code: e ? (typeof e.code === 'number' ? e.code : 1) : 0, stdout, stderr: stderr + killed });
    }),
  );
}

function du(path: string): number {
  const s = statSync(path);
  return s.isDirectory() ? readdirSync(path).reduce((n, f) => n + du(join(path, f)), 0) : s.size;
}

const mb = (n: number) => `${(n / 1024 / 1024).toFixed(1)} MB`;

describe('the npm package', () => {
  it('packs only what runs, installs globally into an empty prefix, and works from any folder', { timeout: 300_000 }, async () => {
    if (!existsSync(join(ROOT, 'dist/main.js'))) throw new Error('dist/main.js is missing: run npm run build first');
    const tmp = mkdtempSync(join(tmpdir(), 'kedactl-pack-'));

    const pack = await sh('npm', ['pack', '--json', '--pack-destination', tmp], ROOT);
    expect(pack.code, pack.stderr).toBe(0);
    const [info] = JSON.parse(pack.stdout) as Array<{
      filename: string;
      size: number;
      unpackedSize: number;
      files: Array<{ path: string }>;
    }>;
    const files = info!.files.map((f) => f.path);
    const shippable =
      /^(bin\/kedactl|bin\/node-version\.js|dist\/main\.js|dist\/chunks\/[\w-]+\.js|templates\/.+|package\.json|README\.md|LICENSE)$/;
    expect(files.filter((f) => !shippable.test(f))).toEqual([]); // no sources, tests, maps or tsc's per-file output
    for (const f of ['bin/kedactl', 'dist/main.js', 'dist/chunks/kube-schemas.js', 'templates/kubernetes/scaled-job.yaml'])
      expect(files).toContain(f);

    const prefix = join(tmp, 'prefix');
    // the dependencies come from npm's cache (npm ci filled it); what it lacks, from the registry
    const install = await sh(
      'npm',
      ['install', '--global', '--prefix', prefix, '--prefer-offline', '--no-audit', '--no-fund', join(tmp, info!.filename)],
      tmp,
      180_000,
    );
    expect(install.code, install.stderr).toBe(0);
    const bin = join(prefix, 'bin', 'kedactl');
    const installed = join(prefix, 'lib', 'node_modules', 'kedactl');
    console.log(
      `kedactl package: tarball ${mb(info!.size)}, unpacked ${mb(info!.unpackedSize)}; installed ${mb(du(installed))} with dependencies (${readdirSync(join(installed, 'node_modules')).length} top-level folders in node_modules)`,
    );

    const elsewhere = join(tmp, 'somewhere', 'else');
    mkdirSync(elsewhere, { recursive: true });
    const help = await sh(bin, ['--help'], elsewhere);
    expect(help.code, help.stderr).toBe(0);
    expect(help.stdout).toContain('Usage: kedactl');
    expect((await sh(bin, ['--version'], elsewhere)).stdout.trim()).toBe(
      JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version,
    );

    const offline = await sh(bin, ['plan', '--offline', '--region', 'eu-west-1'], elsewhere);
    expect(offline.code, offline.stderr).toBe(0);
    expect(offline.stdout).toContain('+ create    ScaledJob video/video-processor');

    // reads what it can: loads the AWS SDK, the Kubernetes client and helm's wrapper from the install
    const plan = await sh(bin, ['plan', '--region', 'eu-west-1'], elsewhere);
    expect(plan.code, plan.stderr).toBe(0);
    expect(plan.stderr).toContain('aws not read (AWS credentials');
    expect(plan.stderr).toContain('kubernetes not read (Kubernetes: no kubeconfig');

    const render = await sh(
      bin,
      ['render', '--out', 'stack', '--region', 'eu-west-1', '--account-id', '123456789012', '--oidc-issuer', ISSUER],
      elsewhere,
    );
    expect(render.code, render.stderr).toBe(0);
    const manifests = readdirSync(join(elsewhere, 'stack', 'kubernetes'));
    const scaledJob = manifests.find((f) => f.includes('scaledjob'));
    expect(scaledJob, manifests.join(', ')).toBeDefined();
    expect(readFileSync(join(elsewhere, 'stack', 'kubernetes', scaledJob!), 'utf8')).toContain('kind: ScaledJob');
    expect(existsSync(join(elsewhere, 'stack', 'README.md'))).toBe(true);
  });
});
