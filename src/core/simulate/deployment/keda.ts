// KEDA's part for a ScaledObject with minReplicaCount 0, once per pollingInterval: the facts from KEDA
// 2.20.2 pkg/scaling/executor/scale_scaledobjects.go (RequestScale, scaleFromZeroOrIdle,
// scaleToZeroOrIdle). KEDA owns 0 <-> 1; between 1 and maxReplicaCount the HPA decides.

export interface ScaledObjectState {
  /** seconds: the last poll that found the trigger active (status.lastActiveTime) */
  lastActive?: number;
}

/**
 * One poll: the trigger's activity and the Deployment's replicas in, the replicas KEDA sets (the same
 * number when it leaves them to the HPA). Updates lastActive.
 */
export function kedaPoll(state: ScaledObjectState, now: number, active: boolean, replicas: number, cooldownPeriod: number): number {
  if (active) {
    state.lastActive = now;
    // from zero: to minReplicaCount, or 1
    return replicas === 0 ? 1 : replicas;
  }
  // inactive for longer than cooldownPeriod (strictly, time.Before): to minReplicaCount 0
  // (never active: initialCooldownPeriod 0 after creation, also 0)
  if (replicas > 0 && (state.lastActive === undefined || state.lastActive + cooldownPeriod < now)) return 0;
  return replicas;
}
