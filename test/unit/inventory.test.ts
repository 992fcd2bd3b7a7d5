// What teardown shows before it deletes (core/stack/inventory.ts), on the in-memory FAKE Kube: everything the
// stack labelled, Jobs and Pods counted rather than listed, nothing of another stack, and the stack's own
// namespace for a context that may not list cluster-wide.
import { describe, expect, it } from 'vitest';
import { tmpdir } from 'node:os';
import { desiredStack } from '../../src/core/stack/desired.ts';
import { inventory, summarize } from '../../src/core/stack/inventory.ts';
import { applyKube } from '../../src/core/kube/stack.ts';
import { loadSettings } from '../../src/core/stack/load-settings.ts';
import { recordingProgress } from '../../src/core/progress.ts';
import { FakeKube, forbidden, kedaInstalled, stackJobs } from '../support/kube-fake.ts';

const ISSUER = 'https://oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLE';
const settings = (stack: string) =>
  loadSettings({ flags: { stack, region: 'eu-west-1', accountId: '123456789012', oidcIssuer: ISSUER }, env: {}, cwd: tmpdir() }).settings;
const kubeOnly = new Set(['aws' as const]);

async function twoStacks() {
  const fake = kedaInstalled(new FakeKube());
  for (const stack of ['inv', 'other']) {
    const desired = await desiredStack(settings(stack));
    await applyKube(desired, fake, recordingProgress(), { wait: false });
    stackJobs(fake, {
      stack,
      namespace: desired.names.namespace,
      scaledJob: desired.names.scaledJob,
      states: ['succeeded', 'active', 'failed'],
    });
  }
  return fake;
}

describe('inventory (fake Kube)', () => {
  it("finds the stack's objects by label, and only its; Jobs and Pods are counted", async () => {
    const fake = await twoStacks();
    const { items, unreadable } = await inventory('inv', { kube: fake }, kubeOnly);
    expect(unreadable).toEqual([]);
    expect(items.every((i) => i.group === 'kubernetes' && (i.namespace === 'inv' || (i.kind === 'Namespace' && i.name === 'inv')))).toBe(
      true,
    );
    expect(summarize(items)).toEqual([
      'ScaledJob inv/inv-processor',
      'Deployment inv/inv-result-analyzer',
      'Service inv/inv-result-analyzer',
      'TriggerAuthentication inv/inv-aws',
      'ConfigMap inv/inv-consumer-script',
      'ConfigMap inv/inv-settings',
      'ServiceAccount inv/inv-consumer',
      'Namespace inv',
      '3 Jobs in inv',
      '3 Pods in inv',
    ]);
    // cluster-wide lists, one per kind: the cost does not grow with the namespaces
    expect(fake.calls.filter((c) => c.verb === 'list').every((c) => c.namespace === undefined)).toBe(true);
  });

  it("a context that may not list cluster-wide sees its namespace; an unlabelled namespace is not the stack's", async () => {
    const fake = await twoStacks();
    fake.refuse = (c) =>
      c.verb === 'list' && c.namespace === undefined
        ? forbidden(c)
        : c.verb === 'get' && c.kind === 'Namespace' && c.name !== 'inv'
          ? forbidden(c)
          : undefined;
    const { items } = await inventory('inv', { kube: fake }, kubeOnly, 'inv');
    expect(items.filter((i) => i.kind === 'Namespace')).toEqual([
      { group: 'kubernetes', kind: 'Namespace', name: 'inv', namespace: undefined },
    ]);
    expect(items.filter((i) => i.kind === 'Job')).toHaveLength(3);
    await expect(inventory('inv', { kube: fake }, kubeOnly)).rejects.toThrow(/may not list/);

    fake.refuse = undefined;
    fake.add({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'bare' } });
    fake.refuse = (c) => (c.verb === 'list' && c.namespace === undefined ? forbidden(c) : undefined);
    expect((await inventory('bare', { kube: fake }, kubeOnly, 'bare')).items).toEqual([]);
  });

  it('nothing labelled: an empty inventory', async () => {
    const fake = kedaInstalled(new FakeKube());
    expect(await inventory('nothing', { kube: fake }, kubeOnly)).toEqual({ items: [], unreadable: [] });
  });
});
