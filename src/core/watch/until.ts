// When a watch ends: --once after the first read of every source, --until-empty when drained,
// --timeout, or the user quitting. Pure predicates plus one waiting helper over the store.
import { StateError, ExternalError } from '../errors.js';
import type { WatchStore } from './session.js';
import { consumerKinds, drained, snapshot, summaryLine } from './snapshot.js';
import type { Kind, WatchState } from './state.js';

/** Every source has answered once (with data or with an error). */
export function firstReadDone(s: WatchState): boolean {
  const kindsDone = s.watched.every((k) => {
    const c = s.connections[k]!;
    return c.synced || c.state === 'missing' || c.error !== undefined;
  });
  const queueDone = s.queue.at !== undefined || s.queue.error !== undefined;
  const resultsDone = s.results.at !== undefined || s.results.error !== undefined;
  return kindsDone && queueDone && resultsDone;
}

export type Ending = 'ready' | 'drained' | 'timeout' | 'quit';

/** Resolves with the first of: pred true (o.reached), timeout, quit signal. */
export function waitFor(
  store: Pick<WatchStore, 'state' | 'subscribe'>,
  pred: (s: WatchState) => boolean,
  o: { reached: Ending; timeoutMs?: number; quit?: AbortSignal },
): Promise<Ending> {
  return new Promise((resolve) => {
    let timer: NodeJS.Timeout | undefined;
    const finish = (e: Ending) => {
      unsubscribe();
      if (timer) clearTimeout(timer);
      if (check) clearTimeout(check);
      o.quit?.removeEventListener('abort', onQuit);
      resolve(e);
    };
    const onQuit = () => finish('quit');
    // look at most every 50 ms: reading the state folds the queued events in
    let check: NodeJS.Timeout | undefined;
    const unsubscribe = store.subscribe(() => {
      check ??= setTimeout(() => {
        check = undefined;
        if (pred(store.state)) finish(o.reached);
      }, 50);
    });
    if (o.quit?.aborted) return finish('quit');
    o.quit?.addEventListener('abort', onQuit, { once: true });
    if (o.timeoutMs !== undefined) timer = setTimeout(() => finish('timeout'), o.timeoutMs);
    if (pred(store.state)) finish(o.reached);
  });
}

/** --until-empty: the queue and the Jobs (or the consumer Pods), read after `since`, show nothing left to do (drained()). */
export function untilEmpty(since: number): (s: WatchState) => boolean {
  return (s) => drained(s, since);
}

/** The error for a --until-empty that ran out of time: what was still there. */
export function notEmptyError(s: WatchState, now: number, timeoutMs: number, consumers = 'Jobs'): StateError {
  return new StateError(
    `the queue did not drain within ${Math.round(timeoutMs / 1000)}s: ${summaryLine(snapshot(s, now))}`,
    `give it longer (--timeout), or look at why ${consumers} do not finish: kedactl watch`,
  );
}

const WORDS: Partial<Record<Kind, string>> = { pods: 'Pods', jobs: 'Jobs', deployment: 'Deployment' };

/** --once could not read the Jobs and Pods at all: say so instead of printing zeros. */
export function unreadableError(s: WatchState): ExternalError | undefined {
  const bad = ['pods' as const, ...consumerKinds(s).filter((k) => k !== 'pods')].find((k) => !s.connections[k]!.synced);
  if (!bad) return undefined;
  const c = s.connections[bad]!;
  return new ExternalError(
    'Kubernetes',
    `watch ${bad}`,
    `could not read the stack's ${WORDS[bad] ?? bad}${c.error ? `: ${c.error}` : ''}`,
    'check that the cluster is running and that --context / --kubeconfig point at it',
  );
}
