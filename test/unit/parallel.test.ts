import { describe, expect, it } from 'vitest';
import { allInOrder } from '../../src/core/parallel.ts';

const later = <T>(ms: number, v: T, fail = false) =>
  new Promise<T>((res, rej) => setTimeout(() => (fail ? rej(new Error(String(v))) : res(v)), ms));

describe('allInOrder', () => {
  it('returns every value in order', async () => {
    expect(await allInOrder([later(20, 'a'), later(1, 2), Promise.resolve(true)])).toEqual(['a', 2, true]);
  });

  it('reports the first failure in the given order, not the first to happen, after every task ended', async () => {
    let lastDone = false;
    const slowFirst = later(30, 'first', true);
    const quickSecond = later(1, 'second', true);
    const slowest = later(60, 'ok').then((v) => ((lastDone = true), v));
    await expect(allInOrder([slowFirst, quickSecond, slowest])).rejects.toThrow('first');
    expect(lastDone).toBe(true);
  });
});

describe('mapLimit', () => {
  it("tries every item and throws the first failing item's error, not the first to fail", async () => {
    const { mapLimit } = await import('../../src/core/aws/tags.ts');
    const tried: number[] = [];
    const err = await mapLimit([0, 1, 2, 3, 4], 3, async (i) => {
      await later(i === 1 ? 40 : 5, null);
      tried.push(i);
      if (i === 1 || i === 3) throw new Error(`item ${i}`);
      return i;
    }).catch((e: Error) => e.message);
    expect(err).toBe('item 1');
    expect(tried.sort()).toEqual([0, 1, 2, 3, 4]);
    expect(await mapLimit([3, 1, 2], 2, async (i) => i * 2)).toEqual([6, 2, 4]);
  });
});
