// kedactl watch: flags -> sources (one informer per kind, queue and results pollers) -> a live screen
// on a terminal, or one line per change (NDJSON / text) when piped; --once, --until-empty, --timeout.
import { connect } from '../adapters/connect.js';
import type { Kube } from '../core/kube/ports.js';
import { UsageError } from '../core/errors.js';
import { UNKNOWN_REGION, type Settings } from '../core/stack/settings.js';
import { KEDA, names } from '../core/stack/names.js';
import { kedaVersionOf } from '../core/kube/state.js';
import { startWatch, workloadTargets } from '../core/watch/session.js';
import { workloadOf } from '../core/workloads/index.js';
import { snapshot } from '../core/watch/snapshot.js';
import { analyzerResultsSource, sqsQueueSource } from '../core/watch/sources.js';
import { firstReadDone, notEmptyError, unreadableError, untilEmpty, waitFor, type Ending } from '../core/watch/until.js';
import { formatLine, lineWriter } from '../ui/watch/lines.js';
import { favorMemoryOverSpeed } from '../ui/watch/memory.js';
import type { WatchHeader } from '../ui/watch/screen.js';
import { beginWithRecord, withCtrlC } from './common.js';
import type { CommandContext, CommandFlags } from './context.js';

export interface WatchOptions extends CommandFlags {
  output?: string;
  once?: boolean;
  untilEmpty?: boolean;
  timeout?: string;
  interval?: string;
}

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** "90", "90s", "5m", "1h" -> ms */
export function parseDuration(flag: string, v: unknown): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(String(v).trim());
  if (!m) throw new UsageError(`${flag} = "${String(v)}": must be a duration like 90, 90s, 5m or 1h`, `pass ${flag} 10m`);
  const unit = UNIT_MS[m[2] ?? 's']!;
  return Math.round(Number(m[1]) * unit);
}

async function kedaVersion(kube: Kube): Promise<string | undefined> {
  const get = kube
    .get({ apiVersion: 'apps/v1', kind: 'Deployment', namespace: KEDA.namespace, name: 'keda-operator' })
    .then((d) => kedaVersionOf(d) ?? (d ? '?' : 'not installed'))
    .catch(() => undefined);
  return Promise.race([get, new Promise<undefined>((r) => (setTimeout(r, 3000) as unknown as NodeJS.Timeout).unref())]);
}

/** React and ink, loaded only when a screen is drawn, in React's production build unless told otherwise. */
async function loadInk() {
  // the development build checks every element and costs about twice the CPU per frame (bench/README.md)
  process.env.NODE_ENV ??= 'production';
  const [{ createElement }, ink, { WatchScreen }] = await Promise.all([import('react'), import('ink'), import('../ui/watch/screen.js')]);
  return { createElement, render: ink.render, renderToString: ink.renderToString, WatchScreen };
}

export async function run(opts: WatchOptions, ctx: CommandContext): Promise<void> {
  const output = opts.output ?? 'auto';
  if (!['auto', 'text', 'ndjson'].includes(output))
    throw new UsageError(`output = "${output}": must be text or ndjson`, 'pass -o text or -o ndjson');
  const intervalMs = parseDuration('--interval', opts.interval ?? '2');
  if (intervalMs < 100) throw new UsageError('--interval must be at least 0.1s', 'pass --interval 2');
  const timeoutMs = opts.timeout !== undefined ? parseDuration('--timeout', opts.timeout) : undefined;
  const once = opts.once === true;
  const untilEmptyFlag = opts.untilEmpty === true;
  if (once && untilEmptyFlag) throw new UsageError('--once and --until-empty do not go together', 'pass one of them');

  const { settings } = await beginWithRecord(opts, ctx, { regionOptional: true });
  const host = ctx.host();
  const n = names(settings);
  const workload = workloadOf(settings);
  // one attempt per read: the poller backs off itself, and a watch must not stall in SDK retries
  const {
    kube,
    kubeWatch: transport,
    aws,
  } = connect(settings, ctx.env, host, new Set(['keda']), { ...ctx.awsClient, maxAttempts: 1 }, { watch: true });
  if (!kube || !transport) throw new Error('bug: connect() built no Kubernetes adapter for watch');
  if (!aws) host.notify('warn', 'watch.region', 'no region: the queue is not shown (pass --region or set AWS_REGION)');

  const session = startWatch(
    {
      transport,
      queue: aws
        ? sqsQueueSource(aws.sqs, { queue: n.queue, deadLetterQueue: settings.deadLetterQueue ? n.deadLetterQueue : undefined })
        : undefined,
      results: analyzerResultsSource(kube, { namespace: n.namespace, name: n.analyzer, port: 'http' }),
    },
    {
      namespace: n.namespace,
      scaledJob: n.scaledJob,
      ...workloadTargets(n.namespace, workload, n),
      queueName: n.queue,
      queueIntervalMs: intervalMs,
    },
  );
  const { store } = session;
  const started = Date.now();
  const tty = Boolean(host.streams.stdout.isTTY) && output !== 'ndjson';
  const format = output === 'ndjson' || (output === 'auto' && !tty) ? 'ndjson' : 'text';

  try {
    if (once) {
      await waitFor(store, firstReadDone, { reached: 'ready', timeoutMs: timeoutMs ?? 15_000 });
      const bad = unreadableError(store.state);
      if (bad) throw bad;
      if (format === 'ndjson') host.result(formatLine(snapshot(store.state, Date.now(), { queueIntervalMs: intervalMs }), 'ndjson'));
      else {
        const header = await headerFor(settings, kube.context, kube);
        const { createElement, renderToString, WatchScreen } = await loadInk();
        const columns = host.streams.stdout.columns ?? 100;
        host.result(
          renderToString(
            createElement(WatchScreen, {
              store,
              header,
              queueIntervalMs: intervalMs,
              size: { columns, rows: 40 },
              still: true,
              noPods: workload.noPods,
            }),
            { columns },
          ),
        );
      }
      return;
    }

    let ending: Ending;
    const pred = untilEmptyFlag ? untilEmpty(started) : () => false;
    if (tty) {
      // the screen reads keys in raw mode: q and Ctrl-C arrive as keys, not as SIGINT
      const quit = new AbortController();
      const header = await headerFor(settings, kube.context, kube);
      const { createElement, render, WatchScreen } = await loadInk();
      favorMemoryOverSpeed(); // the screen's allocation rate would otherwise grow V8's heap ~100 MB
      // the screen batches changes itself (at most 10 redraws a second); ink's own throttle on top
      // would only add delay between a change and its frame
      const screen = { store, header, queueIntervalMs: intervalMs, noPods: workload.noPods, onQuit: () => quit.abort() };
      const app = render(createElement(WatchScreen, screen), {
        stdout: host.streams.stdout,
        stdin: host.streams.stdin,
        exitOnCtrlC: false,
        patchConsole: false,
        maxFps: 30,
      });
      try {
        ending = await waitFor(store, pred, { reached: 'drained', timeoutMs, quit: quit.signal });
      } finally {
        app.unmount();
        await app.waitUntilExit().catch(() => undefined);
      }
    } else {
      const writer = lineWriter(store, {
        format,
        write: (l) => host.result(l),
        queueIntervalMs: intervalMs,
        heartbeatMs: Math.max(10_000, intervalMs),
      });
      try {
        // Ctrl-C or SIGTERM ends it like the end of the stream: the last lines are written
        ending = await withCtrlC((signal) => waitFor(store, pred, { reached: 'drained', timeoutMs, quit: signal }), {
          alsoOn: ['SIGTERM'],
        });
      } finally {
        writer.stop(true);
      }
    }
    if (ending === 'drained') host.notify('success', 'watch.drained', `queue ${n.queue} is empty and ${workload.drained}`);
    if (ending === 'timeout' && untilEmptyFlag) throw notEmptyError(store.state, Date.now(), timeoutMs!, workload.unit.many);
  } finally {
    await session.stop();
  }
}

async function headerFor(settings: Settings, context: string, kube: Kube): Promise<WatchHeader> {
  const n = names(settings);
  return {
    stack: settings.stack,
    context,
    namespace: settings.namespace,
    queue: n.queue,
    region: settings.region === UNKNOWN_REGION ? 'no region' : settings.region,
    kedaVersion: await kedaVersion(kube),
  };
}
