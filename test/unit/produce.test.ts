// produce's pure pieces, and its send loop against an in-memory SqsPort (the port is ours, not the SDK).
import { describe, expect, it } from 'vitest';
import { TransientAwsError, type BatchResult, type SqsPort } from '../../src/core/aws/ports.ts';
import { ExternalError, UsageError } from '../../src/core/errors.ts';
import { bodyMaker, checkBody, parseProduceOptions, sendMessages } from '../../src/core/produce/produce.ts';
import { produceSummary, progressLine, scheduleLine } from '../../src/ui/produce-text.ts';
import { arrivalTime, buildProfile, parseLoadSpec } from '../../src/core/simulate/profile.ts';

describe('parseProduceOptions', () => {
  it('defaults to 10 messages, 16 in flight, no rate', () => {
    expect(parseProduceOptions({})).toEqual({ count: 10, concurrency: 16 });
  });
  it('takes whole numbers in range', () => {
    expect(parseProduceOptions({ count: '10000', concurrency: '4', rate: '50' })).toEqual({ count: 10000, concurrency: 4, rate: 50 });
  });
  it('reports every bad flag at once as a usage error', () => {
    const e = (() => {
      try {
        parseProduceOptions({ count: '0', concurrency: '1e3', rate: '-1' });
      } catch (err) {
        return err as UsageError;
      }
    })()!;
    expect(e).toBeInstanceOf(UsageError);
    expect(e.message.split('\n')).toEqual([
      '--count = "0": must be a whole number from 1 to 10000000',
      '--concurrency = "1e3": must be a whole number from 1 to 200',
      '--rate = "-1": must be a whole number from 1 to 1000000',
    ]);
  });
});

describe('bodyMaker', () => {
  const at = () => new Date('2026-01-02T03:04:05.000Z');
  it('carries a video id, a quality from the example and the send time', () => {
    const make = bodyMaker('run1', undefined, at);
    expect(JSON.parse(make(0))).toEqual({ videoId: 'run1-1', quality: '480p', sentAt: '2026-01-02T03:04:05.000Z' });
    expect([1, 2, 3, 4].map((i) => JSON.parse(make(i)).quality)).toEqual(['720p', '1080p', '4K', '480p']);
  });
  it('fills a template per message and leaves other braces alone', () => {
    const make = bodyMaker('r', '{"id":"{{videoId}}","q":"{{ quality }}","n":{{index}},"x":"{{other}}"}', at);
    expect(make(41)).toBe('{"id":"r-42","q":"720p","n":42,"x":"{{other}}"}');
  });
});

describe('checkBody', () => {
  it('refuses bodies over the queue limit, measured in bytes', () => {
    expect(() => checkBody(() => 'é'.repeat(600), 1, 1024, 'body.txt')).toThrow(
      "the message body from body.txt is 1200 bytes, over the queue's MaximumMessageSize of 1024 bytes",
    );
    expect(() => checkBody(() => 'a'.repeat(1024), 1, 1024, 'body.txt')).not.toThrow();
  });
  it('refuses an empty body', () => {
    expect(() => checkBody(() => '', 1, 1024, 'body.txt')).toThrow(UsageError);
  });
});

/** A queue in memory; `script` decides per call what fails. */
function memoryQueue(
  script: (call: number, ids: string[]) => { throw?: Error; fail?: Array<{ id: string; senderFault?: boolean }> } | undefined = () =>
    undefined,
) {
  const bodies: string[] = [];
  const batches: number[] = [];
  let calls = 0;
  const port: Pick<SqsPort, 'sendMessageBatch'> = {
    async sendMessageBatch(_url, entries): Promise<BatchResult> {
      const call = ++calls;
      batches.push(entries.length);
      await new Promise((r) => setImmediate(r));
      const s = script(
        call,
        entries.map((e) => e.id),
      );
      if (s?.throw) throw s.throw;
      const failing = new Map((s?.fail ?? []).map((f) => [f.id, f]));
      const ok = entries.filter((e) => !failing.has(e.id));
      bodies.push(...ok.map((e) => e.body));
      return {
        successful: ok.map((e) => e.id),
        failed: [...failing.values()].map((f) => ({ id: f.id, code: 'X', message: 'no', senderFault: Boolean(f.senderFault) })),
      };
    },
  };
  return { port: port as SqsPort, bodies, batches, calls: () => calls };
}

const fast = { backoff: { baseMs: 0, maxMs: 0 }, sleep: async () => {} };

describe('sendMessages', () => {
  it('sends in batches of 10 and counts exactly', async () => {
    const q = memoryQueue();
    const r = await sendMessages(q.port, 'u/q', (i) => `b${i}`, { count: 95, concurrency: 3, maxBatchBytes: 1000 }, fast);
    expect(r).toMatchObject({ queue: 'q', sent: 95, failed: [], notAttempted: 0, stopped: false });
    expect(q.batches).toEqual([10, 10, 10, 10, 10, 10, 10, 10, 10, 5]);
    expect(new Set(q.bodies).size).toBe(95);
  });

  it('keeps a batch within the byte limit', async () => {
    const q = memoryQueue();
    await sendMessages(q.port, 'u/q', () => 'x'.repeat(300), { count: 10, concurrency: 1, maxBatchBytes: 1000 }, fast);
    expect(q.batches).toEqual([3, 3, 3, 1]);
  });

  it('retries transient errors and retriable Failed[] entries, not sender faults', async () => {
    const q = memoryQueue((call, ids) => {
      if (call === 1) return { throw: new TransientAwsError('ThrottlingException', 'slow down') };
      if (call === 2) return { fail: [{ id: ids[0]! }, { id: ids[1]!, senderFault: true }] };
      return undefined;
    });
    const r = await sendMessages(q.port, 'u/q', (i) => `b${i}`, { count: 10, concurrency: 1, maxBatchBytes: 1000 }, fast);
    expect(r.sent).toBe(9);
    expect(r.failed).toEqual([{ message: 2, code: 'X', reason: 'no' }]);
    expect(q.batches).toEqual([10, 10, 1]);
  });

  it('gives up after the attempts and names the reason', async () => {
    const q = memoryQueue(() => ({ throw: new TransientAwsError('ThrottlingException', 'slow down') }));
    const r = await sendMessages(
      q.port,
      'u/q',
      (i) => `b${i}`,
      { count: 10, concurrency: 1, maxBatchBytes: 1000 },
      { ...fast, attempts: 3 },
    );
    expect(r.sent).toBe(0);
    expect(r.failed).toHaveLength(10);
    expect(r.failed[0]).toEqual({ message: 1, code: 'ThrottlingException', reason: 'still failing after 3 attempts: slow down' });
    expect(q.calls()).toBe(3);
  });

  it('stops on an error no retry fixes, after the batches in flight, and says how many were sent', async () => {
    const q = memoryQueue((call) => (call === 3 ? { throw: new ExternalError('SQS', 'SendMessageBatch', 'access denied') } : undefined));
    const err = await sendMessages(q.port, 'u/q', (i) => `b${i}`, { count: 100, concurrency: 1, maxBatchBytes: 1000 }, fast).catch(
      (e) => e,
    );
    expect(err).toBeInstanceOf(ExternalError);
    expect(err.partial).toMatchObject({ sent: 20, notAttempted: 80 });
  });

  it('stops when aborted and counts only what was sent', async () => {
    const abort = new AbortController();
    const q = memoryQueue((call) => {
      if (call === 4) abort.abort();
      return undefined;
    });
    const r = await sendMessages(
      q.port,
      'u/q',
      (i) => `b${i}`,
      { count: 1000, concurrency: 2, maxBatchBytes: 1000 },
      { ...fast, signal: abort.signal },
    );
    expect(r.stopped).toBe(true);
    expect(r.sent).toBe(q.bodies.length);
    expect(r.sent).toBeLessThanOrEqual(50);
    expect(r.notAttempted).toBe(1000 - r.sent);
  });

  it('paces to --rate', async () => {
    const waits: number[] = [];
    let clock = 0;
    const q = memoryQueue();
    await sendMessages(
      q.port,
      'u/q',
      (i) => `b${i}`,
      { count: 50, concurrency: 1, rate: 10, maxBatchBytes: 1000 },
      {
        now: () => clock,
        sleep: async (ms) => {
          waits.push(Math.round(ms));
          clock += ms;
        },
      },
    );
    // 10 messages per batch at 10 msg/s: one batch a second
    expect(waits).toEqual([1000, 1000, 1000, 1000]);
  });
});

describe('sendMessages with a load profile', () => {
  /** a fake clock: sleeping moves it; each batch is recorded with the time it went out */
  function clocked() {
    let clock = 0;
    const sent: Array<{ at: number; index: number }> = [];
    const q = memoryQueue();
    const port = {
      ...q.port,
      async sendMessageBatch(url: string, entries: Array<{ id: string; body: string }>) {
        for (const e of entries) sent.push({ at: clock, index: Number(e.body) });
        return q.port.sendMessageBatch(url, entries);
      },
    } as SqsPort;
    const hooks = { now: () => clock, sleep: async (ms: number) => void (clock += ms) };
    return { port, sent, hooks, clock: () => clock };
  }

  it('sends every message no earlier than the profile says, all of them, once', async () => {
    const profile = buildProfile(
      parseLoadSpec('burst:count=25 + pause:duration=10s + ramp:from=1,to=9,duration=10s + steady:rate=2,duration=5s'),
    );
    const c = clocked();
    const r = await sendMessages(
      c.port,
      'u/q',
      (i) => String(i),
      { count: profile.total, concurrency: 4, maxBatchBytes: 10_000, profile },
      c.hooks,
    );
    expect(r).toMatchObject({ requested: 85, sent: 85, failed: [], notAttempted: 0 });
    expect(c.sent.map((s) => s.index).sort((a, b) => a - b)).toEqual(Array.from({ length: 85 }, (_, i) => i));
    for (const s of c.sent) expect(s.at).toBeGreaterThanOrEqual(arrivalTime(profile, s.index) * 1000 - 1e-6);
    // and on time: with an instant queue, nothing waits past its due time
    expect(r.schedule).toMatchObject({
      profile: 'burst of 25 + pause 10s + ramp 1/s→9/s over 10s + steady 2/s for 5s: 85 messages over 25s',
      maxLateSeconds: 0,
    });
    expect(c.clock()).toBeCloseTo(arrivalTime(profile, 84) * 1000, 6);
  });

  it('a slow rate goes out one message at a time; a burst in full batches', async () => {
    const slow = clocked();
    const p1 = buildProfile(parseLoadSpec('steady:rate=1,duration=5s'));
    await sendMessages(
      slow.port,
      'u/q',
      (i) => String(i),
      { count: p1.total, concurrency: 2, maxBatchBytes: 10_000, profile: p1 },
      slow.hooks,
    );
    expect(slow.sent.map((s) => s.at)).toEqual([0, 1000, 2000, 3000, 4000]);
    const burst = clocked();
    const p2 = buildProfile(parseLoadSpec('burst:count=30'));
    await sendMessages(
      burst.port,
      'u/q',
      (i) => String(i),
      { count: p2.total, concurrency: 2, maxBatchBytes: 10_000, profile: p2 },
      burst.hooks,
    );
    expect(burst.sent.every((s) => s.at === 0)).toBe(true);
  });

  it('Ctrl-C during a pause stops at once with the exact count', async () => {
    const c = clocked();
    const abort = new AbortController();
    const profile = buildProfile(parseLoadSpec('burst:count=5 + pause:duration=1h + burst:count=5'));
    const sleep = async (ms: number) => {
      if (ms > 60_000)
        abort.abort(); // the user gives up waiting for the second burst
      else await c.hooks.sleep(ms);
    };
    const r = await sendMessages(
      c.port,
      'u/q',
      (i) => String(i),
      { count: profile.total, concurrency: 2, maxBatchBytes: 10_000, profile },
      { now: c.hooks.now, sleep, signal: abort.signal },
    );
    expect(r).toMatchObject({ requested: 10, sent: 5, notAttempted: 5, stopped: true });
    expect(c.clock()).toBe(0);
  });

  it('--load takes the count from the profile and refuses --count and --rate beside it', () => {
    expect(parseProduceOptions({ load: 'burst:count=42' })).toMatchObject({ count: 42, concurrency: 16 });
    expect(() => parseProduceOptions({ load: 'burst:count=42', count: '5', rate: '3' })).toThrow(
      '--load and --count do not go together: the profile says how many messages and when\n--load and --rate do not go together',
    );
    expect(() => parseProduceOptions({ load: 'burst:count=-1' })).toThrow(
      'load profile (--load): burst: count = "-1" must be a whole number',
    );
  });
});

describe('produceSummary', () => {
  const base = {
    queue: 'q',
    queueUrl: 'u/q',
    requested: 12,
    sent: 12,
    failed: [],
    notAttempted: 0,
    stopped: false,
    seconds: 1.25,
    messagesPerSecond: 10,
  };
  it('says sent N of N in one line', () => {
    expect(produceSummary(base)).toBe('sent 12 of 12 messages to q in 1.3s (10 msg/s)');
  });
  it('lists what was not sent, at most 10 lines', () => {
    const failed = Array.from({ length: 12 }, (_, i) => ({ message: i + 1, code: 'C', reason: 'r' }));
    const text = produceSummary({ ...base, sent: 0, failed });
    expect(text.split('\n')).toHaveLength(1 + 1 + 10 + 1);
    expect(text).toContain('12 not sent:\n  message 1: C: r');
    expect(text).toContain('… and 2 more (-o json lists all)');
  });
  it('marks a stopped run', () => {
    expect(produceSummary({ ...base, sent: 5, notAttempted: 7, stopped: true })).toBe(
      'stopped: sent 5 of 12 messages to q in 1.3s (10 msg/s)\n7 not attempted (stopped)',
    );
  });
});

describe('scheduleLine', () => {
  it('shows sent against the target, the rate and the time left', () => {
    expect(scheduleLine(100, 0, 120, 1000, 10, 100)).toBe('\rsent 100 / target 120 of 1000, 10 msg/s, ETA 1m30s\u001b[K');
    expect(scheduleLine(1000, 2, 1000, 1000, 100, 100)).toBe('\rsent 1000 / target 1000 of 1000, 10 msg/s, done, 2 failed\u001b[K');
  });
});

describe('progressLine', () => {
  it('redraws one line with a bar, counts, percent and rate', () => {
    expect(progressLine(2500, 0, 10000, 2)).toBe('\r[######..................] 2500/10000 (25%) 1250 msg/s\u001b[K');
    expect(progressLine(10000, 3, 10000, 4)).toBe('\r[########################] 10000/10000 (100%) 2500 msg/s, 3 failed\u001b[K');
  });
});
