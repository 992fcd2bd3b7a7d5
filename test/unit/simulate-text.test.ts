// simulate's text: the chart squeezes long runs into the width without losing peaks; durations keep
// the seconds that tell compared runs apart.
import { describe, expect, it } from 'vitest';
import { chartText, columns, exact } from '../../src/ui/simulate-text.ts';

describe('simulate text', () => {
  it("squeezes samples into columns, keeping each column's peak", () => {
    const samples = Array.from({ length: 1000 }, (_, i) => ({ t: i * 10, queue: i === 537 ? 999 : 1, jobs: i === 12 ? 50 : 2 }));
    const cols = columns(samples, 100);
    expect(cols).toHaveLength(100);
    expect(Math.max(...cols.map((c) => c.queue ?? 0))).toBe(999);
    expect(Math.max(...cols.map((c) => c.running))).toBe(50);
    expect(cols.at(-1)!.at).toBe(9990 * 1000);
  });
  it('draws the scales and the time axis', () => {
    const lines = chartText(
      [
        { t: 0, queue: 10, jobs: 0 },
        { t: 60, queue: 5, jobs: 4 },
        { t: 120, queue: 0, jobs: 0 },
      ],
      40,
      4,
    );
    expect(lines[1]).toMatch(/^ +10 │█/);
    expect(lines[1]).toMatch(/│ 4$/);
    expect(lines.at(-1)!.trimEnd()).toMatch(/0 +2m$/);
  });
  it('keeps seconds past an hour', () => {
    expect([exact(59), exact(4171.2), exact(86442)]).toEqual(['59s', '1h09m31s', '24h00m42s']);
  });
});
