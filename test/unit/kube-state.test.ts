// The one reading of Kubernetes state that status and watch share (src/core/kube/state.ts).
import { describe, expect, it } from 'vitest';
import {
  countJobPhases,
  jobPhase,
  kedaVersionOf,
  lastWarning,
  objectLabel,
  scaledJobHealth,
  warningsAbout,
  type RawEvent,
} from '../../src/core/kube/state.ts';

const job = (status: object) => ({ metadata: { name: 'j' }, status });

describe('kube state', () => {
  it('a Job is active until Complete or Failed is True, whatever its counters say', () => {
    expect(jobPhase(job({}))).toBe('active');
    // a Pod failed, the Job retries (backoffLimit not reached): still active, as KEDA counts it
    expect(jobPhase(job({ failed: 1, active: 1 }))).toBe('active');
    expect(jobPhase(job({ succeeded: 1, conditions: [{ type: 'SuccessCriteriaMet', status: 'True' }] }))).toBe('active');
    expect(
      jobPhase(
        job({
          succeeded: 1,
          conditions: [
            { type: 'SuccessCriteriaMet', status: 'True' },
            { type: 'Complete', status: 'True' },
          ],
        }),
      ),
    ).toBe('succeeded');
    expect(
      jobPhase(
        job({
          failed: 2,
          conditions: [
            { type: 'FailureTarget', status: 'True' },
            { type: 'Failed', status: 'True' },
          ],
        }),
      ),
    ).toBe('failed');
    expect(jobPhase(job({ conditions: [{ type: 'Complete', status: 'False' }] }))).toBe('active');
    expect(countJobPhases([job({}), job({ failed: 1 }), job({ conditions: [{ type: 'Complete', status: 'True' }] })])).toEqual({
      active: 2,
      succeeded: 1,
      failed: 0,
    });
  });

  it('ScaledJob readiness and activity from its conditions; Ready=False or a Fallback is a problem', () => {
    expect(scaledJobHealth({ status: {} })).toEqual({
      ready: undefined,
      active: undefined,
      readyCondition: undefined,
      activeCondition: undefined,
      problem: undefined,
    });
    const ok = scaledJobHealth({
      status: {
        conditions: [
          { type: 'Ready', status: 'True', reason: 'ScaledJobReady' },
          { type: 'Active', status: 'False' },
        ],
      },
    });
    expect(ok).toMatchObject({ ready: true, active: false, problem: undefined, readyCondition: { reason: 'ScaledJobReady' } });
    const bad = scaledJobHealth({
      status: { conditions: [{ type: 'Ready', status: 'False', reason: 'ScaledJobCheckFailed', message: 'no role' }] },
    });
    expect(bad).toMatchObject({ ready: false, problem: 'Ready=False ScaledJobCheckFailed: no role' });
    expect(
      scaledJobHealth({
        status: {
          conditions: [
            { type: 'Ready', status: 'True' },
            { type: 'Fallback', status: 'True', reason: 'FallbackExists' },
          ],
        },
      }).problem,
    ).toBe('Fallback=True FallbackExists');
  });

  it('warnings about one object, oldest first by the time the event last happened (core and events.k8s.io forms)', () => {
    const events: RawEvent[] = [
      {
        type: 'Warning',
        reason: 'Late',
        message: 'third',
        involvedObject: { kind: 'ScaledJob', name: 'sj' },
        lastTimestamp: '2026-11-30T10:00:03Z',
      },
      {
        type: 'Warning',
        reason: 'Series',
        note: 'second',
        regarding: { kind: 'ScaledJob', name: 'sj' },
        eventTime: '2026-11-30T09:00:00Z',
        series: { lastObservedTime: '2026-11-30T10:00:02Z' },
      },
      {
        type: 'Normal',
        reason: 'Fine',
        message: 'newest but normal',
        involvedObject: { kind: 'ScaledJob', name: 'sj' },
        lastTimestamp: '2026-11-30T11:00:00Z',
      },
      {
        type: 'Warning',
        reason: 'Other',
        message: 'another object',
        involvedObject: { kind: 'ScaledJob', name: 'other' },
        lastTimestamp: '2026-11-30T11:00:00Z',
      },
      {
        type: 'Warning',
        reason: 'Early',
        message: 'first',
        involvedObject: { kind: 'ScaledJob', name: 'sj' },
        lastTimestamp: '2026-11-30T10:00:01Z',
      },
    ];
    expect(warningsAbout(events, { kind: 'ScaledJob', name: 'sj' }).map((e) => e.reason)).toEqual(['Early', 'Series', 'Late']);
    expect(lastWarning(events, { kind: 'ScaledJob', name: 'sj' })).toBe('Late: third');
    expect(lastWarning(events, { kind: 'ScaledJob', name: 'nobody' })).toBeUndefined();
  });

  it('KEDA cancelling its own poll (it reloaded the ScaledJob) is not a warning to show', () => {
    const at = (t: string) => ({ lastTimestamp: t });
    const events: RawEvent[] = [
      {
        type: 'Warning',
        reason: 'KEDAScalerFailed',
        message: 'operation error SQS: GetQueueAttributes, 403 AccessDenied',
        involvedObject: { kind: 'ScaledJob', name: 'sj' },
        ...at('2026-11-30T10:00:00Z'),
      },
      {
        type: 'Warning',
        reason: 'KEDAScalerFailed',
        message: 'operation error SQS: GetQueueAttributes, context canceled',
        involvedObject: { kind: 'ScaledJob', name: 'sj' },
        ...at('2026-11-30T10:01:00Z'),
      },
    ];
    expect(lastWarning(events, { kind: 'ScaledJob', name: 'sj' })).toBe(
      'KEDAScalerFailed: operation error SQS: GetQueueAttributes, 403 AccessDenied',
    );
    expect(lastWarning(events.slice(1), { kind: 'ScaledJob', name: 'sj' })).toBeUndefined();
  });

  it("KEDA's version from its operator Deployment: the version label, else the image tag", () => {
    expect(kedaVersionOf(undefined)).toBeUndefined();
    expect(kedaVersionOf({ metadata: { labels: { 'app.kubernetes.io/version': '2.21.0' } } })).toBe('2.21.0');
    expect(kedaVersionOf({ metadata: {}, spec: { template: { spec: { containers: [{ image: 'ghcr.io/kedacore/keda:2.20.1' }] } } } })).toBe(
      '2.20.1',
    );
    expect(kedaVersionOf({ metadata: {}, spec: { template: { spec: { containers: [{ image: 'keda:latest' }] } } } })).toBeUndefined();
  });

  it('labels objects as "Kind ns/name", cluster-scoped ones as "Kind name"', () => {
    expect(objectLabel({ kind: 'ScaledJob', namespace: 'video', name: 'video-processor' })).toBe('ScaledJob video/video-processor');
    expect(objectLabel({ kind: 'Namespace', name: 'video' })).toBe('Namespace video');
  });
});

describe('the deployment workload: Deployment replicas and the HPA', () => {
  it("a Deployment's replicas: spec (defaulted to 1 as the API server does), existing and ready", async () => {
    const { deploymentReplicas } = await import('../../src/core/kube/state.ts');
    expect(deploymentReplicas({ spec: { replicas: 3 }, status: { replicas: 4, readyReplicas: 2 } })).toEqual({
      desired: 3,
      current: 4,
      ready: 2,
    });
    expect(deploymentReplicas({ spec: {}, status: {} })).toEqual({ desired: 1, current: 0, ready: 0 });
    expect(deploymentReplicas({ spec: { replicas: 0 } })).toEqual({ desired: 0, current: 0, ready: 0 });
  });

  it('the HPA: AbleToScale=False is a problem; ScalingActive=False is one unless the target is at 0 (ScalingDisabled)', async () => {
    const { hpaHealth } = await import('../../src/core/kube/state.ts');
    const hpa = (conditions: Array<{ type: string; status: string; reason?: string; message?: string }>) => ({
      spec: { minReplicas: 1, maxReplicas: 5 },
      status: { currentReplicas: 2, desiredReplicas: 3, conditions },
    });
    expect(
      hpaHealth(
        hpa([
          { type: 'AbleToScale', status: 'True' },
          { type: 'ScalingActive', status: 'True' },
        ]),
      ),
    ).toEqual({
      current: 2,
      desired: 3,
      min: 1,
      max: 5,
      conditions: [
        { type: 'AbleToScale', status: 'True' },
        { type: 'ScalingActive', status: 'True' },
      ],
    });
    expect(hpaHealth(hpa([{ type: 'AbleToScale', status: 'False', reason: 'FailedGetScale', message: 'no scale' }])).problem).toBe(
      'AbleToScale=False FailedGetScale: no scale',
    );
    expect(hpaHealth(hpa([{ type: 'ScalingActive', status: 'False', reason: 'ScalingDisabled' }])).problem).toBeUndefined();
    expect(hpaHealth(hpa([{ type: 'ScalingActive', status: 'False', reason: 'InvalidSelector' }])).problem).toBe(
      'ScalingActive=False InvalidSelector',
    );
    expect(hpaHealth(hpa([{ type: 'ScalingLimited', status: 'True', reason: 'TooManyReplicas' }]))).toMatchObject({
      limited: 'ScalingLimited=True TooManyReplicas',
    });
    expect(hpaHealth({})).toEqual({ current: undefined, desired: undefined, min: undefined, max: undefined, conditions: [] });
  });
});
