// src/core/watch/ owns the live view: informers and pollers (informer.ts, sources.ts) feeding one state
// (state.ts, snapshot.ts, session.ts) and the end conditions (until.ts). It reads through the ports only.
//
// The watch use case: one informer per kind, the queue and results pollers, and a store that holds the
// state. Screens and NDJSON writers subscribe to the store; they never talk to the sources.
import { type InformerOptions, type WatchTarget, type WatchTransport, runInformer, sleep } from './informer.js';
import { poll, queueErrorText, type QueueSource, type ResultsSource } from './sources.js';
import { initialState, reduceAll, type Action, type Kind, type ReduceContext, type WatchState } from './state.js';
import type { StackNames } from '../stack/names.js';
import type { ObservedCollection, Workload } from '../workloads/types.js';

/**
 * Holds the state. Actions are queued and folded in (reduceAll) when someone reads `state`, so a burst of
 * watch events costs one fold per frame, not one per event. Listeners hear "something arrived" and read
 * `state` when they are ready to draw.
 */
export class WatchStore {
  private listeners = new Set<() => void>();
  private current: WatchState;
  private queued: Action[] = [];
  /** actions dispatched so far, and how many of them `state` includes (the benchmark matches on these) */
  dispatched = 0;
  applied = 0;
  constructor(
    readonly ctx: ReduceContext,
    now: number = Date.now(),
  ) {
    this.current = initialState(now, ctx.kinds);
  }
  get state(): WatchState {
    if (this.queued.length) {
      this.current = reduceAll(this.current, this.queued, this.ctx);
      this.queued = [];
      this.applied = this.dispatched;
    }
    return this.current;
  }
  dispatch(a: Action): void {
    this.queued.push(a);
    this.dispatched++;
    for (const l of this.listeners) l();
  }
  subscribe(fn: () => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }
}

export interface WatchPorts {
  transport: WatchTransport;
  queue?: QueueSource;
  results?: ResultsSource;
  now?: () => number;
}

export interface WatchOptions {
  namespace: string;
  /** the stack's processor name: the ScaledJob's (the default targets), and the prefix of the events kept */
  scaledJob: string;
  /** what to watch (default: the job workload's targets, by scaledJob); see workloadTargets */
  targets?: Partial<Record<Kind, WatchTarget>>;
  /** events about objects of these names are kept too */
  related?: readonly string[];
  /** queue name, for messages */
  queueName: string;
  queueIntervalMs?: number;
  resultsIntervalMs?: number;
  /** chart sample period; default the queue interval */
  sampleIntervalMs?: number;
  informer?: Partial<Omit<InformerOptions, 'signal'>>;
}

export interface WatchSession {
  store: WatchStore;
  /** stop every loop; resolves when they have ended */
  stop(): Promise<void>;
}

/** The label KEDA puts on the Jobs of a ScaledJob and on their Pods. */
export const SCALED_JOB_LABEL = 'scaledjob.keda.sh/name';

export function targets(namespace: string, scaledJob: string): Partial<Record<Kind, WatchTarget>> {
  const ns = encodeURIComponent(namespace);
  const bySj = `${SCALED_JOB_LABEL}=${scaledJob}`;
  return {
    pods: { path: `/api/v1/namespaces/${ns}/pods`, labelSelector: bySj },
    jobs: { path: `/apis/batch/v1/namespaces/${ns}/jobs`, labelSelector: bySj },
    scaledJob: { path: `/apis/keda.sh/v1alpha1/namespaces/${ns}/scaledjobs`, fieldSelector: `metadata.name=${scaledJob}` },
    events: { path: `/api/v1/namespaces/${ns}/events` },
  };
}

function collectionPath(namespace: string, c: ObservedCollection): string {
  const group = c.apiVersion.includes('/') ? `/apis/${c.apiVersion}` : `/api/${c.apiVersion}`;
  return `${group}/namespaces/${encodeURIComponent(namespace)}/${c.resource}`;
}

/** A workload's watch: its Pods, what it observes (workloads/), and the namespace's events. */
export function workloadTargets(
  namespace: string,
  w: Pick<Workload, 'observed' | 'podSelector'>,
  n: StackNames,
): { targets: Partial<Record<Kind, WatchTarget>>; related: string[] } {
  const ns = encodeURIComponent(namespace);
  const t: Partial<Record<Kind, WatchTarget>> = { pods: { path: `/api/v1/namespaces/${ns}/pods`, labelSelector: w.podSelector(n) } };
  const related: string[] = [];
  for (const [kind, c] of Object.entries(w.observed(n)) as Array<[Kind, ObservedCollection]>) {
    t[kind] = {
      path: collectionPath(namespace, c),
      ...(c.labelSelector ? { labelSelector: c.labelSelector } : {}),
      ...(c.name ? { fieldSelector: `metadata.name=${c.name}` } : {}),
    };
    if (c.name) related.push(c.name);
  }
  t.events = { path: `/api/v1/namespaces/${ns}/events` };
  return { targets: t, related };
}

export function startWatch(ports: WatchPorts, o: WatchOptions): WatchSession {
  const now = ports.now ?? (() => Date.now());
  const watched = o.targets ?? targets(o.namespace, o.scaledJob);
  const store = new WatchStore({ scaledJob: o.scaledJob, related: o.related, kinds: Object.keys(watched) as Kind[] }, now());
  const ac = new AbortController();
  const signal = ac.signal;
  const loops: Array<Promise<void>> = [];
  const queueIntervalMs = o.queueIntervalMs ?? 2000;

  for (const [kind, target] of Object.entries(watched) as Array<[Kind, WatchTarget]>) {
    loops.push(
      runInformer(
        ports.transport,
        target,
        {
          listed: (items) => store.dispatch({ type: 'listed', kind, items, at: now() }),
          changed: (event, object) => store.dispatch({ type: 'changed', kind, event, object, at: now() }),
          connection: (state, error) => store.dispatch({ type: 'connection', kind, state, error, at: now() }),
        },
        { ...o.informer, signal },
      ),
    );
  }
  if (ports.queue) {
    const q = ports.queue;
    loops.push(
      poll(
        () => q.read(),
        {
          value: (numbers) => store.dispatch({ type: 'queue', numbers, at: now() }),
          error: (e) => store.dispatch({ type: 'queueError', error: queueErrorText(e, o.queueName), at: now() }),
        },
        { intervalMs: queueIntervalMs, signal },
      ),
    );
  } else store.dispatch({ type: 'queueError', error: 'no region or queue to read', at: now() });
  if (ports.results) {
    const r = ports.results;
    loops.push(
      poll(
        () => r.read(),
        {
          value: (v) => store.dispatch({ type: 'results', ...v, at: now() }),
          error: (e) => store.dispatch({ type: 'resultsError', error: String((e as Error)?.message ?? e).split('\n')[0]!, at: now() }),
        },
        { intervalMs: o.resultsIntervalMs ?? 5000, maxBackoffMs: 30_000, signal },
      ),
    );
  } else store.dispatch({ type: 'resultsError', error: 'no result analyzer', at: now() });
  loops.push(
    (async () => {
      while (!signal.aborted) {
        store.dispatch({ type: 'sample', at: now() });
        await sleep(o.sampleIntervalMs ?? queueIntervalMs, signal);
      }
    })(),
  );

  return {
    store,
    async stop() {
      ac.abort();
      await Promise.allSettled(loops);
    },
  };
}
