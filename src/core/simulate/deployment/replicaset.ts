// Which Pods a ReplicaSet removes when it is scaled down: k8s.io/kubernetes v1.36.3
// pkg/controller/replicaset (getPodsToDelete) sorts its active Pods by controller.ActivePodsWithRanks
// (pkg/controller/controller_utils.go) and deletes the first ones. The ranking knows phases, readiness,
// ages and restarts: not whether a consumer is in the middle of a message. One node, no deletion-cost
// annotations (kedactl sets none), so those steps of the ranking tie.

export interface RankedPod {
  /** seconds: creation */
  created: number;
  /** seconds: became Running (and Ready: the consumer has no readiness probe); undefined while Pending */
  readyAt?: number;
  restarts: number;
  /** stands in for the Pod's UID: the last tie-break of the logarithmic ranking */
  uid: number;
}

/** LogarithmicScaleDown (GA since 1.31): floor(log2(age in nanoseconds)), -1 for an age of 0 */
export function logRank(now: number, since: number): number {
  const ns = (now - since) * 1e9;
  return ns > 0 ? Math.floor(Math.log2(ns)) : -1;
}

/** ActivePodsWithRanks.Less: negative when a goes before b (is deleted first) */
export function compareForDeletion(a: RankedPod, b: RankedPod, now: number): number {
  // PodPending < PodRunning, then not ready < ready (the same thing here)
  const ra = a.readyAt !== undefined;
  const rb = b.readyAt !== undefined;
  if (ra !== rb) return ra ? 1 : -1;
  // both ready: the more recently ready first, by log2 buckets of the time since, then UID
  if (ra && rb && a.readyAt !== b.readyAt) {
    const d = logRank(now, a.readyAt!) - logRank(now, b.readyAt!);
    return d !== 0 ? d : a.uid - b.uid;
  }
  // more container restarts first
  if (a.restarts !== b.restarts) return b.restarts - a.restarts;
  // newer first, by log2 buckets of age, then UID
  if (a.created !== b.created) {
    const d = logRank(now, a.created) - logRank(now, b.created);
    return d !== 0 ? d : a.uid - b.uid;
  }
  return a.uid - b.uid;
}

/** The `n` Pods the ReplicaSet deletes (indexes into `pods`), in its order. */
export function podsToDelete(pods: readonly RankedPod[], n: number, now: number): number[] {
  const order = pods.map((_, i) => i);
  // all of them: no sorting needed (getPodsToDelete)
  if (n < pods.length) order.sort((i, j) => compareForDeletion(pods[i]!, pods[j]!, now));
  return order.slice(0, n);
}
