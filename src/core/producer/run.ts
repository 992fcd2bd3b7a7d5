// src/core/producer/ owns the in-cluster producer: `produce --in-cluster` as rounds of Indexed Jobs under the
// producer service account (init creates it and, in irsa mode, its send-only role: stack/desired.ts), followed
// through the Pods' logs to an exact count. It may import the ports (aws/ports.ts, kube/ports.ts), the stack's
// names, values and templates, produce/ (the same bodies and the same result) and the floor.
//
// What is durable: the run's ConfigMap (the request, its state, the stop flag the Pods read), every round's
// Job (its RANGES, its completed and failed indexes) and the Pods' logs (how far each got). A re-run of the
// same request follows or finishes the unfinished run instead of starting another, so no finished share is
// sent twice; a failed Pod's unsent part goes into the next round, never its whole share.
import type { SqsPort } from '../aws/ports.js';
import { StateError, UsageError } from '../errors.js';
import type { Kube, KubeObject } from '../kube/ports.js';
import { bodyMaker, checkBody, type ProduceResult, type SendFailure } from '../produce/produce.js';
import { names, stackLabels } from '../stack/names.js';
import type { Settings } from '../stack/settings.js';
import { producerJob, producerJobName, RUN_LABEL } from './job.js';
import { parseRanges, readPodLog, shares, unsent, type PodProgress, type Share } from './shares.js';

export const PARALLELISM = { min: 1, max: 100, default: 4 } as const;
/** rounds after the first: a Pod that fails this many times in a row leaves its part unsent */
const RETRIES = 3;
const INDEX = 'batch.kubernetes.io/job-completion-index';
const JOB_NAME_LABEL = 'batch.kubernetes.io/job-name';

export interface InClusterOptions {
  count: number;
  parallelism: number;
  bodyTemplate?: string;
}

export interface ProducerPod {
  pod: string;
  round: number;
  index: number;
  share: Share;
  phase: 'pending' | 'running' | 'succeeded' | 'failed';
  sent: number;
  done: number;
  end?: PodProgress['end'];
  exitCode?: number;
}

export interface InClusterProgress {
  sent: number;
  failed: number;
  target: number;
  running: number;
  done: number;
  failedPods: number;
  round: number;
}

export interface InClusterResult extends ProduceResult {
  inCluster: {
    run: string;
    parallelism: number;
    /** the run was unfinished and this command followed it to the end */
    resumed: boolean;
    rounds: number;
    pods: ProducerPod[];
    /** what is left unsent, by the Pod that last had it */
    unsent: Array<{ pod: string; first: number; last: number; why: string }>;
  };
}

export interface InClusterHooks {
  signal?: AbortSignal;
  onProgress?: (p: InClusterProgress) => void;
  /** ms between reads of the Pods and their logs */
  intervalMs?: number;
  /** after Ctrl-C: how long the Pods get to stop on their own (the stop flag) before their Job is deleted */
  stopGraceMs?: number;
  sleep?: (ms: number) => Promise<void>;
  runId?: string;
}

export interface InClusterPorts {
  sqs: SqsPort;
  kube: Kube;
}

interface Run {
  id: string;
  count: number;
  parallelism: number;
  bodyTemplate?: string;
  state: 'running' | 'finished' | 'stopped';
}

const sleepMs = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export function parseParallelism(v: unknown): number {
  if (v === undefined) return PARALLELISM.default;
  const s = String(v).trim();
  if (!/^\d+$/.test(s) || Number(s) < PARALLELISM.min || Number(s) > PARALLELISM.max)
    throw new UsageError(
      `--parallelism = ${JSON.stringify(v)}: must be a whole number from ${PARALLELISM.min} to ${PARALLELISM.max}`,
      'fix the flag; nothing was sent',
    );
  return Number(s);
}

export async function produceInCluster(
  settings: Settings,
  ports: InClusterPorts,
  opts: InClusterOptions,
  hooks: InClusterHooks = {},
): Promise<InClusterResult> {
  const { kube, sqs } = ports;
  const n = names(settings);
  const ns = n.namespace;
  const sleep = hooks.sleep ?? sleepMs;
  // one log read per running Pod per look: fewer looks for many Pods (about 40 reads a second at most)
  const interval = hooks.intervalMs ?? Math.max(500, 25 * opts.parallelism);
  if (settings.producer !== 'in-cluster')
    throw new UsageError(
      `stack "${settings.stack}" has no in-cluster producer (producer is ${settings.producer})`,
      `run "kedactl init --stack ${settings.stack} --producer in-cluster" first: it creates the producer service account${settings.auth === 'irsa' ? ' and its send-only role' : ''}`,
    );
  if (!kube.podLog) throw new StateError('this Kubernetes connection cannot read Pod logs', 'use a kubeconfig whose user may get pods/log');
  const url = await sqs.getQueueUrl(settings.queueName);
  if (!url)
    throw new StateError(
      `SQS queue "${settings.queueName}" does not exist in ${settings.region}`,
      `create it with "kedactl init --stack ${settings.stack} --producer in-cluster"`,
    );
  const maxMessageSize = Number((await sqs.getQueueAttributes(url)).MaximumMessageSize ?? 262144);
  for (const [kind, name] of [
    ['ServiceAccount', n.producerServiceAccount],
    ['ConfigMap', n.producerScript],
  ] as const)
    if (!(await kube.get({ apiVersion: 'v1', kind, name, namespace: ns })))
      throw new StateError(
        `${kind} ${ns}/${name} of the in-cluster producer does not exist`,
        `run "kedactl init --stack ${settings.stack} --producer in-cluster" to create it`,
      );

  // the run: a new one, or the unfinished one of the same request (never a second one beside it)
  const runRef = { apiVersion: 'v1', kind: 'ConfigMap', name: n.producerRun, namespace: ns };
  const recorded = readRun(await kube.get(runRef));
  let run: Run;
  let resumed = false;
  if (recorded?.state === 'running') {
    if (recorded.count !== opts.count || recorded.parallelism !== opts.parallelism || recorded.bodyTemplate !== opts.bodyTemplate)
      throw new UsageError(
        `an in-cluster producer run of ${recorded.count} messages (parallelism ${recorded.parallelism}) is unfinished in ${ns}; starting another beside it could send its messages twice`,
        `finish it with "kedactl produce --in-cluster --count ${recorded.count} --parallelism ${recorded.parallelism}" (it sends only what is left), or abandon it: kubectl -n ${ns} delete configmap ${n.producerRun}`,
      );
    run = recorded;
    resumed = true;
  } else {
    run = { id: hooks.runId ?? Date.now().toString(36), count: opts.count, parallelism: opts.parallelism, state: 'running' };
    if (opts.bodyTemplate !== undefined) run.bodyTemplate = opts.bodyTemplate;
    // the previous run's Jobs go: their Pods' logs were its record, and it is over
    await kube.deleteCollection(
      { apiVersion: 'batch/v1', kind: 'Job' },
      { namespace: ns, labelSelector: `${RUN_LABEL},kedactl.io/stack=${settings.stack}`, propagation: 'Background' },
    );
  }
  const make = bodyMaker(run.id, run.bodyTemplate);
  checkBody(make, run.count, maxMessageSize, 'the body template');
  await kube.apply(runObject(settings, run, false));

  const jobName = (round: number) => producerJobName(settings, run.id, round);
  const jobObject = (round: number, ranges: Share[]): KubeObject =>
    producerJob(settings, {
      queueUrl: url,
      runId: run.id,
      round,
      ranges,
      parallelism: run.parallelism,
      maxBatchBytes: maxMessageSize,
      ...(run.bodyTemplate !== undefined ? { bodyTemplate: run.bodyTemplate } : {}),
    });

  // what every round's Pods did, by round and index (the last Pod of an index counts)
  const seen = new Map<string, ProducerPod & { progress?: PodProgress }>();
  const podsOf = (round: number) => [...seen.values()].filter((p) => p.round === round);
  const counted = () => {
    let sent = 0;
    let failed = 0;
    for (const p of seen.values()) {
      sent += p.progress?.sent ?? 0;
      failed += p.progress?.failed.length ?? 0;
    }
    return { sent, failed };
  };
  const report = (round: number) => {
    const c = counted();
    const live = [...seen.values()];
    hooks.onProgress?.({
      ...c,
      target: run.count,
      running: live.filter((p) => p.phase === 'running' || p.phase === 'pending').length,
      done: live.filter((p) => p.phase === 'succeeded').length,
      failedPods: live.filter((p) => p.phase === 'failed').length,
      round,
    });
  };

  /** read the round's Pods and their logs; true when its Job is over and no Pod of it runs */
  const observe = async (round: number, ranges: Share[]): Promise<boolean> => {
    const job = await kube.get({ apiVersion: 'batch/v1', kind: 'Job', name: jobName(round), namespace: ns });
    const pods = await kube.list(
      { apiVersion: 'v1', kind: 'Pod' },
      { namespace: ns, labelSelector: `${JOB_NAME_LABEL}=${jobName(round)}` },
    );
    for (const pod of pods) {
      const name = pod.metadata.name;
      const index = Number(pod.metadata.annotations?.[INDEX] ?? pod.metadata.labels?.[INDEX]);
      const share = ranges[index];
      if (!share) continue;
      const status = podStatus(pod);
      const phase = String(status.phase ?? 'Pending').toLowerCase() as ProducerPod['phase'];
      const known = seen.get(name);
      // a Pod's log is read while it runs, and once more when it has ended (then never again)
      if (known && (known.phase === 'succeeded' || known.phase === 'failed')) continue;
      const log = await kube.podLog!({ namespace: ns, pod: name, tailLines: phase === 'running' ? 20 : 1_000_000 });
      const fromLog = log === undefined ? undefined : readPodLog(log);
      let progress: PodProgress | undefined;
      if (phase === 'running' && fromLog)
        // while it runs, only the tail is read: its refusals are counted from the whole log at the end
        progress = fromLog.done >= (known?.progress?.done ?? 0) ? { ...fromLog, failed: known?.progress?.failed ?? [] } : known?.progress;
      else if (phase === 'succeeded' && !fromLog) {
        // the log is gone (the Pod went with it), but exit 0 comes only after "finished": its share is done
        const failed = known?.progress?.failed ?? [];
        const size = share.end - share.first;
        progress = { done: size, sent: size - failed.length, failed, end: 'finished' };
      } else progress = fromLog;
      const exitCode = status.containerStatuses?.[0]?.state?.terminated?.exitCode;
      seen.set(name, {
        pod: name,
        round,
        index,
        share,
        phase,
        sent: progress?.sent ?? known?.sent ?? 0,
        done: progress?.done ?? known?.done ?? 0,
        ...(progress?.end ? { end: progress.end } : {}),
        ...(exitCode !== undefined ? { exitCode } : {}),
        progress: progress ?? known?.progress,
      });
    }
    // a Pod deleted by someone: its last state read is what it did (it may have sent a little more)
    for (const p of podsOf(round))
      if ((p.phase === 'running' || p.phase === 'pending') && !pods.some((x) => x.metadata.name === p.pod)) p.phase = 'failed';
    const conditions = (job as { status?: { conditions?: Array<{ type: string; status: string }> } } | undefined)?.status?.conditions ?? [];
    const over = !job || conditions.some((c) => (c.type === 'Complete' || c.type === 'Failed') && c.status === 'True');
    return over && !pods.some((p) => ['Pending', 'Running'].includes(String(podStatus(p).phase ?? 'Pending')));
  };

  /** the last Pod of each index of a round, with what it left unsent */
  const leftOf = (round: number, ranges: Share[]) =>
    ranges.map((share, index) => {
      const last = podsOf(round)
        .filter((p) => p.index === index)
        .at(-1);
      return { share, index, pod: last, rest: unsent(share, last?.progress) };
    });

  // the rounds so far (a resumed run), then new ones until nothing is left or the retries are spent
  let rounds: Array<{ round: number; ranges: Share[] }> = [];
  if (resumed) {
    const jobs = await kube.list({ apiVersion: 'batch/v1', kind: 'Job' }, { namespace: ns, labelSelector: `${RUN_LABEL}=${run.id}` });
    rounds = jobs
      .map((j) => {
        const env = (j as JobShape).spec?.template?.spec?.containers?.[0]?.env ?? [];
        return { round: Number(j.metadata.name.split('-').at(-1)), ranges: parseRanges(env.find((e) => e.name === 'RANGES')?.value ?? '') };
      })
      .sort((a, b) => a.round - b.round);
  }
  let stopped = false;
  let fatal: { code: string; reason: string; pod: string } | undefined;
  const unsentLeft: InClusterResult['inCluster']['unsent'] = [];
  const t0 = performance.now();
  const stop = async (round: number, ranges: Share[]) => {
    await kube.apply(runObject(settings, run, true));
    const deadline = performance.now() + (hooks.stopGraceMs ?? 20_000);
    while (!(await observe(round, ranges)) && performance.now() < deadline) await sleep(interval);
    // Pods that have not seen the flag yet get SIGTERM: the trap finishes the batch in flight and says so
    await kube.delete({ apiVersion: 'batch/v1', kind: 'Job', name: jobName(round), namespace: ns }, { propagation: 'Background' });
    for (let i = 0; i < 40 && !(await observe(round, ranges)); i++) await sleep(interval);
  };

  for (let r = 1; ; r++) {
    let current = rounds.find((x) => x.round === r);
    if (!current) {
      const previous = rounds.find((x) => x.round === r - 1);
      const ranges = previous
        ? leftOf(previous.round, previous.ranges).flatMap((x) => (x.rest ? [x.rest] : []))
        : shares(run.count, run.parallelism);
      if (ranges.length === 0 || r > RETRIES + 1 || fatal || stopped) break;
      current = { round: r, ranges };
      rounds.push(current);
      await kube.apply(jobObject(r, ranges));
    }
    for (;;) {
      const over = await observe(current.round, current.ranges);
      report(current.round);
      if (over) break;
      if (hooks.signal?.aborted) {
        await stop(current.round, current.ranges);
        stopped = true;
        break;
      }
      await sleep(interval);
    }
    for (const p of podsOf(current.round)) if (p.progress?.fatal) fatal ??= { ...p.progress.fatal, pod: p.pod };
    report(current.round);
  }

  const last = rounds.at(-1);
  if (last)
    for (const x of leftOf(last.round, last.ranges))
      if (x.rest)
        unsentLeft.push({
          pod: x.pod?.pod ?? `(no Pod of index ${x.index} in round ${last.round})`,
          first: x.rest.first + 1,
          last: x.rest.end,
          why: stopped
            ? 'stopped by Ctrl-C'
            : x.pod?.progress?.fatal
              ? `${x.pod.progress.fatal.code}: ${x.pod.progress.fatal.reason}`
              : x.pod?.exitCode !== undefined
                ? `the Pod exited ${x.pod.exitCode}${fatal ? '' : ` in each of ${RETRIES + 1} rounds`}`
                : 'the Pod ended without saying how far it got',
        });
  run.state = stopped ? 'stopped' : 'finished';
  await kube.apply(runObject(settings, run, stopped));

  const { sent } = counted();
  const failed: SendFailure[] = [...seen.values()].flatMap((p) => p.progress?.failed ?? []).sort((a, b) => a.message - b.message);
  const seconds = (performance.now() - t0) / 1000;
  return {
    queue: settings.queueName,
    queueUrl: url,
    requested: run.count,
    sent,
    failed,
    notAttempted: Math.max(0, run.count - sent - failed.length),
    stopped,
    seconds: Math.round(seconds * 1000) / 1000,
    messagesPerSecond: seconds > 0 ? Math.round(sent / seconds) : sent,
    inCluster: {
      run: run.id,
      parallelism: run.parallelism,
      resumed,
      rounds: rounds.length,
      pods: [...seen.values()].map(({ progress: _p, ...p }) => p),
      unsent: unsentLeft,
    },
  };
}

interface PodStatus {
  phase?: string;
  containerStatuses?: Array<{ state?: { terminated?: { exitCode?: number } } }>;
}
const podStatus = (o: KubeObject): PodStatus => (o as { status?: PodStatus }).status ?? {};
interface JobShape {
  spec?: { template?: { spec?: { containers?: Array<{ env?: Array<{ name: string; value?: string }> }> } } };
}

function readRun(cm: KubeObject | undefined): Run | undefined {
  const data = (cm as { data?: Record<string, string> } | undefined)?.data;
  if (!data?.request) return undefined;
  try {
    const r = JSON.parse(data.request) as Omit<Run, 'state'>;
    return { ...r, state: (data.state as Run['state']) ?? 'finished' };
  } catch {
    return undefined;
  }
}

/** the run's record and the stop flag its Pods read (a ConfigMap volume) */
function runObject(s: Settings, run: Run, stop: boolean): KubeObject {
  const n = names(s);
  const { state, ...request } = run;
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: n.producerRun, namespace: n.namespace, labels: { ...stackLabels(s.stack), [RUN_LABEL]: run.id } },
    data: { request: JSON.stringify(request), state, stop: String(stop) },
  };
}
