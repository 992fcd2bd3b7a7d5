// KEDA's ScaledJob scaling decision for one polling cycle, as a pure function. The facts come from
// KEDA 2.20/2.21 (pkg/scalers/aws_sqs_queue_scaler.go, pkg/scaling/scaledjob/metrics.go,
// pkg/scaling/executor/scale_jobs.go; the decision is the same in both): the SQS scaler's metric and
// activity, the ScaledJob's queue length and max scale, the strategy's effective max scale, then
// "create min(scaleTo, effectiveMaxScale) Jobs" when active. One trigger (kedactl renders one).
import type { Strategy } from '../stack/settings.js';

export interface QueueCounts {
  /** ApproximateNumberOfMessages */
  visible: number;
  /** ApproximateNumberOfMessagesNotVisible */
  inFlight: number;
  /** ApproximateNumberOfMessagesDelayed */
  delayed: number;
}

export interface DecideInput extends QueueCounts {
  /** trigger metadata scaleOnInFlight (KEDA's default true; kedactl renders true) */
  scaleOnInFlight: boolean;
  /** trigger metadata scaleOnDelayed (KEDA's default false) */
  scaleOnDelayed: boolean;
  /** trigger metadata queueLength: messages per Job (the metric's target average value) */
  queueLength: number;
  /** trigger metadata activationQueueLength: the trigger is active above this */
  activationQueueLength: number;
  /** Jobs KEDA counts as running: every Job of the ScaledJob not yet Complete or Failed (pending ones too) */
  running: number;
  /** of those, Jobs whose Pods are not yet Running or Succeeded (see pendingJobCount) */
  pending: number;
  maxReplicaCount: number;
  /** spec.minReplicaCount (kedactl renders none: 0) */
  minReplicaCount: number;
  strategy: Strategy;
  /** scalingStrategy.customScalingQueueLengthDeduction (custom only) */
  customScalingQueueLengthDeduction?: number;
  /** scalingStrategy.customScalingRunningJobPercentage as written in the ScaledJob (a string there) */
  customScalingRunningJobPercentage?: string;
}

export interface Decision {
  /** the trigger's metric: the messages it counts */
  metric: number;
  /** the trigger says active (metric > activationQueueLength), or minReplicaCount > 0 */
  active: boolean;
  /** ScaledJob queue length: ceil(metric) */
  scaleTo: number;
  /** ceil(min(metric / queueLength, maxReplicaCount)) */
  maxScale: number;
  /** the strategy KEDA runs: "custom" without a parsable running-job percentage runs "default" */
  strategyUsed: Strategy;
  /** what the strategy (or minReplicaCount) allows on top of what runs, before the floor at 0 */
  effectiveMaxScale: number;
  /** the strategy's scaleTo (eager raises it to maxReplicaCount; minReplicaCount top-up sets it) */
  strategyScaleTo: number;
  /** Jobs created this cycle */
  create: number;
}

/** The SQS scaler's metric: visible, plus in flight and delayed when the trigger says so. */
export function sqsMetric(q: QueueCounts, o: { scaleOnInFlight: boolean; scaleOnDelayed: boolean }): number {
  return q.visible + (o.scaleOnInFlight ? q.inFlight : 0) + (o.scaleOnDelayed ? q.delayed : 0);
}

/** scaledjob.CalculateQueueLengthAndMaxValue + IsScaledJobActive for one trigger. */
export function scaledJobMetrics(
  metric: number,
  triggerActive: boolean,
  targetAverageValue: number,
  minReplicaCount: number,
  maxReplicaCount: number,
) {
  const maxValue = targetAverageValue !== 0 ? Math.min(metric / targetAverageValue, maxReplicaCount) : 0;
  // an inactive trigger contributes nothing (max over active triggers, starting at 0)
  const queueLength = triggerActive && metric > 0 ? metric : 0;
  const max = triggerActive && metric > 0 ? maxValue : 0;
  return {
    active: (triggerActive && metric > 0) || minReplicaCount > 0,
    scaleTo: Math.ceil(queueLength),
    maxScale: Math.ceil(Math.min(max, maxReplicaCount)),
  };
}

/** A strategy's GetEffectiveMaxScale: [effectiveMaxScale, scaleTo]. */
export function effectiveMaxScale(
  strategy: Strategy,
  a: { maxScale: number; running: number; pending: number; maxReplicaCount: number; scaleTo: number },
  custom: { deduction?: number; runningJobPercentage?: number } = {},
): [number, number] {
  const { maxScale, running, pending, maxReplicaCount, scaleTo } = a;
  switch (strategy) {
    case 'custom': {
      const r = maxScale - (custom.deduction ?? 0) - Math.trunc(running * (custom.runningJobPercentage ?? 0));
      return [Math.min(r, maxReplicaCount), scaleTo];
    }
    case 'accurate':
      if (maxScale + running - pending > maxReplicaCount) return [maxReplicaCount - running, scaleTo];
      return [maxScale - pending, scaleTo];
    case 'eager':
      return [Math.min(maxReplicaCount - running - pending, maxScale), maxReplicaCount];
    default:
      return [maxScale - running, scaleTo];
  }
}

/** Go's strconv.ParseFloat for a decimal percentage ("0.5", "1e-1"): undefined when it would fail. */
export function parsePercentage(s: string | undefined): number | undefined {
  if (s === undefined || !/^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/.test(s)) return undefined;
  return Number(s);
}

/** The strategy KEDA selects for this ScaledJob (custom falls back to default without a percentage). */
export function strategyUsed(strategy: Strategy, customScalingRunningJobPercentage?: string): Strategy {
  return strategy === 'custom' && parsePercentage(customScalingRunningJobPercentage) === undefined ? 'default' : strategy;
}

/** One polling cycle: what KEDA reads, what it decides, how many Jobs it creates. */
export function decide(i: DecideInput): Decision {
  const metric = sqsMetric(i, i);
  const triggerActive = metric > i.activationQueueLength;
  const m = scaledJobMetrics(metric, triggerActive, i.queueLength, i.minReplicaCount, i.maxReplicaCount);
  const used = strategyUsed(i.strategy, i.customScalingRunningJobPercentage);
  let effective: number;
  let scaleTo: number;
  if (i.running < i.minReplicaCount) {
    // below the minimum: top up to it, whatever the queue says
    effective = i.minReplicaCount - i.running;
    scaleTo = effective;
  } else {
    [effective, scaleTo] = effectiveMaxScale(
      used,
      {
        maxScale: m.maxScale,
        running: i.running - i.minReplicaCount,
        pending: i.pending,
        maxReplicaCount: i.maxReplicaCount,
        scaleTo: m.scaleTo,
      },
      { deduction: i.customScalingQueueLengthDeduction, runningJobPercentage: parsePercentage(i.customScalingRunningJobPercentage) },
    );
  }
  const floor = Math.max(0, effective);
  const create = m.active && floor > 0 ? Math.min(scaleTo, floor) : 0;
  return {
    metric,
    active: m.active,
    scaleTo: m.scaleTo,
    maxScale: m.maxScale,
    strategyUsed: used,
    effectiveMaxScale: effective,
    strategyScaleTo: scaleTo,
    create,
  };
}

export interface PodState {
  phase?: 'Pending' | 'Running' | 'Succeeded' | 'Failed' | 'Unknown';
  /** condition types whose status is True */
  conditions?: string[];
}

export interface JobState {
  /** Complete or Failed */
  finished: boolean;
  pods: PodState[];
}

/**
 * KEDA's pending Jobs: unfinished Jobs with no Pod Running or Succeeded, or, with
 * scalingStrategy.pendingPodConditions, with no Pod that has every one of those conditions True.
 */
export function pendingJobCount(jobs: readonly JobState[], pendingPodConditions: readonly string[] = []): number {
  let n = 0;
  for (const j of jobs) {
    if (j.finished) continue;
    const started =
      pendingPodConditions.length > 0
        ? j.pods.some((p) => pendingPodConditions.every((c) => (p.conditions ?? []).includes(c)))
        : j.pods.some((p) => p.phase === 'Running' || p.phase === 'Succeeded');
    if (!started) n++;
  }
  return n;
}
