// kedactl watch against a real kube-apiserver (its own, because this file restarts it) and the moto server:
// Jobs and Pods created and moved through the API show up on the screen; a restarted API server shows
// "reconnecting…" and the view recovers on the same number of watch connections.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { render } from 'ink-testing-library';
import { createKube, loadKubeConfig } from '../../src/adapters/kube.ts';
import { kubeWatchTransport } from '../../src/adapters/kube-watch.ts';
import { startWatch, type WatchSession } from '../../src/core/watch/session.ts';
import { analyzerResultsSource, sqsQueueSource } from '../../src/core/watch/sources.ts';
import { lineWriter } from '../../src/ui/watch/lines.ts';
import { WatchScreen } from '../../src/ui/watch/screen.tsx';
import { startKubeRig, type KubeRig } from '../support/kube-rig.ts';
import { kedaCrdsDir } from '../support/kube-test-rig.ts';
import { testAws } from '../support/aws.ts';
import { eventually, kubeActor } from '../support/watch-fixtures.ts';

let rig: KubeRig;
beforeAll(async () => {
  rig = await startKubeRig({ crdsDir: kedaCrdsDir(), log: () => {} });
});
afterAll(async () => rig?.stop());

const unique = (p: string) => `${p}-${Math.random().toString(36).slice(2, 7)}`;

describe('watch against the real API server and moto', () => {
  let session: WatchSession | undefined;
  afterAll(async () => session?.stop());

  it('shows Jobs, Pods, the ScaledJob, events and queue numbers as they change, and survives an API server restart', async () => {
    const stack = unique('wt');
    const ns = stack;
    const scaledJob = `${stack}-processor`;
    const actor = kubeActor(rig, ns, scaledJob);
    await actor.namespace();
    await actor.scaledJobObject(true);

    const aws = testAws();
    const queueName = `${stack}-queue`;
    const url = await aws.sqs.createQueue(queueName, {}, {});
    await aws.sqs.sendMessageBatch(
      url,
      [1, 2, 3].map((i) => ({ id: `m${i}`, body: `video ${i}` })),
    );

    const kc = loadKubeConfig({ kubeconfig: rig.kubeconfigPath, env: {} });
    const requests: string[] = [];
    let openWatches = 0;
    let maxWatches = 0;
    const transport = kubeWatchTransport(kc, {
      onRequest: (_m, p) => requests.push(p),
      onWatchCount: (n) => ((openWatches = n), (maxWatches = Math.max(maxWatches, n))),
    });
    session = startWatch(
      {
        transport,
        queue: sqsQueueSource(aws.sqs, { queue: queueName }),
        results: analyzerResultsSource(createKube(kc), { namespace: ns, name: `${stack}-result-analyzer`, port: 'http' }),
      },
      {
        namespace: ns,
        scaledJob,
        queueName,
        queueIntervalMs: 300,
        resultsIntervalMs: 500,
        sampleIntervalMs: 200,
        informer: { maxBackoffMs: 1000 },
      },
    );
    const ndjson: string[] = [];
    const writer = lineWriter(session.store, { format: 'ndjson', write: (l) => ndjson.push(l), minGapMs: 50 });
    const ui = render(
      <WatchScreen
        store={session.store}
        header={{
          stack,
          context: kc.getCurrentContext(),
          namespace: ns,
          queue: queueName,
          region: 'us-east-1',
          kedaVersion: 'not installed',
        }}
        size={{ columns: 120, rows: 40 }}
        minRedrawMs={50}
        queueIntervalMs={300}
      />,
    );
    const frame = () => ui.lastFrame() ?? '';
    const shows = (re: RegExp) => eventually(() => re.test(frame()), frame);

    await shows(/● live/);
    await shows(/queue\s+3 visible\s+0 in flight/);
    await shows(/scaledjob ready, active/);
    await shows(/results unavailable – the result analyzer's service .* does not exist/);

    // KEDA's part: two Jobs, their Pods, an event
    for (const i of [1, 2]) {
      await actor.job(`${scaledJob}-j${i}`);
      await actor.pod(`${scaledJob}-j${i}-pod`, `${scaledJob}-j${i}`);
    }
    await actor.event('e1', { kind: 'ScaledJob', name: scaledJob }, 'KEDAJobsCreated', 'Created 2 jobs');
    await shows(/jobs\s+2 active\s+0 succeeded/);
    await shows(/pods\s+2 pending\s+0 running/);
    await shows(/KEDAJobsCreated ScaledJob\/[\w-]+ Created 2 jobs/);

    // the consumer takes the messages: in flight, then gone
    await actor.podPhase(`${scaledJob}-j1-pod`, 'Running');
    await actor.podPhase(`${scaledJob}-j2-pod`, 'Running');
    await shows(/pods\s+0 pending\s+2 running/);
    await shows(new RegExp(`${scaledJob}-j2-pod\\s+Running\\s+\\S+\\s+0\\s+node-1`));
    await actor.podPhase(`${scaledJob}-j1-pod`, 'Succeeded');
    await actor.jobDone(`${scaledJob}-j1`, 'Complete');
    await actor.podPhase(`${scaledJob}-j2-pod`, 'Failed');
    await actor.jobDone(`${scaledJob}-j2`, 'Failed');
    await shows(/jobs\s+0 active\s+1 succeeded\s+1 failed/);
    await shows(/pods\s+0 pending\s+0 running/);

    // the API server goes away and comes back
    const listsBefore = requests.filter((p) => !p.includes('watch=1')).length;
    const restart = rig.restartApiServer();
    await shows(/◌ reconnecting…/);
    await shows(/jobs .*\(as of \d+s ago: reconnecting/);
    await restart;
    await shows(/● live/);
    // a change made after the restart arrives through the resumed watch
    await actor.job(`${scaledJob}-j3`);
    await actor.pod(`${scaledJob}-j3-pod`, `${scaledJob}-j3`);
    await shows(/jobs\s+1 active\s+1 succeeded\s+1 failed/);
    await shows(/pods\s+1 pending/);
    await eventually(
      () => openWatches === 4,
      () => `open watches: ${openWatches}`,
    );
    expect(maxWatches).toBe(4); // one per kind, never more
    const lists = requests.filter((p) => !p.includes('watch=1'));
    // resuming needs no new list unless the server answered 410 Gone, which a restarted server does for
    // kinds whose watch cache now starts after our resourceVersion (seen here for Jobs, Pods, ScaledJobs):
    // at most one re-list per kind
    expect(lists.length - listsBefore).toBeLessThanOrEqual(4);
    expect(requests.filter((p) => p.includes('/pods') && !p.includes('watch=1')).length).toBeLessThanOrEqual(2);

    // the queue drains
    const r = await aws.sqs.getQueueAttributes(url);
    expect(r.ApproximateNumberOfMessages).toBe('3');
    await aws.sqs.deleteQueue(url);
    await shows(/queue\s+3 visible.*\(stale: \d+s old – queue [\w-]+ does not exist/);

    writer.stop(true);
    ui.unmount();
    const lines = ndjson.map((l) => JSON.parse(l));
    expect(lines.length).toBeGreaterThan(5);
    expect(lines.some((l) => l.connection === 'reconnecting' && l.notLive?.pods?.state === 'reconnecting')).toBe(true);
    expect(lines.some((l) => l.pods.running === 2)).toBe(true);
    expect(lines.at(-1)).toMatchObject({
      jobs: { active: 1, succeeded: 1, failed: 1 },
      queue: { visible: 3, stale: true },
      connection: 'live',
    });
  }, 120_000);
});
