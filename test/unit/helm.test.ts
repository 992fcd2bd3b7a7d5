// The helm wrapper against a RECORDING STUB (test/fixtures/helm-stub/helm) first on PATH: exact argv.
import { mkdtempSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { createHelm, flatten } from '../../src/adapters/helm.ts';
import { ExternalError, UsageError, CancelledError } from '../../src/core/errors.ts';

const STUB_DIR = fileURLToPath(new URL('../fixtures/helm-stub', import.meta.url));

function stubEnv(extra: Record<string, string> = {}) {
  const log = join(mkdtempSync(join(tmpdir(), 'helm-stub-')), 'calls');
  const env = { PATH: `${STUB_DIR}:${process.env.PATH}`, HELM_STUB_LOG: log, ...extra };
  const calls = () => (existsSync(log) ? readFileSync(log, 'utf8').split('\n').filter(Boolean).map((l) => l.split('\x1f').slice(0, -1)) : []);
  return { env, calls };
}

describe('helm wrapper (recording stub)', () => {
  it('installs the pinned chart with --set values in a stable order and the kube flags', async () => {
    const { env, calls } = stubEnv();
    const logged: string[] = [];
    const helm = createHelm({ env, kubeconfig: '/tmp/kc', context: 'ctx', log: (t) => logged.push(t) });
    await helm.repoAdd('kedacore', 'https://kedacore.github.io/charts');
    await helm.repoUpdate('kedacore');
    await helm.upgradeInstall({
      release: 'keda', chart: 'kedacore/keda', version: '2.20.0', namespace: 'keda',
      values: { 'podIdentity.aws.irsa.roleArn': 'arn:aws:iam::123456789012:role/kedactl-demo-keda-operator', 'podIdentity.aws.irsa.enabled': 'true' },
    });
    expect(calls()).toEqual([
      ['repo', 'add', 'kedacore', 'https://kedacore.github.io/charts', '--force-update'],
      ['repo', 'update', 'kedacore'],
      ['upgrade', '--install', 'keda', 'kedacore/keda', '--version', '2.20.0', '--namespace', 'keda', '--create-namespace',
        '--set', 'podIdentity.aws.irsa.enabled=true',
        '--set', 'podIdentity.aws.irsa.roleArn=arn:aws:iam::123456789012:role/kedactl-demo-keda-operator',
        '--kubeconfig', '/tmp/kc', '--kube-context', 'ctx'],
    ]);
    expect(logged[2]).toMatch(/^helm upgrade --install keda kedacore\/keda --version 2.20.0/);
  });

  it('reads an installed release: version from the chart, values flattened to --set keys', async () => {
    const { env, calls } = stubEnv({
      HELM_STUB_LIST: JSON.stringify([{ name: 'keda', namespace: 'keda', revision: '3', updated: '2026-01-01', status: 'deployed', chart: 'keda-2.20.0', app_version: '2.20.0' }]),
      HELM_STUB_VALUES: JSON.stringify({ podIdentity: { aws: { irsa: { enabled: true, roleArn: 'arn:x' } } } }),
    });
    const r = await createHelm({ env }).status('keda', 'keda');
    expect(r).toEqual({ name: 'keda', namespace: 'keda', status: 'deployed', chart: 'keda-2.20.0', version: '2.20.0', appVersion: '2.20.0', revision: 3,
      values: { 'podIdentity.aws.irsa.enabled': 'true', 'podIdentity.aws.irsa.roleArn': 'arn:x' } });
    expect(calls()).toEqual([
      ['list', '--namespace', 'keda', '--filter', '^keda$', '--all', '--output', 'json'],
      ['get', 'values', 'keda', '--namespace', 'keda', '--output', 'json'],
    ]);
  });

  it('no release: undefined, and only one call', async () => {
    const { env, calls } = stubEnv();
    expect(await createHelm({ env }).status('keda', 'keda')).toBeUndefined();
    expect(calls()).toHaveLength(1);
  });

  it('uninstall: true, or false when the release is already gone', async () => {
    const a = stubEnv();
    expect(await createHelm({ env: a.env }).uninstall('keda', 'keda')).toBe(true);
    expect(a.calls()).toEqual([['uninstall', 'keda', '--namespace', 'keda']]);
    const b = stubEnv({ HELM_STUB_UNINSTALL_MISSING: '1' });
    expect(await createHelm({ env: b.env }).uninstall('keda', 'keda')).toBe(false);
  });

  it('uninstall: any other "not found" (a kube context) is an error, not "already gone"', async () => {
    const { env } = stubEnv({ HELM_STUB_FAIL: 'uninstall', HELM_STUB_STDERR: 'Error: Kubernetes cluster unreachable: context "gone" not found' });
    const err = await createHelm({ env }).uninstall('keda', 'keda').catch((e) => e);
    expect(err).toBeInstanceOf(ExternalError);
    expect(err.message).toContain('context "gone" not found');
  });

  it('a non-zero exit is an ExternalError carrying helm\'s stderr', async () => {
    const { env } = stubEnv({ HELM_STUB_FAIL: 'upgrade', HELM_STUB_STDERR: 'Error: Kubernetes cluster unreachable: dial tcp 127.0.0.1:1: connect: connection refused' });
    const err = await createHelm({ env }).upgradeInstall({ release: 'keda', chart: 'kedacore/keda', version: '2.20.0', namespace: 'keda', values: {} }).catch((e) => e);
    expect(err).toBeInstanceOf(ExternalError);
    expect(err.message).toContain('Kubernetes cluster unreachable');
    expect(err.message).toContain('exit 1');
    expect(err.next).toMatch(/reachable/);
  });

  it('forbidden: RBAC\'s words mean a missing permission; an admission policy\'s do not', async () => {
    const values = { release: 'keda', chart: 'kedacore/keda', version: '2.20.0', namespace: 'keda', values: {} };
    const rbac = stubEnv({ HELM_STUB_FAIL: 'upgrade', HELM_STUB_STDERR: 'Error: customresourcedefinitions.apiextensions.k8s.io is forbidden: User "dev" cannot create resource "customresourcedefinitions" in API group "apiextensions.k8s.io" at the cluster scope' });
    expect((await createHelm({ env: rbac.env }).upgradeInstall(values).catch((e) => e)).next).toMatch(/lacks permission/);
    const policy = stubEnv({ HELM_STUB_FAIL: 'upgrade', HELM_STUB_STDERR: 'Error: pods "keda-operator-x" is forbidden: violates PodSecurity "restricted:latest": allowPrivilegeEscalation != false' });
    const err = await createHelm({ env: policy.env }).upgradeInstall(values).catch((e) => e);
    expect(err.next).toMatch(/refused it by policy \(admission\), not for a missing permission/);
    expect(err.next).not.toMatch(/lacks permission/);
  });

  it('helm not installed: a UsageError that says how to install it or to pass --skip keda', async () => {
    const err = await createHelm({ env: { PATH: '/nonexistent' } }).repoAdd('kedacore', 'https://kedacore.github.io/charts').catch((e) => e);
    expect(err).toBeInstanceOf(UsageError);
    expect(err.exitCode).toBe(2);
    expect(err.message).toMatch(/helm is not installed: install helm 3 \(https:\/\/helm.sh/);
    expect(err.message).toContain('--skip keda');
  });

  it('abort: a CancelledError', async () => {
    const { env } = stubEnv();
    const ac = new AbortController();
    ac.abort();
    const err = await createHelm({ env, signal: ac.signal }).repoUpdate('kedacore').catch((e) => e);
    expect(err).toBeInstanceOf(CancelledError);
  });

  it('flatten', () => {
    expect(flatten({ a: { b: 1, c: [1, 2] }, d: 'x' })).toEqual({ 'a.b': '1', 'a.c': '[1,2]', d: 'x' });
  });
});
