// The HPA pieces and the ReplicaSet's choice of Pods, on hand-worked cases and on cases from Kubernetes'
// own tests (k8s.io/kubernetes v1.36.3 pkg/controller/podautoscaler/{replica_calculator,horizontal}_test.go,
// each named), plus KEDA's 0 <-> 1.
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_SCALE_UP,
  externalAverageValueReplicas,
  Hpa,
  limitRate,
  type ScaleEvent,
  type ScalingRules,
  scaleDownLimit,
  scaleDownRules,
  scaleUpLimit,
  stabilize,
} from '../../src/core/simulate/deployment/hpa.ts';
import { kedaPoll } from '../../src/core/simulate/deployment/keda.ts';
import { compareForDeletion, logRank, podsToDelete } from '../../src/core/simulate/deployment/replicaset.ts';

/** generateScalingRules(pods, podsPeriod, percent, percentPeriod, stabilizationWindow) of horizontal_test.go */
const rules = (
  pods: number,
  podsPeriod: number,
  percent: number,
  percentPeriod: number,
  window: number,
  select: ScalingRules['selectPolicy'] = 'Max',
): ScalingRules => ({
  stabilizationWindowSeconds: window,
  selectPolicy: select,
  policies: [
    ...(pods ? [{ type: 'Pods' as const, value: pods, periodSeconds: podsPeriod }] : []),
    ...(percent ? [{ type: 'Percent' as const, value: percent, periodSeconds: percentPeriod }] : []),
  ],
});
/** the API's default scale-down rules (GenerateHPAScaleDownRules(nil)) */
const DEFAULT_SCALE_DOWN = scaleDownRules({ scaleDownStabilization: 300, scaleDownPercent: 100, scaleDownPeriod: 15 });
/** generateEventsUniformDistribution(events, 120) at now = 1000: each in the middle of its share of the last 120 s */
const uniform = (changes: number[], period = 120, now = 1000): ScaleEvent[] =>
  changes.map((change, i) => ({ t: now - (period - (period / changes.length) * (i + 1) + period / changes.length / 2), change }));

describe('HPA: replicas from an External metric with an AverageValue target', () => {
  it.each([
    // [test, statusReplicas, usage, target per Pod, expected]
    ['TestReplicaCalcScaleUpPerPodCMExternal', 3, 8600, 2150, 4],
    ['TestReplicaCalcScaleDownPerPodCMExternal', 5, 8600, 2867, 3],
    ['TestReplicaCalcTolerancePerPodCMExternal', 3, 8600, 2900, 3],
  ])('%s', (_name, status, usage, target, expected) => {
    expect(externalAverageValueReplicas(status, usage, target)).toBe(expected);
  });
  it('TestReplicaCalcConfigurableTolerancePerPodCMExternal (scale-up tolerance 1 %)', () => {
    // the default 10 % keeps 3 (8600 / (2800 * 3) = 1.024); the test's 1 % scale-up tolerance moves to 4
    expect(externalAverageValueReplicas(3, 8600, 2800)).toBe(3);
    expect(externalAverageValueReplicas(3, 8600, 2800, 0.01)).toBe(4);
  });
  it('by hand: 45 messages, queueLength 5 (milli-units), 10 Pods: 0.9 is within the tolerance; 44 is not', () => {
    expect(externalAverageValueReplicas(10, 45_000, 5_000)).toBe(10);
    expect(externalAverageValueReplicas(10, 44_000, 5_000)).toBe(9);
    expect(externalAverageValueReplicas(10, 56_000, 5_000)).toBe(12);
    expect(externalAverageValueReplicas(4, 0, 1_000)).toBe(0);
  });
});

describe('HPA: stabilization window', () => {
  const now = 1000;
  it.each([
    // TestNormalizeDesiredReplicasWithBehavior rows: [name, recommendations [replicas, seconds ago], current, desired, up window, down window, expected]
    ['empty recommendations for scaling down', [], 100, 5, 0, 0, 5],
    [
      'simple scale down stabilization',
      [
        [4, 120],
        [5, 60],
      ],
      100,
      3,
      0,
      180,
      5,
    ],
    [
      'simple scale up stabilization',
      [
        [4, 120],
        [5, 60],
      ],
      1,
      7,
      300,
      0,
      4,
    ],
    [
      'no scale down stabilization',
      [
        [1, 120],
        [2, 60],
      ],
      100,
      3,
      300,
      0,
      3,
    ],
    [
      'no scale up stabilization',
      [
        [4, 120],
        [5, 60],
      ],
      1,
      3,
      0,
      300,
      3,
    ],
    [
      'scale down stabilization, reuse one of obsolete recommendation element',
      [
        [10, 600],
        [4, 60],
        [5, 120],
        [9, 540],
      ],
      100,
      3,
      0,
      180,
      5,
    ],
    [
      'scale up stabilization, reuse one of obsolete recommendation element',
      [
        [10, 6000],
        [6, 60],
        [5, 120],
        [9, 180],
      ],
      1,
      100,
      300,
      300,
      5,
    ],
    [
      'scale up and down stabilization, do not scale up when prenormalized rec goes down',
      [
        [2, 6000],
        [3, 180],
      ],
      2,
      1,
      300,
      300,
      2,
    ],
    [
      'scale up and down stabilization, do not scale down when prenormalized rec goes up',
      [
        [2, 6000],
        [1, 180],
      ],
      2,
      3,
      300,
      300,
      2,
    ],
    // TestStabilizeDownscale: 4 Pods, the metric says 2, a recommendation of 4 a minute ago within the default 5 minutes
    [
      'TestStabilizeDownscale',
      [
        [10, 600],
        [4, 60],
      ],
      4,
      2,
      0,
      300,
      4,
    ],
  ] as Array<[string, Array<[number, number]>, number, number, number, number, number]>)(
    '%s',
    (_n, recs, current, desired, up, down, expected) => {
      const r = recs.map(([replicas, ago]) => ({ t: now - ago, replicas }));
      expect(stabilize(now, current, desired, r, up, down)).toBe(expected);
    },
  );
});

describe('HPA: scaling rules (rate)', () => {
  const now = 1000;
  const rate = (
    current: number,
    desired: number,
    min: number,
    max: number,
    up?: ScalingRules,
    down?: ScalingRules,
    ups: ScaleEvent[] = [],
    downs: ScaleEvent[] = [],
  ) => limitRate({ now, current, desired, min, max, scaleUp: up ?? DEFAULT_SCALE_UP, scaleDown: down ?? DEFAULT_SCALE_DOWN, ups, downs });
  it.each([
    // TestScalingWithRules rows: [name, current, desired, min, max, up, down, events up, events down, expected, reason]
    ['prenormalized desired replicas within range', 5, 7, 3, 8, undefined, undefined, [], [], 7, 'DesiredWithinRange'],
    ['prenormalized desired replicas < minReplicas', 3, 1, 2, 8, undefined, undefined, [], [], 2, 'TooFewReplicas'],
    ['maxReplicas is the limit because maxReplicas < scaleUpLimit', 20, 1000, 1, 10, undefined, undefined, [], [], 10, 'TooManyReplicas'],
    [
      'scaleUpLimit is the limit because scaleUpLimit < maxReplicas with user policies',
      3,
      1000,
      1,
      2000,
      rules(0, 0, 1, 60, 0),
      undefined,
      [],
      [],
      4,
      'ScaleUpLimit',
    ],
    ['scaleUp with default behavior', 10, 50, 1, 1000, undefined, undefined, [], [], 20, 'ScaleUpLimit'],
    [
      'scaleUp with pods policy larger than percent policy',
      10,
      500,
      1,
      1000,
      rules(100, 60, 100, 60, 0),
      undefined,
      [],
      [],
      110,
      'ScaleUpLimit',
    ],
    ['scaleUp with percent policy limitation', 10, 50, 1, 1000, rules(0, 0, 200, 60, 0), undefined, [], [], 30, 'ScaleUpLimit'],
    [
      'scaleDown with percent policy larger than pod policy',
      100,
      2,
      1,
      1000,
      undefined,
      rules(20, 60, 1, 60, 300),
      [],
      [],
      80,
      'ScaleDownLimit',
    ],
    ['scaleDown with pod policy limitation', 10, 2, 1, 1000, undefined, rules(5, 60, 0, 0, 300), [], [], 5, 'ScaleDownLimit'],
    [
      'scaleDown with spec MinReplicas limitation with large percent policy',
      10,
      2,
      5,
      1000,
      undefined,
      rules(0, 0, 100, 60, 300),
      [],
      [],
      5,
      'TooFewReplicas',
    ],
    ['scaleDown with percent policy limitation', 10, 5, 1, 1000, undefined, rules(0, 0, 50, 60, 300), [], [], 5, 'DesiredWithinRange'],
    [
      'scaleUp with pod policy and previous scale up events',
      100,
      500,
      1,
      1000,
      rules(150, 120, 0, 0, 0),
      undefined,
      uniform([1, 5, 9]),
      [],
      235,
      'ScaleUpLimit',
    ],
    [
      'scaleUp with percent policy and previous scale up events',
      100,
      500,
      1,
      1000,
      rules(0, 0, 200, 120, 0),
      undefined,
      uniform([1, 5, 9]),
      [],
      255,
      'ScaleUpLimit',
    ],
    [
      'scaleUp with currentReplicas limitation with rate.PeriodSeconds with a lot of recent scale up events',
      100,
      500,
      1,
      1000,
      rules(5, 120, 0, 0, 0),
      undefined,
      uniform([1, 5, 9]),
      [],
      100,
      'ScaleUpLimit',
    ],
    [
      'scaleUp with percent policy and previous scale up and down events',
      6,
      24,
      1,
      1000,
      rules(0, 0, 300, 300, 0),
      undefined,
      uniform([4]),
      uniform([2]),
      16,
      'ScaleUpLimit',
    ],
    [
      'scaleDown with default policy and previous events',
      10,
      5,
      1,
      1000,
      undefined,
      undefined,
      [],
      uniform([1, 5, 9]),
      5,
      'DesiredWithinRange',
    ],
  ] as Array<
    [string, number, number, number, number, ScalingRules | undefined, ScalingRules | undefined, ScaleEvent[], ScaleEvent[], number, string]
  >)('%s', (_n, current, desired, min, max, up, down, ups, downs, expected, reason) => {
    expect(rate(current, desired, min, max, up, down, ups, downs)).toEqual([expected, reason]);
  });
  it('TestCalculateScaleUpLimitWithScalingRules and TestCalculateScaleDownLimitWithBehaviors (selectPolicy Min)', () => {
    const min = rules(2, 60, 50, 60, 300, 'Min');
    expect(scaleUpLimit(now, 1, [], [], min)).toBe(2);
    expect(scaleDownLimit(now, 5, [], [], min)).toBe(3);
  });
  it('by hand: the default scale-up doubles or adds 4 per 15 s, whichever is more; events age out after the period', () => {
    expect(scaleUpLimit(now, 1, [], [], DEFAULT_SCALE_UP)).toBe(5);
    expect(scaleUpLimit(now, 10, [], [], DEFAULT_SCALE_UP)).toBe(20);
    // 5 -> 10 eight seconds ago: the period began at 5
    expect(scaleUpLimit(now, 10, [{ t: now - 8, change: 5 }], [], DEFAULT_SCALE_UP)).toBe(10);
    // exactly 15 s ago is out of the period (strictly after the cutoff counts)
    expect(scaleUpLimit(now, 10, [{ t: now - 15, change: 5 }], [], DEFAULT_SCALE_UP)).toBe(20);
    // 50 % per 60 s down from 10: at most 5 go, and 3 already went 30 s ago (the period began at 13: trunc(6.5) = 6)
    const half = scaleDownRules({ scaleDownStabilization: 0, scaleDownPercent: 50, scaleDownPeriod: 60 });
    expect(scaleDownLimit(now, 10, [], [], half)).toBe(5);
    expect(scaleDownLimit(now, 10, [], [{ t: now - 30, change: 3 }], half)).toBe(6);
  });
});

describe('HPA: one controller over time', () => {
  const spec = { minReplicas: 1, maxReplicas: 100, target: 1, scaleUp: DEFAULT_SCALE_UP };
  it('by hand: from 1 with 200 messages: 5, 10, 20, 40, 80, 100 every 15 s', () => {
    const hpa = new Hpa({ ...spec, scaleDown: DEFAULT_SCALE_DOWN });
    const seen: number[] = [];
    let current = 1;
    for (let t = 0; t <= 75; t += 15) {
      current = hpa.sync(t, current, current, 200);
      seen.push(current);
    }
    expect(seen).toEqual([5, 10, 20, 40, 80, 100]);
  });
  it('by hand: the scale-down waits out the stabilization window, then drops to the highest recommendation within it', () => {
    const hpa = new Hpa({ ...spec, scaleDown: scaleDownRules({ scaleDownStabilization: 60, scaleDownPercent: 100, scaleDownPeriod: 15 }) });
    expect(hpa.sync(0, 10, 10, 10)).toBe(10);
    expect(hpa.sync(15, 10, 10, 4)).toBe(10); // 10 at 0 is within 60 s
    expect(hpa.sync(30, 10, 10, 2)).toBe(10);
    // 10 (at 0) is exactly 60 s old: out of the window (strictly after the cutoff counts); the highest left is 4 (at 15)
    expect(hpa.sync(60, 10, 10, 2)).toBe(4);
    expect(hpa.sync(75, 4, 4, 2)).toBe(2);
    expect(hpa.sync(90, 2, 2, 0)).toBe(2); // 2 (at 60, 75) within the window
    expect(hpa.sync(150, 2, 2, 0)).toBe(1); // never below minReplicas 1: KEDA takes it to 0
    expect(hpa.sync(165, 0, 0, 50)).toBe(0); // at 0 the HPA is disabled
  });
});

describe('ReplicaSet: which Pods a scale-down removes', () => {
  it('log2 buckets of age in nanoseconds', () => {
    expect([logRank(100, 100), logRank(100, 99), logRank(100, 60), logRank(100, 52.5)]).toEqual([-1, 29, 35, 35]);
  });
  it('pending before running, then the more recently ready (by bucket), then UID; busy or not does not enter', () => {
    const now = 100;
    const pods = [
      { created: 0, readyAt: 5, restarts: 0, uid: 0.5 }, // ready 95 s: bucket 36
      { created: 20, readyAt: 25, restarts: 0, uid: 0.1 }, // 75 s: bucket 36
      { created: 60, readyAt: 65, restarts: 0, uid: 0.9 }, // 35 s: bucket 35
      { created: 98, restarts: 0, uid: 0.7 }, // pending
      { created: 60, readyAt: 66, restarts: 0, uid: 0.2 }, // 34 s: bucket 34
    ];
    expect(podsToDelete(pods, 3, now)).toEqual([3, 4, 2]);
    // same bucket: the lower UID goes first, whatever the age within the bucket
    expect(compareForDeletion(pods[1]!, pods[0]!, now)).toBeLessThan(0);
    expect(podsToDelete(pods, 5, now)).toEqual([0, 1, 2, 3, 4]); // all of them: no ranking
  });
  it('more container restarts go first among Pods equally ready', () => {
    const a = { created: 0, readyAt: 10, restarts: 0, uid: 0.1 };
    const b = { created: 0, readyAt: 10, restarts: 2, uid: 0.9 };
    expect(podsToDelete([a, b], 1, 50)).toEqual([1]);
  });
});

describe('KEDA: 0 <-> 1 for a ScaledObject with minReplicaCount 0', () => {
  it('by hand: active from 0 scales to 1 at once; inactive scales to 0 only after cooldownPeriod', () => {
    const s: { lastActive?: number } = {};
    expect(kedaPoll(s, 0, true, 0, 300)).toBe(1);
    expect(kedaPoll(s, 10, true, 7, 300)).toBe(7); // between 1 and max: the HPA's
    expect(s.lastActive).toBe(10);
    expect(kedaPoll(s, 20, false, 7, 300)).toBe(7);
    expect(kedaPoll(s, 310, false, 1, 300)).toBe(1); // 10 + 300 is not before 310
    expect(kedaPoll(s, 320, false, 1, 300)).toBe(0);
    expect(kedaPoll(s, 330, false, 0, 300)).toBe(0);
  });
});
