// The ScaledJob decision model against KEDA's own unit-test tables (KEDA v2.21.0; the decision code is
// the same in v2.20.x). Each row below is one assertion of KEDA's tests, with its file and test name;
// the numbers are KEDA's, the model is ours.
import { describe, expect, it } from 'vitest';
import {
  decide,
  effectiveMaxScale,
  pendingJobCount,
  scaledJobMetrics,
  sqsMetric,
  strategyUsed,
  type DecideInput,
  type JobState,
} from '../../src/core/simulate/decide.ts';
import type { Strategy } from '../../src/core/stack/settings.ts';

// pkg/scaling/executor/scale_jobs_test.go: GetEffectiveMaxScale(maxScale, running, pending, maxReplicaCount, scaleTo)
type Row = {
  test: string;
  strategy: Strategy;
  deduction?: number;
  percentage?: string;
  args: [number, number, number, number, number];
  max: number;
  scaleTo?: number;
};
const STRATEGY_ROWS: Row[] = [
  { test: 'TestDefaultScalingStrategy', strategy: 'default', args: [3, 2, 0, 5, 1], max: 1 },
  { test: 'TestDefaultScalingStrategy', strategy: 'default', args: [2, 0, 0, 5, 1], max: 2 },
  { test: 'TestCustomScalingStrategy', strategy: 'custom', deduction: 1, percentage: '0.5', args: [3, 2, 0, 5, 1], max: 1 },
  { test: 'TestCustomScalingStrategy', strategy: 'custom', deduction: 1, percentage: '0.5', args: [10, 0, 0, 10, 1], max: 9 },
  { test: 'TestCustomScalingStrategy (nil parameters: default)', strategy: 'custom', args: [3, 2, 0, 5, 1], max: 1 },
  { test: 'TestCustomScalingStrategy (nil parameters: default)', strategy: 'custom', args: [2, 0, 0, 5, 1], max: 2 },
  { test: 'TestCustomScalingStrategy (percentage "0")', strategy: 'custom', deduction: 2, percentage: '0', args: [3, 2, 0, 5, 1], max: 1 },
  {
    test: 'TestCustomScalingStrategy (exceeds MaxReplicaCount)',
    strategy: 'custom',
    deduction: -2,
    percentage: '0',
    args: [3, 2, 0, 4, 1],
    max: 4,
  },
  { test: 'TestCustomScalingStrategyNilQueueLengthDeduction', strategy: 'custom', percentage: '0.5', args: [10, 2, 0, 100, 1], max: 9 },
  { test: 'TestCustomScalingStrategyNilQueueLengthDeduction', strategy: 'custom', percentage: '0.5', args: [10, 0, 0, 100, 1], max: 10 },
  { test: 'TestAccurateScalingStrategy', strategy: 'accurate', args: [3, 2, 0, 5, 1], max: 3 },
  { test: 'TestAccurateScalingStrategy', strategy: 'accurate', args: [5, 2, 0, 5, 1], max: 3 },
  { test: 'TestAccurateScalingStrategy (2 pending)', strategy: 'accurate', args: [3, 4, 2, 10, 1], max: 1 },
  { test: 'TestAccurateScalingStrategy (2 pending)', strategy: 'accurate', args: [5, 4, 2, 5, 1], max: 1 },
  { test: 'TestAccurateScalingStrategy (3 running are pending)', strategy: 'accurate', args: [3, 3, 3, 5, 1], max: 0 },
  { test: 'TestAccurateScalingStrategy (higher numbers)', strategy: 'accurate', args: [15, 15, 15, 20, 1], max: 0 },
  { test: 'TestAccurateScalingStrategy (different numbers)', strategy: 'accurate', args: [10, 10, 10, 15, 1], max: 0 },
  { test: 'TestAccurateScalingStrategy (partial pending)', strategy: 'accurate', args: [20, 15, 10, 20, 1], max: 5 },
  { test: 'TestEagerScalingStrategy', strategy: 'eager', args: [4, 3, 0, 10, 1], max: 4, scaleTo: 10 },
  { test: 'TestEagerScalingStrategy', strategy: 'eager', args: [4, 0, 3, 10, 1], max: 4, scaleTo: 10 },
  { test: 'TestEagerScalingStrategy', strategy: 'eager', args: [4, 7, 0, 10, 1], max: 3, scaleTo: 10 },
  { test: 'TestEagerScalingStrategy', strategy: 'eager', args: [4, 1, 6, 10, 1], max: 3, scaleTo: 10 },
  { test: 'TestEagerScalingStrategy', strategy: 'eager', args: [15, 0, 0, 10, 1], max: 10, scaleTo: 10 },
];

describe("the strategies' effective max scale (KEDA scale_jobs_test.go)", () => {
  it.each(STRATEGY_ROWS.map((r) => [`${r.test}: ${r.strategy}(${r.args.join(', ')}) = ${r.max}`, r] as const))('%s', (_name, r) => {
    const [maxScale, running, pending, maxReplicaCount, scaleTo] = r.args;
    const used = strategyUsed(r.strategy, r.percentage);
    const [max, to] = effectiveMaxScale(
      used,
      { maxScale, running, pending, maxReplicaCount, scaleTo },
      { deduction: r.deduction, runningJobPercentage: r.percentage === undefined ? undefined : Number(r.percentage) },
    );
    expect(max).toBe(r.max);
    expect(to).toBe(r.scaleTo ?? scaleTo);
  });

  // the same rows through the whole cycle: a queue of maxScale messages at queueLength 1 gives KEDA
  // maxScale (capped at maxReplicaCount, which never changes a row's answer) and scaleTo = maxScale
  it.each(STRATEGY_ROWS.map((r) => [`decide(): ${r.test}: ${r.strategy}(${r.args.join(', ')})`, r] as const))('%s', (_name, r) => {
    const [maxScale, running, pending, maxReplicaCount] = r.args;
    const d = decide({
      visible: maxScale,
      inFlight: 0,
      delayed: 0,
      scaleOnInFlight: true,
      scaleOnDelayed: false,
      queueLength: 1,
      activationQueueLength: 0,
      running,
      pending,
      maxReplicaCount,
      minReplicaCount: 0,
      strategy: r.strategy,
      customScalingQueueLengthDeduction: r.deduction,
      customScalingRunningJobPercentage: r.percentage,
    });
    expect(d.effectiveMaxScale).toBe(r.max);
    expect(d.create).toBe(Math.max(0, Math.min(r.max, r.scaleTo ?? maxScale)));
  });
});

describe('which strategy KEDA runs (TestNewNewScalingStrategy, TestCustomScalingStrategy)', () => {
  it.each([
    ['custom', '0', 'custom'],
    ['accurate', '0', 'accurate'],
    ['default', undefined, 'default'],
    ['default', '0', 'default'],
    ['eager', '0', 'eager'],
    ['custom', '', 'default'], // "Empty String will be DefaultStrategy"
    ['custom', undefined, 'default'], // what kedactl renders for --strategy custom: no percentage
  ] as Array<[Strategy, string | undefined, Strategy]>)('%s with percentage %j runs %s', (s, p, used) => {
    expect(strategyUsed(s, p)).toBe(used);
  });
});

const base: DecideInput = {
  visible: 0,
  inFlight: 0,
  delayed: 0,
  scaleOnInFlight: true,
  scaleOnDelayed: false,
  queueLength: 1,
  activationQueueLength: 0,
  running: 0,
  pending: 0,
  maxReplicaCount: 100,
  minReplicaCount: 0,
  strategy: 'default',
};

describe('minReplicaCount (getScalingDecision tests)', () => {
  it('TestRunningJobCountSmallerMinReplicaCount: min 2, none running -> 2 and 2', () => {
    const d = decide({ ...base, minReplicaCount: 2, running: 0 });
    expect([d.effectiveMaxScale, d.strategyScaleTo]).toEqual([2, 2]);
    expect(d.active).toBe(true);
    expect(d.create).toBe(2);
  });
  it('TestRunningJobCountIsDeductedFromMinReplicaCount: min 2, one running -> 1 and 1', () => {
    const d = decide({ ...base, minReplicaCount: 2, running: 1 });
    expect([d.effectiveMaxScale, d.strategyScaleTo]).toEqual([1, 1]);
  });
  it('TestRunningJobCountGreaterOrEqualMinReplicaCountExecutesScalingStrategy: min 1, one running, maxScale 2 -> 2 and 2', () => {
    const d = decide({ ...base, minReplicaCount: 1, running: 1, visible: 2 });
    expect([d.effectiveMaxScale, d.strategyScaleTo]).toEqual([2, 2]);
  });
});

describe('the ScaledJob metrics (scale_handler_test.go, one trigger)', () => {
  it('TestGetScaledJobState: queue 20, target 2, max 100 -> active, queueLength 20, maxValue 10', () => {
    expect(scaledJobMetrics(20, true, 2, 1, 100)).toEqual({ active: true, scaleTo: 20, maxScale: 10 });
  });
  it('TestGetScaledJobStateIfQueueEmptyButMinReplicaCountGreaterZero: queue 0, min 1 -> active, 0, 0', () => {
    expect(scaledJobMetrics(0, true, 1, 1, 100)).toEqual({ active: true, scaleTo: 0, maxScale: 0 });
  });
  it('an empty queue with no minimum is not active even when the trigger says so', () => {
    expect(scaledJobMetrics(0, true, 1, 0, 100).active).toBe(false);
  });
  it('maxScale is ceil(metric / queueLength), capped at maxReplicaCount', () => {
    expect(scaledJobMetrics(11, true, 5, 0, 100).maxScale).toBe(3);
    expect(scaledJobMetrics(10_000, true, 1, 0, 100).maxScale).toBe(100);
  });
});

describe('the SQS scaler (aws_sqs_queue_scaler_test.go: 200 visible, 100 not visible, 50 delayed)', () => {
  const q = { visible: 200, inFlight: 100, delayed: 50 };
  it.each([
    [false, false, 200],
    [true, false, 300], // scaleOnInFlight's default
    [false, true, 250],
    [true, true, 350],
  ])('scaleOnInFlight %s, scaleOnDelayed %s -> %i', (scaleOnInFlight, scaleOnDelayed, n) => {
    expect(sqsMetric(q, { scaleOnInFlight, scaleOnDelayed })).toBe(n);
  });
  it('is active only above activationQueueLength (queuelen > ActivationTargetQueueLength)', () => {
    expect(decide({ ...base, visible: 5, activationQueueLength: 5 }).active).toBe(false);
    expect(decide({ ...base, visible: 6, activationQueueLength: 5 }).active).toBe(true);
  });
});

describe('pending Jobs (TestGetPendingJobCount, TestAreAllPendingPodConditionsFulfilledBugScenario)', () => {
  const conds = ['Ready', 'PodScheduled'];
  const one = (pods: JobState['pods']): JobState[] => [{ finished: false, pods }];
  it.each([
    ['Succeeded', [], [{ phase: 'Succeeded' }], 0],
    ['Running', [], [{ phase: 'Running' }], 0],
    ['Failed', [], [{ phase: 'Failed' }], 1],
    ['Pending', [], [{ phase: 'Pending' }], 1],
    ['Unknown', [], [{ phase: 'Unknown' }], 1],
    ['conditions: none', conds, [{ conditions: [] }], 1],
    ['conditions: Ready only', conds, [{ conditions: ['Ready'] }], 1],
    ['conditions: PodScheduled only', conds, [{ conditions: ['PodScheduled'] }], 1],
    ['conditions: both', conds, [{ conditions: ['Ready', 'PodScheduled'] }], 0],
    ['2 pods, both have all', conds, [{ conditions: ['Ready', 'PodScheduled'] }, { conditions: ['Ready', 'PodScheduled'] }], 0],
    ['2 pods, one has all', conds, [{ conditions: ['Ready', 'PodScheduled'] }, { conditions: ['Ready'] }], 0],
    ['2 pods, neither has all', conds, [{ conditions: ['Ready'] }, { conditions: ['PodScheduled'] }], 1],
    ['3 pods, one has all', conds, [{ conditions: [] }, { conditions: ['Ready'] }, { conditions: ['Ready', 'PodScheduled'] }], 0],
    ['3 pods, none has all', conds, [{ conditions: [] }, { conditions: ['Ready'] }, { conditions: ['PodScheduled'] }], 1],
    ['empty conditions list, Running', [], [{ phase: 'Running', conditions: ['Ready'] }], 0],
  ] as Array<[string, string[], JobState['pods'], number]>)('%s -> %i', (_name, c, pods, n) => {
    expect(pendingJobCount(one(pods), c)).toBe(n);
  });
  it('finished Jobs are never pending, and Jobs without Pods are', () => {
    expect(
      pendingJobCount([
        { finished: true, pods: [] },
        { finished: false, pods: [] },
      ]),
    ).toBe(1);
  });
});

describe('one whole cycle', () => {
  it('default: creates queue/queueLength Jobs minus the ones running, at most maxReplicaCount', () => {
    expect(decide({ ...base, visible: 40, queueLength: 5, running: 3 })).toMatchObject({
      metric: 40,
      scaleTo: 40,
      maxScale: 8,
      effectiveMaxScale: 5,
      create: 5,
    });
  });
  it('accurate counts in-flight messages the default strategy already subtracts as running Jobs', () => {
    // 10 running Jobs each hold one in-flight message and 10 messages wait: default starts 20 - 10 = 10
    // Jobs; accurate subtracts only pending Jobs, so it starts 20 for 10 waiting messages
    const d = decide({ ...base, visible: 10, inFlight: 10, running: 10, strategy: 'accurate' });
    expect(d.create).toBe(20);
    expect(decide({ ...base, visible: 10, inFlight: 10, running: 10, strategy: 'default' }).create).toBe(10);
  });
  it('eager fills up to maxReplicaCount whatever the queue', () => {
    expect(decide({ ...base, visible: 3, strategy: 'eager', maxReplicaCount: 10 }).create).toBe(3);
    expect(decide({ ...base, visible: 30, queueLength: 5, strategy: 'eager', maxReplicaCount: 10 }).create).toBe(6);
  });
  it('never creates a negative number of Jobs', () => {
    expect(decide({ ...base, visible: 1, running: 50 }).create).toBe(0);
  });
});
