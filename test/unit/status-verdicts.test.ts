// status's verdicts on the Kubernetes half (core/stack/status.ts), on the in-memory FAKE Kube: healthy, KEDA
// missing or not ready, the ScaledJob not ready with KEDA's last warning, Jobs counted by their
// conditions (as watch counts them), drift, expired static credentials, the analyzer unreachable.
// test/e2e/status.test.ts runs the same command against a real API server and moto.
import { describe, expect, it } from 'vitest';
import { tmpdir } from 'node:os';
import { desiredStack } from '../../src/core/stack/desired.ts';
import { applyKube } from '../../src/core/kube/stack.ts';
import { loadSettings } from '../../src/core/stack/load-settings.ts';
import { recordingProgress } from '../../src/core/progress.ts';
import { ANNOTATION_CREDENTIALS_EXPIRE, stackStatus } from '../../src/core/stack/status.ts';
import { FakeKube, kedaInstalled, stackJobs } from '../support/kube-fake.ts';

const ISSUER = 'https://oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLE';
const settings = (stack: string, flags: Record<string, unknown> = {}) =>
  loadSettings({
    flags: { stack, region: 'eu-west-1', accountId: '123456789012', oidcIssuer: ISSUER, ...flags },
    env: { AWS_ACCESS_KEY_ID: 'AKIAFAKE', AWS_SECRET_ACCESS_KEY: 'fake' },
    cwd: tmpdir(),
  }).settings;
const kubeOnly = new Set(['aws' as const]);
const answering = (lines: string[]) => async () => ({ status: 200, body: JSON.stringify(lines) });

/** a stack as init leaves it, KEDA having accepted its ScaledJob, the analyzer answering */
async function healthy(stack: string, flags: Record<string, unknown> = {}) {
  const fake = kedaInstalled(
    new FakeKube({ proxy: answering(['2026-11-30 10:00:00 - processed count 1', '2026-11-30 10:00:05 - processed count 2']) }),
  );
  const s = settings(stack, flags);
  const desired = await desiredStack(s);
  await applyKube(desired, fake, recordingProgress(), { wait: false });
  const sj = { apiVersion: 'keda.sh/v1alpha1', kind: 'ScaledJob', namespace: desired.names.namespace, name: desired.names.scaledJob };
  fake.edit(
    sj,
    (o) =>
      void (o.status = {
        conditions: [
          { type: 'Ready', status: 'True', reason: 'ScaledJobReady', message: 'ready' },
          { type: 'Active', status: 'False', reason: 'ScalerNotActive' },
        ],
      }),
  );
  return { fake, s, desired, sj };
}

describe('status verdicts (fake Kube)', () => {
  it('healthy: KEDA ready with its version, objects as planned, ScaledJob Ready, results counted', async () => {
    const { fake, s } = await healthy('ok');
    fake.calls.length = 0;
    const r = await stackStatus(s, { kube: fake }, kubeOnly, recordingProgress());
    expect(r.problems).toEqual([]);
    expect(r).toMatchObject({
      healthy: true,
      keda: { installed: true, version: '2.21.0', ready: true },
      objects: { drifted: [], missing: [] },
      scaledJob: { name: 'ok-processor', exists: true, ready: 'True (ScaledJobReady: ready)', active: 'False (ScalerNotActive)' },
      jobs: { active: 0, succeeded: 0, failed: 0 },
      results: { processed: 2, killed: 0 },
    });
    // reads only
    expect(fake.calls.filter((c) => ['apply', 'delete', 'deletecollection'].includes(c.verb))).toEqual([]);
  });

  it('counts Jobs by their conditions: a Job retrying after a failed Pod is active, as watch counts it', async () => {
    const { fake, s, desired } = await healthy('jobs');
    stackJobs(fake, {
      stack: 'jobs',
      namespace: desired.names.namespace,
      scaledJob: desired.names.scaledJob,
      states: ['active', 'retrying', 'succeeded', 'succeeded', 'failed'],
    });
    const r = await stackStatus(s, { kube: fake }, kubeOnly, recordingProgress());
    expect(r.jobs).toEqual({ active: 2, succeeded: 2, failed: 1 });
    expect(r.healthy).toBe(true);
  });

  it("ScaledJob not ready: named with its condition and KEDA's newest warning about it", async () => {
    const { fake, s, sj } = await healthy('warn');
    fake.edit(
      sj,
      (o) => void (o.status = { conditions: [{ type: 'Ready', status: 'False', reason: 'ScaledJobCheckFailed', message: 'no role' }] }),
    );
    const event = (name: string, reason: string, at: string, type = 'Warning') => ({
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name, namespace: sj.namespace },
      type,
      reason,
      message: `${reason} happened`,
      lastTimestamp: at,
      involvedObject: { kind: 'ScaledJob', name: sj.name, namespace: sj.namespace },
    });
    fake.add(
      event('e1', 'KEDAScalerFailed', '2026-11-30T10:00:02Z'),
      event('e2', 'Older', '2026-11-30T10:00:01Z'),
      event('e3', 'Normal', '2026-11-30T10:00:09Z', 'Normal'),
    );
    const r = await stackStatus(s, { kube: fake }, kubeOnly, recordingProgress());
    expect(r.healthy).toBe(false);
    expect(r.scaledJob).toMatchObject({
      ready: 'False (ScaledJobCheckFailed: no role)',
      lastWarning: 'KEDAScalerFailed: KEDAScalerFailed happened',
    });
    expect(r.problems).toEqual([
      `ScaledJob warn/warn-processor is not ready (Ready: False (ScaledJobCheckFailed: no role)); last warning: KEDAScalerFailed: KEDAScalerFailed happened`,
    ]);
  });

  it('KEDA not installed, or its operator not available', async () => {
    const { fake, s } = await healthy('keda');
    fake.edit(
      { apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'keda', name: 'keda-operator' },
      (o) =>
        void (o.status = {
          observedGeneration: 1,
          availableReplicas: 0,
          conditions: [{ type: 'Available', status: 'False', reason: 'MinimumReplicasUnavailable' }],
        }),
    );
    let r = await stackStatus(s, { kube: fake }, kubeOnly, recordingProgress());
    expect(r.keda).toMatchObject({ installed: true, ready: false });
    expect(r.problems).toEqual([
      expect.stringMatching(
        /^KEDA: KEDA is installed but not healthy: 0\/1 replicas available.*Available=False \(MinimumReplicasUnavailable\)/,
      ),
    ]);
    await fake.delete({ apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'keda', name: 'keda-operator' });
    r = await stackStatus(s, { kube: fake }, kubeOnly, recordingProgress());
    expect(r.keda).toEqual({ installed: false, version: undefined, ready: false, problem: undefined });
    expect(r.problems).toContain('KEDA is not installed: run kedactl init (or install it yourself and use --skip keda)');
  });

  it('drift and missing objects, each named with what to run', async () => {
    const { fake, s, desired } = await healthy('drift');
    fake.edit(
      { apiVersion: 'keda.sh/v1alpha1', kind: 'ScaledJob', namespace: 'drift', name: desired.names.scaledJob },
      (o) => void ((o.spec as { maxReplicaCount: number }).maxReplicaCount = 3),
    );
    await fake.delete({ apiVersion: 'v1', kind: 'Service', namespace: 'drift', name: desired.names.analyzer });
    const r = await stackStatus(s, { kube: fake }, kubeOnly, recordingProgress());
    expect(r.objects).toMatchObject({ drifted: ['ScaledJob drift-processor'], missing: [`Service ${desired.names.analyzer}`] });
    expect(r.problems.slice(0, 2)).toEqual([
      `missing from the cluster: Service ${desired.names.analyzer}: run kedactl init`,
      'changed since kedactl applied them: ScaledJob drift-processor: kedactl plan shows how; kedactl init restores them',
    ]);
  });

  it('static mode: expired temporary credentials in the Secret are a problem, their values never shown', async () => {
    const { fake, s, desired } = await healthy('creds', { auth: 'static' });
    fake.edit({ apiVersion: 'v1', kind: 'Secret', namespace: 'creds', name: desired.names.credentialsSecret }, (o) => {
      o.metadata.annotations = { ...o.metadata.annotations, [ANNOTATION_CREDENTIALS_EXPIRE]: '2026-01-01T00:00:00Z' };
      (o as { data?: Record<string, string> }).data = {
        AWS_ACCESS_KEY_ID: 'QUtJQQ==',
        AWS_SECRET_ACCESS_KEY: 'c2VjcmV0',
        AWS_SESSION_TOKEN: 'dG9rZW4=',
      };
    });
    const r = await stackStatus(s, { kube: fake }, kubeOnly, recordingProgress());
    expect(r.credentials).toEqual({
      secret: `creds/${desired.names.credentialsSecret}`,
      temporary: true,
      expiresAt: '2026-01-01T00:00:00Z',
      expired: true,
    });
    expect(
      r.problems.some((p) =>
        p.startsWith(`the temporary AWS credentials in Secret creds/${desired.names.credentialsSecret} expired at 2026-01-01T00:00:00Z`),
      ),
    ).toBe(true);
    expect(JSON.stringify(r)).not.toMatch(/c2VjcmV0|dG9rZW4=/);
  });

  it('the analyzer unreachable: results unavailable, exit-worthy', async () => {
    const { fake, s } = await healthy('res');
    fake.proxyAnswer = undefined; // the Service has no endpoints
    const r = await stackStatus(s, { kube: fake }, kubeOnly, recordingProgress());
    expect(r.healthy).toBe(false);
    expect(r.problems).toEqual([expect.stringMatching(/^results unavailable: the result analyzer .* is not ready/)]);
  });
});
