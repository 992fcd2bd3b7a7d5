// The watch's queue numbers from the moto server: depth, in flight, delayed and the dead-letter queue;
// SQS throttling marks the numbers stale, slows the reads down, and recovers by itself.
import { describe, expect, it } from 'vitest';
import { ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { sleep } from '../../src/core/watch/informer.ts';
import { poll, queueErrorText, sqsQueueSource } from '../../src/core/watch/sources.ts';
import { WatchStore } from '../../src/core/watch/session.ts';
import { snapshot } from '../../src/core/watch/snapshot.ts';
import { testAws, throttlingError } from '../support/aws.ts';
import { motoSqs } from '../support/sqs.ts';

const unique = (p: string) => `${p}-${Math.random().toString(36).slice(2, 7)}`;

describe('watch queue numbers (moto)', () => {
  it('reads visible, in flight, delayed and the dead-letter queue depth', async () => {
    const aws = testAws();
    const name = unique('wq');
    const url = await aws.sqs.createQueue(name, { VisibilityTimeout: '60' }, {});
    const dlq = await aws.sqs.createQueue(`${name}-dlq`, {}, {});
    await aws.sqs.sendMessageBatch(
      url,
      [1, 2, 3, 4].map((i) => ({ id: `m${i}`, body: `b${i}` })),
    );
    await aws.sqs.sendMessageBatch(dlq, [{ id: 'd', body: 'dead' }]);
    await motoSqs().send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 1 }));
    const source = sqsQueueSource(aws.sqs, { queue: name, deadLetterQueue: `${name}-dlq` });
    expect(await source.read()).toEqual({ visible: 3, inFlight: 1, delayed: 0, deadLetter: 1 });
  });

  it('throttling: the numbers are marked stale with their age, reads back off, and the view recovers', async () => {
    let throttle = true;
    const calls: number[] = [];
    const aws = testAws({
      maxAttempts: 1,
      fault: (command) => {
        if (command !== 'GetQueueAttributesCommand') return undefined;
        calls.push(Date.now());
        return throttle && calls.length > 1 ? { throw: throttlingError() } : undefined;
      },
    });
    const name = unique('wq');
    const url = await aws.sqs.createQueue(name, {}, {});
    await aws.sqs.sendMessageBatch(url, [
      { id: 'a', body: 'x' },
      { id: 'b', body: 'y' },
    ]);
    const store = new WatchStore({ scaledJob: 'x' });
    const delays: number[] = [];
    const ac = new AbortController();
    const source = sqsQueueSource(aws.sqs, { queue: name });
    const loop = poll(
      () => source.read(),
      {
        value: (numbers) => store.dispatch({ type: 'queue', numbers, at: Date.now() }),
        error: (e) => store.dispatch({ type: 'queueError', error: queueErrorText(e, name), at: Date.now() }),
      },
      { intervalMs: 100, maxBackoffMs: 800, signal: ac.signal, sleep: (ms, signal) => (delays.push(ms), sleep(ms, signal)) },
    );
    try {
      await until(() => store.state.queue.error !== undefined);
      const x = snapshot(store.state, Date.now());
      expect(x.queue).toMatchObject({ visible: 2, stale: true });
      expect(x.queueError).toBe('SQS is throttling; reading less often');
      await until(() => calls.length >= 6);
      // the interval while fine, then doubling (capped) while throttled
      expect(delays.slice(0, 5)).toEqual([100, 200, 400, 800, 800]);
      throttle = false;
      await until(() => store.state.queue.error === undefined);
      expect(snapshot(store.state, Date.now()).queue).toMatchObject({ visible: 2, stale: false });
    } finally {
      ac.abort();
      await loop;
    }
  });
});

async function until(check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}
