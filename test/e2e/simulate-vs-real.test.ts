// `kedactl simulate` checked against the real thing: for the strategies default, accurate and eager, the
// real KEDA operator (built from its Go module), the real Job controller (kube-controller-manager) and the
// test node running the real consume.sh (bash, curl, the aws CLI) against moto take one load with one set
// of settings; then `kedactl simulate` runs in the folder `init` wrote its kedactl.yaml to (so it reads the
// stack's settings as the command does) for the same load. Jobs created and time to drain must agree
// within 15 %.
//
// The world the simulator is given (how fast this machine starts a Pod and runs the consumer's aws CLI,
// when KEDA happened to poll) is MEASURED IN THE SAME REAL RUN, never tuned by hand or per strategy:
// - the node's CPU (--node-cpus, --consumer-startup, --delete-latency): the consumer's start-up (Pod Running
//   → ready to receive) and its delete are CPU work; the work is what one takes when it runs alone (the
//   node's aws shim logs every call's start and end), and the node's CPUs are what makes the calls that
//   overlapped come out at that work, n at once each getting cpus / n (see nodeCpuModel);
// - Pod start-up: Job created (a watch, ms) → Pod Running (the node agent), plus the consumer's start-up;
// - receive latency: a message that arrived while a consumer long-polled (its sentAt) → that receive returned;
// - Job finished: the delete returned (or the empty long poll ended) → the Job's Complete seen by the watch;
// - jitter: the spread of the start-ups among the Jobs of one poll, pooled over the polls (a uniform ± j
//   has a standard deviation of j / √3 of the mean);
// - first poll: when KEDA polled first after the load started (the operator's log, to the nanosecond);
// - count lag: 0. moto computes ApproximateNumberOf* on each GetQueueAttributes; nothing trails.
// So a slow or loaded machine makes both the real run and the simulation slower: machine speed is
// measured, not assumed. The rest (KEDA's decisions, the Job counts it sees, the queue, the consumer's
// long poll and exit) is the model under test.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startDemoCluster, type DemoCluster } from '../support/demo-cluster.ts';
import { kubeRequest } from '../support/kube-rig.ts';
import { motoCliEnv } from '../support/aws.ts';
import { MOTO_ACCOUNT, motoEndpoint, uniqueStack } from '../support/moto.ts';
import { pollUntil } from '../support/poll.ts';
import { podLogTail } from '../support/node-agent.ts';
import { runBin, runCli, type CliRun } from '../support/run-cli.ts';
import { queueNumbers } from '../support/sqs.ts';

const STUB = fileURLToPath(new URL('../fixtures/helm-stateful-stub', import.meta.url));
const MINUTE = 60_000;
/**
 * The load: a trickle (a message every 4 s for 40 s), then a burst of 20. The trickle is where the
 * strategies differ: accurate and eager count in-flight messages without subtracting the Jobs that hold
 * them, so they keep starting Jobs, which long-poll 20 s and some of which find nothing; the burst then
 * needs two rounds of 10 Jobs, so the drain time rests on Pod start-up, processing, Job completion and the
 * polls. pollingInterval 2 keeps KEDA's clock from rounding a round of Jobs by up to a whole interval.
 * 6 s of processing keep a message in flight over several polls however busy the machine is at the time
 * (with 2 s, whether a busy moment made a consumer's aws calls take 0.5 s or 3.5 s decided it).
 */
const LOAD = 'steady:rate=0.25,duration=40s+burst:count=20';
const MESSAGES = 30;
const PROCESSING = 6;
const POLLING = 2;
const SETTINGS = [
  '--auth',
  'static',
  '--max-replicas',
  '10',
  '--processing-time',
  String(PROCESSING),
  '--polling-interval',
  String(POLLING),
];
const STRATEGIES = ['default', 'accurate', 'eager'] as const;
const TOLERANCE = 0.15;
/** the simulation runs once per seed (`--compare seed=...`, at most 8) and predicts their mean */
const SEEDS = [1, 2, 3, 4, 5, 6, 7, 8];

let cluster: DemoCluster;
let env: NodeJS.ProcessEnv;
let helmDir = '';
const stacks: string[] = [];
const dirs: string[] = [];
const figures: string[] = [];

beforeAll(async () => {
  helmDir = mkdtempSync(join(tmpdir(), 'kedactl-simreal-helm-'));
  const helmState = join(helmDir, 'helm');
  cluster = await startDemoCluster({ helmState });
  env = {
    ...motoCliEnv(),
    KUBECONFIG: cluster.rig.kubeconfigPath,
    PATH: `${STUB}:${process.env.PATH}`,
    HELM_STUB_STATE: helmState,
    HELM_STUB_LOG: join(helmDir, 'helm-calls'),
  };
}, 20 * MINUTE);

afterAll(async () => {
  // every stack's teardown at once: nothing is being measured any more
  const downs = await Promise.all(
    stacks.map((s, i) => runBin(['teardown', '--stack', s, '--yes'], { env, cwd: dirs[i], timeoutMs: 5 * MINUTE })),
  );
  await cluster?.stop();
  rmSync(helmDir, { recursive: true, force: true });
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
  if (figures.length)
    process.stderr.write(
      `[simulate-vs-real] ${new Date().toISOString()} ${cpus()[0]?.model} x${cpus().length}, load ${loadavg()
        .map((l) => l.toFixed(1))
        .join(' ')}\n${figures.join('\n')}\n`,
    );
  if (process.env.KEDACTL_SIMREAL_LOG)
    appendFileSync(
      process.env.KEDACTL_SIMREAL_LOG,
      `${new Date().toISOString()} load ${loadavg()[0]!.toFixed(1)}\n${figures.join('\n')}\n`,
    );
  for (const [i, r] of downs.entries()) expect(r.code, `teardown ${stacks[i]}: ${r.stderr}`).toBe(0);
}, 6 * MINUTE);

// --- what the real run did ----------------------------------------------------------------------------

interface JobSeen {
  created: number;
  finished?: number;
}

/** A watch on the namespace's Jobs: when each was created and when it finished, to the millisecond. */
function watchJobs(ns: string): { jobs: Map<string, JobSeen>; stop(): void } {
  const jobs = new Map<string, JobSeen>();
  const url = new URL(`${cluster.rig.server}/apis/batch/v1/namespaces/${ns}/jobs?watch=true&allowWatchBookmarks=false`);
  let buf = '';
  const req = request(url, { ca: cluster.rig.caPem, headers: { Authorization: `Bearer ${cluster.rig.adminToken}` } }, (res) => {
    res.setEncoding('utf8');
    res.on('data', (chunk: string) => {
      const now = Date.now();
      buf += chunk;
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        if (!line.trim()) continue;
        const ev = JSON.parse(line);
        const j = ev.object;
        if (j?.kind !== 'Job') continue;
        const name = j.metadata.name as string;
        let seen = jobs.get(name);
        if (!seen) jobs.set(name, (seen = { created: now }));
        const done = (j.status?.conditions ?? []).some((c: any) => (c.type === 'Complete' || c.type === 'Failed') && c.status === 'True');
        if (done && seen.finished === undefined) seen.finished = now;
      }
    });
  });
  req.on('error', () => undefined);
  req.end();
  return { jobs, stop: () => req.destroy() };
}

interface Poll {
  t: number;
  running: number;
  pending: number;
  created: number;
}

/** KEDA's polls of one ScaledJob, from the operator's log: when, the running and pending Jobs it counted, the Jobs it created. */
function polls(scaledJob: string): Poll[] {
  const out: Poll[] = [];
  for (const line of cluster.operatorLog().split('\n')) {
    if (!line.includes(scaledJob) || !line.includes('{')) continue;
    let f: any;
    try {
      f = JSON.parse(line.slice(line.indexOf('{')));
    } catch {
      continue;
    }
    if (f['scaledJob.Name'] !== scaledJob) continue;
    const t = Date.parse(line.split(/\s/)[0]!);
    if (f['Number of running Jobs'] !== undefined) out.push({ t, running: f['Number of running Jobs'], pending: -1, created: 0 });
    else if (f['Number of pending Jobs'] !== undefined && out.length) out[out.length - 1]!.pending = f['Number of pending Jobs'];
    else if (line.includes('Created jobs') && out.length) out[out.length - 1]!.created = f['Number of jobs'];
  }
  return out;
}

async function depth(stack: string): Promise<number> {
  const n = await queueNumbers(`${motoEndpoint()}/${MOTO_ACCOUNT}/${stack}-queue`);
  return n.visible + n.inFlight + n.delayed;
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
/** the standard deviation within groups, pooled (groups of one add nothing) */
const pooledSd = (groups: number[][]) => {
  let ss = 0;
  let n = 0;
  for (const g of groups) {
    const m = mean(g);
    for (const x of g) ss += (x - m) ** 2;
    n += g.length - 1;
  }
  return n > 0 ? Math.sqrt(ss / n) : 0;
};
const r2 = (x: number) => Math.round(x * 100) / 100;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

interface Phase {
  kind: 'start' | 'delete';
  /** epoch ms */
  a: number;
  b: number;
  /** its end was seen (a start-up that waited for its message was not) */
  timed: boolean;
}

/**
 * The node's CPU for the consumers, from the run's own aws calls: each consumer's start-up and delete is a
 * fixed amount of CPU work, and n of them at once on C CPUs each get C / n of a CPU (what the simulation's
 * --node-cpus does). The work is what a call takes when it ran alone (no other start-up or delete under
 * way, the median of those); C is the number of CPUs that makes the calls that did overlap come out at that
 * same work. Start-ups that waited for a message are taken to last one lone start-up.
 */
function nodeCpuModel(phases: Phase[]): { cpus: number; startupWork: number; deleteWork: number } {
  const segments = (ps: Phase[]) => {
    const cuts = [...new Set(ps.flatMap((x) => [x.a, x.b]))].sort((x, y) => x - y);
    const out: Array<[number, number, number]> = [];
    for (let i = 0; i + 1 < cuts.length; i++) {
      const mid = (cuts[i]! + cuts[i + 1]!) / 2;
      out.push([cuts[i]!, cuts[i + 1]!, ps.filter((x) => x.a <= mid && mid < x.b).length]);
    }
    return out;
  };
  const overlapping = (segs: Array<[number, number, number]>, x: Phase) =>
    Math.max(0, ...segs.filter(([a, b]) => Math.min(b, x.b) > Math.max(a, x.a)).map(([, , n]) => n));
  const timed = phases.filter((x) => x.timed && x.b > x.a);
  let segs = segments(timed);
  const work = (kind: Phase['kind']) => {
    const all = timed.filter((x) => x.kind === kind);
    const alone = all.filter((x) => overlapping(segs, x) <= 1).map((x) => x.b - x.a);
    return median(alone.length ? alone : all.map((x) => x.b - x.a));
  };
  const startupWork = work('start');
  const deleteWork = work('delete');
  const all = [...timed, ...phases.filter((x) => !x.timed).map((x) => ({ ...x, b: Math.min(x.b, x.a + startupWork) }))];
  segs = segments(all);
  const done = (x: Phase, cpus: number) =>
    segs.reduce((w, [a, b, n]) => w + Math.max(0, Math.min(b, x.b) - Math.max(a, x.a)) * (n > cpus ? cpus / n : 1), 0);
  let best = { cpus: 0, err: Infinity };
  for (let cpus = 0.5; cpus <= 16; cpus += 0.25) {
    const err = timed.reduce((e, x) => e + (done(x, cpus) - (x.kind === 'start' ? startupWork : deleteWork)) ** 2, 0);
    if (err < best.err) best = { cpus, err };
  }
  return { cpus: best.cpus, startupWork, deleteWork };
}
const pct = (sim: number, real: number) => (sim - real) / real;

const podsOf = (stack: string) => [...cluster.node.pods.values()].filter((p) => p.namespace === stack);
const fail = (r: CliRun, stack: string) =>
  `exit ${r.code}\nstdout:\n${r.stdout}\nstderr:\n${r.stderr}\npods:\n${podsOf(stack)
    .slice(-5)
    .map((p) => `--- ${p.name} (exit ${p.exitCode ?? 'running'}):\n${podLogTail(p, 8)}`)
    .join('\n')}\noperator (tail):\n${cluster.operatorLog().split('\n').slice(-30).join('\n')}`;

describe('kedactl simulate against the real KEDA operator: Jobs created and time to drain within 15 %', () => {
  for (const strategy of STRATEGIES) {
    it(
      `${strategy}`,
      async () => {
        const stack = uniqueStack(`sr${strategy.slice(0, 3)}`);
        const scaledJob = `${stack}-processor`;
        const dir = mkdtempSync(join(tmpdir(), 'kedactl-simreal-'));
        stacks.push(stack);
        dirs.push(dir);
        // init writes the settings to dir/kedactl.yaml; simulate reads them there, as a user's would
        const init = await runBin(['init', '--stack', stack, ...SETTINGS, '--strategy', strategy, '--yes'], {
          env,
          cwd: dir,
          timeoutMs: 8 * MINUTE,
        });
        expect(init.code, fail(init, stack)).toBe(0);
        expect(readFileSync(join(dir, 'kedactl.yaml'), 'utf8')).toContain('maxReplicas: 10');
        // KEDA polls the ScaledJob (its loop runs) before the load starts
        await pollUntil(
          'KEDA polling the ScaledJob',
          async () => (polls(scaledJob).length > 0 ? true : undefined),
          3 * MINUTE,
          () => cluster.operatorLog().split('\n').slice(-20).join('\n'),
        );

        const watch = watchJobs(stack);
        let t0 = 0;
        try {
          const produce = await runCli(['produce', '--stack', stack, '--load', LOAD, '-o', 'json'], { env, cwd: dir });
          expect(produce.code, fail(produce, stack)).toBe(0);
          const sent = JSON.parse(produce.stdout);
          expect(sent.sent).toBe(MESSAGES);
          t0 = sent.schedule.startedAt;

          // drained: every message deleted; then every Job finished, and KEDA polled once more (it creates nothing after)
          await pollUntil(
            'the queue drained',
            async () => ((await depth(stack)) === 0 ? true : undefined),
            5 * MINUTE,
            () => fail(produce, stack),
          );
          const drainedSeen = Date.now();
          await pollUntil(
            'every Job finished and a poll after that',
            async () => {
              const all = [...watch.jobs.values()];
              const lastFinish = Math.max(...all.map((j) => j.finished ?? Infinity));
              return all.length > 0 &&
                Number.isFinite(lastFinish) &&
                polls(scaledJob).some((p) => p.t > Math.max(lastFinish, drainedSeen) && p.running === 0)
                ? true
                : undefined;
            },
            3 * MINUTE,
            () => fail(produce, stack),
          );
        } finally {
          watch.stop();
        }

        // --- the real run, measured ------------------------------------------------------------------
        const jobs = watch.jobs;
        const calls = cluster.node.awsCalls();
        const pods = podsOf(stack);
        const jobOf = (pod: string) => jobs.get(pod.replace(/-[a-z0-9]{5}$/, ''));
        const deletes = calls.filter((c) => c.op === 'sqs delete-message' && pods.some((p) => p.name === c.pod));
        const receives = calls.filter((c) => c.op === 'sqs receive-message' && pods.some((p) => p.name === c.pod));
        // a consumer that failed (an aws call that gave up on a loaded machine) would put its message back only
        // after the visibility timeout: that run is not the one the settings describe, so say so plainly
        const failed = calls.filter((c) => c.code !== 0 && pods.some((p) => p.name === c.pod));
        expect(failed, `aws calls that failed:\n${failed.map((c) => `${c.pod} ${c.op} exit ${c.code}`).join('\n')}`).toEqual([]);
        expect(deletes.length, 'every message deleted once').toBe(MESSAGES);
        const startups: number[] = [];
        const toRunning: number[] = [];
        const returning: number[] = [];
        // the consumers' CPU work: start-ups (Pod Running → ready to receive) and deletes, as intervals
        const phases: Phase[] = [];
        const finishing: number[] = [];
        const timeline: unknown[] = [];
        // start-ups of the Jobs one poll created: they start side by side, so their spread is the chance part
        const byPoll = new Map<number, number[]>();
        for (const r of receives) {
          const job = jobOf(r.pod);
          const pod = pods.find((x) => x.name === r.pod);
          if (!job || !pod?.startedAt) continue;
          const d = deletes.find((c) => c.pod === r.pod);
          // the message's send time, from its body as the consumer printed it ({"videoId", "quality", "sentAt"})
          const body = /processing message \S+: (\{.*\})/.exec(readFileSync(pod.log, 'utf8'))?.[1];
          const sentAt = body ? Date.parse(JSON.parse(body).sentAt) : undefined;
          // start-up is timed on the receives that did not wait: their message was in the queue before the call began
          toRunning.push(pod.startedAt - job.created);
          if (d && sentAt !== undefined && sentAt < r.start) {
            startups.push(r.end - job.created);
            const poll = Math.round(job.created / 500);
            byPoll.set(poll, [...(byPoll.get(poll) ?? []), r.end - job.created]);
            phases.push({ kind: 'start', a: pod.startedAt, b: r.end, timed: true });
          } else if (!d)
            phases.push({ kind: 'start', a: pod.startedAt, b: r.end - 20_000, timed: true }); // long-polled 20 s for nothing
          else phases.push({ kind: 'start', a: pod.startedAt, b: r.end, timed: false }); // waited for its message: ends unseen, cut below
          // a receive that waited for its message returns this long after the message arrived
          if (d && sentAt !== undefined && sentAt >= r.start) returning.push(r.end - sentAt);
          if (d) phases.push({ kind: 'delete', a: d.start, b: d.end, timed: true });
          if (job.finished !== undefined) finishing.push(job.finished - (d ? d.end : r.end));
          const at = (x: number | undefined) => (x === undefined ? null : (x - t0) / 1000);
          timeline.push({
            sent: at(sentAt),
            created: at(job.created),
            running: at(pod.startedAt),
            receive: [at(r.start), at(r.end)],
            delete: d ? [at(d.start), at(d.end)] : null,
            exited: at(pod.finishedAt),
            finished: at(job.finished),
          });
        }
        const p = polls(scaledJob);
        const firstPoll = p.find((x) => x.t >= t0)!.t;
        // every Job of the ScaledJob (the watch times them; the list counts them, whatever the watch saw)
        const listed =
          (
            await kubeRequest(
              cluster.rig,
              'GET',
              `/apis/batch/v1/namespaces/${stack}/jobs?labelSelector=scaledjob.keda.sh/name=${scaledJob}`,
            )
          ).json().items ?? [];
        const real = {
          jobsCreated: listed.length as number,
          drain: (Math.max(...deletes.map((c) => c.end)) - t0) / 1000,
          emptyJobs: receives.length - deletes.length,
        };
        expect(startups.length, 'Pods whose receive found a message waiting').toBeGreaterThanOrEqual(10);
        const node = nodeCpuModel(phases);
        const world = {
          podStartup: r2((mean(toRunning) + node.startupWork) / 1000),
          consumerStartup: r2(node.startupWork / 1000),
          // (no receive waited for a message: no consumer of the simulation will either)
          receiveLatency: r2(returning.length ? mean(returning) / 1000 : 0),
          deleteLatency: r2(node.deleteWork / 1000),
          nodeCpus: node.cpus,
          jobFinishLatency: r2(mean(finishing) / 1000),
          jitter: r2(Math.min(1, (Math.sqrt(3) * pooledSd([...byPoll.values()])) / mean(startups))),
          pollOffset: r2((firstPoll - t0) / 1000),
          countLag: 0,
        };

        // --- the simulation, through the command, with the stack's settings from kedactl.yaml --------
        const simArgs = [
          'simulate',
          '--load',
          LOAD,
          '--pod-startup',
          String(world.podStartup),
          '--consumer-startup',
          String(world.consumerStartup),
          '--receive-latency',
          String(world.receiveLatency),
          '--delete-latency',
          String(world.deleteLatency),
          '--node-cpus',
          String(world.nodeCpus),
          '--job-finish-latency',
          String(world.jobFinishLatency),
          '--jitter',
          String(world.jitter),
          '--poll-offset',
          String(world.pollOffset),
          '--count-lag',
          '0',
          '--compare',
          `seed=${SEEDS.join(',')}`,
          '-o',
          'json',
        ];
        const s = await runCli(simArgs, { env, cwd: dir });
        expect(s.code, s.stderr).toBe(0);
        const runs = JSON.parse(s.stdout).runs as Array<{
          stack: unknown;
          result: { jobsCreated: number; timeToDrain: number; emptyJobs: number };
        }>;
        expect(runs).toHaveLength(SEEDS.length);
        for (const run of runs)
          expect(run.stack).toMatchObject({ strategy, maxReplicas: 10, processingTime: PROCESSING, pollingInterval: POLLING });
        // the simulation's prediction: its mean over the seeds (one seed is one draw of the start-up and processing jitter)
        const sim = {
          jobsCreated: mean(runs.map((r) => r.result.jobsCreated)),
          drain: mean(runs.map((r) => r.result.timeToDrain)),
          emptyJobs: mean(runs.map((r) => r.result.emptyJobs)),
          range: `Jobs ${Math.min(...runs.map((r) => r.result.jobsCreated))}-${Math.max(...runs.map((r) => r.result.jobsCreated))}, drain ${Math.min(...runs.map((r) => r.result.timeToDrain)).toFixed(0)}-${Math.max(...runs.map((r) => r.result.timeToDrain)).toFixed(0)} s`,
        };

        const line =
          `| ${strategy} | ${real.jobsCreated} / ${sim.jobsCreated.toFixed(1)} (${(pct(sim.jobsCreated, real.jobsCreated) * 100).toFixed(1)} %) | ` +
          `${real.drain.toFixed(1)} s / ${sim.drain.toFixed(1)} s (${(pct(sim.drain, real.drain) * 100).toFixed(1)} %) | ${real.emptyJobs} / ${sim.emptyJobs.toFixed(1)} | ${sim.range} | ` +
          `${world.podStartup} s (${world.consumerStartup} s of it the consumer's), receive +${world.receiveLatency} s, delete +${world.deleteLatency} s, ${world.nodeCpus} CPUs, +${world.jobFinishLatency} s, ±${Math.round(world.jitter * 100)} %, first poll ${world.pollOffset} s |`;
        figures.push(line);
        const detail = `${line}\nreal polls (t - t0 s: running/pending +created): ${p
          .filter((x) => x.t >= t0 - POLLING * 1000)
          .map((x) => `${((x.t - t0) / 1000).toFixed(1)}:${x.running}/${x.pending}+${x.created}`)
          .join(' ')}\nsim: ${simArgs.join(' ')}`;
        process.stderr.write(`[simulate-vs-real] ${detail}\n`);
        if (process.env.KEDACTL_SIMREAL_DUMP)
          writeFileSync(
            join(process.env.KEDACTL_SIMREAL_DUMP, `${strategy}-${t0}.json`),
            JSON.stringify(
              { strategy, t0, real, sim, world, polls: p.map((x) => ({ ...x, t: (x.t - t0) / 1000 })), timeline, simulated: runs[0] },
              null,
              1,
            ),
          );
        expect(Math.abs(pct(sim.jobsCreated, real.jobsCreated)), `Jobs created, real / simulated\n${detail}`).toBeLessThanOrEqual(
          TOLERANCE,
        );
        expect(Math.abs(pct(sim.drain, real.drain)), `time to drain, real / simulated\n${detail}`).toBeLessThanOrEqual(TOLERANCE);
      },
      8 * MINUTE,
    );
  }
});
