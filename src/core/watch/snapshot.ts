// The numbers of a WatchState as one plain object: what -o ndjson prints, what --until-empty checks,
// and what the screen shows. Old numbers carry their age, so nothing stale passes for live.
import { KINDS, countJobs, countPods, type ConnState, type Kind, type QueueNumbers, type WatchState } from './state.js';

/** numbers older than this (or from a failing source) are marked stale */
export const STALE_AFTER_MS = 10_000;

export interface Snapshot {
  time: string;
  queue: (QueueNumbers & { ageSeconds: number; stale: boolean }) | null;
  queueError?: string;
  jobs: { active: number; succeeded: number; failed: number };
  pods: { pending: number; running: number; terminating: number; succeeded: number; failed: number };
  results: { processed: number; killed: number; ageSeconds: number; stale: boolean } | null;
  resultsError?: string;
  scaledJob: { exists: boolean; ready?: boolean; active?: boolean; problem?: string };
  connection: 'live' | 'connecting' | 'reconnecting';
  /** kinds that are not live, with why */
  notLive?: Partial<Record<Kind, { state: ConnState; error?: string }>>;
}

export interface SnapshotOptions {
  /** ms; the queue is expected every interval, so it is stale after max(STALE_AFTER_MS, 3 intervals) */
  queueIntervalMs?: number;
  resultsIntervalMs?: number;
}

function age(now: number, at: number | undefined): number {
  return at === undefined ? 0 : Math.max(0, Math.round((now - at) / 1000));
}

export function overallConnection(s: WatchState): Snapshot['connection'] {
  const states = KINDS.filter((k) => k !== 'scaledJob' || s.connections[k].state !== 'missing').map((k) => s.connections[k]);
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
  for (const k of KINDS) {
    const c = s.connections[k];
    if (c.state !== 'live') notLive[k] = c.error ? { state: c.state, error: c.error } : { state: c.state };
  }
  return {
    time: new Date(now).toISOString(),
    queue: q.numbers
      ? { ...q.numbers, ageSeconds: age(now, q.at), stale: q.error !== undefined || now - (q.at ?? 0) > queueStaleMs }
      : null,
    ...(q.error ? { queueError: q.error } : {}),
    jobs: countJobs(s),
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
    scaledJob: { ...s.scaledJob },
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
 * Jobs and Pods watches are live and show no active Job.
 */
export function drained(s: WatchState, since: number): boolean {
  const q = s.queue;
  if (!q.numbers || q.error !== undefined || (q.at ?? 0) < since) return false;
  if (q.numbers.visible + q.numbers.inFlight + q.numbers.delayed > 0) return false;
  for (const k of ['jobs', 'pods'] as const) if (!s.connections[k].synced || s.connections[k].state !== 'live') return false;
  return countJobs(s).active === 0;
}

/** One line for humans when there is no terminal (-o text, piped). */
export function summaryLine(x: Snapshot): string {
  const q = x.queue
    ? `queue ${x.queue.visible} visible / ${x.queue.inFlight} in flight${x.queue.delayed ? ` / ${x.queue.delayed} delayed` : ''}${x.queue.deadLetter !== undefined ? ` / dlq ${x.queue.deadLetter}` : ''}${x.queue.stale ? ` (stale, ${x.queue.ageSeconds}s old)` : ''}`
    : `queue unknown${x.queueError ? ` (${x.queueError})` : ''}`;
  const j = `jobs ${x.jobs.active} active / ${x.jobs.succeeded} succeeded / ${x.jobs.failed} failed`;
  const p = `pods ${x.pods.pending} pending / ${x.pods.running} running / ${x.pods.terminating} terminating`;
  const r = x.results
    ? `processed ${x.results.processed} / killed ${x.results.killed}${x.results.stale ? ` (${x.results.ageSeconds}s old)` : ''}`
    : 'results unavailable';
  const c = x.connection === 'live' ? '' : ` · ${x.connection}…`;
  return `${x.time.slice(11, 19)} ${q} · ${j} · ${p} · ${r}${c}`;
}
