// What `kedactl watch` knows at one moment: plain data, changed only by the pure reducer below.
// Raw Kubernetes objects are reduced to small rows on arrival, so 1,000 Pods cost little memory.
import {
  deploymentReplicas,
  eventCount,
  eventMessage,
  eventSubject,
  eventTime,
  hpaHealth,
  jobPhase,
  scaledJobHealth,
  type JobPhase,
  type RawEvent,
} from '../kube/state.js';
import type { ObservedKind } from '../workloads/types.js';

/** The things a watch can watch, one connection each: the Pods, the events, and what the workload observes. */
export type Kind = 'pods' | 'events' | ObservedKind;
/** The job workload's kinds (the default, and the order its connections open in). */
export const KINDS = ['pods', 'jobs', 'scaledJob', 'events'] as const satisfies readonly Kind[];

export type PodPhase = 'Pending' | 'Running' | 'Succeeded' | 'Failed' | 'Unknown';

export interface PodRow {
  name: string;
  phase: PodPhase;
  /** ms since epoch */
  createdAt: number;
  restarts: number;
  node?: string;
  /** deletionTimestamp is set */
  terminating: boolean;
}

export type JobState = JobPhase;

export interface JobRow {
  name: string;
  state: JobState;
  createdAt: number;
}

export interface EventRow {
  /** uid + count, so a repeated event moves to the top */
  key: string;
  at: number;
  type: string;
  reason: string;
  object: string;
  message: string;
  count: number;
}

/** a ScaledJob or a ScaledObject */
export interface ScalerView {
  exists: boolean;
  ready?: boolean;
  active?: boolean;
  /** a condition that is not fine, in words */
  problem?: string;
}
export type ScaledJobView = ScalerView;

export interface DeploymentView {
  exists: boolean;
  /** spec.replicas */
  desired?: number;
  ready?: number;
}

/** the HPA KEDA made for the ScaledObject */
export interface HpaView {
  exists: boolean;
  current?: number;
  desired?: number;
  max?: number;
  /** AbleToScale / ScalingActive not fine, in words */
  problem?: string;
  /** ScalingLimited=True, in words */
  limited?: string;
}

export type ConnState = 'connecting' | 'live' | 'reconnecting' | 'missing';

export interface Connection {
  state: ConnState;
  since: number;
  /** why not live */
  error?: string;
  /** the initial list arrived at least once */
  synced: boolean;
}

export interface QueueNumbers {
  visible: number;
  inFlight: number;
  delayed: number;
  deadLetter?: number;
}

export interface QueueView {
  numbers?: QueueNumbers;
  /** when numbers were read */
  at?: number;
  /** reads in a row (the last one included) that found the queue empty, and when the first of them was */
  emptyReads?: number;
  emptySince?: number;
  /** set while the last read failed: numbers (if any) are old */
  error?: string;
}

export interface ResultsView {
  processed?: number;
  killed?: number;
  at?: number;
  error?: string;
}

export interface Sample {
  at: number;
  /** visible + in flight; undefined when unknown */
  queue?: number;
  running: number;
}

export interface WatchState {
  /** the kinds watched, in the order their connections open (connections has exactly these) */
  watched: readonly Kind[];
  pods: ReadonlyMap<string, PodRow>;
  jobs: ReadonlyMap<string, JobRow>;
  scaledJob: ScalerView;
  scaledObject: ScalerView;
  deployment: DeploymentView;
  hpa: HpaView;
  /** newest first, at most MAX_EVENTS */
  events: readonly EventRow[];
  connections: Readonly<Record<'pods' | 'events', Connection> & Partial<Record<ObservedKind, Connection>>>;
  queue: QueueView;
  results: ResultsView;
  /** oldest first, at most MAX_SAMPLES */
  history: readonly Sample[];
  /** bumped on every change that shows */
  version: number;
}

export const MAX_EVENTS = 20;
export const MAX_SAMPLES = 600;

export function initialState(now: number, kinds: readonly Kind[] = KINDS): WatchState {
  const conn: Connection = { state: 'connecting', since: now, synced: false };
  const watched = kinds.includes('pods') && kinds.includes('events') ? kinds : (['pods', ...kinds, 'events'] as Kind[]);
  return {
    watched,
    pods: new Map(),
    jobs: new Map(),
    scaledJob: { exists: false },
    scaledObject: { exists: false },
    deployment: { exists: false },
    hpa: { exists: false },
    events: [],
    connections: Object.fromEntries(watched.map((k) => [k, conn])) as WatchState['connections'],
    queue: {},
    results: {},
    history: [],
    version: 0,
  };
}

// ---------------------------------------------------------------------------------------------
// Actions

/** A Kubernetes object as it arrives from list or watch (only the fields read here). */
export type RawObject = {
  metadata?: { name?: string; uid?: string; creationTimestamp?: string; deletionTimestamp?: string };
  [k: string]: unknown;
};

export type Action =
  /** a full (re-)list: replaces everything known of that kind */
  | { type: 'listed'; kind: Kind; items: RawObject[]; at: number }
  | { type: 'changed'; kind: Kind; event: 'ADDED' | 'MODIFIED' | 'DELETED'; object: RawObject; at: number }
  | { type: 'connection'; kind: Kind; state: ConnState; error?: string; at: number }
  | { type: 'queue'; numbers: QueueNumbers; at: number }
  | { type: 'queueError'; error: string; at: number }
  | { type: 'results'; processed: number; killed: number; at: number }
  | { type: 'resultsError'; error: string; at: number }
  /** take one chart sample */
  | { type: 'sample'; at: number };

export interface ReduceContext {
  /** events about objects whose name starts with this (the ScaledJob's Jobs and Pods; the Deployment's ReplicaSets and Pods) are kept */
  scaledJob: string;
  /** events about objects of these names too (the HPA) */
  related?: readonly string[];
  /** the kinds watched (default KINDS, the job workload's) */
  kinds?: readonly Kind[];
}

export function reduce(s: WatchState, a: Action, ctx: ReduceContext): WatchState {
  switch (a.type) {
    case 'listed':
      return bump(listed(s, a.kind, a.items, ctx, a.at));
    case 'changed': {
      const next = changed(s, a.kind, a.event, a.object, ctx, a.at);
      return next === s ? s : bump(next);
    }
    case 'connection': {
      const old = s.connections[a.kind];
      if (!old) return s;
      if (old.state === a.state && old.error === a.error) return s;
      const conn: Connection = { state: a.state, since: old.state === a.state ? old.since : a.at, error: a.error, synced: old.synced };
      return bump({ ...s, connections: { ...s.connections, [a.kind]: conn } });
    }
    case 'queue': {
      const empty = a.numbers.visible + a.numbers.inFlight + a.numbers.delayed === 0;
      const emptyReads = empty ? (s.queue.emptyReads ?? 0) + 1 : 0;
      const emptySince = empty ? (emptyReads > 1 ? s.queue.emptySince : a.at) : undefined;
      return bump({ ...s, queue: { numbers: a.numbers, at: a.at, ...(empty ? { emptyReads, emptySince } : {}) } });
    }
    case 'queueError':
      // a failed read breaks a run of empty reads: nothing is known of the time between
      return bump({ ...s, queue: { numbers: s.queue.numbers, at: s.queue.at, error: a.error } });
    case 'results':
      return bump({ ...s, results: { processed: a.processed, killed: a.killed, at: a.at } });
    case 'resultsError':
      return s.results.error === a.error ? s : bump({ ...s, results: { ...s.results, error: a.error } });
    case 'sample': {
      const n = s.queue.numbers;
      const fresh = n && s.queue.error === undefined;
      const sample: Sample = { at: a.at, queue: fresh ? n.visible + n.inFlight : undefined, running: runningConsumers(s) };
      const history =
        s.history.length >= MAX_SAMPLES ? [...s.history.slice(s.history.length - MAX_SAMPLES + 1), sample] : [...s.history, sample];
      return bump({ ...s, history });
    }
  }
}

/**
 * Fold many actions at once. Same result as reducing them one by one, but the Pods and Jobs maps are
 * copied once per batch rather than once per watch event: at 100 events a second over 1,000 Pods the
 * per-event copies were most of the watch's garbage (and so of its memory).
 */
export function reduceAll(s: WatchState, actions: readonly Action[], ctx: ReduceContext): WatchState {
  const drafts = new Set<ReadonlyMap<string, unknown>>(); // maps made by this call, so it may change them
  let next = s;
  let changes = 0;
  for (const a of actions) {
    if (a.type !== 'changed' || (a.kind !== 'pods' && a.kind !== 'jobs')) {
      next = reduce(next, a, ctx);
      continue;
    }
    const name = a.object.metadata?.name;
    if (!name) continue;
    const current = next[a.kind] as Map<string, PodRow | JobRow>;
    const row = a.event === 'DELETED' ? undefined : a.kind === 'pods' ? podRow(a.object) : jobRow(a.object);
    if (row ? sameRow(current.get(name), row) : !current.has(name)) continue;
    let draft = current;
    if (!drafts.has(current)) {
      draft = new Map(current);
      drafts.add(draft);
      next = { ...next, [a.kind]: draft };
    }
    if (row) draft.set(name, row);
    else draft.delete(name);
    changes++;
  }
  return changes ? { ...next, version: next.version + changes } : next;
}

const bump = (s: WatchState): WatchState => ({ ...s, version: s.version + 1 });

function synced(s: WatchState, kind: Kind, at: number): WatchState['connections'] {
  const old = s.connections[kind];
  return { ...s.connections, [kind]: { state: 'live', since: old?.state === 'live' ? old.since : at, synced: true } };
}

function listed(s: WatchState, kind: Kind, items: RawObject[], ctx: ReduceContext, at: number): WatchState {
  const connections = synced(s, kind, at);
  switch (kind) {
    case 'pods':
      return {
        ...s,
        connections,
        pods: new Map(
          items.map((o) => {
            const p = podRow(o);
            return [p.name, p] as const;
          }),
        ),
      };
    case 'jobs':
      return {
        ...s,
        connections,
        jobs: new Map(
          items.map((o) => {
            const j = jobRow(o);
            return [j.name, j] as const;
          }),
        ),
      };
    case 'scaledJob':
      return { ...s, connections, scaledJob: items[0] ? scaledJobView(items[0]) : { exists: false } };
    case 'scaledObject':
      return { ...s, connections, scaledObject: items[0] ? scaledJobView(items[0]) : { exists: false } };
    case 'deployment':
      return { ...s, connections, deployment: items[0] ? deploymentView(items[0]) : { exists: false } };
    case 'hpa':
      return { ...s, connections, hpa: items[0] ? hpaView(items[0]) : { exists: false } };
    case 'events': {
      const rows = items
        .filter((o) => relevantEvent(o, ctx))
        .map(eventRow)
        .sort((a, b) => b.at - a.at)
        .slice(0, MAX_EVENTS);
      return { ...s, connections, events: rows };
    }
  }
}

function changed(
  s: WatchState,
  kind: Kind,
  event: 'ADDED' | 'MODIFIED' | 'DELETED',
  o: RawObject,
  ctx: ReduceContext,
  _at: number,
): WatchState {
  const name = o.metadata?.name;
  if (!name) return s;
  switch (kind) {
    case 'pods': {
      const pods = new Map(s.pods);
      if (event === 'DELETED') {
        if (!pods.delete(name)) return s;
      } else {
        const row = podRow(o);
        if (sameRow(pods.get(name), row)) return s;
        pods.set(name, row);
      }
      return { ...s, pods };
    }
    case 'jobs': {
      const jobs = new Map(s.jobs);
      if (event === 'DELETED') {
        if (!jobs.delete(name)) return s;
      } else {
        const row = jobRow(o);
        if (sameRow(jobs.get(name), row)) return s;
        jobs.set(name, row);
      }
      return { ...s, jobs };
    }
    case 'scaledJob':
      return { ...s, scaledJob: event === 'DELETED' ? { exists: false } : scaledJobView(o) };
    case 'scaledObject':
      return { ...s, scaledObject: event === 'DELETED' ? { exists: false } : scaledJobView(o) };
    case 'deployment':
      return { ...s, deployment: event === 'DELETED' ? { exists: false } : deploymentView(o) };
    case 'hpa':
      return { ...s, hpa: event === 'DELETED' ? { exists: false } : hpaView(o) };
    case 'events': {
      if (event === 'DELETED' || !relevantEvent(o, ctx)) return s;
      const row = eventRow(o);
      const uid = o.metadata?.uid ?? name;
      const rest = s.events.filter((e) => !e.key.startsWith(uid + '/'));
      return { ...s, events: [row, ...rest].sort((a, b) => b.at - a.at).slice(0, MAX_EVENTS) };
    }
  }
}

function sameRow<T extends object>(a: T | undefined, b: T): boolean {
  if (!a) return false;
  for (const k of Object.keys(b) as Array<keyof T>) if (a[k] !== b[k]) return false;
  return true;
}

// ---------------------------------------------------------------------------------------------
// Rows from raw objects

const time = (t: unknown): number => (typeof t === 'string' ? Date.parse(t) || 0 : 0);

export function podRow(o: RawObject): PodRow {
  const status = (o.status ?? {}) as { phase?: string; containerStatuses?: Array<{ restartCount?: number }> };
  const spec = (o.spec ?? {}) as { nodeName?: string };
  const phase = (
    ['Pending', 'Running', 'Succeeded', 'Failed'].includes(status.phase ?? '') ? status.phase : status.phase ? 'Unknown' : 'Pending'
  ) as PodPhase;
  return {
    name: o.metadata?.name ?? '',
    phase,
    createdAt: time(o.metadata?.creationTimestamp),
    restarts: (status.containerStatuses ?? []).reduce((n, c) => n + (c.restartCount ?? 0), 0),
    node: spec.nodeName,
    terminating: Boolean(o.metadata?.deletionTimestamp),
  };
}

export function jobRow(o: RawObject): JobRow {
  return { name: o.metadata?.name ?? '', state: jobPhase(o), createdAt: time(o.metadata?.creationTimestamp) };
}

/** a ScaledJob's or a ScaledObject's view (the same conditions) */
export function scaledJobView(o: RawObject): ScalerView {
  const { ready, active, problem } = scaledJobHealth(o);
  return { exists: true, ready, active, problem };
}

export function deploymentView(o: RawObject): DeploymentView {
  const r = deploymentReplicas(o);
  return { exists: true, desired: r.desired, ready: r.ready };
}

export function hpaView(o: RawObject): HpaView {
  const h = hpaHealth(o);
  return {
    exists: true,
    current: h.current,
    desired: h.desired,
    max: h.max,
    ...(h.problem ? { problem: h.problem } : {}),
    ...(h.limited ? { limited: h.limited } : {}),
  };
}

function relevantEvent(o: RawObject, ctx: ReduceContext): boolean {
  const name = eventSubject(o as RawEvent).name ?? '';
  return name === ctx.scaledJob || name.startsWith(ctx.scaledJob + '-') || (ctx.related?.includes(name) ?? false);
}

export function eventRow(o: RawObject): EventRow {
  const e = o as RawEvent;
  const obj = eventSubject(e);
  const count = eventCount(e);
  return {
    key: `${o.metadata?.uid ?? o.metadata?.name}/${count}`,
    at: eventTime(e),
    type: e.type ?? 'Normal',
    reason: e.reason ?? '',
    object: `${obj.kind ?? ''}/${obj.name ?? ''}`,
    message: eventMessage(e),
    count,
  };
}

// ---------------------------------------------------------------------------------------------
// Derived numbers

export function countJobs(s: WatchState): Record<JobState, number> {
  const n = { active: 0, succeeded: 0, failed: 0 };
  for (const j of s.jobs.values()) n[j.state]++;
  return n;
}

export function countPods(s: WatchState): { pending: number; running: number; terminating: number; succeeded: number; failed: number } {
  const n = { pending: 0, running: 0, terminating: 0, succeeded: 0, failed: 0 };
  for (const p of s.pods.values()) {
    if (p.terminating) n.terminating++;
    else if (p.phase === 'Pending' || p.phase === 'Unknown') n.pending++;
    else if (p.phase === 'Running') n.running++;
    else if (p.phase === 'Succeeded') n.succeeded++;
    else n.failed++;
  }
  return n;
}

/** What the chart plots against the queue: active Jobs when Jobs are watched, else running consumer Pods. */
export function runningConsumers(s: WatchState): number {
  return s.connections.jobs ? countJobs(s).active : countPods(s).running;
}

/** Pods newest first (for the table). */
export function podsNewestFirst(s: WatchState): PodRow[] {
  return [...s.pods.values()].sort((a, b) => b.createdAt - a.createdAt || (a.name < b.name ? 1 : -1));
}
