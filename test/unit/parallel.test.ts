import { describe, expect, it } from 'vitest';
import { allInOrder } from '../../src/core/parallel.ts';

const later = <T>(ms: number, v: T, fail = false) => new Promise<T>((res, rej) => setTimeout(() => (fail ? rej(new Error(String(v))) : res(v)), ms));

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
