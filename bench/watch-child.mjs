// The watch process of bench/watch.ts: kedactl watch's session and screen (or NDJSON writer), from the
// built modules, instrumented. Plain JavaScript on purpose: a .ts entry point makes Node load its
// TypeScript stripper, which adds ~17 MB of RSS that kedactl (compiled JS) never has.
import { Writable } from 'node:stream';

// the watch's pieces bundled as kedactl ships them (dist/bench/watch.js, made by the build), or with
// BENCH_UNBUNDLED=1 tsc's file-per-module output with its packages from node_modules
const dist = (p) =>
  process.env.BENCH_UNBUNDLED
    ? import(new URL(`../dist/${p}`, import.meta.url).href)
    : import(new URL('../dist/bench/watch.js', import.meta.url).href);

/** BENCH_ALLOC=file: a sampling profile of everything allocated (collected objects included), written on stop */
async function allocationProfile() {
  if (!process.env.BENCH_ALLOC) return async () => {};
  const { Session } = await import('node:inspector/promises');
  const { writeFile } = await import('node:fs/promises');
  const session = new Session();
  session.connect();
  await session.post('HeapProfiler.startSampling', {
    samplingInterval: 16384,
    includeObjectsCollectedByMajorGC: true,
    includeObjectsCollectedByMinorGC: true,
  });
  return async () => {
    const { profile } = await session.post('HeapProfiler.stopSampling');
    await writeFile(process.env.BENCH_ALLOC, JSON.stringify(profile));
  };
}

export async function child(cfg) {
  // the V8 flags `kedactl watch` sets for its screen (ui/watch/memory.ts), or BENCH_V8_FLAGS instead
  // ('none' for none), set at run time with v8.setFlagsFromString as the command does
  if (cfg.output === 'screen') {
    const { favorMemoryOverSpeed } = await dist('ui/watch/memory.js');
    const flags = process.env.BENCH_V8_FLAGS;
    favorMemoryOverSpeed(flags === undefined ? undefined : flags === 'none' ? [] : flags.split(' ').filter(Boolean));
  }
  const stopProfile = await allocationProfile();
  const { startWatch } = await dist('core/watch/session.js');
  const { kubeWatchTransport } = await dist('adapters/kube-watch.js');
  const { loadKubeConfig } = await dist('adapters/kube.js');
  const { lineWriter } = await dist('ui/watch/lines.js');
  const send = (m) => process.send(m);

  let requests = 0;
  let watches = 0;
  let maxWatches = 0;
  let relists = 0;
  const kc = loadKubeConfig({ kubeconfig: cfg.kubeconfig, env: {} });
  const transport = kubeWatchTransport(kc, {
    onRequest: () => requests++,
    onWatchCount: (n) => ((watches = n), (maxWatches = Math.max(maxWatches, n))),
  });
  const session = startWatch(
    { transport, queue: { read: async () => ({ visible: 42, inFlight: 7, delayed: 0 }) } },
    { namespace: cfg.namespace, scaledJob: cfg.scaledJob, queueName: 'bench-queue', informer: { onRelist: () => relists++ } },
  );
  const store = session.store;

  // which change (pod or job name + phase) is which dispatched action; a frame shows every action the
  // store had folded in (store.applied) when the frame's state was read
  /** @type {Array<{ key: string; version: number; arrived: number }>} */
  let pending = [];
  const dispatch = store.dispatch.bind(store);
  store.dispatch = (a) => {
    dispatch(a);
    if (a.type === 'changed' && (a.kind === 'pods' || a.kind === 'jobs')) {
      const o = a.object;
      const tag =
        a.kind === 'pods'
          ? a.event === 'DELETED'
            ? 'gone'
            : (o.status?.phase ?? 'Pending')
          : a.event === 'DELETED'
            ? 'gone'
            : o.status?.conditions?.some((c) => c.type === 'Complete')
              ? 'Complete'
              : 'active';
      pending.push({ key: `${o.metadata?.name}/${tag}`, version: store.dispatched, arrived: performance.timeOrigin + performance.now() });
    }
  };

  // frames: ink writes the frame in the commit, then the screen's layout effect reports the version
  let frames = 0;
  let lastWriteAt = 0;
  let wroteInThisCommit = false;
  let waitingVersion = -1;
  const flush = (version, at) => {
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
  const onFrame = () => {
    const version = store.applied;
    frames++;
    if (wroteInThisCommit) flush(version, lastWriteAt);
    else waitingVersion = version; // ink throttled the write: it comes later
    wroteInThisCommit = false;
  };
  let stopOutput;
  if (cfg.output === 'ndjson') {
    // a line is built from the store's state at the moment it is written
    const w = lineWriter(store, {
      format: 'ndjson',
      write: () => (frames++, flush(store.applied, performance.timeOrigin + performance.now())),
    });
    stopOutput = () => w.stop();
  } else {
    const { render } = await import('ink');
    const { createElement } = await import('react');
    const { WatchScreen } = await dist('ui/watch/screen.js');
    // as the watch command draws it: React's production build (NODE_ENV set for this process), maxFps 30
    const app = render(
      createElement(WatchScreen, {
        store,
        header: {
          stack: 'bench',
          context: kc.getCurrentContext(),
          namespace: cfg.namespace,
          queue: 'bench-queue',
          region: 'us-east-1',
          kedaVersion: '2.20.0',
        },
        onFrame,
        ...(process.env.BENCH_REDRAW_MS ? { minRedrawMs: Number(process.env.BENCH_REDRAW_MS) } : {}),
      }),
      { stdout: terminal, exitOnCtrlC: false, patchConsole: false, maxFps: 30 },
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
    globalThis.gc?.(); // BENCH_NODE_ARGS=--expose-gc: live heap, not garbage
    const u = process.cpuUsage();
    const m = process.memoryUsage();
    send({
      type: 'stats',
      at: Date.now(),
      rss: m.rss,
      heapUsed: m.heapUsed,
      external: m.external,
      heapTotal: m.heapTotal,
      cpuMs: (u.user + u.system) / 1000,
      requests,
      watches,
      maxWatches,
      relists,
      frames,
    });
  }, 1000);
  process.on('message', async (m) => {
    if (m === 'stop') {
      clearInterval(stats);
      stopOutput();
      await session.stop();
      await stopProfile();
      process.exit(0);
    }
  });
}

await child(JSON.parse(process.argv[2]));
