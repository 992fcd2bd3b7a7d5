// The watch without a terminal: one line per change (NDJSON, or a summary line for -o text), at most
// a few a second, and at least every `heartbeatMs` so a reader sees ages grow when nothing changes.
import type { WatchStore } from '../../core/watch/session.js';
import { changeKey, snapshot, summaryLine, type Snapshot } from '../../core/watch/snapshot.js';

export interface LineWriterOptions {
  format: 'ndjson' | 'text';
  write: (line: string) => void;
  /** coalesce changes within this window (ms, default 200) */
  minGapMs?: number;
  heartbeatMs?: number;
  queueIntervalMs?: number;
  now?: () => number;
}

export function formatLine(x: Snapshot, format: 'ndjson' | 'text'): string {
  return format === 'ndjson' ? JSON.stringify(x) : summaryLine(x);
}

/** Start writing; returns flush-and-stop (writes the current state once more if it changed). */
export function lineWriter(store: Pick<WatchStore, 'state' | 'subscribe'>, o: LineWriterOptions): { stop(final?: boolean): void } {
  const now = o.now ?? Date.now;
  const minGap = o.minGapMs ?? 200;
  let lastKey = '';
  let lastAt = 0;
  let timer: NodeJS.Timeout | undefined;
  const emit = (force: boolean) => {
    timer = undefined;
    const t = now();
    const snap = snapshot(store.state, t, { queueIntervalMs: o.queueIntervalMs });
    const key = changeKey(snap);
    if (!force && key === lastKey) return;
    lastKey = key;
    lastAt = t;
    o.write(formatLine(snap, o.format));
  };
  const unsubscribe = store.subscribe(() => {
    if (timer) return;
    timer = setTimeout(() => emit(false), Math.max(0, minGap - (now() - lastAt)));
  });
  const heartbeat = o.heartbeatMs
    ? setInterval(() => now() - lastAt >= o.heartbeatMs! - 50 && emit(true), Math.min(o.heartbeatMs, 1000))
    : undefined;
  return {
    stop(final = false) {
      unsubscribe();
      if (timer) clearTimeout(timer);
      if (heartbeat) clearInterval(heartbeat);
      if (final) emit(lastKey === '');
    },
  };
}
