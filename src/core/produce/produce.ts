// src/core/produce/ owns sending messages: batched, parallel, retried, on a load profile's schedule. It may
// import the SQS port (aws/ports.ts), the profile (simulate/profile.ts), the settings and the floor.
//
// Load the queue: SendMessageBatch (10 entries or the batch size limit per call), a bounded number of
// calls in flight, an optional rate, and per-entry retries, so the summary can say "sent N of N" exactly.
import { TransientAwsError, type SqsPort } from '../aws/ports.js';
import { StateError, UsageError } from '../errors.js';
import type { Settings } from '../stack/settings.js';
import { arrivalTime, describeProfile, loadProfileFrom, type LoadProfile } from '../simulate/profile.js';

export const QUALITIES = ['480p', '720p', '1080p', '4K'] as const;
export const LIMITS = { count: [1, 10_000_000], concurrency: [1, 200], rate: [1, 1_000_000] } as const;
export const DEFAULTS = { count: 10, concurrency: 16 } as const;
const BATCH_ENTRIES = 10;

export interface ProduceOptions {
  count: number;
  concurrency: number;
  /** messages per second, all workers together */
  rate?: number;
  /** a custom body; {{index}}, {{videoId}}, {{quality}} and {{sentAt}} are filled in per message */
  bodyTemplate?: string;
  /** --load: message i is sent no earlier than its time in the profile; count is the profile's total */
  profile?: LoadProfile;
}

/** Check raw flag values before any remote call; every problem at once. */
export function parseProduceOptions(
  raw: { count?: unknown; concurrency?: unknown; rate?: unknown; load?: unknown },
  resolvePath: (p: string) => string = (p) => p,
): Omit<ProduceOptions, 'bodyTemplate'> {
  const problems: string[] = [];
  const int = (name: keyof typeof LIMITS, v: unknown, fallback?: number): number | undefined => {
    if (v === undefined) return fallback;
    const s = String(v).trim();
    const [min, max] = LIMITS[name];
    if (!/^\d+$/.test(s) || Number(s) < min || Number(s) > max) {
      problems.push(`--${name} = ${JSON.stringify(v)}: must be a whole number from ${min} to ${max}`);
      return undefined;
    }
    return Number(s);
  };
  if (raw.load !== undefined)
    for (const flag of ['count', 'rate'] as const)
      if (raw[flag] !== undefined) problems.push(`--load and --${flag} do not go together: the profile says how many messages and when`);
  const count = int('count', raw.count, DEFAULTS.count);
  const concurrency = int('concurrency', raw.concurrency, DEFAULTS.concurrency);
  const rate = int('rate', raw.rate);
  if (problems.length > 0) throw new UsageError(problems.join('\n'), 'fix the flags above; nothing was sent');
  if (raw.load !== undefined) {
    const profile = loadProfileFrom(String(raw.load), resolvePath);
    return { count: profile.total, concurrency: concurrency!, profile };
  }
  return { count: count!, concurrency: concurrency!, ...(rate !== undefined ? { rate } : {}) };
}

export type BodyMaker = (index: number) => string;

/** The example's story: a video to encode at one of four qualities, with the time it was sent. */
export function bodyMaker(runId: string, template?: string, now: () => Date = () => new Date()): BodyMaker {
  return (index) => {
    const videoId = `${runId}-${index + 1}`;
    const quality = QUALITIES[index % QUALITIES.length]!;
    const sentAt = now().toISOString();
    if (template === undefined) return JSON.stringify({ videoId, quality, sentAt });
    return template.replace(/\{\{\s*(index|videoId|quality|sentAt)\s*\}\}/g, (_m, k: string) =>
      k === 'index' ? String(index + 1) : k === 'videoId' ? videoId : k === 'quality' ? quality : sentAt,
    );
  };
}

/** Bodies SQS would refuse, as an input error (checked on the largest index, the longest body). */
export function checkBody(make: BodyMaker, count: number, maxMessageSize: number, source: string): void {
  const longest = make(count - 1);
  const size = Buffer.byteLength(longest, 'utf8');
  if (size === 0)
    throw new UsageError(`the message body from ${source} is empty`, 'SQS needs at least one character; put some text in the body file');
  if (size > maxMessageSize)
    throw new UsageError(
      `the message body from ${source} is ${size} bytes, over the queue's MaximumMessageSize of ${maxMessageSize} bytes`,
      "use a smaller body file, or raise the queue's MaximumMessageSize; nothing was sent",
    );
}

export interface SendFailure {
  /** 1-based message number */
  message: number;
  code: string;
  reason: string;
}

export interface ProduceResult {
  queue: string;
  queueUrl: string;
  requested: number;
  sent: number;
  failed: SendFailure[];
  /** messages never attempted (stopped, or a fatal error) */
  notAttempted: number;
  stopped: boolean;
  seconds: number;
  messagesPerSecond: number;
  /** with --load: the profile, when it started (epoch ms; message i was sent no earlier than this + its time), and how late the latest batch went out */
  schedule?: { profile: string; startedAt: number; maxLateSeconds: number };
}

export interface SendHooks {
  signal?: AbortSignal;
  onProgress?: (sent: number, failed: number, total: number) => void;
  /** per batch: attempts in total for what a later try may fix (throttling, Failed[] without SenderFault) */
  attempts?: number;
  backoff?: { baseMs: number; maxMs: number };
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  now?: () => number;
}

function abortableSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}

/**
 * Send `count` messages. Ctrl-C (signal) stops new batches; batches in flight finish, so the count
 * is exact. An error no retry can fix (access denied, queue gone) stops everything and is rethrown
 * after in-flight batches finish, with what was sent so far in `partial`.
 */
export async function sendMessages(
  sqs: SqsPort,
  queueUrl: string,
  make: BodyMaker,
  opts: ProduceOptions & { maxBatchBytes: number },
  hooks: SendHooks = {},
): Promise<ProduceResult> {
  const now = hooks.now ?? (() => performance.now());
  const sleep = hooks.sleep ?? abortableSleep;
  const attempts = hooks.attempts ?? 8;
  const { baseMs, maxMs } = hooks.backoff ?? { baseMs: 50, maxMs: 5000 };
  const startedAt = Date.now(); // before t0: a message's send time is never before startedAt + its due time
  const t0 = now();
  let cursor = 0;
  let scheduled = 0;
  let sent = 0;
  const failed: SendFailure[] = [];
  let fatal: unknown;
  const stopped = () => Boolean(hooks.signal?.aborted) || fatal !== undefined;
  const report = () => hooks.onProgress?.(sent, failed.length, opts.count);

  const profile = opts.profile;
  let maxLate = 0;
  /** ms after t0 at which message i is due (profiles only) */
  const dueMs = (i: number) => arrivalTime(profile!, i) * 1000;
  const nextBatch = (dueBy = Infinity): Array<{ id: string; body: string; index: number }> => {
    const batch: Array<{ id: string; body: string; index: number }> = [];
    let bytes = 0;
    while (cursor < opts.count && batch.length < BATCH_ENTRIES && (dueBy === Infinity || dueMs(cursor) <= dueBy)) {
      const body = make(cursor);
      const size = Buffer.byteLength(body, 'utf8');
      if (batch.length > 0 && bytes + size > opts.maxBatchBytes) break;
      batch.push({ id: `m${cursor}`, body, index: cursor });
      bytes += size;
      cursor++;
    }
    return batch;
  };

  const pace = async (n: number) => {
    if (!opts.rate) return;
    const due = t0 + (scheduled / opts.rate) * 1000;
    scheduled += n;
    const wait = due - now();
    if (wait > 0) await sleep(wait, hooks.signal);
  };

  const sendBatch = async (batch: Array<{ id: string; body: string; index: number }>) => {
    let pending = batch;
    for (let attempt = 1; pending.length > 0; attempt++) {
      let lastCode = '';
      let lastReason = '';
      let retry: typeof pending = [];
      try {
        const r = await sqs.sendMessageBatch(
          queueUrl,
          pending.map(({ id, body }) => ({ id, body })),
        );
        sent += r.successful.length;
        const byId = new Map(pending.map((e) => [e.id, e]));
        for (const f of r.failed) {
          const entry = byId.get(f.id);
          if (!entry) continue;
          if (f.senderFault) failed.push({ message: entry.index + 1, code: f.code, reason: f.message || 'refused by SQS' });
          else {
            retry.push(entry);
            lastCode = f.code;
            lastReason = f.message;
          }
        }
      } catch (e) {
        if (!(e instanceof TransientAwsError)) throw e;
        retry = pending;
        lastCode = e.code;
        lastReason = e.message;
      }
      report();
      if (retry.length === 0) return;
      if (attempt >= attempts || hooks.signal?.aborted) {
        const why = hooks.signal?.aborted
          ? `stopped before retrying (${lastReason || lastCode})`
          : `still failing after ${attempt} attempts: ${lastReason || lastCode}`;
        for (const e of retry) failed.push({ message: e.index + 1, code: lastCode, reason: why });
        report();
        return;
      }
      // full jitter, so throttled workers do not retry in step
      await sleep(Math.random() * Math.min(maxMs, baseMs * 2 ** attempt), hooks.signal);
      pending = retry;
    }
  };

  // with a profile: take the messages due now (at least the next one, waiting for it), so a slow
  // rate sends small batches on time and a fast one full batches
  const scheduledWorker = async () => {
    while (!stopped() && cursor < opts.count) {
      const wait = dueMs(cursor) - (now() - t0);
      if (wait > 0) {
        await sleep(wait, hooks.signal);
        continue; // another worker may have taken it meanwhile
      }
      const elapsed = now() - t0;
      const batch = nextBatch(elapsed);
      if (batch.length === 0) continue;
      maxLate = Math.max(maxLate, elapsed - dueMs(batch[0]!.index));
      try {
        await sendBatch(batch);
      } catch (e) {
        fatal ??= e;
      }
    }
  };

  const worker = async () => {
    while (!stopped() && cursor < opts.count) {
      const batch = nextBatch();
      if (batch.length === 0) return;
      await pace(batch.length);
      if (hooks.signal?.aborted) return; // never sent: counted as not attempted
      try {
        await sendBatch(batch);
      } catch (e) {
        fatal ??= e;
      }
    }
  };
  await Promise.all(
    Array.from({ length: Math.min(opts.concurrency, Math.ceil(opts.count / BATCH_ENTRIES)) }, profile ? scheduledWorker : worker),
  );
  const seconds = (now() - t0) / 1000;
  const result: ProduceResult = {
    queue: queueUrl.split('/').pop() ?? queueUrl,
    queueUrl,
    requested: opts.count,
    sent,
    failed: failed.sort((a, b) => a.message - b.message),
    notAttempted: opts.count - sent - failed.length,
    stopped: Boolean(hooks.signal?.aborted),
    seconds: Math.round(seconds * 1000) / 1000,
    messagesPerSecond: seconds > 0 ? Math.round(sent / seconds) : sent,
    ...(profile ? { schedule: { profile: describeProfile(profile), startedAt, maxLateSeconds: Math.round(maxLate) / 1000 } } : {}),
  };
  if (fatal !== undefined) {
    (fatal as { partial?: ProduceResult }).partial = result;
    throw fatal;
  }
  return result;
}

/** The use case: find the stack's queue, check the body against its limit, send. */
export async function produce(
  settings: Settings,
  sqs: SqsPort,
  opts: ProduceOptions,
  hooks: SendHooks & { bodySource?: string; runId?: string } = {},
): Promise<ProduceResult> {
  const url = await sqs.getQueueUrl(settings.queueName);
  if (!url)
    throw new StateError(
      `SQS queue "${settings.queueName}" does not exist in ${settings.region}`,
      `create it with "kedactl init --stack ${settings.stack}" (or pass the right --queue-name / --region)`,
    );
  const attrs = await sqs.getQueueAttributes(url);
  const maxMessageSize = Number(attrs.MaximumMessageSize ?? 262144);
  const make = bodyMaker(hooks.runId ?? Date.now().toString(36), opts.bodyTemplate);
  checkBody(make, opts.count, maxMessageSize, hooks.bodySource ?? 'the default template');
  // a batch may carry as many bytes as one message may (both 256 KiB or both 1 MiB on SQS)
  return sendMessages(sqs, url, make, { ...opts, maxBatchBytes: maxMessageSize }, hooks);
}
