import { describe, expect, it } from 'vitest';
import {
  countJobs,
  countPods,
  initialState,
  podsNewestFirst,
  reduce,
  reduceAll,
  type Action,
  type WatchState,
} from '../../src/core/watch/state.ts';
import { WatchStore } from '../../src/core/watch/session.ts';
import { changeKey, drained, snapshot, summaryLine } from '../../src/core/watch/snapshot.ts';
import { firstReadDone } from '../../src/core/watch/until.ts';

const ctx = { scaledJob: 'demo-processor' };
const run = (actions: Action[], s: WatchState = initialState(0)) => actions.reduce((acc, a) => reduce(acc, a, ctx), s);

const pod = (name: string, phase?: string, extra: Record<string, unknown> = {}) => ({
  metadata: {
    name,
    uid: name,
    creationTimestamp: String(extra.created ?? '2026-01-01T00:00:00Z'),
    ...(extra.deleting ? { deletionTimestamp: '2026-01-01T00:01:00Z' } : {}),
  },
  spec: { nodeName: 'node-1' },
  status: { ...(phase ? { phase } : {}), containerStatuses: [{ restartCount: (extra.restarts as number) ?? 0 }] },
});
const job = (name: string, cond?: 'Complete' | 'Failed') => ({
  metadata: { name, creationTimestamp: '2026-01-01T00:00:00Z' },
  status: cond ? { conditions: [{ type: cond, status: 'True' }] } : { active: 1 },
});

describe('watch state reducer', () => {
  it('a list replaces what was known of that kind and marks it live and synced', () => {
    let s = run([{ type: 'listed', kind: 'pods', items: [pod('a', 'Running'), pod('b')], at: 5 }]);
    expect(s.pods.size).toBe(2);
    expect(s.connections.pods).toMatchObject({ state: 'live', synced: true });
    s = run([{ type: 'listed', kind: 'pods', items: [pod('c', 'Pending')], at: 6 }], s);
    expect([...s.pods.keys()]).toEqual(['c']);
  });

  it('watch events add, modify and delete rows; an unchanged row changes nothing', () => {
    let s = run([
      { type: 'listed', kind: 'pods', items: [], at: 0 },
      { type: 'changed', kind: 'pods', event: 'ADDED', object: pod('a'), at: 1 },
      { type: 'changed', kind: 'pods', event: 'MODIFIED', object: pod('a', 'Running', { restarts: 2 }), at: 2 },
    ]);
    expect(s.pods.get('a')).toMatchObject({ phase: 'Running', restarts: 2, node: 'node-1', terminating: false });
    const same = reduce(s, { type: 'changed', kind: 'pods', event: 'MODIFIED', object: pod('a', 'Running', { restarts: 2 }), at: 3 }, ctx);
    expect(same).toBe(s);
    s = run([{ type: 'changed', kind: 'pods', event: 'MODIFIED', object: pod('a', 'Running', { deleting: true }), at: 4 }], s);
    expect(countPods(s)).toMatchObject({ terminating: 1, running: 0 });
    s = run([{ type: 'changed', kind: 'pods', event: 'DELETED', object: pod('a'), at: 5 }], s);
    expect(s.pods.size).toBe(0);
  });

  it('counts pods by phase and jobs by their conditions', () => {
    const s = run([
      {
        type: 'listed',
        kind: 'pods',
        items: [pod('p1'), pod('p2', 'Running'), pod('p3', 'Succeeded'), pod('p4', 'Failed'), pod('p5', 'Running')],
        at: 0,
      },
      { type: 'listed', kind: 'jobs', items: [job('j1'), job('j2', 'Complete'), job('j3', 'Failed'), job('j4')], at: 0 },
    ]);
    expect(countPods(s)).toEqual({ pending: 1, running: 2, terminating: 0, succeeded: 1, failed: 1 });
    expect(countJobs(s)).toEqual({ active: 2, succeeded: 1, failed: 1 });
  });

  it('orders pods newest first', () => {
    const s = run([
      {
        type: 'listed',
        kind: 'pods',
        items: [pod('old', 'Running', { created: '2026-01-01T00:00:00Z' }), pod('new', 'Pending', { created: '2026-01-01T00:05:00Z' })],
        at: 0,
      },
    ]);
    expect(podsNewestFirst(s).map((p) => p.name)).toEqual(['new', 'old']);
  });

  it('keeps only events about the ScaledJob and its Jobs and Pods, newest first, one row per event', () => {
    const ev = (uid: string, name: string, reason: string, at: string, count = 1) => ({
      metadata: { name: uid, uid },
      involvedObject: { kind: name.includes('-processor-') ? 'Job' : 'ScaledJob', name },
      type: 'Normal',
      reason,
      message: `${reason} happened`,
      lastTimestamp: at,
      count,
    });
    let s = run([
      {
        type: 'listed',
        kind: 'events',
        items: [ev('e1', 'demo-processor', 'KEDAJobsCreated', '2026-01-01T00:00:01Z'), ev('e2', 'other', 'Noise', '2026-01-01T00:00:02Z')],
        at: 0,
      },
      {
        type: 'changed',
        kind: 'events',
        event: 'ADDED',
        object: ev('e3', 'demo-processor-abc', 'Completed', '2026-01-01T00:00:03Z'),
        at: 1,
      },
    ]);
    expect(s.events.map((e) => e.reason)).toEqual(['Completed', 'KEDAJobsCreated']);
    s = run(
      [
        {
          type: 'changed',
          kind: 'events',
          event: 'MODIFIED',
          object: ev('e1', 'demo-processor', 'KEDAJobsCreated', '2026-01-01T00:00:09Z', 2),
          at: 2,
        },
      ],
      s,
    );
    expect(s.events.map((e) => `${e.reason}×${e.count}`)).toEqual(['KEDAJobsCreated×2', 'Completed×1']);
  });

  it('reads the ScaledJob conditions, and says what is wrong', () => {
    const sj = (ready: string, message?: string) => ({
      metadata: { name: 'demo-processor' },
      status: {
        conditions: [
          { type: 'Ready', status: ready, reason: 'ScaledJobCheckFailed', message },
          { type: 'Active', status: 'True' },
        ],
      },
    });
    let s = run([{ type: 'listed', kind: 'scaledJob', items: [sj('True')], at: 0 }]);
    expect(s.scaledJob).toEqual({ exists: true, ready: true, active: true, problem: undefined });
    s = run([{ type: 'changed', kind: 'scaledJob', event: 'MODIFIED', object: sj('False', 'bad trigger'), at: 1 }], s);
    expect(s.scaledJob.problem).toBe('Ready=False ScaledJobCheckFailed: bad trigger');
    s = run([{ type: 'changed', kind: 'scaledJob', event: 'DELETED', object: sj('False'), at: 2 }], s);
    expect(s.scaledJob.exists).toBe(false);
  });

  it('connection changes keep their start time while the state stays the same', () => {
    let s = run([{ type: 'connection', kind: 'pods', state: 'reconnecting', error: 'ECONNREFUSED', at: 10 }]);
    expect(s.connections.pods).toMatchObject({ state: 'reconnecting', since: 10, error: 'ECONNREFUSED' });
    s = run([{ type: 'connection', kind: 'pods', state: 'reconnecting', error: 'ECONNRESET', at: 20 }], s);
    expect(s.connections.pods.since).toBe(10);
  });

  it('samples queue depth (visible + in flight) against running jobs, bounded', () => {
    let s = run([
      { type: 'listed', kind: 'jobs', items: [job('j1'), job('j2')], at: 0 },
      { type: 'sample', at: 1 },
      { type: 'queue', numbers: { visible: 5, inFlight: 2, delayed: 0 }, at: 2 },
      { type: 'sample', at: 3 },
      { type: 'queueError', error: 'throttled', at: 4 },
      { type: 'sample', at: 5 },
    ]);
    expect(s.history).toEqual([
      { at: 1, queue: undefined, running: 2 },
      { at: 3, queue: 7, running: 2 },
      { at: 5, queue: undefined, running: 2 },
    ]);
    for (let i = 0; i < 700; i++) s = reduce(s, { type: 'sample', at: 10 + i }, ctx);
    expect(s.history.length).toBe(600);
    expect(s.history[599]!.at).toBe(709);
  });
});

describe('watch snapshot', () => {
  const base = () =>
    run([
      { type: 'listed', kind: 'pods', items: [pod('p', 'Running')], at: 0 },
      { type: 'listed', kind: 'jobs', items: [job('j')], at: 0 },
      { type: 'listed', kind: 'scaledJob', items: [], at: 0 },
      { type: 'listed', kind: 'events', items: [], at: 0 },
      { type: 'queue', numbers: { visible: 3, inFlight: 1, delayed: 0 }, at: 1000 },
      { type: 'results', processed: 7, killed: 1, at: 1000 },
    ]);

  it('gives the numbers now with their age, and marks old or failing numbers stale', () => {
    const s = base();
    expect(snapshot(s, 3000)).toMatchObject({
      queue: { visible: 3, inFlight: 1, delayed: 0, ageSeconds: 2, stale: false },
      jobs: { active: 1, succeeded: 0, failed: 0 },
      pods: { running: 1 },
      results: { processed: 7, killed: 1, stale: false },
      connection: 'live',
    });
    expect(snapshot(s, 20_000).queue).toMatchObject({ stale: true, ageSeconds: 19 });
    const failing = reduce(s, { type: 'queueError', error: 'SQS is throttling; reading less often', at: 4000 }, ctx);
    expect(snapshot(failing, 4000)).toMatchObject({
      queue: { visible: 3, stale: true, ageSeconds: 3 },
      queueError: 'SQS is throttling; reading less often',
    });
    expect(summaryLine(snapshot(failing, 4000))).toContain('queue 3 visible / 1 in flight (stale, 3s old)');
  });

  it('is "reconnecting" while any kind is, and names which', () => {
    const s = reduce(base(), { type: 'connection', kind: 'jobs', state: 'reconnecting', error: 'ECONNREFUSED', at: 2000 }, ctx);
    const x = snapshot(s, 2500);
    expect(x.connection).toBe('reconnecting');
    expect(x.notLive).toEqual({ jobs: { state: 'reconnecting', error: 'ECONNREFUSED' } });
    expect(summaryLine(x)).toMatch(/reconnecting…$/);
  });

  it('the change key ignores the clock and ages', () => {
    const s = base();
    expect(changeKey(snapshot(s, 2000))).toBe(changeKey(snapshot(s, 5000)));
    expect(changeKey(snapshot(s, 2000))).not.toBe(
      changeKey(snapshot(reduce(s, { type: 'queue', numbers: { visible: 2, inFlight: 1, delayed: 0 }, at: 2000 }, ctx), 2000)),
    );
  });

  it('drained: a fresh empty queue, live Jobs and Pods watches, no active Job', () => {
    let s = base();
    expect(drained(s, 0)).toBe(false); // queue has messages, a job is active
    s = run(
      [
        { type: 'queue', numbers: { visible: 0, inFlight: 0, delayed: 0 }, at: 5000 },
        { type: 'changed', kind: 'jobs', event: 'MODIFIED', object: job('j', 'Complete'), at: 5000 },
      ],
      s,
    );
    expect(drained(s, 0)).toBe(true);
    expect(drained(s, 6000)).toBe(false); // the queue was read before `since`
    const down = reduce(s, { type: 'connection', kind: 'jobs', state: 'reconnecting', at: 7000 }, ctx);
    expect(drained(down, 0)).toBe(false);
    const delayed = reduce(s, { type: 'queue', numbers: { visible: 0, inFlight: 0, delayed: 1 }, at: 8000 }, ctx);
    expect(drained(delayed, 0)).toBe(false);
  });

  it('first read is done when every source answered, with data or an error', () => {
    let s = run([
      { type: 'listed', kind: 'pods', items: [], at: 0 },
      { type: 'listed', kind: 'jobs', items: [], at: 0 },
      { type: 'connection', kind: 'scaledJob', state: 'missing', error: 'not served', at: 0 },
      { type: 'listed', kind: 'events', items: [], at: 0 },
      { type: 'queueError', error: 'no such queue', at: 0 },
    ]);
    expect(firstReadDone(s)).toBe(false);
    s = run([{ type: 'resultsError', error: 'analyzer not ready', at: 0 }], s);
    expect(firstReadDone(s)).toBe(true);
  });
});

describe('batched folding', () => {
  const mixed = (): Action[] => [
    { type: 'listed', kind: 'pods', items: [pod('a'), pod('b', 'Running')], at: 0 },
    { type: 'listed', kind: 'jobs', items: [job('j1')], at: 0 },
    { type: 'changed', kind: 'pods', event: 'ADDED', object: pod('c'), at: 1 },
    { type: 'changed', kind: 'pods', event: 'MODIFIED', object: pod('a', 'Running'), at: 1 },
    { type: 'changed', kind: 'pods', event: 'MODIFIED', object: pod('a', 'Running'), at: 1 }, // no change
    { type: 'sample', at: 2 },
    { type: 'changed', kind: 'jobs', event: 'MODIFIED', object: job('j1', 'Complete'), at: 2 },
    { type: 'changed', kind: 'pods', event: 'DELETED', object: pod('b'), at: 3 },
    { type: 'changed', kind: 'pods', event: 'DELETED', object: pod('zz'), at: 3 }, // unknown
    { type: 'listed', kind: 'pods', items: [pod('x')], at: 4 },
    { type: 'changed', kind: 'pods', event: 'ADDED', object: pod('y', 'Failed'), at: 5 },
    { type: 'sample', at: 6 },
  ];

  it('reduceAll gives what reducing one by one gives, and leaves the input state alone', () => {
    const start = initialState(0);
    const one = run(mixed(), start);
    const all = reduceAll(start, mixed(), ctx);
    expect([...all.pods.entries()]).toEqual([...one.pods.entries()]);
    expect([...all.jobs.entries()]).toEqual([...one.jobs.entries()]);
    expect(all.history).toEqual(one.history);
    expect(all.version).toBe(one.version);
    expect(start.pods.size).toBe(0);
    // a batch of nothing new is the same state
    expect(reduceAll(all, [{ type: 'changed', kind: 'pods', event: 'MODIFIED', object: pod('y', 'Failed'), at: 7 }], ctx)).toBe(all);
  });

  it('copies the pods map once per batch, not once per event', () => {
    const s = run([{ type: 'listed', kind: 'pods', items: Array.from({ length: 1000 }, (_, i) => pod(`p${i}`)), at: 0 }]);
    const before = s.pods;
    const next = reduceAll(
      s,
      Array.from(
        { length: 50 },
        (_, i): Action => ({ type: 'changed', kind: 'pods', event: 'MODIFIED', object: pod(`p${i}`, 'Running'), at: 1 }),
      ),
      ctx,
    );
    expect(before.get('p0')!.phase).toBe('Pending'); // the old state is untouched
    expect(countPods(next).running).toBe(50);
  });

  it('the store folds queued actions when its state is read, and tells listeners something arrived', () => {
    const store = new WatchStore(ctx, 0);
    let heard = 0;
    store.subscribe(() => heard++);
    store.dispatch({ type: 'listed', kind: 'pods', items: [pod('a')], at: 0 });
    store.dispatch({ type: 'changed', kind: 'pods', event: 'MODIFIED', object: pod('a', 'Running'), at: 1 });
    expect(heard).toBe(2);
    expect(store.applied).toBe(0);
    expect(store.state.pods.get('a')!.phase).toBe('Running');
    expect(store.applied).toBe(2);
    const s = store.state;
    expect(store.state).toBe(s); // nothing new: the same object
  });
});
