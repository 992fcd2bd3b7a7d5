// kedactl as users run it: in-process through main(argv), and as a real process through bin/kedactl.
import { describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { spawn } from 'node:child_process';
import { BIN, runBin, runCli, SAFE_ENV } from '../support/run-cli.ts';

const ISSUER = 'https://oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLE';
const DEMO = ['--stack', 'demo', '--region', 'eu-west-1', '--account-id', '123456789012', '--cluster', 'demo', '--oidc-issuer', ISSUER];
const scrub = (s: string) => s.replace(/\/tmp\/[\w.-]+/g, '<tmp>');

describe('kedactl --help', () => {
  it('lists the commands and examples', async () => {
    const r = await runCli(['--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatchSnapshot();
  });

  it('shows each command with its flags and examples', async () => {
    for (const cmd of ['plan', 'render', 'init', 'status', 'doctor', 'teardown', 'produce', 'results', 'watch', 'simulate']) {
      const r = await runCli([cmd, '--help']);
      expect(r.code).toBe(0);
      expect(r.stdout).toContain('--queue-name');
      expect(r.stdout).toContain('-n, --namespace');
      expect(r.stdout).toContain('Examples:');
      expect(r.stdout).toMatchSnapshot(`${cmd} --help`);
    }
  });

  it('produce --in-cluster: flags that do not go with it are refused before any remote call (exit 2)', async () => {
    const alone = await runCli(['produce', '--region', 'eu-west-1', '--parallelism', '4']);
    expect(alone.code).toBe(2);
    expect(alone.stderr).toContain('--parallelism goes with --in-cluster');
    const rate = await runCli(['produce', '--region', 'eu-west-1', '--in-cluster', '--rate', '5']);
    expect(rate.code).toBe(2);
    expect(rate.stderr).toContain('--rate does not go with --in-cluster yet');
    const bad = await runCli(['produce', '--region', 'eu-west-1', '--in-cluster', '--parallelism', '0']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--parallelism = "0": must be a whole number from 1 to 100');
  });

  it('prints the version', async () => {
    const r = await runCli(['--version']);
    expect(r.stdout.trim()).toBe(JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')).version);
  });

  it('exits 2 on an unknown command or flag', async () => {
    expect((await runCli(['plna'])).code).toBe(2);
    const r = await runCli(['plan', '--bogus']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("unknown option '--bogus'");
  });
});

describe('a reader that stops early', () => {
  it('ends kedactl quietly with the status of a process killed by SIGPIPE', async () => {
    // our end of the pipe is closed before kedactl writes anything, so its first write gets EPIPE
    const child = spawn(process.execPath, [BIN, 'plan'], {
      env: SAFE_ENV,
      cwd: mkdtempSync(join(tmpdir(), 'kedactl-epipe-')),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout.destroy();
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
    expect(stderr).toContain('not read'); // plan's own notes on stderr went out as usual
    expect(stderr).not.toMatch(/EPIPE|Unhandled|\n\s+at /);
    expect(code).toBe(141);
  });
});

describe('kedactl plan', () => {
  it('works with the example defaults and says what is missing', async () => {
    const r = await runCli(['plan', '--region', 'eu-west-1']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('+ create    SQS queue video-queue');
    expect(r.stdout).toContain('+ create    ScaledJob video/video-processor');
    expect(r.stdout).toMatch(/accountId: pass --account-id/);
    expect(r.stdout).toMatchSnapshot();
  });

  it('prints the same plan as JSON', async () => {
    const text = await runCli(['plan', ...DEMO]);
    const r = await runCli(['plan', ...DEMO, '-o', 'json']);
    expect(r.code).toBe(0);
    const p = JSON.parse(r.stdout);
    expect(p.stack).toBe('demo');
    expect(p.unresolved).toEqual([]);
    for (const c of p.changes) expect(text.stdout).toContain(`${c.kind} ${c.namespace ? c.namespace + '/' : ''}${c.name}`);
    expect(p.changes).toHaveLength(13);
  });

  it('reads kedactl.yaml from the working directory', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'kedactl-cwd-'));
    writeFileSync(join(cwd, 'kedactl.yaml'), 'stack: files\nregion: us-west-2\n');
    const r = await runCli(['plan', '-o', 'json'], { cwd });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).stack).toBe('files');
  });

  it('exits 2 with every bad setting named, and no stack trace', async () => {
    const r = await runCli(['plan', '--region', 'nowhere', '--max-replicas', '-3', '--strategy', 'fast', '--queue-name', 'a.fifo']);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('invalid settings (4 problems)');
    expect(r.stderr).toContain('region = "nowhere" (from --region)');
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});

describe('kedactl render', () => {
  it('writes parseable files with the flaws of the example fixed (as a real process)', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'kedactl-render-')), 'stack');
    const r = await runBin(['render', '--out', out, ...DEMO]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const kube = readdirSync(join(out, 'kubernetes'));
    expect(kube).toEqual([
      '01-namespace-demo.yaml',
      '02-serviceaccount-demo-consumer.yaml',
      '03-triggerauthentication-demo-aws.yaml',
      '04-configmap-demo-consumer-script.yaml',
      '05-deployment-demo-result-analyzer.yaml',
      '06-service-demo-result-analyzer.yaml',
      '07-scaledjob-demo-processor.yaml',
      '08-configmap-demo-settings.yaml',
    ]);
    const ta = parse(readFileSync(join(out, 'kubernetes/03-triggerauthentication-demo-aws.yaml'), 'utf8'));
    expect(ta.spec.podIdentity.roleArn).toBe('arn:aws:iam::123456789012:role/kedactl-demo-scaler');
    const trust = JSON.parse(readFileSync(join(out, 'iam/consumer-trust.json'), 'utf8'));
    expect(Object.keys(trust.Statement[0].Condition.StringEquals).sort()).toEqual([
      'oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLE:aud',
      'oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLE:sub',
    ]);
    for (const f of readdirSync(join(out, 'iam'))) expect(readFileSync(join(out, 'iam', f), 'utf8')).not.toContain('*');
    expect(readFileSync(join(out, 'README.md'), 'utf8')).toContain('| iam/scaler-policy.json |');
    expect(readFileSync(join(out, 'kubernetes/07-scaledjob-demo-processor.yaml'), 'utf8')).toMatchSnapshot();
  });

  it('never writes access keys in static mode', async () => {
    const out = mkdtempSync(join(tmpdir(), 'kedactl-render-'));
    const r = await runCli(
      [
        'render',
        '--out',
        out,
        '--stack',
        'emu',
        '--region',
        'us-east-1',
        '--account-id',
        '123456789012',
        '--auth',
        'static',
        '--endpoint-url',
        'http://127.0.0.1:5000',
      ],
      {
        env: { AWS_ACCESS_KEY_ID: 'AKIAREALLOOKING', AWS_SECRET_ACCESS_KEY: 'verysecret' },
      },
    );
    expect(r.code).toBe(0);
    const all = readdirSync(out, { recursive: true })
      .map(String)
      .filter((f) => f.includes('.'))
      .map((f) => readFileSync(join(out, f), 'utf8'))
      .join('\n');
    expect(all).not.toContain('verysecret');
    expect(all).not.toContain('AKIAREALLOOKING');
    expect(all).toContain('filled from your AWS credentials at apply time');
  });

  it('refuses to render unknown values, and writes nothing', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'kedactl-render-')), 'stack');
    const r = await runCli(['render', '--out', out, '--region', 'eu-west-1']);
    expect(r.code).toBe(2);
    expect(scrub(r.stderr)).toContain('cannot render files with unknown values: accountId, oidcIssuer');
    expect(existsSync(out)).toBe(false);
  });

  it('bad settings exit 2 and write nothing', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'kedactl-render-')), 'stack');
    const r = await runBin(['render', '--out', out, ...DEMO, '--polling-interval', '0']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('pollingInterval = "0" (from --polling-interval): must be from 1 to 3600');
    expect(existsSync(out)).toBe(false);
  });

  it('requires --out', async () => {
    const r = await runCli(['render', ...DEMO]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("required option '--out <dir>' not specified");
  });
});
