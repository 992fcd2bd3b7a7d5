// The polled sources of the watch: the queue's attributes (SQS) and the result analyzer's counts
// (core/kube/results.ts, through the API server's service proxy), and the loop that polls them with backoff.
import type { Kube } from '../kube/ports.js';
import type { SqsPort } from '../aws/ports.js';
import { queueDepth } from '../aws/queue-depth.js';
import { readResults, type AnalyzerService } from '../kube/results.js';
import { sleep } from './informer.js';
import type { QueueNumbers } from './state.js';

export interface QueueSource {
  read(): Promise<QueueNumbers>;
}

export interface ResultsSource {
  read(): Promise<{ processed: number; killed: number }>;
}

export interface PollOptions {
  intervalMs: number;
  /** longest delay after failures (default 30 s) */
  maxBackoffMs?: number;
  signal: AbortSignal;
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
}

/** Delay after `failures` failures in a row: the interval, doubled per failure, capped. */
export function pollDelay(intervalMs: number, failures: number, maxBackoffMs = 30_000): number {
  return failures === 0 ? intervalMs : Math.min(Math.max(maxBackoffMs, intervalMs), intervalMs * 2 ** Math.min(failures, 20));
}

/** Read now, then every interval; failures back off (throttling must not be answered with more calls). */
export async function poll<T>(read: () => Promise<T>, on: { value(v: T): void; error(e: unknown): void }, o: PollOptions): Promise<void> {
  const nap = o.sleep ?? sleep;
  let failures = 0;
  while (!o.signal.aborted) {
    try {
      const v = await read();
      if (o.signal.aborted) return;
      failures = 0;
      on.value(v);
    } catch (e) {
      if (o.signal.aborted) return;
      failures++;
      on.error(e);
    }
    await nap(pollDelay(o.intervalMs, failures, o.maxBackoffMs), o.signal);
  }
}

/** "throttled" / "queue x does not exist" / the first line of the message. */
export function queueErrorText(e: unknown, queue: string): string {
  const text = String((e as Error)?.message ?? e).split('\n')[0]!;
  const cause = (e as { cause?: { name?: string } })?.cause?.name ?? (e as { name?: string })?.name ?? '';
  if (/throttl|rate exceeded|slow ?down|too many requests/i.test(`${cause} ${text}`)) return 'SQS is throttling; reading less often';
  if (/QueueDoesNotExist|NonExistentQueue/i.test(`${cause} ${text}`)) return `queue ${queue} does not exist (run kedactl init)`;
  return text;
}

class QueueMissing extends Error {
  override readonly name = 'QueueDoesNotExist';
}

/** Queue depth from SQS: visible, in flight, delayed, and the dead-letter queue's visible count. */
export function sqsQueueSource(
  sqs: Pick<SqsPort, 'getQueueUrl' | 'getQueueAttributes'>,
  names: { queue: string; deadLetterQueue?: string },
): QueueSource {
  const urls = new Map<string, string>();
  async function url(name: string): Promise<string> {
    const known = urls.get(name);
    if (known) return known;
    const u = await sqs.getQueueUrl(name);
    if (!u) throw new QueueMissing(`queue ${name} does not exist`);
    urls.set(name, u);
    return u;
  }
  return {
    async read() {
      let a: Record<string, string>;
      try {
        a = await sqs.getQueueAttributes(await url(names.queue));
      } catch (e) {
        urls.delete(names.queue); // the queue may have been re-created under a new URL
        throw e;
      }
      const { visible = 0, inFlight = 0, delayed = 0 } = queueDepth(a);
      const n: QueueNumbers = { visible, inFlight, delayed };
      if (names.deadLetterQueue) {
        try {
          n.deadLetter = queueDepth(await sqs.getQueueAttributes(await url(names.deadLetterQueue))).visible ?? 0;
        } catch {
          urls.delete(names.deadLetterQueue); // the main numbers are still good
        }
      }
      return n;
    },
  };
}

/** Counts from the result analyzer Service, through the API server's proxy (core/kube/results.ts). */
export function analyzerResultsSource(kube: Kube, svc: AnalyzerService): ResultsSource {
  return {
    async read() {
      const r = await readResults(kube, svc);
      return { processed: r.processed.count, killed: r.killed.count };
    },
  };
}
