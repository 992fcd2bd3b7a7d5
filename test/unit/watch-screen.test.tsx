import { describe, expect, it } from 'vitest';
import { render } from 'ink-testing-library';
import { WatchScreen, type WatchHeader } from '../../src/ui/watch/screen.tsx';
import { WatchStore } from '../../src/core/watch/session.ts';
import { chart } from '../../src/ui/watch/chart.ts';

const header: WatchHeader = {
  stack: 'demo',
  context: 'rig-admin',
  namespace: 'demo',
  queue: 'demo-queue',
  region: 'us-east-1',
  kedaVersion: '2.20.0',
};
const T0 = Date.parse('2026-01-01T00:10:00Z');
const tick = (ms = 60) => new Promise((r) => setTimeout(r, ms));

const pod = (i: number, phase: string) => ({
  metadata: { name: `demo-processor-${String(i).padStart(3, '0')}-x`, creationTimestamp: new Date(T0 - (100 - i) * 1000).toISOString() },
  spec: { nodeName: 'node-a' },
  status: { phase },
});
const job = (i: number, done?: 'Complete' | 'Failed') => ({
  metadata: { name: `demo-processor-${i}` },
  status: done ? { conditions: [{ type: done, status: 'True' }] } : {},
});

function liveStore(now: number) {
  const store = new WatchStore({ scaledJob: 'demo-processor' }, now);
  store.dispatch({ type: 'listed', kind: 'pods', items: [pod(1, 'Succeeded'), pod(2, 'Running'), pod(3, 'Pending')], at: now });
  store.dispatch({ type: 'listed', kind: 'jobs', items: [job(1, 'Complete'), job(2), job(3)], at: now });
  store.dispatch({
    type: 'listed',
    kind: 'scaledJob',
    items: [
      {
        metadata: { name: 'demo-processor' },
        status: {
          conditions: [
            { type: 'Ready', status: 'True' },
            { type: 'Active', status: 'True' },
          ],
        },
      },
    ],
    at: now,
  });
  store.dispatch({
    type: 'listed',
    kind: 'events',
    items: [
      {
        metadata: { name: 'e', uid: 'e' },
        involvedObject: { kind: 'ScaledJob', name: 'demo-processor' },
        reason: 'KEDAJobsCreated',
        message: 'Created 2 jobs',
        type: 'Normal',
        lastTimestamp: new Date(now - 5000).toISOString(),
      },
    ],
    at: now,
  });
  store.dispatch({ type: 'queue', numbers: { visible: 12, inFlight: 2, delayed: 0 }, at: now });
  store.dispatch({ type: 'results', processed: 1, killed: 0, at: now });
  for (let i = 0; i < 30; i++) {
    store.dispatch({ type: 'queue', numbers: { visible: Math.max(0, 30 - i), inFlight: Math.min(i, 5), delayed: 0 }, at: now });
    store.dispatch({ type: 'sample', at: now - (30 - i) * 2000 });
  }
  store.dispatch({ type: 'queue', numbers: { visible: 12, inFlight: 2, delayed: 0 }, at: now });
  return store;
}

describe('watch screen (ink)', () => {
  it('shows the header, the numbers now, the chart, the pods newest first and the events', async () => {
    const now = T0;
    const store = liveStore(now);
    const ui = render(<WatchScreen store={store} header={header} now={() => now} size={{ columns: 110, rows: 40 }} />);
    await tick();
    const f = ui.lastFrame()!;
    expect(f).toContain('● live · stack demo · context rig-admin · ns demo · queue demo-queue (us-east-1) · KEDA 2.20.0');
    expect(f).toMatch(/queue\s+12 visible\s+2 in flight\s+0 delayed/);
    expect(f).toMatch(/jobs\s+2 active\s+1 succeeded\s+0 failed/);
    expect(f).toMatch(/pods\s+1 pending\s+1 running\s+0 terminating/);
    expect(f).toMatch(/results\s+1 processed\s+0 killed/);
    expect(f).toContain('scaledjob ready, active');
    expect(f).toContain('█ queue depth (visible + in flight, left scale) and ● running jobs (right scale), last 58s');
    const table = f.slice(f.indexOf('POD'));
    expect(table.indexOf('demo-processor-003-x')).toBeLessThan(table.indexOf('demo-processor-001-x'));
    expect(table).toMatch(/demo-processor-003-x\s+Pending\s+1m37s\s+0\s+node-a/);
    expect(f).toContain('KEDAJobsCreated ScaledJob/demo-processor Created 2 jobs');
    ui.unmount();
  });

  it('shows "+N more" when the pods do not fit, and fits a small terminal', async () => {
    const now = T0;
    const store = liveStore(now);
    store.dispatch({
      type: 'listed',
      kind: 'pods',
      items: Array.from({ length: 60 }, (_, i) => pod(i, i % 3 ? 'Running' : 'Pending')),
      at: now,
    });
    const ui = render(<WatchScreen store={store} header={header} now={() => now} size={{ columns: 80, rows: 24 }} />);
    await tick();
    const f = ui.lastFrame()!;
    const lines = f.split('\n');
    expect(lines.length).toBeLessThanOrEqual(24);
    expect(f).toMatch(/… \+\d+ more/);
    const shown = lines.filter((l) => /demo-processor-\d{3}-x/.test(l)).length;
    expect(f).toContain(`… +${60 - shown} more`);
    for (const l of lines) expect(l.length).toBeLessThanOrEqual(80);
    ui.unmount();
  });

  it('marks stale queue numbers with their age, says reconnecting and results unavailable', async () => {
    let now = T0;
    const store = liveStore(now);
    now += 25_000;
    store.dispatch({ type: 'queueError', error: 'SQS is throttling; reading less often', at: now });
    store.dispatch({
      type: 'connection',
      kind: 'pods',
      state: 'reconnecting',
      error: 'ECONNREFUSED: connect ECONNREFUSED 127.0.0.1:6443',
      at: now - 4000,
    });
    store.dispatch({ type: 'connection', kind: 'jobs', state: 'reconnecting', error: 'ECONNREFUSED', at: now - 4000 });
    const s2 = new WatchStore({ scaledJob: 'demo-processor' }, now);
    s2.dispatch({
      type: 'resultsError',
      error: 'the result analyzer (service demo/demo-result-analyzer) is not ready: no endpoints available',
      at: now,
    });
    const ui = render(<WatchScreen store={store} header={header} now={() => now} size={{ columns: 160, rows: 40 }} />);
    await tick();
    const f = ui.lastFrame()!;
    expect(f).toContain('◌ reconnecting…');
    expect(f).toContain('12 visible');
    expect(f).toContain('(stale: 25s old – SQS is throttling; reading less often)');
    expect(f).toMatch(/jobs .*\(as of 4s ago: reconnecting – ECONNREFUSED\)/);
    ui.unmount();
    const ui2 = render(<WatchScreen store={s2} header={header} now={() => now} size={{ columns: 160, rows: 40 }} />);
    await tick();
    expect(ui2.lastFrame()).toContain(
      'results unavailable – the result analyzer (service demo/demo-result-analyzer) is not ready: no endpoints available',
    );
    expect(ui2.lastFrame()).toContain('○ connecting…');
    ui2.unmount();
  });

  it('redraws at a bounded rate: a burst of 500 changes makes a few frames, not 500', async () => {
    const now = T0;
    const store = liveStore(now);
    const ui = render(<WatchScreen store={store} header={header} now={() => now} size={{ columns: 100, rows: 30 }} minRedrawMs={100} />);
    await tick(150);
    const before = ui.frames.length;
    const started = Date.now();
    for (let i = 0; i < 500; i++)
      store.dispatch({ type: 'changed', kind: 'pods', event: 'ADDED', object: pod(200 + i, 'Pending'), at: now });
    // wait for the last change to show (a busy machine may take longer than a few redraw periods)
    while (!/pods\s+501 pending/.test(ui.lastFrame() ?? '') && Date.now() - started < 10_000) await tick(20);
    expect(ui.lastFrame()).toMatch(/pods\s+501 pending/);
    // at most one frame per 100 ms redraw period (plus the first and the last), however long that took
    const periods = Math.ceil((Date.now() - started) / 100);
    expect(ui.frames.length - before).toBeLessThanOrEqual(periods + 2);
    expect(ui.frames.length - before).toBeLessThan(50);
    ui.unmount();
  });

  it('p pauses the view, space freezes the table, q quits', async () => {
    const now = T0;
    const store = liveStore(now);
    let quit = 0;
    const ui = render(
      <WatchScreen store={store} header={header} now={() => now} size={{ columns: 110, rows: 40 }} minRedrawMs={0} onQuit={() => quit++} />,
    );
    await tick();
    expect(ui.lastFrame()).toContain('q quit · p pause · space freeze the table');
    ui.stdin.write('p');
    await tick();
    store.dispatch({ type: 'queue', numbers: { visible: 99, inFlight: 0, delayed: 0 }, at: now });
    await tick();
    expect(ui.lastFrame()).toContain('⏸ paused');
    expect(ui.lastFrame()).toContain('12 visible');
    ui.stdin.write('p');
    await tick();
    expect(ui.lastFrame()).toContain('99 visible');
    ui.stdin.write(' ');
    await tick();
    store.dispatch({ type: 'changed', kind: 'pods', event: 'ADDED', object: pod(99, 'Running'), at: now });
    await tick();
    expect(ui.lastFrame()).toContain('(frozen: space to follow)');
    expect(ui.lastFrame()).not.toContain('demo-processor-099-x');
    expect(ui.lastFrame()).toMatch(/pods\s+1 pending\s+2 running/); // the numbers still move
    ui.stdin.write(' ');
    await tick();
    expect(ui.lastFrame()).toContain('demo-processor-099-x');
    ui.stdin.write('q');
    await tick();
    expect(quit).toBe(1);
    ui.unmount();
  });
});

describe('chart', () => {
  it('draws queue bars and running-job marks on one scale, newest at the right', () => {
    const c = chart(
      [
        { at: 0, queue: 40, running: 0 },
        { at: 2000, queue: 20, running: 2 },
        { at: 4000, queue: undefined, running: 4 },
      ],
      5,
      4,
    );
    expect(c).toMatchObject({ maxQueue: 40, maxRunning: 4, spanSeconds: 4 });
    // each series on its own scale: 4 running jobs reach the top like 40 messages do
    expect(c.rows.map((r) => r.join(''))).toEqual(['  q r', '  q  ', '  qb ', '  qqu']);
  });
});
