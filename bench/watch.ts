// kedactl watch under load: 1,000 Pods and 1,000 Jobs churning in the real kube-apiserver rig while the
// watch (its informers + the ink screen, rendering to an off-screen terminal) runs in a child process.
// Measures the child's RSS, CPU per wall second, API-change -> frame latency (p50/p95), requests made to
// the API server and the number of watch connections.
// Run: npm run build && node bench/watch.ts [pods=1000] [jobs=1000] [seconds=60] [changes-per-second=50] [screen|ndjson]
// BENCH_NODE_ARGS='--max-semi-space-size=2' passes flags to the watch process; BENCH_PROF=dir profiles it.
import { fork } from 'node:child_process';
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Writable } from 'node:stream';

type Session = typeof import('../src/core/watch/session.ts');
type Screen = typeof import('../src/ui/watch/screen.tsx');
type Transport = typeof import('../src/adapters/kube-watch.ts');
type KubeAdapter = typeof import('../src/adapters/kube.ts');
type Lines = typeof import('../src/ui/watch/lines.ts');
// the built modules (dist/), so Node runs this file without a TypeScript loader
const dist = <T>(p: string) => import(new URL(`../dist/${p}`, import.meta.url).href) as Promise<T>;

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
  | { type: 'stats'; at: number; rss: number; cpuMs: number; requests: number; watches: number; maxWatches: number; relists: number; frames: number; heapUsed: number };

// ------------------------------------------------------------------------------------------------
// The child: kedactl watch's session and screen, instrumented

async function child(cfg: ChildConfig): Promise<void> {
  const { startWatch } = await dist<Session>('core/watch/session.js');
  const { kubeWatchTransport } = await dist<Transport>('adapters/kube-watch.js');
  const { loadKubeConfig } = await dist<KubeAdapter>('adapters/kube.js');
  const { lineWriter } = await dist<Lines>('ui/watch/lines.js');
  const send = (m: ChildMsg) => process.send!(m);

  let requests = 0;
  let watches = 0;
  let maxWatches = 0;
  let relists = 0;
  const kc = loadKubeConfig({ kubeconfig: cfg.kubeconfig, env: {} });
  const transport = kubeWatchTransport(kc, { onRequest: () => requests++, onWatchCount: (n) => ((watches = n), (maxWatches = Math.max(maxWatches, n))) });
  const session = startWatch(
    { transport, queue: { read: async () => ({ visible: 42, inFlight: 7, delayed: 0 }) } },
    { namespace: cfg.namespace, scaledJob: cfg.scaledJob, queueName: 'bench-queue', informer: { onRelist: () => relists++ } },
  );
  const store = session.store;

  // which change (pod or job name + phase) became part of which state version
  let pending: Array<{ key: string; version: number; arrived: number }> = [];
  const dispatch = store.dispatch.bind(store);
  store.dispatch = (a) => {
    dispatch(a);
    if (a.type === 'changed' && (a.kind === 'pods' || a.kind === 'jobs')) {
      const o = a.object as { metadata?: { name?: string }; status?: { phase?: string; conditions?: Array<{ type: string; status: string }> } };
      const tag = a.kind === 'pods' ? (a.event === 'DELETED' ? 'gone' : (o.status?.phase ?? 'Pending')) : a.event === 'DELETED' ? 'gone' : o.status?.conditions?.some((c) => c.type === 'Complete') ? 'Complete' : 'active';
      pending.push({ key: `${o.metadata?.name}/${tag}`, version: store.state.version, arrived: performance.timeOrigin + performance.now() });
    }
  };

  // frames: ink writes the frame in the commit, then the screen's layout effect reports the version
  let frames = 0;
  let lastWriteAt = 0;
  let wroteInThisCommit = false;
  let waitingVersion = -1;
  const flush = (version: number, at: number) => {
    const shown = pending.filter((p) => p.version <= version);
    if (!shown.length) return;
    pending = pending.filter((p) => p.version > version);
    send({ type: 'shown', items: shown.map((p) => [p.key, p.arrived, at]) });
  };
  const terminal = Object.assign(
    new Writable({
      write(_chunk, _enc, cb) {
        lastWriteAt = performance.timeOrigin + performance.now();
        wroteInThisCommit = true;
        if (waitingVersion >= 0) {
          flush(waitingVersion, lastWriteAt);
          waitingVersion = -1;
        }
        cb();
      },
    }),
    { columns: 120, rows: 40, isTTY: true },
  );
  const onFrame = (version: number) => {
    frames++;
    if (wroteInThisCommit) flush(version, lastWriteAt);
    else waitingVersion = version; // ink throttled the write: it comes later
    wroteInThisCommit = false;
  };
  let stopOutput: () => void;
  if (cfg.output === 'ndjson') {
    // a line is built from the store's state at the moment it is written
    const w = lineWriter(store, { format: 'ndjson', write: () => (frames++, flush(store.state.version, performance.timeOrigin + performance.now())) });
    stopOutput = () => w.stop();
  } else {
    const { render } = await import('ink');
    const { createElement } = await import('react');
    const { WatchScreen } = await dist<Screen>('ui/watch/screen.js');
    // as the watch command draws it: React's production build (NODE_ENV set for this process), maxFps 30
    const app = render(
      createElement(WatchScreen, { store, header: { stack: 'bench', context: kc.getCurrentContext(), namespace: cfg.namespace, queue: 'bench-queue', region: 'us-east-1', kedaVersion: '2.20.0' }, onFrame }),
      { stdout: terminal as unknown as NodeJS.WriteStream, exitOnCtrlC: false, patchConsole: false, maxFps: 30 },
    );
    stopOutput = () => app.unmount();
  }

  const syncedCheck = setInterval(() => {
    const c = store.state.connections;
    if (c.pods.synced && c.jobs.synced) {
      clearInterval(syncedCheck);
      send({ type: 'synced', at: Date.now() });
    }
  }, 20);
  const stats = setInterval(() => {
    (globalThis as { gc?: () => void }).gc?.(); // BENCH_NODE_ARGS=--expose-gc: live heap, not garbage
    const u = process.cpuUsage();
    const m = process.memoryUsage();
    send({ type: 'stats', at: Date.now(), rss: m.rss, heapUsed: m.heapUsed, cpuMs: (u.user + u.system) / 1000, requests, watches, maxWatches, relists, frames });
  }, 1000);
  process.on('message', async (m) => {
    if (m === 'stop') {
      clearInterval(stats);
      stopOutput();
      await session.stop();
      process.exit(0);
    }
  });
}

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
  const { KEDA_CRDS_DIR } = await import('../test/support/kube-test-rig.ts');
  const log = (s: string) => process.stderr.write(`[bench] ${s}\n`);

  const rig = await startKubeRig({ crdsDir: KEDA_CRDS_DIR, log: () => {} });
  const ns = 'bench';
  const sj = 'bench-processor';
  const labels = { [LABEL]: sj };
  const req = async (method: string, path: string, body?: unknown, contentType?: string) => {
    const r = await kubeRequest(rig, method, path, { body, contentType });
    if (r.status >= 300 && r.status !== 404) throw new Error(`${method} ${path}: ${r.status} ${r.body.slice(0, 200)}`);
    return r;
  };
  const merge = 'application/merge-patch+json';
  const podBody = (name: string) => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name, labels }, spec: { restartPolicy: 'Never', containers: [{ name: 'consumer', image: 'amazon/aws-cli:2.15.23' }] } });
  const jobBody = (name: string) => ({ apiVersion: 'batch/v1', kind: 'Job', metadata: { name, labels }, spec: { backoffLimit: 0, template: { metadata: { labels }, spec: { restartPolicy: 'Never', containers: [{ name: 'consumer', image: 'amazon/aws-cli:2.15.23' }] } } } });
  let child: ReturnType<typeof fork> | undefined;
  try {
    await req('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
    const t0 = Date.now();
    let next = 0;
    const total = PODS + JOBS;
    await Promise.all(Array.from({ length: 16 }, async () => {
      while (next < total) {
        const i = next++;
        if (i < PODS) await req('POST', `/api/v1/namespaces/${ns}/pods`, podBody(`${sj}-p${i}-g0`));
        else await req('POST', `/apis/batch/v1/namespaces/${ns}/jobs`, jobBody(`${sj}-j${i - PODS}-g0`));
      }
    }));
    log(`created ${PODS} Pods and ${JOBS} Jobs in ${((Date.now() - t0) / 1000).toFixed(1)}s`);

    const cfg: ChildConfig = { output: OUTPUT, kubeconfig: rig.kubeconfigPath, namespace: ns, scaledJob: sj };
    child = fork(fileURLToPath(import.meta.url), ['--child', JSON.stringify(cfg)], {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      env: { ...process.env, NODE_ENV: process.env.BENCH_NODE_ENV ?? 'production' },
      // BENCH_PROF=dir: a CPU profile of the watch process
      execArgv: [...(process.env.BENCH_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_PROF}`] : []), ...(process.env.BENCH_NODE_ARGS?.split(' ').filter(Boolean) ?? [])],
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
        await req('PATCH', `/apis/batch/v1/namespaces/${ns}/jobs/${name}/status`, {
          status: { startTime: ts, completionTime: ts, succeeded: 1, conditions: [{ type: 'SuccessCriteriaMet', status: 'True', lastTransitionTime: ts }, { type: 'Complete', status: 'True', lastTransitionTime: ts }] },
        }, merge);
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
    await Promise.all(Array.from({ length: 8 }, async (_, w) => {
      let k = 0;
      while (Date.now() < deadline) {
        const due = steadyFrom + ((k * 8 + w) * 1000) / RATE;
        k++;
        const wait = due - Date.now();
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
        await ((k + w) % 2 ? stepPod() : stepJob());
        changes++;
      }
    }));
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
      cpuPercentOfOneCore: +cpuPct.toFixed(1),
      latencyMs: { n: latencies.length, p50: Math.round(pct(latencies, 50)), p95: Math.round(pct(latencies, 95)), max: Math.round(Math.max(...latencies)) },
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

if (process.argv[2] === '--child') await child(JSON.parse(process.argv[3]!) as ChildConfig);
else await parent();
