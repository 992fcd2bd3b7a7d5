import { describe, expect, it } from 'vitest';
import { tmpdir } from 'node:os';
import { desiredStack } from '../../src/core/stack/desired.ts';
import { loadSettings } from '../../src/core/stack/load-settings.ts';
import { hasWork, kubeKey, plan, widens, type Observed } from '../../src/core/stack/plan.ts';

const s = loadSettings({
  flags: { stack: 'demo', region: 'eu-west-1', accountId: '123456789012', oidcIssuer: 'https://oidc.example.com/id/X' },
  env: {},
  cwd: tmpdir(),
}).settings;

function observedFrom(d: Awaited<ReturnType<typeof desiredStack>>): Observed {
  return {
    queues: Object.fromEntries(d.queues.map((q) => [q.name, { attributes: { ...q.attributes, QueueArn: 'x' }, tags: q.tags }])),
    roles: Object.fromEntries(
      d.roles.map((r) => [r.name, { trust: structuredClone(r.trust), policies: structuredClone(r.policies), tags: r.tags }]),
    ),
    keda: { installed: true, version: '2.20.0', values: { ...d.keda.values } },
    objects: Object.fromEntries(d.objects.map(({ object }) => [kubeKey(object), { exists: true, diff: [] }])),
  };
}

describe('plan', () => {
  it('creates everything when nothing exists, and says permissions widen', async () => {
    const d = await desiredStack(s);
    const p = plan(d);
    expect(p.changes.every((c) => c.action === 'create')).toBe(true);
    expect(p.changes.filter((c) => c.group === 'aws').map((c) => c.name)).toEqual([
      'demo-queue',
      'kedactl-demo-keda-operator',
      'kedactl-demo-scaler',
      'kedactl-demo-consumer',
    ]);
    expect(p.widensPermissions).toBe(true);
    expect(hasWork(p)).toBe(true);
  });

  it('plans nothing on a finished stack', async () => {
    const d = await desiredStack(s);
    const p = plan(d, observedFrom(d));
    expect(p.changes.map((c) => c.action).every((a) => a === 'unchanged')).toBe(true);
    expect(p.widensPermissions).toBe(false);
    expect(hasWork(p)).toBe(false);
  });

  it('shows drift as updates, and only widening drift as widening', async () => {
    const d = await desiredStack(s);
    const o = observedFrom(d);
    o.queues!['demo-queue']!.attributes.VisibilityTimeout = '30';
    const consumer = o.roles!['kedactl-demo-consumer']!;
    const pol = Object.values(consumer.policies)[0]!;
    (pol.Statement[0]!.Action as string[]).pop(); // someone removed GetQueueAttributes
    o.objects![`ScaledJob/demo/demo-processor`] = { exists: true, diff: ['spec.maxReplicaCount: 5 -> 100'] };
    const p = plan(d, o);
    const byName = Object.fromEntries(p.changes.map((c) => [c.name, c]));
    expect(byName['demo-queue']).toMatchObject({ action: 'update', details: ['VisibilityTimeout: 30 -> 90'] });
    expect(byName['kedactl-demo-consumer']).toMatchObject({
      action: 'update',
      details: ['policy kedactl-demo-consumer-policy differs from the plan'],
    });
    expect(byName['demo-processor']).toMatchObject({ action: 'update', details: ['spec.maxReplicaCount: 5 -> 100'] });
    expect(p.widensPermissions).toBe(true); // restoring GetQueueAttributes adds a permission back
    const narrowing = observedFrom(d);
    (Object.values(narrowing.roles!['kedactl-demo-consumer']!.policies)[0]!.Statement[0]!.Action as string[]).push('sqs:PurgeQueue');
    expect(plan(d, narrowing).widensPermissions).toBe(false);
  });

  it('widens() compares what is allowed, not how it is written', () => {
    const a = {
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow' as const, Action: ['sqs:A', 'sqs:B'], Resource: 'arn:aws:sqs:r:1:q' }],
    };
    const b = {
      Version: '2012-10-17',
      Statement: [
        { Effect: 'Allow' as const, Action: 'sqs:B', Resource: 'arn:aws:sqs:r:1:q' },
        { Effect: 'Allow' as const, Action: 'sqs:A', Resource: 'arn:aws:sqs:r:1:q' },
      ],
    };
    expect(widens(a, b)).toBe(false);
    expect(widens(b, a)).toBe(false);
    expect(widens(a, { ...a, Statement: [{ ...a.Statement[0]!, Resource: 'arn:aws:sqs:r:1:other' }] })).toBe(true);
  });

  it('lists grants in words: who may assume what, which actions on which resource', async () => {
    const p = plan(await desiredStack(s));
    expect(p.grants).toContainEqual({
      principal: 'Federated arn:aws:iam::123456789012:oidc-provider/oidc.example.com/id/X',
      actions: ['sts:AssumeRoleWithWebIdentity'],
      resource: 'arn:aws:iam::123456789012:role/kedactl-demo-consumer',
      condition: 'sub=system:serviceaccount:demo:demo-consumer, aud=sts.amazonaws.com',
    });
    expect(p.grants.filter((g) => g.actions.includes('sts:AssumeRole'))).toHaveLength(1);
  });
});
