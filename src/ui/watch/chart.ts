// The chart of queue depth against running Jobs, as a grid of cells (plain data; the screen colours it).
import type { Sample } from '../../core/watch/state.js';

/** q: queue bar, r: running-jobs mark, b: both, u: queue unknown (bottom row only), ' ': empty */
export type Cell = 'q' | 'r' | 'b' | 'u' | ' ';

export interface Chart {
  /** top row first */
  rows: Cell[][];
  /** the queue's scale: the top row is this many messages */
  maxQueue: number;
  /** the running Jobs' own scale, so a few Jobs against thousands of messages still show their shape */
  maxRunning: number;
  /** seconds covered by the shown samples */
  spanSeconds: number;
}

export function chart(history: readonly Sample[], width: number, height: number): Chart {
  const w = Math.max(1, width);
  const h = Math.max(1, height);
  const shown = history.slice(Math.max(0, history.length - w));
  const maxQueue = Math.max(1, ...shown.map((s) => s.queue ?? 0));
  const maxRunning = Math.max(1, ...shown.map((s) => s.running));
  const rows: Cell[][] = Array.from({ length: h }, () => Array<Cell>(w).fill(' '));
  const offset = w - shown.length; // newest sample at the right edge
  shown.forEach((s, i) => {
    const x = offset + i;
    const qh = s.queue === undefined ? 0 : Math.round((s.queue / maxQueue) * h);
    for (let y = 0; y < qh; y++) rows[h - 1 - y]![x] = 'q';
    if (s.queue === undefined) rows[h - 1]![x] = 'u';
    if (s.running > 0) {
      const ry = Math.max(1, Math.round((s.running / maxRunning) * h)) - 1;
      const row = rows[h - 1 - ry]!;
      row[x] = row[x] === 'q' ? 'b' : 'r';
    }
  });
  const spanSeconds = shown.length > 1 ? Math.round((shown[shown.length - 1]!.at - shown[0]!.at) / 1000) : 0;
  return { rows, maxQueue, maxRunning, spanSeconds };
}

export function duration(seconds: number): string {
  if (seconds < 60) return `${Math.max(0, Math.round(seconds))}s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m${seconds % 60 ? `${String(Math.round(seconds % 60)).padStart(2, '0')}s` : ''}`;
  return `${Math.floor(seconds / 3600)}h${String(Math.floor((seconds % 3600) / 60)).padStart(2, '0')}m`;
}
