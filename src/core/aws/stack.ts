// src/core/aws/ owns the AWS side of a stack: the SQS queues (queue.ts, their depth: queue-depth.ts), the
// IAM roles and their policy grammar (iam-roles.ts, validate-iam.ts), the cluster's OIDC provider (oidc.ts),
// discovery by tags (tags.ts) and the ports it reads and writes through (ports.ts). It may import the
// stack's model (stack/settings, names, desired, plan) and the floor (errors, progress, parallel); never
// kube/ or keda/ (test/unit/architecture.test.ts).
//
// The AWS half of a stack as use cases: discover what the settings leave open, observe what exists,
// apply a plan, tear down by tags. Talks to AwsPorts only.
import type { AwsPorts } from './ports.js';
import { CONFLICT_NEXT, IncompleteError, orUnreadable, type Unreadable } from './tags.js';
import type { DesiredStack, Known } from '../stack/desired.js';
import { UsageError } from '../errors.js';
import { allInOrder } from '../parallel.js';
import { applyRoles, deleteRole, findStackRoles, observeRoles, type ObservedRoles, type WaitOptions } from './iam-roles.js';
import {
  ensureOidcProvider,
  findStackOidcProviders,
  observeOidcProvider,
  teardownOidcProviders,
  type ObservedOidcProvider,
} from './oidc.js';
import type { Plan } from '../stack/plan.js';
import type { Progress } from '../progress.js';
import { applyQueues, observeQueues, teardownQueues, type ObservedQueues } from './queue.js';
import type { Settings } from '../stack/settings.js';

/**
 * Fill in what the settings leave open: the account (STS), the OIDC issuer (EKS, IRSA only) and, in
 * static mode, the credentials the Kubernetes Secret carries. With `partial`, a missing issuer source
 * is left for desired.unresolved instead of failing.
 */
export async function discoverAws(settings: Settings, aws: AwsPorts, opts: { partial?: boolean } = {}): Promise<Known> {
  const known: Known = {};
  known.accountId = settings.accountId ?? (await aws.sts.callerIdentity()).account;
  if (settings.auth === 'irsa') {
    if (settings.oidcIssuer) known.oidcIssuer = settings.oidcIssuer;
    else if (settings.cluster) {
      const issuer = await aws.eks.clusterOidcIssuer(settings.cluster);
      if (!issuer)
        throw new UsageError(
          `EKS cluster "${settings.cluster}" has no OIDC issuer`,
          'enable it ("eksctl utils associate-iam-oidc-provider"), pass --oidc-issuer, or use --auth static',
        );
      if (!issuer.startsWith('https://'))
        throw new UsageError(
          `EKS cluster "${settings.cluster}" reports an OIDC issuer that is not https: ${issuer}`,
          'pass --oidc-issuer with the https URL',
        );
      known.oidcIssuer = issuer;
    } else if (!opts.partial) {
      throw new UsageError(
        "IRSA needs the cluster's OIDC issuer",
        'pass --cluster (an EKS cluster) or --oidc-issuer (any cluster), or use --auth static',
      );
    }
  } else {
    const c = await aws.credentials();
    // the Secret would outlive them: KEDA and the Jobs would fail later, far from the cause
    if (c.expiration && c.expiration.getTime() <= Date.now())
      throw new UsageError(
        `your AWS credentials expired at ${c.expiration.toISOString()}; static mode would put them in the stack's Secret`,
        'refresh them ("aws sso login", or assume the role again) and run the same command again',
      );
    known.credentials = c;
  }
  return known;
}

export interface AwsObserved {
  /** feed to plan(): name -> undefined when the queue does not exist */
  queues: ObservedQueues;
  roles: ObservedRoles;
  queueUrls: Record<string, string>;
  /** undefined when not relevant (static mode, or issuer unknown) */
  oidcProvider?: ObservedOidcProvider;
  /** resources with the stack's names that this stack does not own: init must refuse */
  conflicts: string[];
}

/** Read-only: what exists now for the desired queues, roles and OIDC provider. */
export async function observeAws(desired: DesiredStack, aws: AwsPorts): Promise<AwsObserved> {
  const stack = desired.settings.stack;
  const [q, r, oidcProvider] = await allInOrder([
    observeQueues(desired.queues, aws.sqs, stack),
    observeRoles(desired.roles, aws.iam, stack),
    observeOidcProvider(desired, aws.iam),
  ]);
  return { queues: q.observed, roles: r.observed, queueUrls: q.urls, oidcProvider, conflicts: [...q.conflicts, ...r.conflicts] };
}

export function assertNoConflicts(observed: Pick<AwsObserved, 'conflicts'>, stack: string): void {
  if (observed.conflicts.length === 0) return;
  throw new UsageError(
    `refusing to change resources that are not part of stack "${stack}":\n${observed.conflicts.map((c) => `  - ${c}`).join('\n')}`,
    `${CONFLICT_NEXT(stack)}; nothing was changed`,
  );
}

export interface ApplyAwsOptions {
  createOidcProvider: boolean;
  /** what the plan was made from; observed again (read-only) when absent */
  observed?: AwsObserved;
  /** tests shorten the wait for new roles */
  wait?: WaitOptions;
}

export interface ApplyAwsResult {
  queueUrl: string;
  queueArn: string;
  deadLetterQueueUrl?: string;
}

/** Create or update exactly what the plan's AWS changes say; nothing when they are all unchanged. */
export async function applyAws(
  desired: DesiredStack,
  plan: Plan,
  aws: AwsPorts,
  progress: Progress,
  opts: ApplyAwsOptions,
): Promise<ApplyAwsResult> {
  if (desired.unresolved.length > 0)
    throw new UsageError(
      `cannot create AWS resources with unknown values: ${desired.unresolved.map((u) => u.setting).join(', ')}`,
      desired.unresolved.map((u) => u.how).join('; '),
    );
  const stack = desired.settings.stack;
  const observed = opts.observed ?? (await observeAws(desired, aws));
  assertNoConflicts(observed, stack);
  // checked before anything is created, so a missing provider leaves nothing behind
  await ensureOidcProvider(desired, observed.oidcProvider, aws.iam, progress, opts.createOidcProvider);
  const urls = await applyQueues(desired.queues, plan.changes, aws.sqs, progress, { observed: observed.queues, urls: observed.queueUrls });
  await applyRoles(desired.roles, plan.changes, aws.iam, progress, observed.roles, opts.wait);
  const work = desired.names.queue;
  const url = urls[work];
  if (!url) throw new UsageError(`queue ${work} is not in the plan`, 'run "kedactl plan" to see what init would create');
  return {
    queueUrl: url,
    queueArn: desired.arns.queue,
    ...(desired.settings.deadLetterQueue && urls[desired.names.deadLetterQueue]
      ? { deadLetterQueueUrl: urls[desired.names.deadLetterQueue] }
      : {}),
  };
}

export interface TeardownAwsResult {
  deleted: string[];
  /** found but left alone, with why */
  kept: string[];
}

/**
 * Delete everything tagged with the stack: roles (policies first), queues, and the OIDC provider if
 * kedactl made it and nothing else uses it. A resource that cannot be read or deleted is left as it
 * is while the rest goes; then an IncompleteError names each, and running teardown again finishes.
 */
export async function teardownAws(stack: string, aws: AwsPorts, progress: Progress): Promise<TeardownAwsResult> {
  const deleted: string[] = [];
  const failed: Unreadable[] = [];
  const roles = await progress.step('find IAM roles tagged with the stack', async (update) => {
    const d = await findStackRoles(stack, aws.iam);
    if (d.unreadable.length) update(`could not read the tags of ${d.unreadable.map((u) => u.name).join(', ')}`);
    return d;
  });
  failed.push(...roles.unreadable);
  for (const r of roles.found) {
    if (await orUnreadable('IAM role', r.name, failed, () => deleteRole(r.name, aws.iam, progress).then(() => true)))
      deleted.push(`IAM role ${r.name}`);
  }
  const queues = await teardownQueues(stack, aws.sqs, progress);
  deleted.push(...queues.deleted);
  failed.push(...queues.failed);
  // providers this stack's roles trusted, and any this stack created; a role that is still there
  // (not deleted above) keeps the provider it trusts, because teardownOidcProviders asks IAM
  const tagged = await findStackOidcProviders(stack, aws.iam);
  failed.push(...tagged.unreadable);
  const oidc = await teardownOidcProviders([...roles.found.flatMap((r) => r.federated), ...tagged.found], aws.iam, progress);
  deleted.push(...oidc.deleted);
  failed.push(...oidc.failed);
  if (failed.length)
    throw new IncompleteError('teardown', failed, deleted.length ? `deleted: ${deleted.join(', ')}` : 'nothing else was deleted');
  return { deleted, kept: oidc.kept };
}
