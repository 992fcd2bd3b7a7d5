// The helm wrapper against a RECORDING STUB (test/fixtures/helm-stub/helm) first on PATH: exact argv, and how
// helm's failures are worded for the user (stderr the stub plays back). What helm itself does with those
// arguments is tested with the real helm 3 and 4 in test/integration/helm-real.test.ts.
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
  const calls = () =>
    existsSync(log)
      ? readFileSync(log, 'utf8')
          .split('\n')
          .filter(Boolean)
          .map((l) => l.split('\x1f').slice(0, -1))
      : [];
  return { env, calls };
}

describe('helm wrapper (recording stub)', () => {
  it('installs the pinned chart with --set values in a stable order and the kube flags', async () => {
    const { env, calls } = stubEnv();
    const logged: string[] = [];
    const helm = createHelm({ env, kubeconfig: '/tmp/kc', context: 'ctx', log: (t) => logged.push(t) });
    expect(await helm.repoList()).toEqual([]);
    await helm.repoAdd('kedacore', 'https://kedacore.github.io/charts');
    await helm.repoUpdate('kedacore');
    await helm.upgradeInstall({
      release: 'keda',
      chart: 'kedacore/keda',
      version: '2.20.0',
      namespace: 'keda',
      values: {
        'podIdentity.aws.irsa.roleArn': 'arn:aws:iam::123456789012:role/kedactl-demo-keda-operator',
        'podIdentity.aws.irsa.enabled': 'true',
      },
    });
    expect(calls()).toEqual([
      ['version', '--short'],
      ['repo', 'list', '--output', 'json'],
      ['repo', 'add', 'kedacore', 'https://kedacore.github.io/charts'],
      ['repo', 'update', 'kedacore'],
      [
        'upgrade',
        '--install',
        'keda',
        'kedacore/keda',
        '--version',
        '2.20.0',
        '--namespace',
        'keda',
        '--create-namespace',
        '--set',
        'podIdentity.aws.irsa.enabled=true',
        '--set',
        'podIdentity.aws.irsa.roleArn=arn:aws:iam::123456789012:role/kedactl-demo-keda-operator',
        '--kubeconfig',
        '/tmp/kc',
        '--kube-context',
        'ctx',
      ],
    ]);
    expect(logged[4]).toMatch(/^helm upgrade --install keda kedacore\/keda --version 2.20.0/);
  });

  it('--force-conflicts goes to helm 4 only (helm 3 merges client-side and has no such flag)', async () => {
    const req = { release: 'keda', chart: '/c/keda', version: '2.20.2', namespace: 'keda', values: {}, forceConflicts: true };
    const v4 = stubEnv({ HELM_STUB_VERSION: 'v4.3.2+gabc' });
    await createHelm({ env: v4.env }).upgradeInstall(req);
    expect(v4.calls()[1]).toContain('--force-conflicts');
    const v3 = stubEnv({ HELM_STUB_VERSION: 'v3.22.0+gabc' });
    await createHelm({ env: v3.env }).upgradeInstall(req);
    expect(v3.calls()[1]).not.toContain('--force-conflicts');
  });

  it('reads an installed release: version from the chart, values flattened to --set keys', async () => {
    const { env, calls } = stubEnv({
      HELM_STUB_HISTORY: JSON.stringify([
        {
          revision: 3,
          updated: '2026-01-01T00:00:00Z',
          status: 'deployed',
          chart: 'keda-2.20.0',
          app_version: '2.20.0',
          description: 'Upgrade complete',
        },
      ]),
      HELM_STUB_VALUES: JSON.stringify({ podIdentity: { aws: { irsa: { enabled: true, roleArn: 'arn:x' } } } }),
    });
    const r = await createHelm({ env }).status('keda', 'keda');
    expect(r).toEqual({
      name: 'keda',
      namespace: 'keda',
      status: 'deployed',
      chart: 'keda-2.20.0',
      version: '2.20.0',
      appVersion: '2.20.0',
      revision: 3,
      values: { 'podIdentity.aws.irsa.enabled': 'true', 'podIdentity.aws.irsa.roleArn': 'arn:x' },
    });
    expect(calls()).toEqual([
      ['version', '--short'],
      ['history', 'keda', '--namespace', 'keda', '--max', '1', '--output', 'json'],
      ['get', 'values', 'keda', '--namespace', 'keda', '--output', 'json'],
    ]);
  });

  it('no release ("release: not found"): undefined, and no values read', async () => {
    const { env, calls } = stubEnv();
    expect(await createHelm({ env }).status('keda', 'keda')).toBeUndefined();
    expect(calls().map((c) => c[0])).toEqual(['version', 'history']);
  });

  it('a helm older than kedactl supports is refused before any other command, naming both versions', async () => {
    const { env, calls } = stubEnv({ HELM_STUB_VERSION: 'v3.7.2+g663a896' });
    const err = await createHelm({ env })
      .status('keda', 'keda')
      .catch((e) => e);
    expect(err).toBeInstanceOf(UsageError);
    expect(err.message).toBe('helm 3.7.2 (helm) is older than kedactl supports (helm 3.8.0 or newer, or helm 4)');
    expect(err.next).toMatch(/install helm 3 or 4/);
    expect(calls()).toEqual([['version', '--short']]);
  });

  it('uninstall: true, or false when the release is already gone', async () => {
    const a = stubEnv();
    expect(await createHelm({ env: a.env }).uninstall('keda', 'keda')).toBe(true);
    expect(a.calls()).toEqual([
      ['version', '--short'],
      ['uninstall', 'keda', '--namespace', 'keda'],
    ]);
    const b = stubEnv({ HELM_STUB_UNINSTALL_MISSING: '1' });
    expect(await createHelm({ env: b.env }).uninstall('keda', 'keda')).toBe(false);
  });

  it('uninstall: any other "not found" (a kube context) is an error, not "already gone"', async () => {
    const { env } = stubEnv({
      HELM_STUB_FAIL: 'uninstall',
      HELM_STUB_STDERR: 'Error: Kubernetes cluster unreachable: context "gone" not found',
    });
    const err = await createHelm({ env })
      .uninstall('keda', 'keda')
      .catch((e) => e);
    expect(err).toBeInstanceOf(ExternalError);
    expect(err.message).toContain('context "gone" not found');
  });

  it("a non-zero exit is an ExternalError carrying helm's stderr", async () => {
    const { env } = stubEnv({
      HELM_STUB_FAIL: 'upgrade',
      HELM_STUB_STDERR: 'Error: Kubernetes cluster unreachable: dial tcp 127.0.0.1:1: connect: connection refused',
    });
    const err = await createHelm({ env })
      .upgradeInstall({ release: 'keda', chart: 'kedacore/keda', version: '2.20.0', namespace: 'keda', values: {} })
      .catch((e) => e);
    expect(err).toBeInstanceOf(ExternalError);
    expect(err.message).toContain('Kubernetes cluster unreachable');
    expect(err.message).toContain('exit 1');
    expect(err.next).toMatch(/reachable/);
  });

  it("forbidden: RBAC's words mean a missing permission; an admission policy's do not", async () => {
    const values = { release: 'keda', chart: 'kedacore/keda', version: '2.20.0', namespace: 'keda', values: {} };
    const rbac = stubEnv({
      HELM_STUB_FAIL: 'upgrade',
      HELM_STUB_STDERR:
        'Error: customresourcedefinitions.apiextensions.k8s.io is forbidden: User "dev" cannot create resource "customresourcedefinitions" in API group "apiextensions.k8s.io" at the cluster scope',
    });
    expect(
      (
        await createHelm({ env: rbac.env })
          .upgradeInstall(values)
          .catch((e) => e)
      ).next,
    ).toMatch(/lacks permission/);
    const policy = stubEnv({
      HELM_STUB_FAIL: 'upgrade',
      HELM_STUB_STDERR:
        'Error: pods "keda-operator-x" is forbidden: violates PodSecurity "restricted:latest": allowPrivilegeEscalation != false',
    });
    const err = await createHelm({ env: policy.env })
      .upgradeInstall(values)
      .catch((e) => e);
    expect(err.next).toMatch(/refused it by policy \(admission\), not for a missing permission/);
    expect(err.next).not.toMatch(/lacks permission/);
  });

  it('helm not installed: a UsageError that says how to install it or to pass --skip keda', async () => {
    const err = await createHelm({ env: { PATH: '/nonexistent' } })
      .repoAdd('kedacore', 'https://kedacore.github.io/charts')
      .catch((e) => e);
    expect(err).toBeInstanceOf(UsageError);
    expect(err.exitCode).toBe(2);
    expect(err.message).toMatch(/helm is not installed: install helm 3 or 4 \(https:\/\/helm.sh/);
    expect(err.message).toContain('--skip keda');
  });

  it('abort: a CancelledError', async () => {
    const { env } = stubEnv();
    const ac = new AbortController();
    ac.abort();
    const err = await createHelm({ env, signal: ac.signal })
      .repoUpdate('kedacore')
      .catch((e) => e);
    expect(err).toBeInstanceOf(CancelledError);
  });

  it('flatten', () => {
    expect(flatten({ a: { b: 1, c: [1, 2] }, d: 'x' })).toEqual({ 'a.b': '1', 'a.c': '[1,2]', d: 'x' });
  });
});
