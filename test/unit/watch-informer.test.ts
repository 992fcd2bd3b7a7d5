import { describe, expect, it } from 'vitest';
import {
  backoff,
  runInformer,
  WatchHttpError,
  type WatchEvent,
  type WatchTarget,
  type WatchTransport,
} from '../../src/core/watch/informer.ts';
import { poll, pollDelay, queueErrorText, sqsQueueSource } from '../../src/core/watch/sources.ts';

type Step =
  | { list: { items: unknown[]; rv: string } }
  | { listFails: Error }
  | { watch: WatchEvent[]; end?: 'close' | Error }
  | { watchFails: Error };

/** A scripted API server: each list/watch call takes the next step. */
function scripted(steps: Step[], ac: AbortController) {
  const calls: string[] = [];
  let i = 0;
  const next = () => {
    const s = steps[i++];
    if (!s) ac.abort(); // script done: stop the informer
    return s;
  };
  const transport: WatchTransport = {
    async list(_t: WatchTarget) {
      calls.push('list');
      const s = next();
      if (!s) throw new Error('script over');
      if ('listFails' in s) throw s.listFails;
      if (!('list' in s)) throw new Error(`expected a list step, got ${JSON.stringify(s)}`);
      return { items: s.list.items as never[], resourceVersion: s.list.rv };
    },
    async watch(_t, rv, on) {
      calls.push(`watch@${rv}`);
      const s = next();
      if (!s) return;
      if ('watchFails' in s) throw s.watchFails;
      if (!('watch' in s)) throw new Error(`expected a watch step, got ${JSON.stringify(s)}`);
      on.open();
      for (const e of s.watch) on.event(e);
      if (s.end instanceof Error) throw s.end;
    },
  };
  return { transport, calls };
}

function recorder() {
  const log: string[] = [];
  return {
    log,
    sink: {
      listed: (items: unknown[]) => log.push(`listed ${items.length}`),
      changed: (t: string, o: { metadata?: { name?: string } }) => log.push(`${t} ${o.metadata?.name}`),
      connection: (s: string, e?: string) => log.push(`conn ${s}${e ? ` (${e})` : ''}`),
    },
  };
}

const ev = (type: WatchEvent['type'], name: string, rv: string): WatchEvent => ({
  type,
  object: { metadata: { name, resourceVersion: rv } } as never,
});
const gone: WatchEvent = { type: 'ERROR', object: { code: 410, message: 'too old resource version: 5 (9)' } as never };
const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:6443'), { code: 'ECONNREFUSED' });

describe('informer (list + watch)', () => {
  it('lists, then watches from the list version, resuming from the last version seen (bookmarks too)', async () => {
    const ac = new AbortController();
    const { transport, calls } = scripted(
      [
        { list: { items: [{}, {}], rv: '10' } },
        { watch: [ev('ADDED', 'a', '11'), ev('MODIFIED', 'a', '12'), ev('BOOKMARK', '', '15')], end: 'close' },
        { watch: [ev('DELETED', 'a', '16')], end: 'close' },
      ],
      ac,
    );
    const r = recorder();
    const delays: number[] = [];
    await runInformer(transport, { path: '/x' }, r.sink, {
      signal: ac.signal,
      sleep: async (ms) => void delays.push(ms),
      now: () => 0,
      shortStreamMs: 0,
    });
    expect(calls).toEqual(['list', 'watch@10', 'watch@15', 'watch@16']);
    expect(r.log).toEqual(['listed 2', 'ADDED a', 'MODIFIED a', 'DELETED a']);
    expect(delays).toEqual([]); // a watch the server ends normally resumes at once
  });

  it('re-lists on 410 Gone (as a watch ERROR event or as a status), without backoff the first time', async () => {
    const ac = new AbortController();
    const { transport, calls } = scripted(
      [
        { list: { items: [], rv: '5' } },
        { watch: [ev('ADDED', 'a', '6'), gone] },
        { list: { items: [{}], rv: '20' } },
        { watchFails: new WatchHttpError(410, 'Gone') },
        { list: { items: [{}, {}], rv: '30' } },
      ],
      ac,
    );
    const r = recorder();
    const delays: number[] = [];
    let relists = 0;
    await runInformer(transport, { path: '/x' }, r.sink, {
      signal: ac.signal,
      sleep: async (ms) => void delays.push(ms),
      random: () => 1,
      onRelist: () => relists++,
    });
    expect(calls).toEqual(['list', 'watch@5', 'list', 'watch@20', 'list', 'watch@30']);
    expect(r.log).toEqual(['listed 0', 'ADDED a', 'listed 1', 'listed 2']);
    expect(relists).toBe(2);
    expect(delays).toEqual([250]); // the second Gone in a row waits
  });

  it('on network errors says reconnecting, backs off (bounded), resumes from its version, and says live again', async () => {
    const ac = new AbortController();
    const { transport, calls } = scripted(
      [
        { list: { items: [], rv: '1' } },
        { watch: [ev('ADDED', 'a', '2')], end: Object.assign(new Error('aborted'), { code: 'ECONNRESET' }) },
        { watchFails: refused },
        { watchFails: refused },
        { watchFails: refused },
        { watchFails: refused },
        { watchFails: refused },
        { watch: [ev('MODIFIED', 'a', '3')], end: 'close' },
      ],
      ac,
    );
    const r = recorder();
    const delays: number[] = [];
    await runInformer(transport, { path: '/x' }, r.sink, {
      signal: ac.signal,
      sleep: async (ms) => void delays.push(ms),
      random: () => 1,
      maxBackoffMs: 2000,
      now: () => 0,
      shortStreamMs: 0,
    });
    expect(calls).toEqual(['list', 'watch@1', 'watch@2', 'watch@2', 'watch@2', 'watch@2', 'watch@2', 'watch@2', 'watch@3']);
    expect(delays).toEqual([250, 500, 1000, 2000, 2000, 2000]);
    expect(r.log).toEqual([
      'listed 0',
      'ADDED a',
      'conn reconnecting (ECONNRESET: aborted)',
      'conn reconnecting (ECONNREFUSED: connect ECONNREFUSED 127.0.0.1:6443)',
      'conn reconnecting (ECONNREFUSED: connect ECONNREFUSED 127.0.0.1:6443)',
      'conn reconnecting (ECONNREFUSED: connect ECONNREFUSED 127.0.0.1:6443)',
      'conn reconnecting (ECONNREFUSED: connect ECONNREFUSED 127.0.0.1:6443)',
      'conn reconnecting (ECONNREFUSED: connect ECONNREFUSED 127.0.0.1:6443)',
      'conn live',
      'MODIFIED a',
    ]);
  });

  it('a kind that is not served (404) is "missing" and looked for again later', async () => {
    const ac = new AbortController();
    const { transport } = scripted(
      [
        { listFails: new WatchHttpError(404, 'HTTP 404: the server could not find the requested resource') },
        { list: { items: [{}], rv: '1' } },
      ],
      ac,
    );
    const r = recorder();
    const delays: number[] = [];
    await runInformer(transport, { path: '/x' }, r.sink, {
      signal: ac.signal,
      sleep: async (ms) => void delays.push(ms),
      maxBackoffMs: 5000,
    });
    expect(r.log).toEqual(['conn missing (HTTP 404: the server could not find the requested resource)', 'listed 1']);
    expect(delays).toEqual([5000]);
  });

  it('a server that closes every watch at once is treated as a failure, not a busy loop', async () => {
    const ac = new AbortController();
    const { transport } = scripted([{ list: { items: [], rv: '1' } }, { watch: [], end: 'close' }, { watch: [], end: 'close' }], ac);
    const r = recorder();
    const delays: number[] = [];
    await runInformer(transport, { path: '/x' }, r.sink, {
      signal: ac.signal,
      sleep: async (ms) => void delays.push(ms),
      random: () => 1,
      now: () => 0,
    });
    expect(delays).toEqual([250, 500]);
    expect(r.log).toContain('conn reconnecting (the API server closed the watch)');
  });

  it('backoff doubles, is capped, and jitters down by at most half', () => {
    expect([0, 1, 2, 3, 10].map((a) => backoff(a, 250, 5000, () => 1))).toEqual([250, 500, 1000, 2000, 5000]);
    expect(backoff(10, 250, 5000, () => 0)).toBe(2500);
  });
});

describe('pollers', () => {
  it('poll delay doubles per failure up to the cap, and is the interval when fine', () => {
    expect([0, 1, 2, 3, 4, 10].map((f) => pollDelay(2000, f, 30_000))).toEqual([2000, 4000, 8000, 16000, 30000, 30000]);
  });

  it('poll reads every interval and backs off while reads fail (throttling is not answered with more calls)', async () => {
    const ac = new AbortController();
    const results = [1, new Error('Throttling: Rate exceeded'), new Error('Throttling: Rate exceeded'), 2];
    const seen: string[] = [];
    const delays: number[] = [];
    await poll(
      async () => {
        const r = results.shift();
        if (r === undefined) {
          ac.abort();
          return 0;
        }
        if (r instanceof Error) throw r;
        return r;
      },
      { value: (v) => seen.push(`v${v}`), error: (e) => seen.push(queueErrorText(e, 'q')) },
      { intervalMs: 2000, signal: ac.signal, sleep: async (ms) => void delays.push(ms) },
    );
    expect(seen).toEqual(['v1', 'SQS is throttling; reading less often', 'SQS is throttling; reading less often', 'v2']);
    expect(delays).toEqual([2000, 4000, 8000, 2000]);
  });

  it('reads queue depth, in flight, delayed and the dead-letter queue; a missing queue says what to do', async () => {
    const attrs: Record<string, Record<string, string>> = {
      'http://q/main': {
        ApproximateNumberOfMessages: '5',
        ApproximateNumberOfMessagesNotVisible: '2',
        ApproximateNumberOfMessagesDelayed: '1',
      },
      'http://q/dlq': { ApproximateNumberOfMessages: '3' },
    };
    let lookups = 0;
    const sqs = {
      async getQueueUrl(name: string) {
        lookups++;
        return name === 'main' ? 'http://q/main' : name === 'main-dlq' ? 'http://q/dlq' : undefined;
      },
      async getQueueAttributes(url: string) {
        return attrs[url]!;
      },
    };
    const src = sqsQueueSource(sqs, { queue: 'main', deadLetterQueue: 'main-dlq' });
    expect(await src.read()).toEqual({ visible: 5, inFlight: 2, delayed: 1, deadLetter: 3 });
    await src.read();
    expect(lookups).toBe(2); // URLs are looked up once
    const missing = sqsQueueSource(sqs, { queue: 'nope' });
    const e = await missing.read().catch((x) => x);
    expect(queueErrorText(e, 'nope')).toBe('queue nope does not exist (run kedactl init)');
  });
});
