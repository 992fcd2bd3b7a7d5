// The result analyzer's counts as text.
import type { Results } from '../core/kube/results.js';

export function resultsText(stack: string, r: Results): string {
  const span = (c: Results['processed']) =>
    c.count === 0 ? '' : c.first === c.last ? ` (at ${c.first})` : ` (first ${c.first}, last ${c.last})`;
  return [
    `Results of stack "${stack}"`,
    `  processed  ${String(r.processed.count).padStart(6)}${span(r.processed)}`,
    `  killed     ${String(r.killed.count).padStart(6)}${span(r.killed)}`,
  ].join('\n');
}
