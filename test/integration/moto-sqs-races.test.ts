// The test rig's moto (test/support/moto-server.py) under the concurrency the demo gives it: ten consumers
// receiving and deleting at once while a producer sends. SQS never brings a deleted message back and never
// loses a message it accepted; stock moto 5.2.5 does both when DeleteMessage runs beside another
// DeleteMessage or SendMessage (each rebuilds or appends to the queue's message list with no lock between
// them), which once made the real-KEDA demo process 51 messages for 50. These tests pin the launcher's fix:
// the first drives moto's models in process with Python switching threads as often as it can, so the race
// shows every time on stock moto (the control) and must not on the launcher's; the others go through the
// server over the wire, where the same race is rare.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  CreateQueueCommand,
  DeleteMessageCommand,
  DeleteQueueCommand,
  SendMessageBatchCommand,
  SendMessageCommand,
  type Message,
} from '@aws-sdk/client-sqs';
import { ensureMotoVenv, uniqueStack } from '../support/moto.ts';
import { motoSqs, queueNumbers as counts, receiveAll } from '../support/sqs.ts';

const sqs = motoSqs();
const N = 300;

async function withQueue(prefix: string, body: (url: string) => Promise<void>): Promise<void> {
  const url = (await sqs.send(new CreateQueueCommand({ QueueName: `${uniqueStack(prefix)}-queue` }))).QueueUrl!;
  try {
    await body(url);
  } finally {
    await sqs.send(new DeleteQueueCommand({ QueueUrl: url }));
  }
}

async function sendAll(url: string, bodies: string[]): Promise<void> {
  const batches: string[][] = [];
  for (let i = 0; i < bodies.length; i += 10) batches.push(bodies.slice(i, i + 10));
  await Promise.all(
    batches.map(async (b) => {
      const r = await sqs.send(
        new SendMessageBatchCommand({ QueueUrl: url, Entries: b.map((MessageBody, i) => ({ Id: `e${i}`, MessageBody })) }),
      );
      expect(r.Failed ?? []).toEqual([]);
    }),
  );
}

async function deleteEach(url: string, messages: Message[]): Promise<void> {
  await Promise.all(messages.map((m) => sqs.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: m.ReceiptHandle! }))));
}

const range = (prefix: string) => Array.from({ length: N }, (_, i) => `${prefix}-${i}`);

describe("the rig's moto under concurrent consumers", () => {
  it("DeleteMessage beside DeleteMessage and SendMessage: stock moto brings deleted messages back, the launcher's moto neither brings back nor loses any", async () => {
    const python = join(await ensureMotoVenv(), 'bin', 'python');
    const script = fileURLToPath(new URL('../support/moto-sqs-races.py', import.meta.url));
    const launcher = fileURLToPath(new URL('../support/moto-server.py', import.meta.url));
    const run = (mode: string, ...size: string[]) =>
      JSON.parse(execFileSync(python, [script, mode, launcher, ...size], { encoding: 'utf8', timeout: 90_000 }));
    // stock moto's SendMessage is O(n^2) in the queue's length: a smaller queue keeps the control quick
    const stock = run('stock', '100', '3');
    expect(stock.deletedBack + stock.sentLost, `the control must show the race: ${JSON.stringify(stock)}`).toBeGreaterThan(0);
    expect(run('launcher', '200', '3')).toEqual({ mode: 'launcher', deletes: 600, sends: 600, deletedBack: 0, sentLost: 0 });
  }, 180_000);

  it('messages deleted by concurrent DeleteMessage calls are gone from the queue, neither visible nor in flight', async () => {
    await withQueue('race-del', async (url) => {
      await sendAll(url, range('m'));
      const received = await receiveAll(url);
      expect(received.map((m) => m.Body).sort()).toEqual(range('m').sort());
      await deleteEach(url, received);
      // a message the race brings back is in the queue again, still received (in flight) until its hour is up
      expect(await counts(url)).toEqual({ visible: 0, inFlight: 0, delayed: 0 });
    });
  }, 120_000);

  it('messages sent while others are being deleted are all there afterwards, exactly once', async () => {
    await withQueue('race-send', async (url) => {
      await sendAll(url, range('old'));
      const old = await receiveAll(url);
      expect(old).toHaveLength(N);
      const fresh = range('new');
      await Promise.all([deleteEach(url, old), ...fresh.map((b) => sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: b })))]);
      const after = await receiveAll(url);
      expect(after.map((m) => m.Body).sort()).toEqual(fresh.sort());
      expect(await counts(url)).toEqual({ visible: 0, inFlight: N, delayed: 0 });
    });
  }, 120_000);
});
