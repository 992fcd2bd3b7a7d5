// Job or Deployment, for real: the same load on two stacks in one cluster, one per workload kind. KEDA from
// its real chart (2.20.2, ../shared/reference) installed by the real helm 4; KEDA's real operator and
// metrics server behind the API server's aggregation layer; the real HPA, Deployment, ReplicaSet and Job
// controllers (kube-controller-manager); the test node runs the consumers' real scripts against moto and
// sends SIGTERM to the Pods a scale-down removes, as a kubelet does. The result analyzer's counts decide:
// the ScaledJob processes every message with no kill; the Deployment, scaled down by its HPA while Pods
// are still busy, kills some, and every killed message comes back and is processed: nothing lost.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { KEDA_CHART_DIR, KEDA_CHART_VERSION, type DemoCluster } from '../support/demo-cluster.ts';
import { HELM_VERSIONS } from '../support/helm.ts';
import { kubeRequest } from '../support/kube-rig.ts';
import { MOTO_ENV, MOTO_ACCOUNT, motoEndpoint, uniqueStack } from '../support/moto.ts';
import { pollUntil } from '../support/poll.ts';
import { awsState } from '../support/stack-state.ts';
import { runBin, runCli, type CliRun } from '../support/run-cli.ts';
import * as run from '../support/demo-run.ts';

const MINUTE = 60_000;
const [HELM_4] = HELM_VERSIONS;

/**
 * The load both stacks get: three rounds of busy (0.3/s) then quiet (0.05/s), 42 messages. Each quiet spell
 * makes the HPA scale down while some Pods are busy; one burst drains with no kill about one run in six
 * (simulate's seeds say so), three rounds make a run without a kill the simulator's 0 in 40 seeds.
 */
const CYCLE = 'steady:rate=0.3,duration=40s+steady:rate=0.05,duration=40s';
const LOAD = { profile: `${CYCLE}+${CYCLE}+${CYCLE}`, count: 42, processingTime: 20, maxReplicas: 6, pollingInterval: 5 };
const WORKLOADS = ['job', 'deployment'] as const;
type Kind = (typeof WORKLOADS)[number];

let cluster: DemoCluster;
let env: NodeJS.ProcessEnv;
let rig: run.KedaChartRig | undefined;

const stacks: Record<Kind, string> = { job: uniqueStack('wl-job'), deployment: uniqueStack('wl-dep') };
const flags = (kind: Kind) => [
  '--stack',
  stacks[kind],
  '--auth',
  'static',
  '--workload',
  kind,
  '--max-replicas',
  String(LOAD.maxReplicas),
  '--processing-time',
  String(LOAD.processingTime),
  '--polling-interval',
  String(LOAD.pollingInterval),
  // the deployment's HPA scales down as soon as the queue says so; KEDA takes the last Pod away 30 s later
  ...(kind === 'deployment' ? ['--scale-down-stabilization', '0', '--cooldown-period', '30'] : []),
  '--keda-chart',
  KEDA_CHART_DIR,
  '--keda-version',
  KEDA_CHART_VERSION,
];

const sqs = () =>
  new SQSClient({
    region: MOTO_ENV.AWS_REGION,
    endpoint: motoEndpoint(),
    credentials: { accessKeyId: env.AWS_ACCESS_KEY_ID!, secretAccessKey: env.AWS_SECRET_ACCESS_KEY! },
  });
async function depth(stack: string) {
  const url = `${motoEndpoint()}/${MOTO_ACCOUNT}/${stack}-queue`;
  const a = (await sqs().send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['All'] }))).Attributes ?? {};
  return { visible: Number(a.ApproximateNumberOfMessages), inFlight: Number(a.ApproximateNumberOfMessagesNotVisible) };
}

const results = async (stack: string) => {
  const r = await runCli(['results', '--stack', stack, '-o', 'json'], { env });
  return r.code === 0 ? (JSON.parse(r.stdout) as { processed: { count: number }; killed: { count: number } }) : undefined;
};

const fail = (r: CliRun, stack: string) =>
  `exit ${r.code}\nstdout:\n${r.stdout}\nstderr:\n${r.stderr}\npods:\n${run.podsSeen(cluster, stack)}\noperator (tail):\n${cluster
    .operatorLog()
    .split('\n')
    .slice(-30)
    .join('\n')}`;

/** The consumer Pods the node ran for a stack, from its own records: start, end, and what their logs say. */
function consumerPods(stack: string) {
  return [...cluster.node.pods.values()].filter((p) => p.namespace === stack && p.name.startsWith(`${stack}-processor-`));
}

/** What one real run did, measured from the node's records and the consumers' logs (not from kedactl). */
interface RunFigures {
  processed: number;
  killed: number;
  /** receives of a message some consumer had received before (a kill gives it back; SQS may re-deliver) */
  redelivered: number;
  /** seconds from the start of produce until the last message was deleted (the queue empty for good) */
  drainSeconds: number;
  /** seconds from the start of produce until every consumer Pod had exited */
  allGoneSeconds: number;
  peakPods: number;
  podSeconds: number;
}

function figures(stack: string, startedAt: number, drainedAt: number, counts: { processed: number; killed: number }): RunFigures {
  const pods = consumerPods(stack);
  const receives = new Map<string, number>();
  for (const p of pods) {
    let text = '';
    try {
      text = readFileSync(p.log, 'utf8');
    } catch {
      continue;
    }
    for (const m of text.matchAll(/^processing message ([^\s:]+):/gm)) receives.set(m[1]!, (receives.get(m[1]!) ?? 0) + 1);
  }
  const names = new Set(pods.map((p) => p.name));
  const lastDelete = Math.max(
    ...cluster.node
      .awsCalls()
      .filter((c) => c.op === 'sqs delete-message' && c.code === 0 && names.has(c.pod))
      .map((c) => c.end),
  );
  const spans = pods.filter((p) => p.startedAt !== undefined).map((p) => [p.startedAt!, p.finishedAt ?? drainedAt] as const);
  let peak = 0;
  for (const [s] of spans) peak = Math.max(peak, spans.filter(([a, b]) => a <= s && s < b).length);
  return {
    ...counts,
    redelivered: [...receives.values()].reduce((n, c) => n + c - 1, 0),
    drainSeconds: Math.round((lastDelete - startedAt) / 1000),
    allGoneSeconds: Math.round((drainedAt - startedAt) / 1000),
    peakPods: peak,
    podSeconds: Math.round(spans.reduce((n, [a, b]) => n + (b - a), 0) / 1000),
  };
}

const measured: Partial<Record<Kind, RunFigures>> = {};
const simulated: Partial<Record<Kind, { kills: readonly [number, number]; drain: readonly [number, number] }>> = {};

describe(`job or deployment: the same load on both workloads (helm ${HELM_4}, KEDA's chart ${KEDA_CHART_VERSION}, the real HPA)`, () => {
  beforeAll(async () => {
    rig = await run.startKedaChartRig(HELM_4);
    ({ cluster, env } = rig);
  }, 20 * MINUTE);
  afterAll(async () => {
    await rig?.stop();
    // the figures bench/README.md and the README's "Job or Deployment?" table record
    process.stderr.write(`[workloads-real] measured: ${JSON.stringify(measured)} simulated: ${JSON.stringify(simulated)}\n`);
  }, 5 * MINUTE);

  it(
    'init creates both stacks: KEDA accepts the ScaledJob, and the ScaledObject with the HPA it made',
    async () => {
      for (const kind of WORKLOADS) {
        const r = await runBin(['init', ...flags(kind), '--yes'], { env, timeoutMs: 10 * MINUTE });
        expect(r.code, fail(r, stacks[kind])).toBe(0);
        expect(r.stdout).toContain(`stack "${stacks[kind]}" is ready`);
      }
      await run.expectChartInstalled(cluster);
      const ready = (path: string) => async () => {
        const o = (await kubeRequest(cluster.rig, 'GET', path)).json();
        return o.status?.conditions?.find((c: any) => c.type === 'Ready' && c.status === 'True') ? o : undefined;
      };
      const [jobNs, depNs] = [stacks.job, stacks.deployment];
      await pollUntil(
        'ScaledJob Ready',
        ready(`/apis/keda.sh/v1alpha1/namespaces/${jobNs}/scaledjobs/${jobNs}-processor`),
        3 * MINUTE,
        () => cluster.operatorLog().split('\n').slice(-20).join('\n'),
      );
      const so = await pollUntil(
        'ScaledObject Ready',
        ready(`/apis/keda.sh/v1alpha1/namespaces/${depNs}/scaledobjects/${depNs}-processor`),
        3 * MINUTE,
        () => cluster.operatorLog().split('\n').slice(-20).join('\n'),
      );
      expect(so.spec.minReplicaCount).toBe(0);
      // KEDA made the HPA, with the behaviour kedactl passed through
      const hpa = await pollUntil(
        'the HPA KEDA creates',
        async () => {
          const r = await kubeRequest(
            cluster.rig,
            'GET',
            `/apis/autoscaling/v2/namespaces/${depNs}/horizontalpodautoscalers/keda-hpa-${depNs}-processor`,
          );
          return r.status === 200 ? r.json() : undefined;
        },
        2 * MINUTE,
      );
      expect(hpa.spec).toMatchObject({
        scaleTargetRef: { kind: 'Deployment', name: `${depNs}-processor` },
        maxReplicas: LOAD.maxReplicas,
        behavior: { scaleDown: { stabilizationWindowSeconds: 0 } },
      });
      expect(hpa.spec.metrics[0]).toMatchObject({ type: 'External', external: { target: { type: 'AverageValue' } } });
      // an empty queue: KEDA scales the consumers to zero
      await pollUntil(
        'the consumer Deployment at 0 replicas',
        async () => {
          const d = (await kubeRequest(cluster.rig, 'GET', `/apis/apps/v1/namespaces/${depNs}/deployments/${depNs}-processor`)).json();
          return d.spec?.replicas === 0 ? true : undefined;
        },
        3 * MINUTE,
      );
    },
    25 * MINUTE,
  );

  it(
    'the same load on both at once: both queues drain, watch --until-empty exits 0 for each',
    async () => {
      const startedAt = Date.now();
      // while the load runs: watch shows the Deployment and the HPA's desired count against the queue
      const busy = pollUntil(
        'a watch frame with the HPA asking for more than one consumer',
        async () => {
          const w = await runBin(['watch', '--stack', stacks.deployment, '-o', 'ndjson', '--once'], { env });
          const f = w.code === 0 ? JSON.parse(w.stdout.trim().split('\n').pop()!) : undefined;
          return f && f.hpa?.desired > 1 && f.deployment?.desired > 1 && f.jobs === undefined ? f : undefined;
        },
        3 * MINUTE,
      );
      const produce = await Promise.all(
        WORKLOADS.map((k) => runCli(['produce', ...flags(k), '--load', LOAD.profile, '-o', 'json'], { env })),
      );
      for (const [i, k] of WORKLOADS.entries()) {
        expect(produce[i]!.code, fail(produce[i]!, stacks[k])).toBe(0);
        expect(JSON.parse(produce[i]!.stdout).sent).toBe(LOAD.count);
      }
      const frame = await busy;
      process.stderr.write(`[workloads-real] a deployment watch frame under load: ${JSON.stringify(frame)}\n`);
      await Promise.all(
        WORKLOADS.map(async (kind) => {
          const stack = stacks[kind];
          const w = await runBin(['watch', '--stack', stack, '-o', 'ndjson', '--until-empty', '--timeout', '8m'], {
            env,
            timeoutMs: 9 * MINUTE,
          });
          expect(w.code, fail(w, stack)).toBe(0);
          expect(await depth(stack)).toEqual({ visible: 0, inFlight: 0 });
          if (kind === 'job') {
            const frames = w.stdout
              .trim()
              .split('\n')
              .map((l) => JSON.parse(l));
            expect(frames.every((f) => f.hpa === undefined && f.deployment === undefined)).toBe(true);
          }
          // drained means every consumer is gone too: the Jobs finished, the Deployment scaled to zero
          await pollUntil(
            'every consumer Pod exited',
            async () => (run.consumersRunning(cluster, stack) ? undefined : true),
            4 * MINUTE,
            () => run.podsSeen(cluster, stack),
          );
          const r = await pollUntil(
            `${LOAD.count} processed`,
            async () => {
              const x = await results(stack);
              return x && x.processed.count >= LOAD.count ? x : undefined;
            },
            MINUTE,
            () => run.podsSeen(cluster, stack),
          );
          measured[kind] = figures(stack, startedAt, Date.now(), { processed: r.processed.count, killed: r.killed.count });
        }),
      );
    },
    20 * MINUTE,
  );

  it('the ScaledJob: every message processed once per report, no kill, no re-delivery', () => {
    const f = measured.job!;
    run.expectEveryMessageProcessed(run.consumerRuns(cluster, stacks.job), LOAD.count, f.processed);
    expect(f.killed).toBe(0);
    expect(f.peakPods).toBeLessThanOrEqual(LOAD.maxReplicas);
  });

  it('the Deployment: the HPA removed busy Pods (kills > 0), each killed message came back and was processed', () => {
    const f = measured.deployment!;
    run.expectEveryMessageProcessed(run.consumerRuns(cluster, stacks.deployment), LOAD.count, f.processed);
    expect(f.killed, JSON.stringify(f)).toBeGreaterThan(0);
    // a kill gives its message back: it is received again (re-delivered) and processed, nothing is lost
    expect(f.redelivered).toBeGreaterThanOrEqual(f.killed);
    expect(f.peakPods).toBeLessThanOrEqual(LOAD.maxReplicas);
  });

  it(
    'simulate, given the same settings and load, agrees with both real runs: the direction, and the margins it states',
    async () => {
      // 16 seeds, in runs of simulate's most compared values (8)
      const seeds = Array.from({ length: 16 }, (_, i) => i + 1);
      for (const kind of WORKLOADS) {
        const runs: Array<{ killed: number; timeToDrain: number; drained: boolean }> = [];
        for (const chunk of [seeds.slice(0, 8), seeds.slice(8)]) {
          const sim = await runCli(
            [
              'simulate',
              ...flags(kind),
              '--region',
              MOTO_ENV.AWS_REGION,
              '--load',
              LOAD.profile,
              '--compare',
              `seed=${chunk.join(',')}`,
              '-o',
              'json',
            ],
            { env },
          );
          expect(sim.code, sim.stderr).toBe(0);
          runs.push(...(JSON.parse(sim.stdout).runs as Array<{ result: (typeof runs)[number] }>).map((r) => r.result));
        }
        const kills = runs.map((r) => r.killed);
        const drains = runs.map((r) => r.timeToDrain);
        const real = measured[kind]!;
        const range = (xs: number[]) => [Math.min(...xs), Math.max(...xs)] as const;
        const [kMin, kMax] = range(kills);
        const [dMin, dMax] = range(drains);
        simulated[kind] = { kills: [kMin, kMax], drain: [Math.round(dMin), Math.round(dMax)] };
        const said = `${kind}: real ${JSON.stringify(real)}; simulated over ${seeds.length} seeds: kills ${kMin}..${kMax}, drain ${Math.round(dMin)}..${Math.round(dMax)} s`;
        process.stderr.write(`[workloads-real] ${said}\n`);
        expect(runs.every((r) => r.drained)).toBe(true);
        if (kind === 'job') {
          // the direction: a ScaledJob never kills, in the simulation or for real
          expect(kMax, said).toBe(0);
          expect(real.killed, said).toBe(0);
        } else {
          // the direction: every seed kills, and so did the real run
          expect(kMin, said).toBeGreaterThan(0);
          expect(real.killed, said).toBeGreaterThan(0);
          // the margin on kills: within the seeds' range, widened by half of it and 2 either way
          expect(real.killed, said).toBeLessThanOrEqual(Math.ceil(kMax * 1.5) + 2);
        }
        // the margin on drain time: within the seeds' range, widened by 25 % either way
        expect(real.drainSeconds, said).toBeGreaterThanOrEqual(dMin * 0.75);
        expect(real.drainSeconds, said).toBeLessThanOrEqual(dMax * 1.25);
      }
    },
    3 * MINUTE,
  );

  it(
    'status exits 0 for both, each in its own words',
    async () => {
      const job = await runCli(['status', ...flags('job'), '-o', 'json'], { env });
      expect(job.code, fail(job, stacks.job)).toBe(0);
      expect(JSON.parse(job.stdout).scaledJob.ready).toMatch(/^True/);
      const dep = await runCli(['status', ...flags('deployment'), '-o', 'json'], { env });
      expect(dep.code, fail(dep, stacks.deployment)).toBe(0);
      const s = JSON.parse(dep.stdout);
      expect(s.healthy).toBe(true);
      expect(s.results).toEqual({ processed: measured.deployment!.processed, killed: measured.deployment!.killed });
    },
    2 * MINUTE,
  );

  it(
    'teardown leaves nothing of either stack, and the second one uninstalls KEDA',
    async () => {
      for (const kind of WORKLOADS) {
        const r = await runBin(['teardown', ...flags(kind), '--yes'], { env, timeoutMs: 10 * MINUTE });
        expect(r.code, fail(r, stacks[kind])).toBe(0);
      }
      for (const kind of WORKLOADS) {
        expect(await run.stackLeftAfterKeda(cluster, stacks[kind])).toEqual([]);
        const aws = await awsState(stacks[kind]);
        expect(aws.queues).toEqual({});
      }
    },
    21 * MINUTE,
  );
});
