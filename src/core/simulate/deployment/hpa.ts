// The HPA KEDA creates for a ScaledObject (keda-hpa-<name>), as pure pieces on explicit time. Facts from
// k8s.io/kubernetes v1.36.3 pkg/controller/podautoscaler: replica_calculator.go
// (GetExternalPerPodMetricReplicas: an External metric with an AverageValue target) and horizontal.go
// (reconcileAutoscaler, stabilizeRecommendationWithBehaviors, convertDesiredReplicasWithBehaviorRate,
// calculateScale{Up,Down}Limit...). KEDA's HPA: minReplicas max(1, minReplicaCount), maxReplicas
// maxReplicaCount, the trigger's metric as External/AverageValue = queueLength, the behaviour it is given.

/** the HPA controller's sync period (kube-controller-manager --horizontal-pod-autoscaler-sync-period) */
export const HPA_SYNC_SECONDS = 15;
/** --horizontal-pod-autoscaler-tolerance, both ways */
export const HPA_TOLERANCE = 0.1;

export interface ScalingPolicy {
  type: 'Pods' | 'Percent';
  value: number;
  periodSeconds: number;
}

export interface ScalingRules {
  stabilizationWindowSeconds: number;
  /** Max (the API's default): the policy that allows the largest change */
  selectPolicy: 'Max' | 'Min' | 'Disabled';
  policies: ScalingPolicy[];
}

/** the scale-up rules the API server fills in when the behaviour has none (KEDA passes none) */
export const DEFAULT_SCALE_UP: ScalingRules = {
  stabilizationWindowSeconds: 0,
  selectPolicy: 'Max',
  policies: [
    { type: 'Percent', value: 100, periodSeconds: 15 },
    { type: 'Pods', value: 4, periodSeconds: 15 },
  ],
};

/** the scale-down rules a ScaledObject's advanced.horizontalPodAutoscalerConfig.behavior gives (kedactl renders one Percent policy) */
export function scaleDownRules(s: { scaleDownStabilization: number; scaleDownPercent: number; scaleDownPeriod: number }): ScalingRules {
  return {
    stabilizationWindowSeconds: s.scaleDownStabilization,
    selectPolicy: 'Max',
    policies: [{ type: 'Percent', value: s.scaleDownPercent, periodSeconds: s.scaleDownPeriod }],
  };
}

/**
 * GetExternalPerPodMetricReplicas: usage / (target * statusReplicas) within the tolerance keeps the count,
 * else ceil(usage / target). Values in milli-units, as the metrics API and the target quantity carry them.
 */
export function externalAverageValueReplicas(
  statusReplicas: number,
  usageMilli: number,
  targetMilli: number,
  tolerance = HPA_TOLERANCE,
): number {
  const ratio = usageMilli / (targetMilli * statusReplicas);
  if (1 - tolerance <= ratio && ratio <= 1 + tolerance) return statusReplicas;
  return Math.ceil(usageMilli / targetMilli);
}

/** KEDA's metric for `messages` (GenerateMetricInMili) against a queueLength target: both in milli-units */
export const milli = (x: number) => Math.round(x * 1000);

export interface Recommendation {
  t: number;
  replicas: number;
}

export interface ScaleEvent {
  t: number;
  /** replicas added (scale-up events) or removed (scale-down events) */
  change: number;
}

/**
 * stabilizeRecommendationWithBehaviors: the current count brought within [lowest recommendation in the
 * scale-up window, highest in the scale-down window], the desired count counted in both. Pure: the caller
 * records the new recommendation.
 */
export function stabilize(
  now: number,
  current: number,
  desired: number,
  recommendations: readonly Recommendation[],
  upWindow: number,
  downWindow: number,
): number {
  let up = desired;
  let down = desired;
  for (const r of recommendations) {
    if (r.t > now - upWindow) up = Math.min(up, r.replicas);
    if (r.t > now - downWindow) down = Math.max(down, r.replicas);
  }
  let recommendation = current;
  if (recommendation < up) recommendation = up;
  if (recommendation > down) recommendation = down;
  return recommendation;
}

/** getReplicasChangePerPeriod: the changes of the last periodSeconds (strictly after the cutoff) */
export function changeInPeriod(now: number, periodSeconds: number, events: readonly ScaleEvent[]): number {
  let n = 0;
  for (const e of events) if (e.t > now - periodSeconds) n += e.change;
  return n;
}

/**
 * The replicas the policies allow now, each from the replicas at the start of its period (scale-ups since
 * taken off, scale-downs added back): selectPolicy Max picks the policy that allows the biggest change,
 * Min the smallest.
 */
function policyLimit(
  now: number,
  current: number,
  ups: readonly ScaleEvent[],
  downs: readonly ScaleEvent[],
  rules: ScalingRules,
  up: boolean,
  propose: (start: number, p: ScalingPolicy) => number,
): number {
  if (rules.selectPolicy === 'Disabled') return current;
  const most = (rules.selectPolicy === 'Min') !== up;
  const pick = most ? Math.max : Math.min;
  let result = most ? -Infinity : Infinity;
  for (const p of rules.policies) {
    const start = current - changeInPeriod(now, p.periodSeconds, ups) + changeInPeriod(now, p.periodSeconds, downs);
    result = pick(result, propose(start, p));
  }
  return result;
}

/** calculateScaleUpLimitWithScalingRules: the most replicas the policies allow now */
export function scaleUpLimit(
  now: number,
  current: number,
  ups: readonly ScaleEvent[],
  downs: readonly ScaleEvent[],
  rules: ScalingRules,
): number {
  return policyLimit(now, current, ups, downs, rules, true, (start, p) =>
    p.type === 'Pods' ? start + p.value : Math.ceil(start * (1 + p.value / 100)),
  );
}

/** calculateScaleDownLimitWithBehaviors: the fewest replicas the policies allow now */
export function scaleDownLimit(
  now: number,
  current: number,
  ups: readonly ScaleEvent[],
  downs: readonly ScaleEvent[],
  rules: ScalingRules,
): number {
  // Go's int32(float64) truncates toward zero
  return policyLimit(now, current, ups, downs, rules, false, (start, p) =>
    p.type === 'Pods' ? start - p.value : Math.trunc(start * (1 - p.value / 100)),
  );
}

export interface RateArgs {
  now: number;
  current: number;
  desired: number;
  min: number;
  max: number;
  scaleUp: ScalingRules;
  scaleDown: ScalingRules;
  ups: readonly ScaleEvent[];
  downs: readonly ScaleEvent[];
}

export type RateReason = 'DesiredWithinRange' | 'ScaleUpLimit' | 'TooManyReplicas' | 'ScaleDownLimit' | 'TooFewReplicas';

/** convertDesiredReplicasWithBehaviorRate: the stabilized count held to the policies' rate and [min, max] */
export function limitRate(a: RateArgs): [number, RateReason] {
  if (a.desired > a.current) {
    const limit = Math.max(a.current, scaleUpLimit(a.now, a.current, a.ups, a.downs, a.scaleUp));
    const [allowed, reason]: [number, RateReason] = a.max > limit ? [limit, 'ScaleUpLimit'] : [a.max, 'TooManyReplicas'];
    if (a.desired > allowed) return [allowed, reason];
  } else if (a.desired < a.current) {
    const limit = Math.min(a.current, scaleDownLimit(a.now, a.current, a.ups, a.downs, a.scaleDown));
    const [allowed, reason]: [number, RateReason] = a.min < limit ? [limit, 'ScaleDownLimit'] : [a.min, 'TooFewReplicas'];
    if (a.desired < allowed) return [allowed, reason];
  }
  return [a.desired, 'DesiredWithinRange'];
}

export interface HpaSpec {
  minReplicas: number;
  maxReplicas: number;
  /** the metric's AverageValue target (queueLength) */
  target: number;
  scaleUp: ScalingRules;
  scaleDown: ScalingRules;
}

/** One HPA with the controller's memory of it: recommendations and scale events. */
export class Hpa {
  private recommendations: Recommendation[] | undefined;
  private ups: ScaleEvent[] = [];
  private downs: ScaleEvent[] = [];
  constructor(readonly spec: HpaSpec) {}

  /**
   * One reconcile at `now`: the Deployment's spec replicas and the External metric (messages) in, the
   * replicas to set out (the same number when it leaves the target alone).
   */
  sync(now: number, current: number, statusReplicas: number, messages: number): number {
    const s = this.spec;
    this.recommendations ??= [{ t: now, replicas: current }]; // recordInitialRecommendation
    // at 0 the HPA is disabled (ScalingDisabled): KEDA owns 0 <-> 1
    if (current === 0) return 0;
    if (current > s.maxReplicas) return this.store(now, current, s.maxReplicas);
    if (current < s.minReplicas) return this.store(now, current, s.minReplicas);
    const proposed = externalAverageValueReplicas(statusReplicas, milli(messages), milli(s.target));
    const desired = Math.max(0, proposed);
    const stabilized = stabilize(
      now,
      current,
      desired,
      this.recommendations,
      s.scaleUp.stabilizationWindowSeconds,
      s.scaleDown.stabilizationWindowSeconds,
    );
    // record the unstabilized recommendation; forget those out of both windows
    const keep = Math.max(s.scaleUp.stabilizationWindowSeconds, s.scaleDown.stabilizationWindowSeconds);
    this.recommendations = this.recommendations.filter((r) => r.t >= now - keep);
    this.recommendations.push({ t: now, replicas: desired });
    const [next] = limitRate({
      now,
      current,
      desired: stabilized,
      min: s.minReplicas,
      max: s.maxReplicas,
      scaleUp: s.scaleUp,
      scaleDown: s.scaleDown,
      ups: this.ups,
      downs: this.downs,
    });
    return this.store(now, current, next);
  }

  private store(now: number, current: number, next: number): number {
    if (next === current) return next;
    const longest = (r: ScalingRules) => Math.max(0, ...r.policies.map((p) => p.periodSeconds));
    if (next > current) {
      this.ups = this.ups.filter((e) => e.t >= now - longest(this.spec.scaleUp));
      this.ups.push({ t: now, change: next - current });
    } else {
      this.downs = this.downs.filter((e) => e.t >= now - longest(this.spec.scaleDown));
      this.downs.push({ t: now, change: current - next });
    }
    return next;
  }
}
