// The watch of a deployment workload's stack (a ScaledObject scaling a consumer Deployment through its
// HPA): the targets the workload gives, the reducer's Deployment / HPA / ScaledObject views, the snapshot
// and line it prints, when it calls the stack drained, and the ink frame.
import { describe, expect, it } from 'vitest';
import { render } from 'ink-testing-library';
import { initialState, reduce, type Action, type Kind, type WatchState } from '../../src/core/watch/state.ts';
import { type WatchStore, workloadTargets } from '../../src/core/watch/session.ts';
import { drained, snapshot, summaryLine } from '../../src/core/watch/snapshot.ts';
import { firstReadDone, unreadableError } from '../../src/core/watch/until.ts';
import { WatchScreen } from '../../src/ui/watch/screen.tsx';
import { deploymentWorkload } from '../../src/core/workloads/deployment/index.ts';
import { jobWorkload } from '../../src/core/workloads/job/index.ts';
import { names } from '../../src/core/stack/names.ts';
import { loadSettings } from '../../src/core/stack/load-settings.ts';
import { tmpdir } from 'node:os';
import { deploymentObjects as D } from '../support/watch-fixtures.ts';

const settings = (workload: 'job' | 'deployment') =>
  loadSettings({ flags: { stack: 'demo', region: 'us-east-1', workload }, env: {}, cwd: tmpdir() }).settings;
const n = names(settings('deployment'));
const { targets, related } = workloadTargets(n.namespace, deploymentWorkload, n);
const kinds = Object.keys(targets) as Kind[];
const ctx = { scaledJob: n.scaledObject, related, kinds };
const run = (actions: Action[], s: WatchState = initialState(0, kinds)) => actions.reduce((acc, a) => reduce(acc, a, ctx), s);
const T0 = Date.parse('2026-01-01T00:10:00Z');
const iso = (ms: number) => new Date(ms).toISOString();

/** every watch listed: 4 wanted by the HPA, 3 asked of the Deployment, 2 ready; 2 running Pods and 1 pending */
function live(at = T0): WatchState {
  return run([
    {
      type: 'listed',
      kind: 'pods',
      items: [
        D.pod('demo-processor-7d9f-aaaaa', 'Running', iso(at - 90_000)),
        D.pod('demo-processor-7d9f-bbbbb', 'Running', iso(at - 60_000)),
        D.pod('demo-processor-7d9f-ccccc', 'Pending', iso(at - 3000)),
      ],
      at,
    },
    { type: 'listed', kind: 'deployment', items: [D.deployment('demo-processor', 3, 2)], at },
    { type: 'listed', kind: 'hpa', items: [D.hpa('demo-processor', { current: 3, desired: 4, max: 10 })], at },
    { type: 'listed', kind: 'scaledObject', items: [D.scaledObject('demo-processor')], at },
    {
      type: 'listed',
      kind: 'events',
      items: [
        {
          metadata: { name: 'e1', uid: 'e1' },
          involvedObject: { kind: 'HorizontalPodAutoscaler', name: 'keda-hpa-demo-processor' },
          reason: 'SuccessfulRescale',
          message: 'New size: 3; reason: external metric s0-aws-sqs-queue above target',
          type: 'Normal',
          lastTimestamp: iso(at - 5000),
        },
        {
          metadata: { name: 'e2', uid: 'e2' },
          involvedObject: { kind: 'Pod', name: 'someone-else' },
          reason: 'Scheduled',
          message: 'not ours',
          type: 'Normal',
          lastTimestamp: iso(at - 4000),
        },
      ],
      at,
    },
    { type: 'queue', numbers: { visible: 12, inFlight: 2, delayed: 0 }, at },
    { type: 'results', processed: 5, killed: 1, at },
  ]);
}

describe('watch: the deployment workload', () => {
  it("watches the consumer Pods, the Deployment, its HPA (by KEDA's name) and the ScaledObject, not Jobs", () => {
    expect(targets).toEqual({
      pods: { path: '/api/v1/namespaces/demo/pods', labelSelector: 'kedactl.io/consumer=demo-processor' },
      deployment: { path: '/apis/apps/v1/namespaces/demo/deployments', fieldSelector: 'metadata.name=demo-processor' },
      hpa: {
        path: '/apis/autoscaling/v2/namespaces/demo/horizontalpodautoscalers',
        fieldSelector: 'metadata.name=keda-hpa-demo-processor',
      },
      scaledObject: { path: '/apis/keda.sh/v1alpha1/namespaces/demo/scaledobjects', fieldSelector: 'metadata.name=demo-processor' },
      events: { path: '/api/v1/namespaces/demo/events' },
    });
    // the job workload's targets are the ones watch always had
    const j = names(settings('job'));
    expect(Object.keys(workloadTargets(j.namespace, jobWorkload, j).targets)).toEqual(['pods', 'jobs', 'scaledJob', 'events']);
    expect(workloadTargets(j.namespace, jobWorkload, j).targets.jobs).toEqual({
      path: '/apis/batch/v1/namespaces/demo/jobs',
      labelSelector: 'scaledjob.keda.sh/name=demo-processor',
    });
  });

  it('reduces the Deployment, the HPA and the ScaledObject to their numbers; keeps the HPA events', () => {
    const s = live();
    expect(s.deployment).toEqual({ exists: true, desired: 3, ready: 2 });
    expect(s.hpa).toEqual({ exists: true, current: 3, desired: 4, max: 10 });
    expect(s.scaledObject).toEqual({ exists: true, ready: true, active: true, problem: undefined });
    expect(s.events.map((e) => e.reason)).toEqual(['SuccessfulRescale']);
    expect(Object.keys(s.connections)).toEqual(['pods', 'deployment', 'hpa', 'scaledObject', 'events']);
    // scaled down, the HPA gone (the ScaledObject deleted)
    const t = run(
      [
        { type: 'changed', kind: 'deployment', event: 'MODIFIED', object: D.deployment('demo-processor', 0, 0), at: T0 },
        { type: 'changed', kind: 'hpa', event: 'DELETED', object: D.hpa('demo-processor', {}), at: T0 },
      ],
      s,
    );
    expect(t.deployment).toEqual({ exists: true, desired: 0, ready: 0 });
    expect(t.hpa).toEqual({ exists: false });
  });

  it("the HPA's conditions: ScalingDisabled at 0 replicas is normal; a failing metric is a problem; ScalingLimited is shown", () => {
    const at0 = D.hpa('demo-processor', {
      current: 0,
      desired: 0,
      conditions: [
        { type: 'AbleToScale', status: 'True', reason: 'SucceededGetScale' },
        {
          type: 'ScalingActive',
          status: 'False',
          reason: 'ScalingDisabled',
          message: 'scaling is disabled since the replica count of the target is zero',
        },
      ],
    });
    expect(run([{ type: 'listed', kind: 'hpa', items: [at0], at: 0 }]).hpa.problem).toBeUndefined();
    const failing = D.hpa('demo-processor', {
      current: 1,
      desired: 1,
      conditions: [
        { type: 'AbleToScale', status: 'True', reason: 'SucceededGetScale' },
        { type: 'ScalingActive', status: 'False', reason: 'FailedGetExternalMetric', message: 'unable to get external metric' },
      ],
    });
    const s = run([{ type: 'listed', kind: 'hpa', items: [failing], at: 0 }]);
    expect(s.hpa.problem).toBe('ScalingActive=False FailedGetExternalMetric: unable to get external metric');
    const atMax = D.hpa('demo-processor', {
      current: 10,
      desired: 10,
      conditions: [
        {
          type: 'ScalingLimited',
          status: 'True',
          reason: 'TooManyReplicas',
          message: 'the desired replica count is more than the maximum replica count',
        },
      ],
    });
    const m = run([{ type: 'listed', kind: 'hpa', items: [atMax], at: 0 }]);
    expect(m.hpa).toMatchObject({
      limited: 'ScalingLimited=True TooManyReplicas: the desired replica count is more than the maximum replica count',
    });
    expect(m.hpa.problem).toBeUndefined();
  });

  it('the snapshot and the line carry the Deployment and the HPA instead of Jobs; the chart plots running Pods', () => {
    let s = live();
    s = reduce(s, { type: 'sample', at: T0 }, ctx);
    expect(s.history.at(-1)).toEqual({ at: T0, queue: 14, running: 2 });
    const x = snapshot(s, T0);
    expect(Object.keys(x)).toEqual(['time', 'queue', 'deployment', 'hpa', 'pods', 'results', 'scaledObject', 'connection']);
    expect(x).toMatchObject({
      deployment: { exists: true, desired: 3, ready: 2 },
      hpa: { exists: true, current: 3, desired: 4, max: 10 },
      pods: { pending: 1, running: 2, terminating: 0 },
      scaledObject: { exists: true, ready: true, active: true },
      connection: 'live',
    });
    expect(x.jobs).toBeUndefined();
    expect(summaryLine(x)).toBe(
      '00:10:00 queue 12 visible / 2 in flight · deployment 3 desired / 2 ready · hpa 3 current / 4 desired · pods 1 pending / 2 running / 0 terminating · processed 5 / killed 1',
    );
  });

  it('first read waits for the Deployment and HPA watches; unreadable names the Deployment', () => {
    const partial = run([
      { type: 'listed', kind: 'pods', items: [], at: 0 },
      { type: 'listed', kind: 'scaledObject', items: [], at: 0 },
      { type: 'listed', kind: 'events', items: [], at: 0 },
      { type: 'queue', numbers: { visible: 0, inFlight: 0, delayed: 0 }, at: 0 },
      { type: 'resultsError', error: 'no analyzer', at: 0 },
    ]);
    expect(firstReadDone(partial)).toBe(false);
    expect(unreadableError(partial)?.message).toMatch(/could not read the stack's Deployment/);
    const done = run(
      [
        { type: 'listed', kind: 'deployment', items: [], at: 0 },
        { type: 'connection', kind: 'hpa', state: 'reconnecting', error: 'forbidden', at: 0 },
      ],
      partial,
    );
    expect(firstReadDone(done)).toBe(true);
    expect(unreadableError(done)).toBeUndefined();
  });

  it('drained: the queue empty (visible, in flight, delayed) on two reads in a row since the start; idle Pods may stay', () => {
    const empty = (at: number): Action => ({ type: 'queue', numbers: { visible: 0, inFlight: 0, delayed: 0 }, at });
    let s = live();
    expect(drained(s, T0)).toBe(false);
    s = run([empty(T0 + 2000)], s);
    expect(drained(s, T0)).toBe(false); // one read of 0: a busy consumer's message may not show in flight yet
    s = run([empty(T0 + 4000)], s);
    expect(drained(s, T0)).toBe(true); // Pods still running (the cooldown has not passed): drained all the same
    expect(snapshot(s, T0 + 4000).pods.running).toBe(2);
    expect(drained(s, T0 + 3000)).toBe(false); // the run of empty reads began before `since`
    // a message in flight breaks the run; it starts again from the next empty read
    s = run([{ type: 'queue', numbers: { visible: 0, inFlight: 1, delayed: 0 }, at: T0 + 6000 }, empty(T0 + 8000)], s);
    expect(drained(s, T0)).toBe(false);
    s = run([empty(T0 + 10_000)], s);
    expect(drained(s, T0)).toBe(true);
    // a failed read breaks it too
    s = run([{ type: 'queueError', error: 'throttled', at: T0 + 11_000 }, empty(T0 + 12_000)], s);
    expect(drained(s, T0)).toBe(false);
    s = run([empty(T0 + 14_000)], s);
    expect(drained(s, T0)).toBe(true);
    // the Deployment's watch down: the numbers are not known to be true
    expect(drained(reduce(s, { type: 'connection', kind: 'deployment', state: 'reconnecting', at: T0 + 15_000 }, ctx), T0)).toBe(false);
  });
});

const header = { stack: 'demo', context: 'rig-admin', namespace: 'demo', queue: 'demo-queue', region: 'us-east-1', kedaVersion: '2.20.2' };
const tick = (ms = 60) => new Promise((r) => setTimeout(r, ms));

function storeOf(s: WatchState): Pick<WatchStore, 'state' | 'subscribe'> {
  return { state: s, subscribe: () => () => {} };
}

describe('watch screen: the deployment workload (ink frames)', () => {
  it('shows the Deployment and HPA lines, running consumer Pods on the chart, the ScaledObject and the HPA events', async () => {
    let s = live();
    for (let i = 0; i < 20; i++) {
      s = reduce(s, { type: 'queue', numbers: { visible: Math.max(0, 20 - i), inFlight: Math.min(i, 3), delayed: 0 }, at: T0 }, ctx);
      s = reduce(s, { type: 'sample', at: T0 - (20 - i) * 2000 }, ctx);
    }
    s = reduce(s, { type: 'queue', numbers: { visible: 12, inFlight: 2, delayed: 0 }, at: T0 }, ctx);
    const ui = render(
      <WatchScreen
        store={storeOf(s)}
        header={header}
        now={() => T0}
        size={{ columns: 110, rows: 40 }}
        noPods={deploymentWorkload.noPods}
      />,
    );
    await tick();
    const f = ui.lastFrame()!;
    expect(f).toMatch(/deployment\s+3 desired\s+2 ready/);
    expect(f).toMatch(/hpa\s+3 current\s+4 desired\s+\(max 10\)/);
    expect(f).toContain('scaledobject ready, active');
    expect(f).toContain('● running consumer Pods (right scale)');
    expect(f).not.toMatch(/^jobs /m);
    expect(f).toContain('SuccessfulRescale HorizontalPodAutoscaler/keda-hpa-demo-processor New size: 3');
    expect(f).toMatchSnapshot();
    ui.unmount();
  });

  it('scaled to zero: no Pods, the HPA disabled (normal), the ScaledObject idle; a failing HPA in red words', async () => {
    const s = run([
      { type: 'listed', kind: 'pods', items: [], at: T0 },
      { type: 'listed', kind: 'deployment', items: [D.deployment('demo-processor', 0, 0)], at: T0 },
      {
        type: 'listed',
        kind: 'hpa',
        items: [
          D.hpa('demo-processor', {
            current: 0,
            desired: 0,
            conditions: [
              {
                type: 'ScalingActive',
                status: 'False',
                reason: 'ScalingDisabled',
                message: 'scaling is disabled since the replica count of the target is zero',
              },
            ],
          }),
        ],
        at: T0,
      },
      { type: 'listed', kind: 'scaledObject', items: [D.scaledObject('demo-processor', true, false)], at: T0 },
      { type: 'listed', kind: 'events', items: [], at: T0 },
      { type: 'queue', numbers: { visible: 0, inFlight: 0, delayed: 0 }, at: T0 },
      { type: 'results', processed: 40, killed: 3, at: T0 },
    ]);
    const ui = render(
      <WatchScreen
        store={storeOf(s)}
        header={header}
        now={() => T0}
        size={{ columns: 110, rows: 30 }}
        noPods={deploymentWorkload.noPods}
        still
      />,
    );
    await tick();
    const f = ui.lastFrame()!;
    expect(f).toContain('no consumer Pods: KEDA scales the Deployment up from 0 when the queue has messages');
    expect(f).toContain('scaledobject ready, idle');
    expect(f).not.toContain('ScalingDisabled');
    expect(f).toMatchSnapshot();
    ui.unmount();

    const failing = run(
      [
        {
          type: 'listed',
          kind: 'hpa',
          items: [
            D.hpa('demo-processor', {
              current: 1,
              desired: 1,
              conditions: [
                { type: 'ScalingActive', status: 'False', reason: 'FailedGetExternalMetric', message: 'unable to get external metric' },
              ],
            }),
          ],
          at: T0,
        },
      ],
      s,
    );
    const ui2 = render(<WatchScreen store={storeOf(failing)} header={header} now={() => T0} size={{ columns: 140, rows: 30 }} still />);
    await tick();
    expect(ui2.lastFrame()).toMatch(
      /hpa\s+1 current\s+1 desired\s+\(max 10\) ScalingActive=False FailedGetExternalMetric: unable to get external metric/,
    );
    ui2.unmount();
  });

  it('fits a small terminal: lines and width within the size', async () => {
    const ui = render(<WatchScreen store={storeOf(live())} header={header} now={() => T0} size={{ columns: 80, rows: 24 }} />);
    await tick();
    const lines = ui.lastFrame()!.split('\n');
    expect(lines.length).toBeLessThanOrEqual(24);
    for (const l of lines) expect(l.length).toBeLessThanOrEqual(80);
    ui.unmount();
  });
});
