// teardownKube's logic on the in-memory FAKE Kube (test/support/kube-fake.ts): the order of the phases,
// one delete-collection per kind and namespace whatever the number of Jobs, finalizers named, a
// terminating namespace, a context limited to its namespace. The real-server version of these is
// test/integration/kube-teardown.test.ts (the API server's own delete-collection, RBAC, finalizers).
import { describe, expect, it } from 'vitest';
import { tmpdir } from 'node:os';
import { desiredStack } from '../../src/core/stack/desired.ts';
import { StateError } from '../../src/core/errors.ts';
import type { Helm } from '../../src/core/keda/helm-ports.ts';
import { applyKube, teardownKube } from '../../src/core/kube/stack.ts';
import { loadSettings } from '../../src/core/stack/load-settings.ts';
import { recordingProgress } from '../../src/core/progress.ts';
import { FakeKube, forbidden, kedaInstalled, stackJobs } from '../support/kube-fake.ts';

const ISSUER = 'https://oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLE';
const settings = (stack: string) =>
  loadSettings({ flags: { stack, region: 'eu-west-1', accountId: '123456789012', oidcIssuer: ISSUER }, env: {}, cwd: tmpdir() }).settings;

async function stackOn(fake: FakeKube, stack: string, jobs: number) {
  const desired = await desiredStack(settings(stack));
  await applyKube(desired, fake, recordingProgress(), { wait: false });
  stackJobs(fake, {
    stack,
    namespace: desired.names.namespace,
    scaledJob: desired.names.scaledJob,
    states: Array.from({ length: jobs }, () => 'succeeded' as const),
  });
  return desired;
}

/** a helm that must not be called */
const noHelm = new Proxy({} as Helm, { get: (_, m) => () => Promise.reject(new Error(`helm.${String(m)} called`)) });

describe('teardownKube (fake Kube)', () => {
  it('deletes phase by phase, one delete-collection per kind, the namespace last; 150 Jobs cost no more calls than 10', async () => {
    const run = async (jobs: number) => {
      const fake = kedaInstalled(new FakeKube());
      const stack = `td${jobs}`;
      await stackOn(fake, stack, jobs);
      fake.calls.length = 0;
      const r = await teardownKube(stack, fake, undefined, recordingProgress(), { intervalMs: 1 });
      return { fake, r, stack };
    };
    const { fake, r, stack } = await run(150);
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
    const deletes = fake.calls.filter((c) => c.verb === 'deletecollection' || c.verb === 'delete').map((c) => `${c.verb} ${c.kind}`);
    expect(deletes).toEqual([
      'deletecollection ScaledJob',
      'deletecollection Job',
      'deletecollection Deployment',
      'deletecollection Pod',
      'deletecollection Service',
      'deletecollection TriggerAuthentication',
      'deletecollection ConfigMap',
      'deletecollection ServiceAccount',
      'delete Namespace',
    ]);
    expect(fake.calls.filter((c) => c.verb === 'deletecollection').every((c) => c.namespace === stack)).toBe(true);
    expect(fake.all().filter((o) => o.metadata.labels?.['kedactl.io/stack'] === stack)).toEqual([]);
    expect(r.terminatingNamespaces).toEqual([]);
    const small = await run(10);
    expect(small.fake.calls.length).toBe(fake.calls.length);
  });

  it('already gone is success, and deletes nothing', async () => {
    const fake = kedaInstalled(new FakeKube());
    const r = await teardownKube('none', fake, undefined, recordingProgress(), { intervalMs: 1 });
    expect(Object.values(r.deleted).every((n) => n === 0)).toBe(true);
    expect(fake.calls.filter((c) => c.verb.startsWith('delete'))).toEqual([]);
  });

  it('a stuck finalizer is named, with the way out; once it lets go, a second teardown finishes', async () => {
    const fake = kedaInstalled(new FakeKube());
    const desired = await stackOn(fake, 'fin', 0);
    const cm = { apiVersion: 'v1', kind: 'ConfigMap', namespace: 'fin', name: 'fin-consumer-script' };
    fake.edit(cm, (o) => void (o.metadata.finalizers = ['example.com/hold']));
    const err = await teardownKube('fin', fake, undefined, recordingProgress(), { timeoutMs: 50, intervalMs: 5 }).catch((e) => e);
    expect(err).toBeInstanceOf(StateError);
    expect(err.message).toMatch(
      /^1 object of the stack \(the result analyzer, the TriggerAuthentication, configuration and identity\) still exist after 0s:\n {2}- ConfigMap fin\/fin-consumer-script \(finalizers: example.com\/hold\) deleting since /,
    );
    expect(err.next).toContain(`kubectl -n fin patch configmap fin-consumer-script --type=merge -p '{"metadata":{"finalizers":null}}'`);
    fake.removeFinalizers(cm);
    await teardownKube('fin', fake, undefined, recordingProgress(), { intervalMs: 1 });
    expect(await fake.get({ apiVersion: 'v1', kind: 'Namespace', name: desired.names.namespace })).toBeUndefined();
  });

  it('a namespace that stays terminating is a warning, not a failure', async () => {
    const fake = kedaInstalled(new FakeKube({ namespaceController: false }));
    await stackOn(fake, 'term', 3);
    const progress = recordingProgress();
    const r = await teardownKube('term', fake, undefined, progress, { namespaceTimeoutMs: 20, intervalMs: 5 });
    expect(r.terminatingNamespaces).toEqual(['term']);
    expect(progress.notes.join('\n')).toContain('warning: namespace term is still terminating');
    fake.finishNamespaces();
    expect(fake.all('Namespace').map((n) => n.metadata.name)).toEqual(['keda']);
  });

  it('a context that may not list cluster-wide: needs the namespaces, then deletes in them and leaves the namespace and KEDA', async () => {
    const fake = kedaInstalled(new FakeKube());
    await stackOn(fake, 'scoped', 5);
    // RBAC of a user with a Role in namespace "scoped" only
    const scoped = fake;
    scoped.refuse = (c) => (c.verb !== 'served' && c.namespace !== 'scoped' ? forbidden(c) : undefined);
    const noHint = await teardownKube('scoped', scoped, undefined, recordingProgress()).catch((e) => e);
    expect(noHint.message).toMatch(/may not list ScaledJob/);
    const r = await teardownKube('scoped', scoped, noHelm, recordingProgress(), { namespaces: ['scoped'], intervalMs: 1 });
    expect(r.deleted).toMatchObject({ ScaledJob: 1, Job: 5, Pod: 5, ConfigMap: 2 });
    expect(r.keda).toBe('kept-not-ours');
    scoped.refuse = undefined;
    expect(fake.all('Job')).toEqual([]);
    expect(
      fake
        .all('Namespace')
        .map((n) => n.metadata.name)
        .sort(),
    ).toEqual(['keda', 'scoped']);
  });
});
