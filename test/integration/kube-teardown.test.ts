// Teardown by label against the real kube-apiserver: 150 Jobs and their Pods (created through the API, as
// KEDA and the Job controller would), O(1) requests, finalizers named, KEDA uninstalled only when unused.
import { mkdtempSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKube, loadKubeConfig } from '../../src/adapters/kube.ts';
import { createHelm } from '../../src/adapters/helm.ts';
import { desiredStack } from '../../src/core/desired.ts';
import { StateError, UsageError } from '../../src/core/errors.ts';
import { applyKube, installKeda, observeKube, teardownKube } from '../../src/core/kube-stack.ts';
import { loadSettings } from '../../src/core/load-settings.ts';
import { recordingProgress } from '../../src/core/progress.ts';
import { stackSelector } from '../../src/core/stack.ts';
import { admin, createFinishedJobs, kubeRigForTests, namespaceController as nsController, uniqueStack, type RigInfo } from '../support/kube-test-rig.ts';

const namespaceController = (name: string) => nsController(rig, name);

let rig: RigInfo;
let stopRig: () => Promise<void>;
beforeAll(async () => {
  ({ rig, stop: stopRig } = await kubeRigForTests());
});
afterAll(async () => stopRig?.());

const ISSUER = 'https://oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLE';
const settings = (flags: Record<string, unknown>) =>
  loadSettings({ flags: { region: 'eu-west-1', accountId: '123456789012', oidcIssuer: ISSUER, ...flags }, env: {}, cwd: tmpdir() }).settings;

function kubeWithLog() {
  const requests: Array<{ method: string; path: string }> = [];
  const kube = createKube(loadKubeConfig({ kubeconfig: rig.kubeconfigPath, env: {} }), { onRequest: (method, path) => requests.push({ method, path }) });
  return { kube, requests };
}

const count = async (path: string) => (await admin(rig, 'GET', path)).json().items.length as number;

describe('teardownKube', () => {
  it('150 Jobs and their Pods: one delete-collection per kind, requests independent of the number of Jobs; nothing labelled is left', async () => {
    const stack = uniqueStack('td');
    const desired = await desiredStack(settings({ stack }));
    const { kube, requests } = kubeWithLog();
    await applyKube(desired, kube, recordingProgress(), { wait: false });
    await createFinishedJobs(rig, stack, stack, 150);
    expect(await count(`/apis/batch/v1/namespaces/${stack}/jobs?labelSelector=${encodeURIComponent(stackSelector(stack))}`)).toBe(150);

    requests.length = 0;
    const stopNs = namespaceController(stack);
    const progress = recordingProgress();
    const r = await teardownKube(stack, kube, undefined, progress, { intervalMs: 100 });
    stopNs();
    expect(r.deleted).toMatchObject({ ScaledJob: 1, Job: 150, Pod: 150, Deployment: 1, Service: 1, TriggerAuthentication: 1, ConfigMap: 1, ServiceAccount: 1, Namespace: 1 });
    const deletes = requests.filter((q) => q.method === 'DELETE');
    // one per kind that had objects: no per-object deletes
    // the kinds of a phase go in parallel; phases in order
    const phaseOf = (p: string) => (/scaledjobs/.test(p) ? 0 : /jobs|pods/.test(p) ? 1 : /\/namespaces\/[^/]+$/.test(p) ? 3 : 2);
    expect(deletes.map((d) => phaseOf(d.path.split('?')[0]!))).toEqual([0, 1, 1, 2, 2, 2, 2, 2, 3]);
    expect(deletes.map((d) => d.path.split('?')[0]).sort()).toEqual([
      `/apis/keda.sh/v1alpha1/namespaces/${stack}/scaledjobs`,
      `/apis/batch/v1/namespaces/${stack}/jobs`,
      `/api/v1/namespaces/${stack}/pods`,
      `/apis/apps/v1/namespaces/${stack}/deployments`,
      `/api/v1/namespaces/${stack}/services`,
      `/apis/keda.sh/v1alpha1/namespaces/${stack}/triggerauthentications`,
      `/api/v1/namespaces/${stack}/configmaps`,
      `/api/v1/namespaces/${stack}/serviceaccounts`,
      `/api/v1/namespaces/${stack}`,
    ].sort());
    expect(deletes.find((d) => d.path.includes('/jobs?'))!.path).toContain('propagationPolicy=Background');
    const big = requests.length;
    expect(big).toBeLessThan(45);
    expect(r.terminatingNamespaces).toEqual([]);
    // nothing with the stack's labels anywhere
    const sel = encodeURIComponent(stackSelector(stack));
    for (const p of ['/apis/batch/v1/jobs', '/api/v1/pods', '/apis/keda.sh/v1alpha1/scaledjobs', '/apis/keda.sh/v1alpha1/triggerauthentications', '/apis/apps/v1/deployments', '/api/v1/services', '/api/v1/configmaps', '/api/v1/serviceaccounts', '/api/v1/secrets', '/api/v1/namespaces'])
      expect(await count(`${p}?labelSelector=${sel}`), p).toBe(0);

    // the same teardown with 10 Jobs makes the same number of requests
    const small = uniqueStack('td');
    await applyKube(await desiredStack(settings({ stack: small })), kube, recordingProgress(), { wait: false });
    await createFinishedJobs(rig, small, small, 10);
    requests.length = 0;
    const stop2 = namespaceController(small);
    await teardownKube(small, kube, undefined, recordingProgress(), { intervalMs: 100 });
    stop2();
    // the same kinds, the same calls (give or take a poll while the namespace terminates)
    expect(Math.abs(requests.length - big), `150 Jobs: ${big} requests, 10 Jobs: ${requests.length}`).toBeLessThanOrEqual(3);
    expect(requests.filter((q) => q.method === 'DELETE')).toHaveLength(9);
  });

  it('already gone is success', async () => {
    const { kube, requests } = kubeWithLog();
    const r = await teardownKube(uniqueStack('none'), kube, undefined, recordingProgress(), { intervalMs: 50 });
    expect(Object.values(r.deleted).every((n) => n === 0)).toBe(true);
    expect(requests.filter((q) => q.method === 'DELETE')).toEqual([]);
  });

  it('a stuck finalizer is named, with the way out', async () => {
    const stack = uniqueStack('fin');
    const { kube } = kubeWithLog();
    await applyKube(await desiredStack(settings({ stack })), kube, recordingProgress(), { wait: false });
    const cm = `/api/v1/namespaces/${stack}/configmaps/${stack}-consumer-script`;
    expect((await admin(rig, 'PATCH', cm, { metadata: { finalizers: ['example.com/hold'] } }, 'application/merge-patch+json')).status).toBe(200);
    const err = await teardownKube(stack, kube, undefined, recordingProgress(), { timeoutMs: 800, intervalMs: 100 }).catch((e) => e);
    expect(err).toBeInstanceOf(StateError);
    expect(err.message).toMatch(new RegExp(`^1 object of the stack \\(the result analyzer, the TriggerAuthentication, configuration and identity\\) still exist after 1s:\\n  - ConfigMap ${stack}/${stack}-consumer-script \\(finalizers: example.com/hold\\) deleting since `));
    expect(err.next).toContain(`kubectl -n ${stack} patch configmap ${stack}-consumer-script --type=merge -p '{"metadata":{"finalizers":null}}'`);
    // the controller lets go: a second teardown finishes
    await admin(rig, 'PATCH', cm, { metadata: { finalizers: null } }, 'application/merge-patch+json');
    const stopNs = namespaceController(stack);
    await teardownKube(stack, kube, undefined, recordingProgress(), { intervalMs: 100 });
    stopNs();
    expect((await admin(rig, 'GET', `/api/v1/namespaces/${stack}`)).status).toBe(404);
  });

  it('a namespace that stays terminating is a warning, not a failure', async () => {
    const stack = uniqueStack('term');
    const { kube } = kubeWithLog();
    await applyKube(await desiredStack(settings({ stack })), kube, recordingProgress(), { wait: false });
    const progress = recordingProgress();
    const r = await teardownKube(stack, kube, undefined, progress, { namespaceTimeoutMs: 300, intervalMs: 100 });
    expect(r.terminatingNamespaces).toEqual([stack]);
    expect(progress.notes.join('\n')).toContain(`warning: namespace ${stack} is still terminating`);
    namespaceController(stack); // clean up
  });
});

// ---------------------------------------------------------------------------------------------
// KEDA through helm: a RECORDING STUB for helm (test/fixtures/helm-stub/helm), the rig for the cluster.

const STUB_DIR = fileURLToPath(new URL('../fixtures/helm-stub', import.meta.url));
function stubHelm(extra: Record<string, string> = {}) {
  const log = join(mkdtempSync(join(tmpdir(), 'helm-stub-')), 'calls');
  const helm = createHelm({ env: { PATH: `${STUB_DIR}:${process.env.PATH}`, HELM_STUB_LOG: log, ...extra }, kubeconfig: rig.kubeconfigPath });
  const calls = () => (existsSync(log) ? readFileSync(log, 'utf8').split('\n').filter(Boolean).map((l) => l.split('\x1f').slice(0, -1)) : []);
  return { helm, calls };
}

/** what the chart + the kubelet would leave: a keda-operator Deployment that is available */
async function fakeKedaOperator(version = '2.20.0') {
  await admin(rig, 'POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'keda' } });
  const labels = { app: 'keda-operator', 'app.kubernetes.io/version': version };
  const created = await admin(rig, 'POST', '/apis/apps/v1/namespaces/keda/deployments', {
    apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'keda-operator', labels },
    spec: { replicas: 1, selector: { matchLabels: { app: 'keda-operator' } }, template: { metadata: { labels }, spec: { containers: [{ name: 'keda-operator', image: `ghcr.io/kedacore/keda:${version}` }] } } },
  });
  if (created.status !== 201 && created.status !== 409) throw new Error(created.body);
  const dep = (await admin(rig, 'GET', '/apis/apps/v1/namespaces/keda/deployments/keda-operator')).json();
  const status = { observedGeneration: dep.metadata.generation, replicas: 1, updatedReplicas: 1, readyReplicas: 1, availableReplicas: 1, conditions: [{ type: 'Available', status: 'True', reason: 'MinimumReplicasAvailable' }] };
  await admin(rig, 'PATCH', '/apis/apps/v1/namespaces/keda/deployments/keda-operator/status', { status }, 'application/merge-patch+json');
}

describe('KEDA install and uninstall (helm stub + real API server)', () => {
  it('installs with the exact helm arguments, marks it as kedactl\'s, waits for CRDs and the operator, then skips when healthy', async () => {
    const desired = await desiredStack(settings({ stack: uniqueStack('keda') }));
    const { kube } = kubeWithLog();
    const { helm, calls } = stubHelm();
    const progress = recordingProgress();
    // the chart's operator comes up once helm has run
    const chart = (async () => {
      while (!calls().some((c) => c[0] === 'upgrade')) await new Promise((res) => setTimeout(res, 50));
      await fakeKedaOperator();
    })();
    const r = await installKeda(desired, helm, kube, progress, { timeoutMs: 10_000 });
    await chart;
    expect(r).toEqual({ action: 'installed', version: '2.20.0' });
    const roleArn = desired.keda.values['podIdentity.aws.irsa.roleArn'];
    expect(calls()).toEqual([
      ['list', '--namespace', 'keda', '--filter', '^keda$', '--all', '--output', 'json', '--kubeconfig', rig.kubeconfigPath],
      ['repo', 'add', 'kedacore', 'https://kedacore.github.io/charts', '--force-update'],
      ['repo', 'update', 'kedacore'],
      ['upgrade', '--install', 'keda', 'kedacore/keda', '--version', '2.20.0', '--namespace', 'keda', '--create-namespace',
        '--set', 'podIdentity.aws.irsa.enabled=true', '--set', `podIdentity.aws.irsa.roleArn=${roleArn}`, '--kubeconfig', rig.kubeconfigPath],
    ]);
    expect(progress.steps.map((s) => s.title)).toContain("Waiting for KEDA's CRDs and operator");
    const ns = (await admin(rig, 'GET', '/api/v1/namespaces/keda')).json();
    expect(ns.metadata.annotations).toMatchObject({ 'kedactl.io/installed-keda': 'true' });

    // installed and healthy with our values: skipped, version reported
    const installed = stubHelm({
      HELM_STUB_LIST: JSON.stringify([{ name: 'keda', namespace: 'keda', revision: '1', status: 'deployed', chart: 'keda-2.20.0', app_version: '2.20.0' }]),
      HELM_STUB_VALUES: JSON.stringify({ podIdentity: { aws: { irsa: { enabled: true, roleArn } } } }),
    });
    const again = recordingProgress();
    expect(await installKeda(desired, installed.helm, kube, again)).toEqual({ action: 'unchanged', version: '2.20.0' });
    expect(again.notes).toContain('KEDA 2.20.0 is already installed and healthy; skipped');
    expect(installed.calls().map((c) => c[0])).toEqual(['list', 'get']);

    // uninstall: kept while another ScaledObject uses KEDA, removed once nothing does
    await admin(rig, 'POST', '/apis/keda.sh/v1alpha1/namespaces/default/scaledobjects', {
      apiVersion: 'keda.sh/v1alpha1', kind: 'ScaledObject', metadata: { name: 'someone-elses' }, spec: { scaleTargetRef: { name: 'x' }, triggers: [{ type: 'cpu', metadata: { value: '50' } }] },
    });
    const kept = stubHelm();
    const t1 = await teardownKube(uniqueStack('none'), kube, kept.helm, recordingProgress(), { intervalMs: 50 });
    expect(t1.keda).toBe('kept-in-use');
    expect(kept.calls()).toEqual([]);
    await admin(rig, 'DELETE', '/apis/keda.sh/v1alpha1/namespaces/default/scaledobjects/someone-elses');
    const keepFlag = stubHelm();
    expect((await teardownKube(uniqueStack('none'), kube, keepFlag.helm, recordingProgress(), { keepKeda: true, intervalMs: 50 })).keda).toBe('kept');
    expect(keepFlag.calls()).toEqual([]);
    const removed = stubHelm();
    expect((await teardownKube(uniqueStack('none'), kube, removed.helm, recordingProgress(), { intervalMs: 50 })).keda).toBe('uninstalled');
    expect(removed.calls()).toEqual([['uninstall', 'keda', '--namespace', 'keda', '--kubeconfig', rig.kubeconfigPath]]);
    await admin(rig, 'DELETE', '/apis/apps/v1/namespaces/keda/deployments/keda-operator');
    await admin(rig, 'PUT', '/api/v1/namespaces/keda/finalize', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'keda' }, spec: { finalizers: [] } });
  });

  it('not ready in time: the message names what is not ready', async () => {
    const desired = await desiredStack(settings({ stack: uniqueStack('keda') }));
    const { kube } = kubeWithLog();
    const { helm } = stubHelm();
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
    expect(err.message).toMatch(/^helm is not installed: install helm 3 .* or pass --skip keda/);
  });
});

describe('teardown with a context limited to one namespace', () => {
  it('falls back to the namespaces it is given when cluster-wide lists are forbidden, and leaves the namespace', async () => {
    const stack = uniqueStack('scoped');
    const adminKube = createKube(loadKubeConfig({ kubeconfig: rig.kubeconfigPath, env: {} }));
    // an admin created the namespace; the user "restricted" may do anything inside it
    expect((await admin(rig, 'POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: stack } })).status).toBe(201);
    await admin(rig, 'POST', `/apis/rbac.authorization.k8s.io/v1/namespaces/${stack}/roles`, { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: { name: 'all' }, rules: [{ apiGroups: ['*'], resources: ['*'], verbs: ['*'] }] });
    await admin(rig, 'POST', `/apis/rbac.authorization.k8s.io/v1/namespaces/${stack}/rolebindings`, { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', metadata: { name: 'restricted-all' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'all' }, subjects: [{ kind: 'User', name: 'restricted', apiGroup: 'rbac.authorization.k8s.io' }] });
    await applyKube(await desiredStack(settings({ stack })), adminKube, recordingProgress(), { wait: false });
    await createFinishedJobs(rig, stack, stack, 5);
    const user = createKube(loadKubeConfig({ kubeconfig: rig.restrictedKubeconfigPath, env: {} }));
    const noHint = await teardownKube(stack, user, undefined, recordingProgress()).catch((e) => e);
    expect(noHint.message).toMatch(/may not list scaledjobs.keda.sh \(cluster-wide\)/);
    const r = await teardownKube(stack, user, stubHelm().helm, recordingProgress(), { namespaces: [stack], intervalMs: 50 });
    expect(r.deleted).toMatchObject({ ScaledJob: 1, Job: 5, Pod: 5, ConfigMap: 1 });
    expect(r.keda).toBe('kept-not-ours');
    const sel = encodeURIComponent(stackSelector(stack));
    expect(await count(`/apis/batch/v1/namespaces/${stack}/jobs?labelSelector=${sel}`)).toBe(0);
    expect(await count(`/api/v1/namespaces/${stack}/configmaps?labelSelector=${sel}`)).toBe(0);
    expect((await admin(rig, 'GET', `/api/v1/namespaces/${stack}`)).status).toBe(200);
  });
});
