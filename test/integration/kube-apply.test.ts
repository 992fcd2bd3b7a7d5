// Server-side apply of a stack against the real kube-apiserver rig (KEDA's CRDs installed, so the server
// validates the ScaledJob and TriggerAuthentication). The rig has no controllers: nothing runs.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, mkdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { createKube, loadKubeConfig } from '../../src/adapters/kube.ts';
import { KubeApiError, KubeConflictError, type Kube } from '../../src/core/kube/ports.ts';
import { desiredStack, type DesiredStack } from '../../src/core/stack/desired.ts';
import { CancelledError, StateError } from '../../src/core/errors.ts';
import { applyKube, observeKube } from '../../src/core/kube/stack.ts';
import { plan } from '../../src/core/stack/plan.ts';
import { recordingProgress } from '../../src/core/progress.ts';
import { stackSelector } from '../../src/core/stack/names.ts';
import { rig, settings, useKubeRig } from '../support/kube-file-rig.ts';
import { admin, uniqueStack } from '../support/kube-test-rig.ts';

useKubeRig();

/** the adapter with a request log */
function kubeWithLog(kubeconfig = rig.kubeconfigPath) {
  const requests: Array<{ method: string; path: string }> = [];
  const kube = createKube(loadKubeConfig({ kubeconfig, env: {} }), { onRequest: (method, path) => requests.push({ method, path }) });
  const writes = () => requests.filter((r) => r.method !== 'GET' && !r.path.includes('dryRun=All'));
  return { kube, requests, writes };
}

const kinds = (d: DesiredStack) => d.objects.map((o) => `${o.object.kind}/${o.object.metadata.name}`);

describe('applyKube (static auth) against the real API server', () => {
  const stack = uniqueStack('apply');
  let desired: DesiredStack;
  let kube: Kube;
  let log: ReturnType<typeof kubeWithLog>;

  beforeAll(async () => {
    desired = await desiredStack(settings({ stack, auth: 'static', endpointUrl: 'http://10.0.0.9:5000' }), {
      credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'secret-test' },
    });
    log = kubeWithLog();
    kube = log.kube;
  });

  it('first run: creates every planned object in order, each accepted by the server', async () => {
    const before = await observeKube(desired, kube);
    expect(
      plan(desired, before)
        .changes.filter((c) => c.group === 'kubernetes')
        .map((c) => c.action),
    ).toEqual(desired.objects.map(() => 'create'));
    const progress = recordingProgress();
    const r = await applyKube(desired, kube, progress, { wait: false });
    expect(r.created).toEqual(
      desired.objects.map(
        (o) => `${o.object.kind} ${o.object.metadata.namespace ? `${o.object.metadata.namespace}/` : ''}${o.object.metadata.name}`,
      ),
    );
    expect(r.updated).toEqual([]);
    // the writes are exactly one apply per object, in the plan's order
    expect(log.writes().map((w) => w.method)).toEqual(desired.objects.map(() => 'PATCH'));
    expect(log.writes().every((w) => w.path.includes('fieldManager=kedactl') && w.path.includes('force=false'))).toBe(true);
    expect(kinds(desired)).toEqual([
      `Namespace/${stack}`,
      `ServiceAccount/${stack}-consumer`,
      `Secret/${stack}-aws-credentials`,
      `TriggerAuthentication/${stack}-aws`,
      `ConfigMap/${stack}-consumer-script`,
      `Deployment/${stack}-result-analyzer`,
      `Service/${stack}-result-analyzer`,
      `ScaledJob/${stack}-processor`,
      `ConfigMap/${stack}-settings`,
    ]);
  });

  it('kubectl (a client nobody here wrote) sees them all with the stack labels', () => {
    const out = execFileSync(
      'kubectl',
      [
        '--kubeconfig',
        rig.kubeconfigPath,
        '-n',
        stack,
        'get',
        'scaledjobs.keda.sh,triggerauthentications.keda.sh,deployments,services,configmaps,secrets,serviceaccounts',
        '-l',
        stackSelector(stack),
        '-o',
        'name',
      ],
      { encoding: 'utf8' },
    );
    expect(out.trim().split('\n').sort()).toEqual(
      [
        `configmap/${stack}-consumer-script`,
        `configmap/${stack}-settings`,
        `deployment.apps/${stack}-result-analyzer`,
        `scaledjob.keda.sh/${stack}-processor`,
        `secret/${stack}-aws-credentials`,
        `service/${stack}-result-analyzer`,
        `serviceaccount/${stack}-consumer`,
        `triggerauthentication.keda.sh/${stack}-aws`,
      ].sort(),
    );
    const ns = execFileSync(
      'kubectl',
      ['--kubeconfig', rig.kubeconfigPath, 'get', 'namespaces', '-l', stackSelector(stack), '-o', 'name'],
      { encoding: 'utf8' },
    );
    expect(ns.trim()).toBe(`namespace/${stack}`);
  });

  it('re-run with no change: every diff is empty and nothing is written', async () => {
    const observed = await observeKube(desired, kube);
    expect(Object.values(observed.objects).map((o) => o!.diff)).toEqual(desired.objects.map(() => []));
    expect(
      plan(desired, observed)
        .changes.filter((c) => c.group === 'kubernetes')
        .every((c) => c.action === 'unchanged'),
    ).toBe(true);
    log.requests.length = 0;
    const progress = recordingProgress();
    const r = await applyKube(desired, kube, progress, { wait: false });
    expect(r.created).toEqual([]);
    expect(r.updated).toEqual([]);
    expect(r.unchanged).toHaveLength(desired.objects.length);
    expect(log.writes()).toEqual([]);
    expect(progress.notes).toContain('every Kubernetes object is up to date; nothing was written');
  });

  it('a changed setting: the server dry-run names the field; only that object (and the settings record) is written', async () => {
    const changed = await desiredStack(settings({ stack, auth: 'static', endpointUrl: 'http://10.0.0.9:5000', maxReplicas: 50 }), {
      credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'secret-test' },
    });
    const observed = await observeKube(changed, kube);
    const sj = observed.objects[`ScaledJob/${stack}/${stack}-processor`]!;
    expect(sj).toEqual({ exists: true, diff: ['spec.maxReplicaCount: 100 -> 50'] });
    const p = plan(changed, observed);
    expect(
      p.changes.filter((c) => c.action === 'update' && c.group === 'kubernetes').map((c) => `${c.kind} ${c.details.join(', ')}`),
    ).toEqual(['ScaledJob spec.maxReplicaCount: 100 -> 50', 'ConfigMap data.maxReplicas: 100 -> 50']);
    log.requests.length = 0;
    const r = await applyKube(changed, kube, recordingProgress(), { wait: false });
    expect(r.updated).toEqual([`ScaledJob ${stack}/${stack}-processor`, `ConfigMap ${stack}/${stack}-settings`]);
    expect(log.writes()).toHaveLength(2);
    const live = (await admin(rig, 'GET', `/apis/keda.sh/v1alpha1/namespaces/${stack}/scaledjobs/${stack}-processor`)).json();
    expect(live.spec.maxReplicaCount).toBe(50);
    await applyKube(desired, kube, recordingProgress(), { wait: false }); // back to 100
  });

  it('secret changes are reported without their values', async () => {
    const rotated = await desiredStack(settings({ stack, auth: 'static', endpointUrl: 'http://10.0.0.9:5000' }), {
      credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'rotated' },
    });
    const observed = await observeKube(rotated, kube);
    expect(observed.objects[`Secret/${stack}/${stack}-aws-credentials`]!.diff).toEqual([
      'data.AWS_SECRET_ACCESS_KEY changed (value hidden)',
    ]);
  });

  it("drift: an object deleted behind kedactl's back is planned and created again", async () => {
    expect((await admin(rig, 'DELETE', `/api/v1/namespaces/${stack}/configmaps/${stack}-consumer-script`)).status).toBe(200);
    const observed = await observeKube(desired, kube);
    expect(observed.objects[`ConfigMap/${stack}/${stack}-consumer-script`]).toEqual({ exists: false, diff: [] });
    log.requests.length = 0;
    const r = await applyKube(desired, kube, recordingProgress(), { wait: false });
    expect(r.created).toEqual([`ConfigMap ${stack}/${stack}-consumer-script`]);
    expect(log.writes()).toHaveLength(1);
  });

  it('conflict: a field another manager changed is reported with the field and that manager; --force takes it over', async () => {
    const path = `/apis/keda.sh/v1alpha1/namespaces/${stack}/scaledjobs/${stack}-processor?fieldManager=kubectl-edit`;
    expect((await admin(rig, 'PATCH', path, { spec: { pollingInterval: 99 } }, 'application/merge-patch+json')).status).toBe(200);
    const observed = await observeKube(desired, kube);
    expect(observed.objects[`ScaledJob/${stack}/${stack}-processor`]!.diff).toEqual([
      'conflict: .spec.pollingInterval is owned by "kubectl-edit"',
    ]);
    log.requests.length = 0;
    const err = await applyKube(desired, kube, recordingProgress(), { wait: false }).catch((e) => e);
    expect(err).toBeInstanceOf(KubeConflictError);
    expect(err.conflicts).toEqual([expect.objectContaining({ field: '.spec.pollingInterval', manager: 'kubectl-edit' })]);
    expect(err.message).toContain(`ScaledJob ${stack}/${stack}-processor`);
    expect(err.message).toContain('.spec.pollingInterval: owned by "kubectl-edit"');
    expect(log.writes()).toEqual([]);
    const r = await applyKube(desired, kube, recordingProgress(), { wait: false, force: true });
    expect(r.updated).toEqual([`ScaledJob ${stack}/${stack}-processor`]);
    expect((await admin(rig, 'GET', path)).json().spec.pollingInterval).toBe(10);
  });

  it('waits for the result analyzer and says what is not ready on timeout', async () => {
    const err = await applyKube(desired, kube, recordingProgress(), { timeoutMs: 1200 }).catch((e) => e);
    expect(err).toBeInstanceOf(StateError);
    expect(err.message).toMatch(
      new RegExp(
        `^the result analyzer \\(Deployment ${stack}/${stack}-result-analyzer\\) is not ready after 1s: 0/1 replicas available; no controller has looked at it yet`,
      ),
    );
    expect(err.message).toContain('no pods yet');
    expect(err.next).toContain(`kubectl -n ${stack} describe deployment ${stack}-result-analyzer`);
    // what the deployment controller would report
    const dep = (await admin(rig, 'GET', `/apis/apps/v1/namespaces/${stack}/deployments/${stack}-result-analyzer`)).json();
    const status = {
      observedGeneration: dep.metadata.generation,
      replicas: 1,
      updatedReplicas: 1,
      readyReplicas: 1,
      availableReplicas: 1,
      conditions: [{ type: 'Available', status: 'True', reason: 'MinimumReplicasAvailable', message: 'ok' }],
    };
    expect(
      (
        await admin(
          rig,
          'PATCH',
          `/apis/apps/v1/namespaces/${stack}/deployments/${stack}-result-analyzer/status`,
          { status },
          'application/merge-patch+json',
        )
      ).status,
    ).toBe(200);
    const progress = recordingProgress();
    await applyKube(desired, kube, progress, { timeoutMs: 5000 });
    expect(progress.steps.map((s) => [s.title, s.ok])).toContainEqual([
      `Waiting for the result analyzer (Deployment ${stack}/${stack}-result-analyzer) to be available`,
      true,
    ]);
  });
});

describe('applyKube (irsa) and the KEDA CRDs', () => {
  it('the server accepts the IRSA TriggerAuthentication and ScaledJob as valid KEDA objects', async () => {
    const stack = uniqueStack('irsa');
    const desired = await desiredStack(settings({ stack }));
    const { kube } = kubeWithLog();
    await applyKube(desired, kube, recordingProgress(), { wait: false });
    const ta = (await admin(rig, 'GET', `/apis/keda.sh/v1alpha1/namespaces/${stack}/triggerauthentications/${stack}-aws`)).json();
    expect(ta.spec.podIdentity).toEqual({ provider: 'aws', roleArn: `arn:aws:iam::123456789012:role/kedactl-${stack}-scaler` });
    const sj = (await admin(rig, 'GET', `/apis/keda.sh/v1alpha1/namespaces/${stack}/scaledjobs/${stack}-processor`)).json();
    expect(sj.spec.triggers[0]).toMatchObject({ type: 'aws-sqs-queue', authenticationRef: { name: `${stack}-aws` } });
    expect(sj.spec.jobTargetRef.template.metadata.labels).toMatchObject({
      'kedactl.io/stack': stack,
      'app.kubernetes.io/managed-by': 'kedactl',
    });
  });

  it("the CRD schema is enforced: an object the server rejects is shown with the server's message, and nothing after the namespace is written", async () => {
    const stack = uniqueStack('bad');
    const dir = mkdtempSync(join(tmpdir(), 'tmpl-'));
    mkdirSync(join(dir, 'kubernetes'));
    // selector that does not match the pod template: valid JSON schema, refused by the server
    const analyzer = readFileSync(new URL('../../templates/kubernetes/result-analyzer.yaml', import.meta.url), 'utf8').replace(
      '      app.kubernetes.io/name: result-analyzer\n      kedactl.io/stack: ${stack}\n  template',
      '      app.kubernetes.io/name: something-else\n  template',
    );
    writeFileSync(join(dir, 'kubernetes', 'result-analyzer.yaml'), analyzer);
    const desired = await desiredStack(settings({ stack, templates: dir }));
    const { kube, writes } = kubeWithLog();
    const err = await applyKube(desired, kube, recordingProgress(), { wait: false }).catch((e) => e);
    expect(err).toBeInstanceOf(KubeApiError);
    expect(err.exitCode).toBe(1);
    expect(err.message).toContain(`Deployment ${stack}/${stack}-result-analyzer (from kubernetes/result-analyzer.yaml)`);
    expect(err.message).toMatch(/selector.*does not match template `?labels`?/);
    expect(err.message).toContain('app.kubernetes.io/name: something-else'); // the object itself
    expect(writes().map((w) => w.path.split('?')[0])).toEqual([`/api/v1/namespaces/${stack}`]);
    // the only object written carries the stack's labels, so teardown finds it
    const ns = (await admin(rig, 'GET', `/api/v1/namespaces/${stack}`)).json();
    expect(ns.metadata.labels['kedactl.io/stack']).toBe(stack);
  });

  it('a namespace that existed before is used, never labelled (so teardown never deletes it)', async () => {
    const stack = uniqueStack('dflt');
    const desired = await desiredStack(settings({ stack, namespace: 'default' }));
    const { kube } = kubeWithLog();
    const observed = await observeKube(desired, kube);
    expect(observed.objects['Namespace//default']).toEqual({ exists: true, diff: [] });
    const progress = recordingProgress();
    const r = await applyKube(desired, kube, progress, { wait: false });
    expect(r.used).toEqual(['Namespace default']);
    expect(r.created).toHaveLength(desired.objects.length - 1);
    const ns = (await admin(rig, 'GET', '/api/v1/namespaces/default')).json();
    expect(ns.metadata.labels?.['kedactl.io/stack']).toBeUndefined();
  });
});

describe('applyKube before KEDA', () => {
  it('says KEDA is not installed, and writes nothing', async () => {
    const stack = uniqueStack('nokeda');
    const desired = await desiredStack(settings({ stack }));
    const { kube, writes } = kubeWithLog();
    // a cluster without KEDA's CRDs: the adapter answers as discovery would
    const withoutKeda: Kube = { ...kube, served: async (t) => !t.apiVersion.startsWith('keda.sh/') && kube.served(t) };
    const err = await applyKube(desired, withoutKeda, recordingProgress(), { wait: false }).catch((e) => e);
    expect(err).toBeInstanceOf(StateError);
    expect(err.message).toBe(
      'the cluster does not serve TriggerAuthentication (keda.sh/v1alpha1), ScaledJob (keda.sh/v1alpha1): KEDA is not installed; nothing was written',
    );
    expect(err.next).toMatch(/without --skip keda/);
    expect(writes()).toEqual([]);
  });
});

describe('discovery', () => {
  it('asks once per API group for the kinds it serves; a kind or group that is not served is asked again later', async () => {
    const { kube, requests } = kubeWithLog();
    expect(await kube.served({ apiVersion: 'keda.sh/v1alpha1', kind: 'ScaledJob' })).toBe(true);
    expect(await kube.served({ apiVersion: 'keda.sh/v1alpha1', kind: 'TriggerAuthentication' })).toBe(true);
    expect(requests.map((r) => r.path)).toEqual(['/apis/keda.sh/v1alpha1']);
    // a chart's CRDs are established one by one: a kind the kept answer lacks may have come since
    expect(await kube.served({ apiVersion: 'keda.sh/v1alpha1', kind: 'Nope' })).toBe(false);
    expect(requests.map((r) => r.path)).toEqual(['/apis/keda.sh/v1alpha1', '/apis/keda.sh/v1alpha1']);
    expect(await kube.served({ apiVersion: 'example.com/v1', kind: 'Thing' })).toBe(false);
    expect(await kube.served({ apiVersion: 'example.com/v1', kind: 'Thing' })).toBe(false);
    expect(requests.filter((r) => r.path === '/apis/example.com/v1')).toHaveLength(2);
    const err = await kube.list({ apiVersion: 'example.com/v1', kind: 'Thing' }).then(
      () => undefined,
      (e) => e,
    );
    expect(err?.message).toMatch(/the cluster does not serve Thing \(example.com\/v1\)/);
  });
});

describe('waiting can be cancelled', () => {
  it('Ctrl-C while waiting for the analyzer is a CancelledError, not a crash', async () => {
    const stack = uniqueStack('cancel');
    const { kube } = kubeWithLog();
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 300);
    const err = await applyKube(await desiredStack(settings({ stack })), kube, recordingProgress(), {
      timeoutMs: 30_000,
      signal: ac.signal,
    }).catch((e) => e);
    expect(err).toBeInstanceOf(CancelledError);
    expect(err.message).toMatch(/^cancelled while waiting for the result analyzer/);
  });
});

describe('objects in the way', () => {
  it("an object of the same name that is not the stack's is shown in the plan and never taken over", async () => {
    const stack = uniqueStack('taken');
    const desired = await desiredStack(settings({ stack, namespace: 'default' }));
    expect(
      (
        await admin(rig, 'POST', '/api/v1/namespaces/default/configmaps', {
          apiVersion: 'v1',
          kind: 'ConfigMap',
          metadata: { name: `${stack}-consumer-script` },
          data: { mine: 'yes' },
        })
      ).status,
    ).toBe(201);
    const { kube, writes } = kubeWithLog();
    const observed = await observeKube(desired, kube);
    expect(observed.objects[`ConfigMap/default/${stack}-consumer-script`]).toEqual({
      exists: true,
      diff: [`exists and is not this stack's (no label kedactl.io/stack=${stack}); kedactl will not take it over`],
    });
    const err = await applyKube(desired, kube, recordingProgress(), { wait: false }).catch((e) => e);
    expect(err).toBeInstanceOf(StateError);
    expect(err.message).toBe(
      `ConfigMap default/${stack}-consumer-script already exists and is not this stack's (no label kedactl.io/stack=${stack}); nothing was written`,
    );
    expect(writes()).toEqual([]);
    await admin(rig, 'DELETE', `/api/v1/namespaces/default/configmaps/${stack}-consumer-script`);
  });
});
