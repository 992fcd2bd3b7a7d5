// Teardown by label against the real kube-apiserver: 150 Jobs and their Pods (created through the API, as
// KEDA and the Job controller would), O(1) requests, finalizers named, a context limited to its namespace.
import { describe, expect, it } from 'vitest';
import { createKube, loadKubeConfig } from '../../src/adapters/kube.ts';
import { desiredStack } from '../../src/core/stack/desired.ts';
import { StateError } from '../../src/core/errors.ts';
import { applyKube, teardownKube } from '../../src/core/kube/stack.ts';
import { recordingProgress } from '../../src/core/progress.ts';
import { stackSelector } from '../../src/core/stack/names.ts';
import { stubHelm } from '../support/helm-stub.ts';
import { rig, settings, useKubeRig } from '../support/kube-file-rig.ts';
import { admin, createFinishedJobs, uniqueStack } from '../support/kube-test-rig.ts';
import { namespaceController as nsController } from '../support/controllers.ts';

const namespaceController = (name: string) => nsController(rig, name);

useKubeRig();

function kubeWithLog() {
  const requests: Array<{ method: string; path: string }> = [];
  const kube = createKube(loadKubeConfig({ kubeconfig: rig.kubeconfigPath, env: {} }), {
    onRequest: (method, path) => requests.push({ method, path }),
  });
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
    expect(r.deleted).toMatchObject({
      ScaledJob: 1,
      Job: 150,
      Pod: 150,
      Deployment: 1,
      Service: 1,
      TriggerAuthentication: 1,
      ConfigMap: 2,
      ServiceAccount: 1,
      Namespace: 1,
    });
    const deletes = requests.filter((q) => q.method === 'DELETE');
    // one per kind that had objects: no per-object deletes
    // the kinds of a phase go in parallel; phases in order. The Pods' owners (Jobs, the analyzer's Deployment)
    // go in the Pods' phase: a live ReplicaSet would replace an analyzer Pod deleted before it
    const phaseOf = (p: string) =>
      /scaledjobs/.test(p) ? 0 : /jobs|pods|deployments/.test(p) ? 1 : /\/namespaces\/[^/]+$/.test(p) ? 3 : 2;
    expect(deletes.map((d) => phaseOf(d.path.split('?')[0]!))).toEqual([0, 1, 1, 1, 2, 2, 2, 2, 3]);
    expect(deletes.map((d) => d.path.split('?')[0]).sort()).toEqual(
      [
        `/apis/keda.sh/v1alpha1/namespaces/${stack}/scaledjobs`,
        `/apis/batch/v1/namespaces/${stack}/jobs`,
        `/api/v1/namespaces/${stack}/pods`,
        `/apis/apps/v1/namespaces/${stack}/deployments`,
        `/api/v1/namespaces/${stack}/services`,
        `/apis/keda.sh/v1alpha1/namespaces/${stack}/triggerauthentications`,
        `/api/v1/namespaces/${stack}/configmaps`,
        `/api/v1/namespaces/${stack}/serviceaccounts`,
        `/api/v1/namespaces/${stack}`,
      ].sort(),
    );
    expect(deletes.find((d) => d.path.includes('/jobs?'))!.path).toContain('propagationPolicy=Background');
    const big = requests.length;
    expect(big).toBeLessThan(45);
    expect(r.terminatingNamespaces).toEqual([]);
    // nothing with the stack's labels anywhere
    const sel = encodeURIComponent(stackSelector(stack));
    for (const p of [
      '/apis/batch/v1/jobs',
      '/api/v1/pods',
      '/apis/keda.sh/v1alpha1/scaledjobs',
      '/apis/keda.sh/v1alpha1/triggerauthentications',
      '/apis/apps/v1/deployments',
      '/api/v1/services',
      '/api/v1/configmaps',
      '/api/v1/serviceaccounts',
      '/api/v1/secrets',
      '/api/v1/namespaces',
    ])
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
    expect((await admin(rig, 'PATCH', cm, { metadata: { finalizers: ['example.com/hold'] } }, 'application/merge-patch+json')).status).toBe(
      200,
    );
    const err = await teardownKube(stack, kube, undefined, recordingProgress(), { timeoutMs: 800, intervalMs: 100 }).catch((e) => e);
    expect(err).toBeInstanceOf(StateError);
    expect(err.message).toMatch(
      new RegExp(
        `^1 object of the stack \\(the result analyzer, the TriggerAuthentication, configuration and identity\\) still exist after 1s:\\n  - ConfigMap ${stack}/${stack}-consumer-script \\(finalizers: example.com/hold\\) deleting since `,
      ),
    );
    expect(err.next).toContain(
      `kubectl -n ${stack} patch configmap ${stack}-consumer-script --type=merge -p '{"metadata":{"finalizers":null}}'`,
    );
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

describe('teardown with a context limited to one namespace', () => {
  it('falls back to the namespaces it is given when cluster-wide lists are forbidden, and leaves the namespace', async () => {
    const stack = uniqueStack('scoped');
    const adminKube = createKube(loadKubeConfig({ kubeconfig: rig.kubeconfigPath, env: {} }));
    // an admin created the namespace; the user "restricted" may do anything inside it
    expect(
      (await admin(rig, 'POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: stack } })).status,
    ).toBe(201);
    await admin(rig, 'POST', `/apis/rbac.authorization.k8s.io/v1/namespaces/${stack}/roles`, {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'Role',
      metadata: { name: 'all' },
      rules: [{ apiGroups: ['*'], resources: ['*'], verbs: ['*'] }],
    });
    await admin(rig, 'POST', `/apis/rbac.authorization.k8s.io/v1/namespaces/${stack}/rolebindings`, {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: { name: 'restricted-all' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'all' },
      subjects: [{ kind: 'User', name: 'restricted', apiGroup: 'rbac.authorization.k8s.io' }],
    });
    await applyKube(await desiredStack(settings({ stack })), adminKube, recordingProgress(), { wait: false });
    await createFinishedJobs(rig, stack, stack, 5);
    const user = createKube(loadKubeConfig({ kubeconfig: rig.restrictedKubeconfigPath, env: {} }));
    const noHint = await teardownKube(stack, user, undefined, recordingProgress()).catch((e) => e);
    expect(noHint.message).toMatch(/may not list scaledjobs.keda.sh \(cluster-wide\)/);
    const r = await teardownKube(stack, user, stubHelm({ kubeconfig: rig.kubeconfigPath }).helm, recordingProgress(), {
      namespaces: [stack],
      intervalMs: 50,
    });
    expect(r.deleted).toMatchObject({ ScaledJob: 1, Job: 5, Pod: 5, ConfigMap: 2 });
    expect(r.keda).toBe('kept-not-ours');
    const sel = encodeURIComponent(stackSelector(stack));
    expect(await count(`/apis/batch/v1/namespaces/${stack}/jobs?labelSelector=${sel}`)).toBe(0);
    expect(await count(`/api/v1/namespaces/${stack}/configmaps?labelSelector=${sel}`)).toBe(0);
    expect((await admin(rig, 'GET', `/api/v1/namespaces/${stack}`)).status).toBe(200);
  });
});
