// One look at a stack: does each part exist, is it as planned, is it working. Reads only.
import { KubeApiError, type Kube, type KubeObject } from '../kube/ports.js';
import { countJobPhases, describeCondition, lastWarning, scaledJobHealth } from '../kube/state.js';
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
import { allInOrder } from '../parallel.js';

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
  scaledJob?: {
    name: string;
    exists: boolean;
    ready?: string;
    active?: string;
    lastWarning?: string /** why it could not be read */;
    unreadable?: string;
  };
  objects?: { asPlanned: number; drifted: string[]; missing: string[] };
  jobs?: { active: number; succeeded: number; failed: number };
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
        problem(`${s.queue.deadLetter.visible} message(s) in the dead-letter queue ${dlq!.name}: Jobs failed on them repeatedly`);
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
    if (settings.auth === 'static') await credentialsStatus(kube, ns, desired.names.credentialsSecret, s, problem);
    const sjName = desired.names.scaledJob;
    // get says undefined only for "not found"; a refused or failed read is reported as such, not as missing
    let sj: KubeObject | undefined;
    let unreadable: string | undefined;
    if (!s.objects.missing.some((m) => m.startsWith('ScaledJob ')))
      sj = await kube.get({ apiVersion: 'keda.sh/v1alpha1', kind: 'ScaledJob', namespace: ns, name: sjName }).catch((e: unknown) => {
        if (!(e instanceof KubeApiError)) throw e;
        unreadable = e.message;
        return undefined;
      });
    s.scaledJob = { name: sjName, exists: Boolean(sj), ...(unreadable ? { unreadable } : {}) };
    if (unreadable) problem(`could not read ScaledJob ${ns}/${sjName}: ${unreadable}`);
    if (sj) {
      const health = scaledJobHealth(sj);
      if (health.readyCondition) s.scaledJob.ready = describeCondition(health.readyCondition);
      if (health.activeCondition) s.scaledJob.active = describeCondition(health.activeCondition);
      const events = await kube.list({ apiVersion: 'v1', kind: 'Event' }, { namespace: ns }).catch((e: unknown) => {
        if (!(e instanceof KubeApiError)) throw e;
        problem(`could not read the events of namespace ${ns} (KEDA's warnings about the ScaledJob): ${e.message}`);
        return [] as KubeObject[];
      });
      const warning = lastWarning(events, { kind: 'ScaledJob', name: sjName });
      if (warning) s.scaledJob.lastWarning = warning;
      if (!s.scaledJob.ready?.startsWith('True'))
        problem(
          `ScaledJob ${ns}/${sjName} is not ready (Ready: ${s.scaledJob.ready ?? 'not reported by KEDA yet'})${s.scaledJob.lastWarning ? `; last warning: ${s.scaledJob.lastWarning}` : ''}`,
        );
      const jobs = await kube.list(
        { apiVersion: 'batch/v1', kind: 'Job' },
        { namespace: ns, labelSelector: `scaledjob.keda.sh/name=${sjName}` },
      );
      s.jobs = countJobPhases(jobs);
    }
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

export const ANNOTATION_CREDENTIALS_EXPIRE = 'kedactl.io/credentials-expire-at';

/** Temporary credentials in the Secret stop working when they expire; say so, and how to refresh them. */
async function credentialsStatus(kube: Kube, namespace: string, name: string, s: StackStatus, problem: (t: string) => void): Promise<void> {
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
      `the temporary AWS credentials in Secret ${namespace}/${name} expired at ${expiresAt}: KEDA and the Jobs can no longer read the queue. ` +
        'Refresh your credentials ("aws sso login", or assume the role again), then run "kedactl init", which rewrites the Secret',
    );
}
