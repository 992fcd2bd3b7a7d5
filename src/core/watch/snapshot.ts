// The numbers of a WatchState as one plain object: what -o ndjson prints, what --until-empty checks,
// and what the screen shows. Old numbers carry their age, so nothing stale passes for live.
import { countJobs, countPods, type ConnState, type HpaView, type Kind, type QueueNumbers, type WatchState } from './state.js';

/** numbers older than this (or from a failing source) are marked stale */
export const STALE_AFTER_MS = 10_000;

export interface Snapshot {
  time: string;
  queue: (QueueNumbers & { ageSeconds: number; stale: boolean }) | null;
  queueError?: string;
  /** the job workload */
  jobs?: { active: number; succeeded: number; failed: number };
  /** the deployment workload: the consumer Deployment's replicas and its HPA's */
  deployment?: { exists: boolean; desired?: number; ready?: number };
  hpa?: HpaView;
  pods: { pending: number; running: number; terminating: number; succeeded: number; failed: number };
  results: { processed: number; killed: number; ageSeconds: number; stale: boolean } | null;
  resultsError?: string;
  scaledJob?: ScalerSnapshot;
  scaledObject?: ScalerSnapshot;
  connection: 'live' | 'connecting' | 'reconnecting';
  /** kinds that are not live, with why */
  notLive?: Partial<Record<Kind, { state: ConnState; error?: string }>>;
}

export interface ScalerSnapshot {
  exists: boolean;
  ready?: boolean;
  active?: boolean;
  problem?: string;
}

export interface SnapshotOptions {
  /** ms; the queue is expected every interval, so it is stale after max(STALE_AFTER_MS, 3 intervals) */
  queueIntervalMs?: number;
  resultsIntervalMs?: number;
}

function age(now: number, at: number | undefined): number {
  return at === undefined ? 0 : Math.max(0, Math.round((now - at) / 1000));
}

const SCALERS: readonly Kind[] = ['scaledJob', 'scaledObject'];

/** the kinds whose watch must be live for the counts to be true: what runs the Pods (Jobs, the Deployment), then the Pods */
export function consumerKinds(s: WatchState): Kind[] {
  return (['jobs', 'deployment', 'pods'] as const).filter((k) => s.watched.includes(k));
}

export function overallConnection(s: WatchState): Snapshot['connection'] {
  // a scaler kind that is not served (KEDA's CRDs missing) is shown on its own line, not as "connecting"
  const states = s.watched
    .map((k) => [k, s.connections[k]!] as const)
    .filter(([k, c]) => !SCALERS.includes(k) || c.state !== 'missing')
    .map(([, c]) => c);
  if (states.some((c) => c.state === 'reconnecting')) return 'reconnecting';
  if (states.some((c) => c.state === 'connecting')) return 'connecting';
  return 'live';
}

export function snapshot(s: WatchState, now: number, o: SnapshotOptions = {}): Snapshot {
  const queueStaleMs = Math.max(STALE_AFTER_MS, 3 * (o.queueIntervalMs ?? 2000));
  const resultsStaleMs = Math.max(STALE_AFTER_MS, 3 * (o.resultsIntervalMs ?? 5000));
  const q = s.queue;
  const r = s.results;
  const notLive: Snapshot['notLive'] = {};
  for (const k of s.watched) {
    const c = s.connections[k]!;
    if (c.state !== 'live') notLive[k] = c.error ? { state: c.state, error: c.error } : { state: c.state };
  }
  return {
    time: new Date(now).toISOString(),
    queue: q.numbers
      ? { ...q.numbers, ageSeconds: age(now, q.at), stale: q.error !== undefined || now - (q.at ?? 0) > queueStaleMs }
      : null,
    ...(q.error ? { queueError: q.error } : {}),
    ...(s.connections.jobs ? { jobs: countJobs(s) } : {}),
    ...(s.connections.deployment ? { deployment: { ...s.deployment } } : {}),
    ...(s.connections.hpa ? { hpa: { ...s.hpa } } : {}),
    pods: countPods(s),
    results:
      r.processed !== undefined
        ? {
            processed: r.processed,
            killed: r.killed ?? 0,
            ageSeconds: age(now, r.at),
            stale: r.error !== undefined || now - (r.at ?? 0) > resultsStaleMs,
          }
        : null,
    ...(r.error ? { resultsError: r.error } : {}),
    ...(s.connections.scaledJob ? { scaledJob: { ...s.scaledJob } } : {}),
    ...(s.connections.scaledObject ? { scaledObject: { ...s.scaledObject } } : {}),
    connection: overallConnection(s),
    ...(Object.keys(notLive).length ? { notLive } : {}),
  };
}

/** The part of a snapshot that, when it changes, is worth a new NDJSON line (not the clock or ages). */
export function changeKey(x: Snapshot): string {
  const { time: _t, queue, results, ...rest } = x;
  const q = queue ? { ...queue, ageSeconds: undefined } : null;
  const r = results ? { ...results, ageSeconds: undefined } : null;
  return JSON.stringify({ ...rest, queue: q, results: r });
}

/**
 * --until-empty: the queue, read fresh since `since`, holds nothing (visible, in flight, delayed) and the
 * Pods' watch and their owners' (Jobs, or the Deployment) are live, and then:
 * - Jobs watched: no active Job (a Job shows its work until it ends);
 * - otherwise (consumer Pods of a Deployment, which stay up after their work until KEDA's cooldown and the
 *   HPA remove them): the queue was empty on two reads in a row since `since`, one poll apart. A busy
 *   consumer holds its message in flight, and SQS's approximate counts may lag a moment: one read of 0 is
 *   not enough to call it done. Idle Pods still running do not count against it.
 */
export function drained(s: WatchState, since: number): boolean {
  const q = s.queue;
  if (!q.numbers || q.error !== undefined || (q.at ?? 0) < since) return false;
  if (q.numbers.visible + q.numbers.inFlight + q.numbers.delayed > 0) return false;
  for (const k of consumerKinds(s)) if (!s.connections[k]!.synced || s.connections[k]!.state !== 'live') return false;
  if (s.connections.jobs) return countJobs(s).active === 0;
  return (q.emptyReads ?? 0) >= 2 && (q.emptySince ?? 0) >= since;
}

/** One line for humans when there is no terminal (-o text, piped). */
export function summaryLine(x: Snapshot): string {
  const q = x.queue
    ? `queue ${x.queue.visible} visible / ${x.queue.inFlight} in flight${x.queue.delayed ? ` / ${x.queue.delayed} delayed` : ''}${x.queue.deadLetter !== undefined ? ` / dlq ${x.queue.deadLetter}` : ''}${x.queue.stale ? ` (stale, ${x.queue.ageSeconds}s old)` : ''}`
    : `queue unknown${x.queueError ? ` (${x.queueError})` : ''}`;
  const n = (v: number | undefined) => (v === undefined ? '?' : String(v));
  const h = x.hpa;
  const j = [
    x.jobs ? `jobs ${x.jobs.active} active / ${x.jobs.succeeded} succeeded / ${x.jobs.failed} failed` : '',
    x.deployment
      ? x.deployment.exists
        ? `deployment ${n(x.deployment.desired)} desired / ${n(x.deployment.ready)} ready`
        : 'deployment missing'
      : '',
    h
      ? h.exists
        ? `hpa ${n(h.current)} current / ${n(h.desired)} desired${h.problem ? ` (${h.problem})` : h.limited ? ` (${h.limited})` : ''}`
        : 'hpa missing'
      : '',
  ]
    .filter(Boolean)
    .join(' · ');
  const p = `pods ${x.pods.pending} pending / ${x.pods.running} running / ${x.pods.terminating} terminating`;
  const r = x.results
    ? `processed ${x.results.processed} / killed ${x.results.killed}${x.results.stale ? ` (${x.results.ageSeconds}s old)` : ''}`
    : 'results unavailable';
  const c = x.connection === 'live' ? '' : ` · ${x.connection}…`;
  return `${x.time.slice(11, 19)} ${q} · ${j} · ${p} · ${r}${c}`;
}
