// The one way kedactl reads Kubernetes state: pure functions over API objects as the server returns them
// (from get, list or a watch). status, watch (and doctor) share them, so they never disagree.

/** The fields read here; a KubeObject and a watch's raw object both fit. */
export interface ApiObject {
  kind?: string;
  metadata?: { name?: string; namespace?: string; uid?: string; creationTimestamp?: string; labels?: Record<string, string> };
  status?: unknown;
  spec?: unknown;
  [k: string]: unknown;
}

export interface Condition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
}

export function conditionsOf(o: ApiObject | undefined): Condition[] {
  return ((o?.status as { conditions?: Condition[] } | undefined)?.conditions ?? []).filter((c) => c && typeof c.type === 'string');
}

export function conditionOf(o: ApiObject | undefined, type: string): Condition | undefined {
  return conditionsOf(o).find((c) => c.type === type);
}

/** "True (Reason: message)" */
export function describeCondition(c: Condition): string {
  return `${c.status}${c.reason ? ` (${c.reason}${c.message ? `: ${c.message}` : ''})` : ''}`;
}

/** "Kind ns/name", "Kind name" for cluster-scoped objects. */
export function objectLabel(ref: { kind: string; namespace?: string; name?: string }): string {
  return `${ref.kind} ${ref.namespace ? `${ref.namespace}/` : ''}${ref.name ?? ''}`.trim();
}

/** objectLabel of an object (its kind and metadata) */
export function labelOf(o: { kind: string; metadata: { name: string; namespace?: string } }): string {
  return objectLabel({ kind: o.kind, namespace: o.metadata.namespace, name: o.metadata.name });
}

// ---------------------------------------------------------------------------------------------
// Jobs

export type JobPhase = 'active' | 'succeeded' | 'failed';

/**
 * By the Job's terminal conditions, as KEDA counts running Jobs: a Job is active until Complete or
 * Failed is True. Counters alone mislead: `failed: 1` on a Job that still retries is not a failed Job.
 */
export function jobPhase(job: ApiObject): JobPhase {
  const done = (t: string) => conditionOf(job, t)?.status === 'True';
  return done('Complete') ? 'succeeded' : done('Failed') ? 'failed' : 'active';
}

export function countJobPhases(jobs: Iterable<ApiObject>): Record<JobPhase, number> {
  const n = { active: 0, succeeded: 0, failed: 0 };
  for (const j of jobs) n[jobPhase(j)]++;
  return n;
}

// ---------------------------------------------------------------------------------------------
// ScaledJob

export interface ScaledJobHealth {
  /** undefined: KEDA has not reported the condition (yet) */
  ready?: boolean;
  active?: boolean;
  readyCondition?: Condition;
  activeCondition?: Condition;
  /** Ready=False, or a Fallback in use, in words */
  problem?: string;
}

export function scaledJobHealth(sj: ApiObject): ScaledJobHealth {
  const ready = conditionOf(sj, 'Ready');
  const active = conditionOf(sj, 'Active');
  const bad = ready?.status === 'False' ? ready : conditionsOf(sj).find((c) => c.type === 'Fallback' && c.status === 'True');
  return {
    ready: ready ? ready.status === 'True' : undefined,
    active: active ? active.status === 'True' : undefined,
    readyCondition: ready,
    activeCondition: active,
    problem: bad ? `${bad.type}=${bad.status}${bad.reason ? ` ${bad.reason}` : ''}${bad.message ? `: ${bad.message}` : ''}` : undefined,
  };
}

/** A ScaledObject reports the same Ready / Active / Fallback conditions as a ScaledJob. */
export const scalerHealth = scaledJobHealth;

// ---------------------------------------------------------------------------------------------
// Deployment and HPA (the deployment workload)

export interface DeploymentReplicas {
  /** spec.replicas: what the HPA (or KEDA, at 0 and 1) last asked for */
  desired: number;
  /** Pods of the Deployment that exist (status.replicas) */
  current: number;
  ready: number;
}

export function deploymentReplicas(d: ApiObject): DeploymentReplicas {
  const spec = (d.spec ?? {}) as { replicas?: number };
  const status = (d.status ?? {}) as { replicas?: number; readyReplicas?: number };
  // the API server defaults spec.replicas to 1 when a Deployment is created without it
  return { desired: spec.replicas ?? 1, current: status.replicas ?? 0, ready: status.readyReplicas ?? 0 };
}

export interface HpaHealth {
  /** undefined until the HPA controller has looked at it */
  current?: number;
  desired?: number;
  min?: number;
  max?: number;
  conditions: Condition[];
  /** AbleToScale=False, or ScalingActive=False for another reason than a target at 0 replicas, in words */
  problem?: string;
  /** ScalingLimited=True (at max, at min, or a rate policy): not a fault, worth showing */
  limited?: string;
}

const inWords = (c: Condition) => `${c.type}=${c.status}${c.reason ? ` ${c.reason}` : ''}${c.message ? `: ${c.message}` : ''}`;

/**
 * The HPA KEDA made for a ScaledObject. ScalingActive=False ScalingDisabled is its normal state while KEDA
 * holds the Deployment at 0 (minReplicaCount 0): the HPA only acts from 1 replica up.
 */
export function hpaHealth(hpa: ApiObject): HpaHealth {
  const spec = (hpa.spec ?? {}) as { minReplicas?: number; maxReplicas?: number };
  const status = (hpa.status ?? {}) as { currentReplicas?: number; desiredReplicas?: number };
  const conditions = conditionsOf(hpa);
  const able = conditions.find((c) => c.type === 'AbleToScale');
  const active = conditions.find((c) => c.type === 'ScalingActive');
  const limited = conditions.find((c) => c.type === 'ScalingLimited' && c.status === 'True');
  const bad = able?.status === 'False' ? able : active?.status === 'False' && active.reason !== 'ScalingDisabled' ? active : undefined;
  return {
    current: status.currentReplicas,
    desired: status.desiredReplicas,
    min: spec.minReplicas,
    max: spec.maxReplicas,
    conditions,
    ...(bad ? { problem: inWords(bad) } : {}),
    ...(limited ? { limited: inWords(limited) } : {}),
  };
}

// ---------------------------------------------------------------------------------------------
// Events (core/v1 Events and events.k8s.io/v1 both)

export interface RawEvent extends ApiObject {
  involvedObject?: { kind?: string; name?: string; namespace?: string };
  regarding?: { kind?: string; name?: string; namespace?: string };
  type?: string;
  reason?: string;
  message?: string;
  note?: string;
  count?: number;
  lastTimestamp?: string;
  eventTime?: string;
  series?: { lastObservedTime?: string; count?: number };
}

const time = (t: unknown): number => (typeof t === 'string' ? Date.parse(t) || 0 : 0);

/** the object an event is about */
export function eventSubject(e: RawEvent): { kind?: string; name?: string; namespace?: string } {
  return e.involvedObject ?? e.regarding ?? {};
}

/** when it last happened (ms since epoch; 0 when it says nothing) */
export function eventTime(e: RawEvent): number {
  return time(e.series?.lastObservedTime) || time(e.lastTimestamp) || time(e.eventTime) || time(e.metadata?.creationTimestamp);
}

export function eventCount(e: RawEvent): number {
  return e.series?.count ?? e.count ?? 1;
}

export function eventMessage(e: RawEvent): string {
  return (e.message ?? e.note ?? '').replace(/\s+/g, ' ').trim();
}

/**
 * KEDA's own cancellation, not a failure: when it handles a ScaledJob again (created, changed, its finalizer
 * added) it cancels that ScaledJob's running scale loop (KEDA v2.21 pkg/scaling/scale_handler.go), and a poll
 * in flight ends "context canceled", reported as a KEDAScalerFailed Warning and an error line like any other.
 */
export const kedaSelfCancellation = (message: string): boolean => /context canceled/.test(message);

/** The Warning events about one object that report a problem (not KEDA's own cancellations), oldest first. */
export function warningsAbout(events: Iterable<RawEvent>, subject: { kind: string; name: string }): RawEvent[] {
  return [...events]
    .filter(
      (e) =>
        e.type === 'Warning' &&
        eventSubject(e).kind === subject.kind &&
        eventSubject(e).name === subject.name &&
        !kedaSelfCancellation(eventMessage(e)),
    )
    .sort((a, b) => eventTime(a) - eventTime(b));
}

/** "Reason: message" of the newest warning about the object */
export function lastWarning(events: Iterable<RawEvent>, subject: { kind: string; name: string }): string | undefined {
  const last = warningsAbout(events, subject).at(-1);
  return last ? `${last.reason}: ${last.message ?? last.note ?? ''}` : undefined;
}

// ---------------------------------------------------------------------------------------------
// KEDA

/** The KEDA version of its operator Deployment: its version label, else its image's tag. */
export function kedaVersionOf(operator: ApiObject | undefined): string | undefined {
  if (!operator) return undefined;
  const label = operator.metadata?.labels?.['app.kubernetes.io/version'];
  if (label) return label;
  const image =
    (operator.spec as { template?: { spec?: { containers?: Array<{ image?: string }> } } } | undefined)?.template?.spec?.containers?.[0]
      ?.image ?? '';
  return /:v?(\d+\.\d+\.\d+)/.exec(image)?.[1];
}
