// status of a deployment workload's stack (core/stack/status.ts) on the in-memory FAKE Kube: the
// ScaledObject's Ready / Active and KEDA's last warning, the Deployment's replicas, the HPA KEDA made
// (current / desired, its conditions when not healthy), no Jobs; and the text it prints.
import { describe, expect, it } from 'vitest';
import { tmpdir } from 'node:os';
import { desiredStack } from '../../src/core/stack/desired.ts';
import { applyKube } from '../../src/core/kube/stack.ts';
import { loadSettings } from '../../src/core/stack/load-settings.ts';
import { recordingProgress } from '../../src/core/progress.ts';
import { stackStatus } from '../../src/core/stack/status.ts';
import { statusText } from '../../src/ui/status-text.ts';
import { FakeKube, kedaInstalled } from '../support/kube-fake.ts';
import { deploymentObjects as D } from '../support/watch-fixtures.ts';

const ISSUER = 'https://oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLE';
const settings = (stack: string) =>
  loadSettings({
    flags: { stack, region: 'eu-west-1', accountId: '123456789012', oidcIssuer: ISSUER, workload: 'deployment' },
    env: { AWS_ACCESS_KEY_ID: 'AKIAFAKE', AWS_SECRET_ACCESS_KEY: 'fake' },
    cwd: tmpdir(),
  }).settings;
const kubeOnly = new Set(['aws' as const]);
const answering = (lines: string[]) => async () => ({ status: 200, body: JSON.stringify(lines) });

/** a deployment stack as init leaves it, KEDA having made the HPA, the HPA controller and the Deployment at work */
async function running(stack: string) {
  const fake = kedaInstalled(
    new FakeKube({ proxy: answering(['2026-11-30 10:00:00 - processed count 1', '2026-11-30 10:00:05 - kill count 1']) }),
  );
  const s = settings(stack);
  const desired = await desiredStack(s);
  await applyKube(desired, fake, recordingProgress(), { wait: false });
  const ns = desired.names.namespace;
  const so = { apiVersion: 'keda.sh/v1alpha1', kind: 'ScaledObject', namespace: ns, name: desired.names.scaledObject };
  fake.edit(so, (o) => void (o.status = D.scaledObject(so.name).status));
  fake.edit(
    { apiVersion: 'apps/v1', kind: 'Deployment', namespace: ns, name: desired.names.consumerDeployment },
    (o) => void (((o.spec as { replicas?: number }).replicas = 3), (o.status = { replicas: 3, readyReplicas: 2 })),
  );
  const hpa = D.hpa(so.name, { current: 3, desired: 4, max: 10 });
  fake.add({ ...hpa, metadata: { ...hpa.metadata, namespace: ns } } as never);
  return {
    fake,
    s,
    desired,
    so,
    hpaRef: { apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler', namespace: ns, name: hpa.metadata.name },
  };
}

describe('status: the deployment workload (fake Kube)', () => {
  it('healthy: the ScaledObject ready and active, the Deployment 3 desired / 2 ready, the HPA 3 current / 4 desired; no Jobs', async () => {
    const { fake, s } = await running('dep');
    const r = await stackStatus(s, { kube: fake }, kubeOnly, recordingProgress());
    expect(r.problems).toEqual([]);
    expect(r).toMatchObject({
      healthy: true,
      scaledObject: { name: 'dep-processor', exists: true, ready: 'True (ScaledObjectReady)', active: 'True (ScalerActive)' },
      deployment: { name: 'dep-processor', exists: true, desired: 3, current: 3, ready: 2 },
      hpa: { name: 'keda-hpa-dep-processor', exists: true, current: 3, desired: 4, min: 1, max: 10 },
      results: { processed: 1, killed: 1 },
    });
    expect(r.hpa!.conditions).toBeUndefined(); // healthy: not listed
    expect(r.jobs).toBeUndefined();
    expect(r.scaledJob).toBeUndefined();
    // no Job was even looked for (the plan looks for a ScaledJob left from a switch of kinds; status does not read it)
    expect(fake.calls.filter((c) => c.kind === 'Job')).toEqual([]);
    const text = statusText(r, false);
    expect(text).toContain('✓ ScaledObject dep-processor: ready True (ScaledObjectReady), active True (ScalerActive)');
    expect(text).toContain('✓ Deployment dep-processor: 3 desired, 3 existing, 2 ready');
    expect(text).toContain('✓ HPA keda-hpa-dep-processor: 3 current, 4 desired (min 1, max 10)');
    expect(text).toContain('✓ results: 1 processed, 1 killed');
    expect(text).not.toContain('Jobs:');
  });

  it("the HPA cannot read KEDA's metric: a problem with its conditions and its last warning", async () => {
    const { fake, s, hpaRef } = await running('hpafail');
    fake.edit(hpaRef, (o) => {
      o.status = {
        currentReplicas: 1,
        desiredReplicas: 1,
        conditions: [
          { type: 'AbleToScale', status: 'True', reason: 'SucceededGetScale', message: 'the HPA controller was able to get the target' },
          { type: 'ScalingActive', status: 'False', reason: 'FailedGetExternalMetric', message: 'unable to get external metric' },
        ],
      };
    });
    fake.add({
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name: 'h1', namespace: hpaRef.namespace },
      type: 'Warning',
      reason: 'FailedGetExternalMetric',
      message: 'unable to fetch metrics from external metrics API: the server is currently unable to handle the request',
      lastTimestamp: '2026-11-30T10:00:02Z',
      involvedObject: { kind: 'HorizontalPodAutoscaler', name: hpaRef.name, namespace: hpaRef.namespace },
    } as never);
    const r = await stackStatus(s, { kube: fake }, kubeOnly, recordingProgress());
    expect(r.healthy).toBe(false);
    expect(r.hpa).toMatchObject({
      problem: 'ScalingActive=False FailedGetExternalMetric: unable to get external metric',
      conditions: [
        'AbleToScale True (SucceededGetScale: the HPA controller was able to get the target)',
        'ScalingActive False (FailedGetExternalMetric: unable to get external metric)',
      ],
      lastWarning:
        'FailedGetExternalMetric: unable to fetch metrics from external metrics API: the server is currently unable to handle the request',
    });
    expect(r.problems).toEqual([
      'HorizontalPodAutoscaler hpafail/keda-hpa-hpafail-processor cannot scale (ScalingActive=False FailedGetExternalMetric: unable to get external metric); last warning: FailedGetExternalMetric: unable to fetch metrics from external metrics API: the server is currently unable to handle the request',
    ]);
    const text = statusText(r, false);
    expect(text).toContain('✗ HPA keda-hpa-hpafail-processor: 1 current, 1 desired (min 1, max 10)');
    expect(text).toContain('  ScalingActive False (FailedGetExternalMetric: unable to get external metric)');
  });

  it('scaled to zero is healthy (ScalingDisabled is the HPA at rest); a missing HPA behind a ready ScaledObject is a problem', async () => {
    const { fake, s, hpaRef, desired } = await running('zero');
    fake.edit(hpaRef, (o) => {
      o.status = {
        currentReplicas: 0,
        desiredReplicas: 0,
        conditions: [
          {
            type: 'ScalingActive',
            status: 'False',
            reason: 'ScalingDisabled',
            message: 'scaling is disabled since the replica count of the target is zero',
          },
        ],
      };
    });
    let r = await stackStatus(s, { kube: fake }, kubeOnly, recordingProgress());
    expect(r.problems).toEqual([]);
    expect(r.hpa).toMatchObject({ current: 0, desired: 0 });
    await fake.delete(hpaRef);
    r = await stackStatus(s, { kube: fake }, kubeOnly, recordingProgress());
    expect(r.hpa).toEqual({ name: 'keda-hpa-zero-processor', exists: false });
    expect(r.problems).toEqual([
      `HorizontalPodAutoscaler zero/keda-hpa-zero-processor does not exist: KEDA makes it for ScaledObject ${desired.names.scaledObject}, and nothing scales above 1 replica without it; kedactl doctor says why`,
    ]);
  });

  it('the ScaledObject not ready: named with its condition and the last warning about it', async () => {
    const { fake, s, so } = await running('sonr');
    fake.edit(
      so,
      (o) => void (o.status = { conditions: [{ type: 'Ready', status: 'False', reason: 'ScaledObjectCheckFailed', message: 'no role' }] }),
    );
    fake.add({
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name: 'w', namespace: so.namespace },
      type: 'Warning',
      reason: 'KEDAScalerFailed',
      message: 'AccessDenied',
      lastTimestamp: '2026-11-30T10:00:02Z',
      involvedObject: { kind: 'ScaledObject', name: so.name, namespace: so.namespace },
    } as never);
    const r = await stackStatus(s, { kube: fake }, kubeOnly, recordingProgress());
    expect(r.scaledObject).toMatchObject({
      ready: 'False (ScaledObjectCheckFailed: no role)',
      lastWarning: 'KEDAScalerFailed: AccessDenied',
    });
    expect(r.problems).toEqual([
      'ScaledObject sonr/sonr-processor is not ready (Ready: False (ScaledObjectCheckFailed: no role)); last warning: KEDAScalerFailed: AccessDenied',
    ]);
  });
});
