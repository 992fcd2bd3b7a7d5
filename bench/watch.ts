// kedactl watch under load: 1,000 Pods and 1,000 Jobs churning in the real kube-apiserver rig while the
// watch (its informers + the ink screen, rendering to an off-screen terminal) runs in a child process
// (bench/watch-child.mjs, which loads the built modules).
// Measures the child's RSS, CPU per wall second, API-change -> frame latency (p50/p95), requests made to
// the API server and the number of watch connections.
// Run: npm run build && node bench/watch.ts [pods=1000] [jobs=1000] [seconds=60] [changes-per-second=50] [screen|ndjson]
// BENCH_NODE_ARGS='--max-semi-space-size=2' passes flags to the watch process; BENCH_PROF=dir profiles it.
import { fork } from 'node:child_process';
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';

const LABEL = 'scaledjob.keda.sh/name';

interface ChildConfig {
  /** screen: the ink screen on an off-screen terminal; ndjson: the line writer (what a pipe gets) */
  output: 'screen' | 'ndjson';
  kubeconfig: string;
  namespace: string;
  scaledJob: string;
}

type ChildMsg =
  | { type: 'synced'; at: number }
  | { type: 'shown'; items: Array<[string, number, number]> }
  | {
      type: 'stats';
      at: number;
      rss: number;
      external: number;
      heapTotal: number;
      cpuMs: number;
      requests: number;
      watches: number;
      maxWatches: number;
      relists: number;
      frames: number;
      heapUsed: number;
    };

// ------------------------------------------------------------------------------------------------
// The parent: the rig, the objects, the churn, the numbers

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]! : NaN;
}

async function parent(): Promise<void> {
  const PODS = Number(process.argv[2] ?? 1000);
  const JOBS = Number(process.argv[3] ?? 1000);
  const SECONDS = Number(process.argv[4] ?? 60);
  const RATE = Number(process.argv[5] ?? 50);
  const OUTPUT = (process.argv[6] ?? 'screen') as ChildConfig['output'];
  const { startKubeRig, kubeRequest } = await import('../test/support/kube-rig.ts');
  const { kedaCrdsDir } = await import('../test/support/kube-test-rig.ts');
  const log = (s: string) => process.stderr.write(`[bench] ${s}\n`);

  const rig = await startKubeRig({ crdsDir: kedaCrdsDir(), log: () => {} });
  const ns = 'bench';
  const sj = 'bench-processor';
  const labels = { [LABEL]: sj };
  const req = async (method: string, path: string, body?: unknown, contentType?: string) => {
    const r = await kubeRequest(rig, method, path, { body, contentType });
    if (r.status >= 300 && r.status !== 404) throw new Error(`${method} ${path}: ${r.status} ${r.body.slice(0, 200)}`);
    return r;
  };
  const merge = 'application/merge-patch+json';
  const podBody = (name: string) => ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, labels },
    spec: { restartPolicy: 'Never', containers: [{ name: 'consumer', image: 'amazon/aws-cli:2.15.23' }] },
  });
  const jobBody = (name: string) => ({
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name, labels },
    spec: {
      backoffLimit: 0,
      template: {
        metadata: { labels },
        spec: { restartPolicy: 'Never', containers: [{ name: 'consumer', image: 'amazon/aws-cli:2.15.23' }] },
      },
    },
  });
  let child: ReturnType<typeof fork> | undefined;
  try {
    await req('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
    const t0 = Date.now();
    let next = 0;
    const total = PODS + JOBS;
    await Promise.all(
      Array.from({ length: 16 }, async () => {
        while (next < total) {
          const i = next++;
          if (i < PODS) await req('POST', `/api/v1/namespaces/${ns}/pods`, podBody(`${sj}-p${i}-g0`));
          else await req('POST', `/apis/batch/v1/namespaces/${ns}/jobs`, jobBody(`${sj}-j${i - PODS}-g0`));
        }
      }),
    );
    log(`created ${PODS} Pods and ${JOBS} Jobs in ${((Date.now() - t0) / 1000).toFixed(1)}s`);

    const cfg: ChildConfig = { output: OUTPUT, kubeconfig: rig.kubeconfigPath, namespace: ns, scaledJob: sj };
    child = fork(fileURLToPath(new URL('./watch-child.mjs', import.meta.url)), [JSON.stringify(cfg)], {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      env: { ...process.env, NODE_ENV: process.env.BENCH_NODE_ENV ?? 'production' },
      // BENCH_PROF=dir: a CPU profile of the watch process
      execArgv: [
        ...(process.env.BENCH_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_PROF}`] : []),
        ...(process.env.BENCH_NODE_ARGS?.split(' ').filter(Boolean) ?? []),
      ],
    });
    const sent = new Map<string, number>();
    const latencies: number[] = [];
    // the two parts: API write sent -> watch event in the watch process, and event -> frame written
    const toArrival: number[] = [];
    const toFrame: number[] = [];
    const stats: Array<Extract<ChildMsg, { type: 'stats' }>> = [];
    let syncedAt = 0;
    const started = Date.now();
    child.on('message', (m: ChildMsg) => {
      if (m.type === 'synced') syncedAt = m.at;
      else if (m.type === 'stats') stats.push(m);
      else if (m.type === 'shown')
        for (const [key, arrived, at] of m.items) {
          const t = sent.get(key);
          if (t !== undefined) {
            latencies.push(at - t);
            toArrival.push(arrived - t);
            toFrame.push(at - arrived);
            sent.delete(key);
          }
        }
    });
    while (!syncedAt) await new Promise((r) => setTimeout(r, 20));
    log(`watch synced ${PODS + JOBS} objects in ${syncedAt - started} ms (including Node start-up)`);
    await new Promise((r) => setTimeout(r, 2000));

    // churn: each step moves one Pod along Pending -> Running -> Succeeded -> replaced, and one Job along
    // active -> Complete -> replaced; the new object gets a new name (generation) so every change is unique
    const podGen = new Array<number>(PODS).fill(0);
    const podPhase = new Array<string>(PODS).fill('Pending');
    const jobGen = new Array<number>(JOBS).fill(0);
    const jobDone = new Array<boolean>(JOBS).fill(false);
    const now = () => performance.timeOrigin + performance.now();
    const stepPod = async () => {
      const i = Math.floor(Math.random() * PODS);
      const name = `${sj}-p${i}-g${podGen[i]}`;
      const phase = podPhase[i];
      if (phase === 'Pending' || phase === 'Running') {
        const to = phase === 'Pending' ? 'Running' : 'Succeeded';
        podPhase[i] = to;
        sent.set(`${name}/${to}`, now());
        await req('PATCH', `/api/v1/namespaces/${ns}/pods/${name}/status`, { status: { phase: to } }, merge);
      } else {
        podGen[i]!++;
        podPhase[i] = 'Pending';
        sent.set(`${name}/gone`, now());
        await req('DELETE', `/api/v1/namespaces/${ns}/pods/${name}?gracePeriodSeconds=0`);
        const fresh = `${sj}-p${i}-g${podGen[i]}`;
        sent.set(`${fresh}/Pending`, now());
        await req('POST', `/api/v1/namespaces/${ns}/pods`, podBody(fresh));
      }
    };
    const stepJob = async () => {
      const i = Math.floor(Math.random() * JOBS);
      const name = `${sj}-j${i}-g${jobGen[i]}`;
      if (!jobDone[i]) {
        jobDone[i] = true;
        const ts = new Date().toISOString();
        sent.set(`${name}/Complete`, now());
        await req(
          'PATCH',
          `/apis/batch/v1/namespaces/${ns}/jobs/${name}/status`,
          {
            status: {
              startTime: ts,
              completionTime: ts,
              succeeded: 1,
              conditions: [
                { type: 'SuccessCriteriaMet', status: 'True', lastTransitionTime: ts },
                { type: 'Complete', status: 'True', lastTransitionTime: ts },
              ],
            },
          },
          merge,
        );
      } else {
        jobGen[i]!++;
        jobDone[i] = false;
        sent.set(`${name}/gone`, now());
        await req('DELETE', `/apis/batch/v1/namespaces/${ns}/jobs/${name}?propagationPolicy=Background`);
        const fresh = `${sj}-j${i}-g${jobGen[i]}`;
        sent.set(`${fresh}/active`, now());
        await req('POST', `/apis/batch/v1/namespaces/${ns}/jobs`, jobBody(fresh));
      }
    };
    const steadyFrom = Date.now();
    const statsFrom = stats.length;
    let changes = 0;
    const deadline = steadyFrom + SECONDS * 1000;
    // RATE steps a second, half Pods half Jobs, 8 in flight at most
    await Promise.all(
      Array.from({ length: 8 }, async (_, w) => {
        let k = 0;
        while (Date.now() < deadline) {
          const due = steadyFrom + ((k * 8 + w) * 1000) / RATE;
          k++;
          const wait = due - Date.now();
          if (wait > 0) await new Promise((r) => setTimeout(r, wait));
          await ((k + w) % 2 ? stepPod() : stepJob());
          changes++;
        }
      }),
    );
    await new Promise((r) => setTimeout(r, 1500)); // let the last changes reach a frame
    const steady = stats.slice(statsFrom);
    const first = steady[0]!;
    const last = steady[steady.length - 1]!;
    const wall = (last.at - first.at) / 1000;
    const cpuPct = ((last.cpuMs - first.cpuMs) / 1000 / wall) * 100;
    const rssMax = Math.max(...steady.map((s) => s.rss)) / 1024 / 1024;
    const reqDuring = last.requests - first.requests;
    const result = {
      date: new Date().toISOString().slice(0, 10),
      machine: `${cpus()[0]?.model.trim()} x${cpus().length}`,
      node: process.version,
      output: OUTPUT,
      pods: PODS,
      jobs: JOBS,
      seconds: Math.round(wall),
      apiChangesPerSecond: +(changes / ((Date.now() - steadyFrom - 1500) / 1000)).toFixed(1),
      rssMaxMB: +rssMax.toFixed(1),
      rssAtStartMB: +(first.rss / 1024 / 1024).toFixed(1),
      rssAtEndMB: +(last.rss / 1024 / 1024).toFixed(1),
      heapUsedMB: { start: +(first.heapUsed / 1024 / 1024).toFixed(1), end: +(last.heapUsed / 1024 / 1024).toFixed(1) },
      heapTotalMB: { start: +(first.heapTotal / 1024 / 1024).toFixed(1), end: +(last.heapTotal / 1024 / 1024).toFixed(1) },
      externalMB: { start: +(first.external / 1024 / 1024).toFixed(1), end: +(last.external / 1024 / 1024).toFixed(1) },
      cpuPercentOfOneCore: +cpuPct.toFixed(1),
      latencyMs: {
        n: latencies.length,
        p50: Math.round(pct(latencies, 50)),
        p95: Math.round(pct(latencies, 95)),
        max: Math.round(Math.max(...latencies)),
      },
      apiToEventMs: { p50: Math.round(pct(toArrival, 50)), p95: Math.round(pct(toArrival, 95)) },
      eventToFrameMs: { p50: Math.round(pct(toFrame, 50)), p95: Math.round(pct(toFrame, 95)) },
      unmatchedChanges: sent.size,
      apiRequestsTotal: last.requests,
      apiRequestsDuringChurn: reqDuring,
      watchConnections: { now: last.watches, max: last.maxWatches },
      relists: last.relists,
      framesPerSecond: +((last.frames - first.frames) / wall).toFixed(1),
    };
    console.log(JSON.stringify(result, null, 2));
  } finally {
    child?.send('stop');
    await new Promise((r) => setTimeout(r, 500));
    child?.kill();
    await rig.stop();
  }
}

await parent();
