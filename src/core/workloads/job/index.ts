// The job workload: a ScaledJob that starts one Job per message (templates/kubernetes/scaled-job.yaml,
// templates/consumer/consume.sh). KEDA never scales a running Job down: a Job is killed only when its
// Pod is deleted by someone else.
import type { Workload } from '../types.js';

export const SCALED_JOB_LABEL = 'scaledjob.keda.sh/name';

export const jobWorkload: Workload = {
  kind: 'job',
  unit: { one: 'Job', many: 'Jobs' },
  scaler: (n) => ({ apiVersion: 'keda.sh/v1alpha1', kind: 'ScaledJob', name: n.scaledJob }),
  target: (n) => ({ apiVersion: 'keda.sh/v1alpha1', kind: 'ScaledJob', name: n.scaledJob }),
  owned: (n) => [{ apiVersion: 'keda.sh/v1alpha1', kind: 'ScaledJob', name: n.scaledJob }],
  retiring: 'its Jobs go with it: a Job still processing returns its message to the queue (a kill)',
  hpa: () => undefined,
  templates: ['kubernetes/scaled-job.yaml'],
  consumerScript: 'consumer/consume.sh',
  podSelector: (n) => `${SCALED_JOB_LABEL}=${n.scaledJob}`,
  observed: (n) => ({
    jobs: { apiVersion: 'batch/v1', kind: 'Job', resource: 'jobs', labelSelector: `${SCALED_JOB_LABEL}=${n.scaledJob}` },
    scaledJob: { apiVersion: 'keda.sh/v1alpha1', kind: 'ScaledJob', resource: 'scaledjobs', name: n.scaledJob },
  }),
  // a Job shows its work until it ends: an empty queue and no active Job is done
  drained: 'no Job is active',
  noPods: 'no pods yet: KEDA starts one Job per message when the queue has messages',
  warnings(s, objects) {
    const warnings: string[] = [];
    if (s.strategy === 'accurate')
      warnings.push(
        'strategy "accurate" with scaleOnInFlight (on) counts in-flight messages twice and starts too many Jobs; prefer "default" or "eager"',
      );
    const sj = objects.find((o) => o.kind === 'ScaledJob') as
      | { spec?: { scalingStrategy?: { customScalingRunningJobPercentage?: unknown } } }
      | undefined;
    // KEDA runs "custom" only with a percentage it can parse; otherwise it silently runs "default"
    if (
      s.strategy === 'custom' &&
      !Number.isFinite(Number.parseFloat(String(sj?.spec?.scalingStrategy?.customScalingRunningJobPercentage ?? '')))
    )
      warnings.push(
        'strategy "custom" needs scalingStrategy.customScalingRunningJobPercentage (and customScalingQueueLengthDeduction) in the ScaledJob; without them KEDA runs the default strategy. Add them in a template override of kubernetes/scaled-job.yaml, or use --strategy default',
      );
    if (s.activationQueueLength >= s.queueLength * s.maxReplicas)
      warnings.push(
        `activationQueueLength ${s.activationQueueLength} is so high that KEDA would never start a Job before the queue holds that many messages`,
      );
    return warnings;
  },
};
