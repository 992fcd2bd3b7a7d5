import { describe, expect, it } from 'vitest';
import { parseCounts } from '../../src/core/kube/results.ts';
import { resultsText } from '../../src/ui/results-text.ts';

// What GET /get/count of ghcr.io/kedify/blog05-result-analyzer-program answers: a JSON array of event lines.
const REAL = JSON.stringify([
  '2026-11-27 18:02:11 - processed count 1',
  '2026-11-27 18:02:12 - processed count 2',
  '2026-11-27 18:02:40 - kill count 1',
  '2026-11-27 18:02:41 - processed count 3',
  '2026-11-27 18:03:05 - processed count 4',
  '2026-11-27 18:03:09 - kill count 2',
]);

describe('parseCounts', () => {
  it('counts processed and killed with first and last timestamps', () => {
    const r = parseCounts(REAL);
    expect(r.processed).toEqual({ count: 4, first: '2026-11-27 18:02:11', last: '2026-11-27 18:03:05' });
    expect(r.killed).toEqual({ count: 2, first: '2026-11-27 18:02:40', last: '2026-11-27 18:03:09' });
    expect(r.unknown).toEqual([]);
    expect(r.events).toHaveLength(6);
  });

  it('an empty analyzer: zero, no timestamps', () => {
    expect(parseCounts('[]')).toEqual({ processed: { count: 0 }, killed: { count: 0 }, unknown: [], events: [] });
  });

  it('keeps lines it does not understand', () => {
    const r = parseCounts(JSON.stringify(['2026-11-27 18:02:11 - processed count 1', 'hello']));
    expect(r.processed.count).toBe(1);
    expect(r.unknown).toEqual(['hello']);
  });

  it('tolerates out-of-order lines and plain text', () => {
    const r = parseCounts('2026-11-27 18:05:00 - processed count 2\n2026-11-27 18:01:00 - processed count 1\n');
    expect(r.processed).toEqual({ count: 2, first: '2026-11-27 18:01:00', last: '2026-11-27 18:05:00' });
  });

  it('refuses a non-list', () => {
    expect(() => parseCounts('{"message":"x"}')).toThrow(/other than a list/);
  });

  it('renders a summary', () => {
    expect(resultsText('demo', parseCounts(REAL))).toMatchInlineSnapshot(`
      "Results of stack "demo"
        processed       4 (first 2026-11-27 18:02:11, last 2026-11-27 18:03:05)
        killed          2 (first 2026-11-27 18:02:40, last 2026-11-27 18:03:09)"
    `);
  });
});
