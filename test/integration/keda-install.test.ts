// KEDA through helm (a RECORDING STUB, test/fixtures/helm-stub/helm, with a stand-in for the chart's operator)
// against the real kube-apiserver: the exact arguments for the public chart repository (which cannot be
// reached here), waiting for the operator, and teardown keeping a KEDA others use. The real helm 3 and 4
// with KEDA's real chart: test/integration/helm-real.test.ts. This file starts its OWN rig, on purpose: KEDA is cluster-wide state (the
// keda namespace, "no other ScaledObject/ScaledJob remains"), which other test files on the shared rig change.
import { DEFAULT_KEDA_VERSION } from '../../src/core/keda/versions.ts';
import { tmpdir } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKube, loadKubeConfig } from '../../src/adapters/kube.ts';
import { createHelm } from '../../src/adapters/helm.ts';
import { desiredStack } from '../../src/core/stack/desired.ts';
import { StateError, UsageError } from '../../src/core/errors.ts';
import { installKeda, observeKube, teardownKube } from '../../src/core/kube/stack.ts';
import { loadSettings } from '../../src/core/stack/load-settings.ts';
import { recordingProgress } from '../../src/core/progress.ts';
import { startKubeRig, type KubeRig } from '../support/kube-rig.ts';
import { admin, kedaCrdsDir, uniqueStack } from '../support/kube-test-rig.ts';
import { stubHelm } from '../support/helm-stub.ts';
import { kedaOperatorUp } from '../support/controllers.ts';

let rig: KubeRig;
beforeAll(async () => {
  rig = await startKubeRig({ crdsDir: kedaCrdsDir(), log: () => {} });
});
afterAll(async () => rig?.stop());

const ISSUER = 'https://oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLE';
const settings = (flags: Record<string, unknown>) =>
  loadSettings({ flags: { region: 'eu-west-1', accountId: '123456789012', oidcIssuer: ISSUER, ...flags }, env: {}, cwd: tmpdir() })
    .settings;
const kubeWithLog = () => ({ kube: createKube(loadKubeConfig({ kubeconfig: rig.kubeconfigPath, env: {} })) });

describe('KEDA install and uninstall (helm stub + real API server)', () => {
  it("installs with the exact helm arguments, marks it as kedactl's, waits for CRDs and the operator, then skips when healthy", async () => {
    const desired = await desiredStack(settings({ stack: uniqueStack('keda') }));
    const { kube } = kubeWithLog();
    const { helm, calls } = stubHelm({ kubeconfig: rig.kubeconfigPath });
    const progress = recordingProgress();
    // the chart's operator comes up once helm has run
    const chart = (async () => {
      while (!calls().some((c) => c[0] === 'upgrade')) await new Promise((res) => setTimeout(res, 50));
      await kedaOperatorUp(rig);
    })();
    const r = await installKeda(desired, helm, kube, progress, { timeoutMs: 10_000 });
    await chart;
    expect(r).toEqual({ action: 'installed', version: DEFAULT_KEDA_VERSION });
    const roleArn = desired.keda.values['podIdentity.aws.irsa.roleArn'];
    expect(calls()).toEqual([
      ['version', '--short'],
      ['history', 'keda', '--namespace', 'keda', '--max', '1', '--output', 'json', '--kubeconfig', rig.kubeconfigPath],
      ['repo', 'list', '--output', 'json'],
      ['repo', 'add', 'kedacore', 'https://kedacore.github.io/charts'],
      ['repo', 'update', 'kedacore'],
      [
        'upgrade',
        '--install',
        'keda',
        'kedacore/keda',
        '--version',
        DEFAULT_KEDA_VERSION,
        '--namespace',
        'keda',
        '--create-namespace',
        '--set',
        'podIdentity.aws.irsa.enabled=true',
        '--set',
        `podIdentity.aws.irsa.roleArn=${roleArn}`,
        '--kubeconfig',
        rig.kubeconfigPath,
      ],
    ]);
    expect(progress.steps.map((s) => s.title)).toContain("Waiting for KEDA's CRDs and operator");
    const ns = (await admin(rig, 'GET', '/api/v1/namespaces/keda')).json();
    expect(ns.metadata.annotations).toMatchObject({ 'kedactl.io/installed-keda': 'true' });

    // installed and healthy with our values: skipped, version reported
    const installed = stubHelm({
      kubeconfig: rig.kubeconfigPath,
      env: {
        HELM_STUB_HISTORY: JSON.stringify([
          { revision: 1, status: 'deployed', chart: `keda-${DEFAULT_KEDA_VERSION}`, app_version: DEFAULT_KEDA_VERSION },
        ]),
        HELM_STUB_VALUES: JSON.stringify({ podIdentity: { aws: { irsa: { enabled: true, roleArn } } } }),
      },
    });
    const again = recordingProgress();
    expect(await installKeda(desired, installed.helm, kube, again)).toEqual({ action: 'unchanged', version: DEFAULT_KEDA_VERSION });
    expect(again.notes).toContain(`KEDA ${DEFAULT_KEDA_VERSION} is already installed and healthy; skipped`);
    expect(installed.calls().map((c) => c[0])).toEqual(['version', 'history', 'get']);

    // uninstall: kept while another ScaledObject uses KEDA, removed once nothing does
    await admin(rig, 'POST', '/apis/keda.sh/v1alpha1/namespaces/default/scaledobjects', {
      apiVersion: 'keda.sh/v1alpha1',
      kind: 'ScaledObject',
      metadata: { name: 'someone-elses' },
      spec: { scaleTargetRef: { name: 'x' }, triggers: [{ type: 'cpu', metadata: { value: '50' } }] },
    });
    const kept = stubHelm({ kubeconfig: rig.kubeconfigPath });
    const t1 = await teardownKube(uniqueStack('none'), kube, kept.helm, recordingProgress(), { intervalMs: 50 });
    expect(t1.keda).toBe('kept-in-use');
    expect(kept.calls()).toEqual([]);
    await admin(rig, 'DELETE', '/apis/keda.sh/v1alpha1/namespaces/default/scaledobjects/someone-elses');
    const keepFlag = stubHelm({ kubeconfig: rig.kubeconfigPath });
    expect(
      (await teardownKube(uniqueStack('none'), kube, keepFlag.helm, recordingProgress(), { keepKeda: true, intervalMs: 50 })).keda,
    ).toBe('kept');
    expect(keepFlag.calls()).toEqual([]);
    const removed = stubHelm({ kubeconfig: rig.kubeconfigPath });
    expect((await teardownKube(uniqueStack('none'), kube, removed.helm, recordingProgress(), { intervalMs: 50 })).keda).toBe('uninstalled');
    expect(removed.calls()).toEqual([
      ['version', '--short'],
      ['uninstall', 'keda', '--namespace', 'keda', '--kubeconfig', rig.kubeconfigPath],
    ]);
    await admin(rig, 'DELETE', '/apis/apps/v1/namespaces/keda/deployments/keda-operator');
    await admin(rig, 'PUT', '/api/v1/namespaces/keda/finalize', {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: 'keda' },
      spec: { finalizers: [] },
    });
  });

  it('not ready in time: the message names what is not ready', async () => {
    const desired = await desiredStack(settings({ stack: uniqueStack('keda') }));
    const { kube } = kubeWithLog();
    const { helm } = stubHelm({ kubeconfig: rig.kubeconfigPath });
    const err = await installKeda(desired, helm, kube, recordingProgress(), { timeoutMs: 600 }).catch((e) => e);
    expect(err).toBeInstanceOf(StateError);
    expect(err.message).toMatch(/^KEDA is not ready after 1s: (Deployment keda\/keda-operator does not exist|0\/1 replicas available)/);
    expect(err.next).toContain('kubectl -n keda get pods');
  });

  it('helm missing: reading still works from the cluster; installing says how to install helm or to pass --skip keda', async () => {
    const desired = await desiredStack(settings({ stack: uniqueStack('nohelm') }));
    const { kube } = kubeWithLog();
    const noHelm = createHelm({ env: { PATH: '/nonexistent' } });
    const seen = await observeKube(desired, kube, { helm: noHelm });
    expect(seen.keda).toEqual({ installed: false, version: undefined, values: undefined });
    const err = await installKeda(desired, noHelm, kube, recordingProgress()).catch((e) => e);
    expect(err).toBeInstanceOf(UsageError);
    expect(err.message).toMatch(/^helm is not installed: install helm 3 or 4 .* or pass --skip keda/);
  });
});
