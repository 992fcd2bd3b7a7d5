// One look at a stack: does each part exist, is it as planned, is it working. Reads only.
import { KubeApiError, type Kube, type KubeObject } from '../kube/ports.js';
import {
  countJobPhases,
  describeCondition,
  deploymentReplicas,
  hpaHealth,
  lastWarning,
  scalerHealth,
  type RawEvent,
} from '../kube/state.js';
import { findStackRoles } from '../aws/iam-roles.js';
import { kedaNotHealthy, observeKeda } from '../keda/install.js';
import type { Part, Ports } from './ports.js';
import type { Prepared } from './lifecycle.js';
import { prepare } from './lifecycle.js';
import type { Progress } from '../progress.js';
import { findStackQueues, queueNameOf } from '../aws/queue.js';
import { queueDepth } from '../aws/queue-depth.js';
import { readResults } from '../kube/results.js';
import type { Settings } from './settings.js';
import type { StackNames } from './names.js';
import { allInOrder } from '../parallel.js';
import { workloadOf } from '../workloads/index.js';
import type { ObservedCollection } from '../workloads/types.js';

/** a ScaledJob or a ScaledObject, as KEDA reports it */
export interface ScalerStatus {
  name: string;
  exists: boolean;
  ready?: string;
  active?: string;
  lastWarning?: string /** why it could not be read */;
  unreadable?: string;
}

export interface StackStatus {
  stack: string;
  healthy: boolean;
  /** what is wrong, one line each, with what to do */
  problems: string[];
  queue?: {
    name: string;
    exists: boolean;
    visible?: number;
    inFlight?: number;
    delayed?: number;
    deadLetter?: { name: string; visible?: number };
  };
  roles?: Array<{ name: string; state: 'as planned' | 'drifted' | 'missing'; details: string[] }>;
  keda?: { installed: boolean; version?: string; ready: boolean; problem?: string };
  /** the job workload's scaler */
  scaledJob?: ScalerStatus;
  /** the deployment workload's scaler */
  scaledObject?: ScalerStatus;
  objects?: { asPlanned: number; drifted: string[]; missing: string[] };
  /** the job workload: its Jobs by their conditions */
  jobs?: { active: number; succeeded: number; failed: number };
  /** the deployment workload: the consumer Deployment's replicas (spec, existing, ready) */
  deployment?: { name: string; exists: boolean; desired?: number; current?: number; ready?: number; unreadable?: string };
  /** the deployment workload: the HPA KEDA made for the ScaledObject */
  hpa?: {
    name: string;
    exists: boolean;
    current?: number;
    desired?: number;
    min?: number;
    max?: number;
    /** AbleToScale or ScalingActive not fine, in words */
    problem?: string;
    /** its conditions, when one is not fine or ScalingLimited is True */
    conditions?: string[];
    lastWarning?: string;
    unreadable?: string;
  };
  results?: { processed: number; killed: number } | { unavailable: string };
  /** static mode: the credentials in the stack's Secret (never their values) */
  credentials?: { secret: string; temporary: boolean; expiresAt?: string; expired: boolean };
  /** AWS resources tagged with the stack that its settings do not name (left from earlier settings) */
  strays?: string[];
  /** AWS resources whose tags could not be read: they may be the stack's */
  unreadable?: string[];
}

export async function stackStatus(settings: Settings, ports: Ports, skip: ReadonlySet<Part>, progress: Progress): Promise<StackStatus> {
  // without a region there is no AWS adapter: the AWS half is not looked at, and status says so
  const p: Prepared = await prepare(settings, ports, new Set<Part>([...skip, 'keda', ...(ports.aws ? [] : (['aws'] as const))]), progress);
  const { desired } = p;
  const s: StackStatus = { stack: settings.stack, healthy: true, problems: [] };
  const problem = (t: string) => s.problems.push(t);
  if (!skip.has('aws') && !ports.aws)
    problem(
      'AWS not checked: no region is set, so the queue and the IAM roles are unknown; pass --region (or set AWS_REGION), or --skip aws',
    );

  if (!skip.has('aws') && ports.aws && p.awsObserved) {
    const work = desired.queues.find((q) => q.purpose === 'work')!;
    const url = p.awsObserved.queueUrls[work.name];
    s.queue = { name: work.name, exists: Boolean(url) };
    if (url) {
      const a = await ports.aws.sqs.getQueueAttributes(url);
      Object.assign(s.queue, queueDepth(a));
      const dlq = desired.queues.find((q) => q.purpose === 'dead-letter');
      const dlqUrl = dlq && p.awsObserved.queueUrls[dlq.name];
      if (dlq)
        s.queue.deadLetter = {
          name: dlq.name,
          visible: dlqUrl ? queueDepth(await ports.aws.sqs.getQueueAttributes(dlqUrl)).visible : undefined,
        };
      if (s.queue.deadLetter?.visible)
        problem(
          `${s.queue.deadLetter.visible} message(s) in the dead-letter queue ${dlq!.name}: ${workloadOf(settings).unit.many} failed on them repeatedly`,
        );
    } else problem(`SQS queue ${work.name} does not exist: run kedactl init`);
    s.roles = p.plan.changes
      .filter((c) => c.kind === 'IAM role')
      .map(
        (c) =>
          ({
            name: c.name,
            state: c.action === 'create' ? 'missing' : c.action === 'update' ? 'drifted' : 'as planned',
            details: c.details,
          }) as const,
      );
    for (const r of s.roles)
      if (r.state !== 'as planned')
        problem(`IAM role ${r.name} is ${r.state}${r.details.length ? `: ${r.details.join('; ')}` : ''}: run kedactl init to restore it`);

    // the same discovery by tags as teardown: what else carries the stack's tags, and what could not be read
    const [queues, roles] = await allInOrder([
      findStackQueues(settings.stack, ports.aws.sqs),
      findStackRoles(settings.stack, ports.aws.iam),
    ]);
    const planned = new Set([...desired.queues.map((q) => q.name), ...desired.roles.map((r) => r.name)]);
    s.strays = [
      ...queues.found
        .map(queueNameOf)
        .filter((n) => !planned.has(n))
        .map((n) => `SQS queue ${n}`),
      ...roles.found.filter((r) => !planned.has(r.name)).map((r) => `IAM role ${r.name}`),
    ];
    s.unreadable = [...queues.unreadable, ...roles.unreadable].map((u) => `${u.kind} ${u.name}: ${u.error.message}`);
    for (const x of s.strays)
      problem(
        `${x} is tagged with stack "${settings.stack}" but its settings do not name it (left from earlier settings?): kedactl teardown removes it with the rest of the stack`,
      );
    for (const u of [...queues.unreadable, ...roles.unreadable])
      problem(`could not tell whether ${u.kind} ${u.name} is the stack's: ${u.error.message}${u.error.next ? ` (${u.error.next})` : ''}`);
  }

  if (!skip.has('kubernetes') && ports.kube) {
    const kube: Kube = ports.kube;
    const seen = await observeKeda(desired, kube);
    const unhealthy = seen.installed ? kedaNotHealthy(seen)?.message : undefined;
    s.keda = { installed: seen.installed, version: seen.version, ready: seen.installed && !unhealthy, problem: unhealthy };
    if (!seen.installed) problem('KEDA is not installed: run kedactl init (or install it yourself and use --skip keda)');
    else if (unhealthy) problem(`KEDA: ${unhealthy}`);

    const kubeChanges = p.plan.changes.filter((c) => c.group === 'kubernetes');
    s.objects = {
      asPlanned: kubeChanges.filter((c) => c.action === 'unchanged').length,
      drifted: kubeChanges.filter((c) => c.action === 'update').map((c) => `${c.kind} ${c.name}`),
      missing: kubeChanges.filter((c) => c.action === 'create').map((c) => `${c.kind} ${c.name}`),
    };
    if (s.objects.missing.length) problem(`missing from the cluster: ${s.objects.missing.join(', ')}: run kedactl init`);
    if (s.objects.drifted.length)
      problem(`changed since kedactl applied them: ${s.objects.drifted.join(', ')}: kedactl plan shows how; kedactl init restores them`);

    const ns = desired.names.namespace;
    if (settings.auth === 'static')
      await credentialsStatus(kube, ns, desired.names.credentialsSecret, s, problem, workloadOf(settings).unit.many);
    await workloadStatus(settings, desired.names, kube, ns, s, problem);
    try {
      const r = await readResults(kube, { namespace: ns, name: desired.names.analyzer, port: 'http' });
      s.results = { processed: r.processed.count, killed: r.killed.count };
    } catch (e) {
      s.results = { unavailable: (e as Error).message };
      problem(`results unavailable: ${(e as Error).message}`);
    }
  }
  s.healthy = s.problems.length === 0;
  return s;
}

/** get, but a refused or failed read is a reason (undefined only for "not found") */
async function read(kube: Kube, ns: string, c: ObservedCollection & { name: string }): Promise<{ o?: KubeObject; unreadable?: string }> {
  try {
    return { o: await kube.get({ apiVersion: c.apiVersion, kind: c.kind, namespace: ns, name: c.name }) };
  } catch (e) {
    if (!(e instanceof KubeApiError)) throw e;
    return { unreadable: e.message };
  }
}

/**
 * The workload's part: its scaler (Ready / Active, KEDA's last warning), and what it observes beside it:
 * a ScaledJob's Jobs, or a ScaledObject's Deployment and the HPA KEDA made for it.
 */
async function workloadStatus(
  settings: Settings,
  n: StackNames,
  kube: Kube,
  ns: string,
  s: StackStatus,
  problem: (t: string) => void,
): Promise<void> {
  const w = workloadOf(settings);
  const observed = w.observed(n);
  const scaler = w.scaler(n);
  const scalerKey = (['scaledJob', 'scaledObject'] as const).find((k) => observed[k]?.kind === scaler.kind)!;
  const kind = scaler.kind;
  const name = scaler.name;
  let sc: KubeObject | undefined;
  let unreadable: string | undefined;
  if (!s.objects?.missing.some((m) => m.startsWith(`${kind} `)))
    ({ o: sc, unreadable } = await read(kube, ns, { ...observed[scalerKey]!, name }));
  const view: ScalerStatus = { name, exists: Boolean(sc), ...(unreadable ? { unreadable } : {}) };
  s[scalerKey] = view;
  if (unreadable) problem(`could not read ${kind} ${ns}/${name}: ${unreadable}`);
  let events: RawEvent[] = [];
  if (sc) {
    const health = scalerHealth(sc);
    if (health.readyCondition) view.ready = describeCondition(health.readyCondition);
    if (health.activeCondition) view.active = describeCondition(health.activeCondition);
    events = await kube.list({ apiVersion: 'v1', kind: 'Event' }, { namespace: ns }).catch((e: unknown) => {
      if (!(e instanceof KubeApiError)) throw e;
      problem(`could not read the events of namespace ${ns} (KEDA's warnings about the ${kind}): ${e.message}`);
      return [] as KubeObject[];
    });
    const warning = lastWarning(events, { kind, name });
    if (warning) view.lastWarning = warning;
    if (!view.ready?.startsWith('True'))
      problem(
        `${kind} ${ns}/${name} is not ready (Ready: ${view.ready ?? 'not reported by KEDA yet'})${view.lastWarning ? `; last warning: ${view.lastWarning}` : ''}`,
      );
    if (observed.jobs) {
      const jobs = await kube.list(
        { apiVersion: observed.jobs.apiVersion, kind: observed.jobs.kind },
        { namespace: ns, labelSelector: observed.jobs.labelSelector },
      );
      s.jobs = countJobPhases(jobs);
    }
  }
  const dep = observed.deployment;
  if (dep?.name && !s.objects?.missing.includes(`${dep.kind} ${dep.name}`)) {
    const { o, unreadable } = await read(kube, ns, { ...dep, name: dep.name });
    s.deployment = { name: dep.name, exists: Boolean(o), ...(o ? deploymentReplicas(o) : {}), ...(unreadable ? { unreadable } : {}) };
    if (unreadable) problem(`could not read Deployment ${ns}/${dep.name}: ${unreadable}`);
  }
  const hpa = observed.hpa;
  if (hpa?.name && sc) {
    // KEDA records the HPA's name on the ScaledObject; until it has, the name it will give it
    const hpaName = (sc.status as { hpaName?: string } | undefined)?.hpaName ?? hpa.name;
    const { o, unreadable } = await read(kube, ns, { ...hpa, name: hpaName });
    const h = o ? hpaHealth(o) : undefined;
    const warning = lastWarning(events, { kind: hpa.kind, name: hpaName });
    const conditions = h?.problem || h?.limited ? h.conditions.map((c) => `${c.type} ${describeCondition(c)}`) : undefined;
    s.hpa = {
      name: hpaName,
      exists: Boolean(o),
      ...(h ? { current: h.current, desired: h.desired, min: h.min, max: h.max } : {}),
      ...(h?.problem ? { problem: h.problem } : {}),
      ...(conditions ? { conditions } : {}),
      ...(warning ? { lastWarning: warning } : {}),
      ...(unreadable ? { unreadable } : {}),
    };
    if (unreadable) problem(`could not read HorizontalPodAutoscaler ${ns}/${hpaName}: ${unreadable}`);
    else if (!o && view.ready?.startsWith('True'))
      problem(
        `HorizontalPodAutoscaler ${ns}/${hpaName} does not exist: KEDA makes it for ${kind} ${name}, and nothing scales above 1 replica without it; kedactl doctor says why`,
      );
    else if (h?.problem)
      problem(`HorizontalPodAutoscaler ${ns}/${hpaName} cannot scale (${h.problem})${warning ? `; last warning: ${warning}` : ''}`);
  }
}

export const ANNOTATION_CREDENTIALS_EXPIRE = 'kedactl.io/credentials-expire-at';

/** Temporary credentials in the Secret stop working when they expire; say so, and how to refresh them. */
async function credentialsStatus(
  kube: Kube,
  namespace: string,
  name: string,
  s: StackStatus,
  problem: (t: string) => void,
  consumers: string,
): Promise<void> {
  let secret: KubeObject | undefined;
  try {
    secret = await kube.get({ apiVersion: 'v1', kind: 'Secret', namespace, name });
  } catch (e) {
    if (!(e instanceof KubeApiError)) throw e;
    problem(`could not read Secret ${namespace}/${name} to check its AWS credentials: ${e.message}`);
    return;
  }
  if (!secret) return; // reported with the missing objects
  const expiresAt = secret.metadata.annotations?.[ANNOTATION_CREDENTIALS_EXPIRE];
  const temporary = Boolean((secret as { data?: Record<string, string> }).data?.AWS_SESSION_TOKEN);
  const expired = expiresAt !== undefined && !(Date.parse(expiresAt) > Date.now());
  s.credentials = { secret: `${namespace}/${name}`, temporary, ...(expiresAt ? { expiresAt } : {}), expired };
  if (expired)
    problem(
      `the temporary AWS credentials in Secret ${namespace}/${name} expired at ${expiresAt}: KEDA and the ${consumers} can no longer read the queue. ` +
        'Refresh your credentials ("aws sso login", or assume the role again), then run "kedactl init", which rewrites the Secret',
    );
}
