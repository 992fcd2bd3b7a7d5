// One informer per kind: list, then watch from the list's resourceVersion; resume the watch from the
// last version seen when it ends; re-list on 410 Gone; bounded backoff with jitter on errors.
// The HTTP side is a port (src/adapters/kube-watch.ts), so this loop is tested without a server.
import type { ConnState, RawObject } from './state.js';

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';

export interface WatchEvent {
  type: WatchEventType;
  object: RawObject & { metadata?: { resourceVersion?: string }; code?: number; reason?: string; message?: string };
}

/** What to list and watch: a collection path and its selectors. */
export interface WatchTarget {
  /** e.g. /api/v1/namespaces/demo/pods */
  path: string;
  labelSelector?: string;
  fieldSelector?: string;
}

/** The HTTP side, implemented by the Kubernetes adapter. */
export interface WatchTransport {
  /** every page of the collection, and the resourceVersion to watch from */
  list(target: WatchTarget, signal: AbortSignal): Promise<{ items: RawObject[]; resourceVersion: string }>;
  /**
   * Watch from resourceVersion; onOpen once the server accepted the watch. Resolves when the server
   * ends the stream; rejects with WatchHttpError for a refused request, or a network error.
   */
  watch(target: WatchTarget, resourceVersion: string, on: { open(): void; event(e: WatchEvent): void }, signal: AbortSignal): Promise<void>;
}

/** The API server answered the list or watch with an error status. */
export class WatchHttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'WatchHttpError';
  }
}

class Gone extends Error {}

export interface InformerSink {
  listed(items: RawObject[]): void;
  changed(type: 'ADDED' | 'MODIFIED' | 'DELETED', object: RawObject): void;
  connection(state: ConnState, error?: string): void;
}

export interface InformerOptions {
  signal: AbortSignal;
  /** first retry delay, ms (default 250) */
  minBackoffMs?: number;
  /** longest retry delay, ms (default 5000) */
  maxBackoffMs?: number;
  /** a stream that ends sooner than this after opening, with no events, counts as a failure (ms) */
  shortStreamMs?: number;
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
  random?: () => number;
  now?: () => number;
  /** counts re-lists (410 Gone), for the benchmark */
  onRelist?: () => void;
}

export const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    if (signal.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });

/** Delay before retry number `attempt` (0-based): doubling from min, capped at max, with up to 50% jitter off. */
export function backoff(attempt: number, min: number, max: number, random: () => number = Math.random): number {
  const d = Math.min(max, min * 2 ** Math.min(attempt, 20));
  return Math.round(d * (0.5 + random() / 2));
}

function describe(e: unknown): string {
  if (e instanceof WatchHttpError) return e.message;
  const err = e as NodeJS.ErrnoException;
  return (err?.code ? `${err.code}: ` : '') + String(err?.message ?? e).split('\n')[0];
}

/** Runs until the signal aborts. Never throws: every failure becomes a connection state and a retry. */
export async function runInformer(transport: WatchTransport, target: WatchTarget, sink: InformerSink, o: InformerOptions): Promise<void> {
  const { signal } = o;
  const min = o.minBackoffMs ?? 250;
  const max = o.maxBackoffMs ?? 5000;
  const nap = o.sleep ?? sleep;
  const now = o.now ?? (() => Date.now());
  const shortStream = o.shortStreamMs ?? 1000;
  let rv: string | undefined;
  let failures = 0;
  let live = false;
  // `failures` resets only when a watch proves healthy (an event, or it stayed open), so a server that
  // accepts and drops every watch, or answers every watch with 410, still meets a growing backoff
  const setLive = () => {
    if (!live) sink.connection('live');
    live = true;
  };
  while (!signal.aborted) {
    try {
      if (rv === undefined) {
        const l = await transport.list(target, signal);
        if (signal.aborted) return;
        sink.listed(l.items);
        live = true; // listed() marks the kind live
        rv = l.resourceVersion;
      }
      const opened = now();
      let events = 0;
      await transport.watch(
        target,
        rv,
        {
          open: setLive,
          event(e) {
            if (e.type === 'ERROR') {
              const code = e.object.code;
              if (code === 410) throw new Gone(e.object.message ?? 'resource version too old');
              throw new WatchHttpError(code ?? 500, e.object.message ?? 'watch error');
            }
            const v = e.object.metadata?.resourceVersion;
            if (v) rv = v;
            events++;
            failures = 0;
            if (e.type !== 'BOOKMARK') sink.changed(e.type, e.object);
          },
        },
        signal,
      );
      // the server ended the watch (its timeout, or it is going away): resume from rv at once,
      // unless it keeps ending streams right away, which is a failure in disguise
      if (!signal.aborted && events === 0 && now() - opened < shortStream) {
        live = false;
        sink.connection('reconnecting', 'the API server closed the watch');
        await nap(backoff(failures++, min, max, o.random), signal);
      } else failures = 0;
    } catch (e) {
      if (signal.aborted) return;
      if (e instanceof Gone || (e instanceof WatchHttpError && e.status === 410)) {
        // our version is older than the server keeps: list again (no backoff for the first)
        o.onRelist?.();
        rv = undefined;
        if (failures > 0) await nap(backoff(failures - 1, min, max, o.random), signal);
        failures++;
        continue;
      }
      live = false;
      if (e instanceof WatchHttpError && e.status === 404) {
        // the kind is not served (KEDA's CRDs missing) or the namespace is gone: look again later
        rv = undefined;
        sink.connection('missing', e.message);
        await nap(max, signal);
        continue;
      }
      sink.connection('reconnecting', describe(e));
      await nap(backoff(failures++, min, max, o.random), signal);
    }
  }
}
