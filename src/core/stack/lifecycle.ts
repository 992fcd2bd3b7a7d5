// src/core/stack/ owns the stack as a whole: settings (settings.ts, load-settings.ts, the wizard, the record on
// the cluster) -> names (names.ts) -> desired (templates.ts, desired.ts) -> plan (plan.ts) -> lifecycle
// (this file: init and teardown in order), and what reads the whole stack (status.ts, inventory.ts,
// preflight.ts, render.ts). Only this folder imports both sides, aws/ and kube/ + keda/.
//
// A stack's whole life as use cases: prepare (discover, observe, plan), init (apply the plan: AWS,
// then KEDA, then Kubernetes), teardown (Kubernetes, then AWS). Every step converges from any partial
// state, and state is read from AWS tags and Kubernetes labels, never from a local file.
import {
  applyAws,
  assertNoConflicts,
  discoverAws,
  observeAws,
  teardownAws,
  type AwsObserved,
  type TeardownAwsResult,
} from '../aws/stack.js';
import { desiredStack, type DesiredStack, type Known } from './desired.js';
import { CancelledError, StateError, UsageError } from '../errors.js';
import type { WaitOptions } from '../aws/iam-roles.js';
import { installKeda } from '../keda/install.js';
import { applyKube, observeKube } from '../kube/stack.js';
import { teardownKube, type TeardownKubeResult } from '../kube/teardown.js';
import { hasWork, plan, type Group, type Observed, type Plan } from './plan.js';
import type { Part, Ports } from './ports.js';
import type { Progress } from '../progress.js';
import type { Settings } from './settings.js';

export interface Prepared {
  desired: DesiredStack;
  observed: Observed;
  awsObserved?: AwsObserved;
  plan: Plan;
  known: Known;
}

function need<T>(port: T | undefined, what: string): T {
  if (!port) throw new Error(`bug: ${what} adapter missing for a part that is not skipped`);
  return port;
}

/**
 * Discover what the settings leave open, observe what exists, plan. Reads only. Parts in `skip` are
 * left out of the plan; parts in `unread` are planned without looking (shown as to be created).
 */
export async function prepare(
  settings: Settings,
  ports: Ports,
  skip: ReadonlySet<Part>,
  progress: Progress,
  unread: ReadonlySet<Part> = new Set(),
): Promise<Prepared> {
  let known: Known = {};
  if (ports.aws && !unread.has('aws')) {
    // with --skip aws, only what needs no remote call: ids given as flags, and static keys for the Secret
    const needsSts = !settings.accountId;
    if (!skip.has('aws') || needsSts || settings.auth === 'static')
      known = await progress.step(
        'Reading the AWS account' +
          (settings.auth === 'irsa' && !settings.oidcIssuer && settings.cluster ? " and the cluster's OIDC issuer" : ''),
        () => discoverAws(settings, ports.aws!, { partial: skip.has('aws') }),
      );
  }
  let desired = await desiredStack(settings, known);
  const observed: Observed = {};
  let awsObserved: AwsObserved | undefined;
  if (!skip.has('aws') && !unread.has('aws') && desired.unresolved.length === 0) {
    awsObserved = await progress.step('Reading the queue and IAM roles', () => observeAws(desired, need(ports.aws, 'AWS')));
    observed.queues = awsObserved.queues;
    observed.roles = awsObserved.roles;
    const url = awsObserved.queueUrls[desired.names.queue];
    if (url && url !== desired.arns.queueUrl) {
      known = { ...known, queueUrl: url };
      desired = await desiredStack(settings, known);
    }
  }
  const kubeSkipped = (skip.has('kubernetes') || unread.has('kubernetes')) && (skip.has('keda') || unread.has('keda'));
  if (!kubeSkipped) {
    const seen = await progress.step('Reading the cluster (server dry-run)', () =>
      observeKube(desired, need(ports.kube, 'Kubernetes'), { helm: skip.has('keda') || unread.has('keda') ? undefined : ports.helm }),
    );
    if (!skip.has('kubernetes') && !unread.has('kubernetes')) {
      observed.objects = seen.objects;
      observed.kedaCrds = seen.kedaCrds;
    }
    if (!skip.has('keda') && !unread.has('keda')) observed.keda = seen.keda;
  }
  const full = plan(desired, observed);
  const provider = awsObserved?.oidcProvider;
  if (provider && !provider.exists)
    full.changes.unshift({
      group: 'aws',
      kind: 'IAM OIDC provider',
      name: provider.arn,
      action: 'create',
      details: ["the cluster's issuer, so IAM trusts its service-account tokens (--create-oidc-provider)"],
    });
  const skipped = new Set<Group>(skip);
  return { desired, observed, awsObserved, known, plan: { ...full, changes: full.changes.filter((c) => !skipped.has(c.group)) } };
}

export interface InitOptions {
  skip: ReadonlySet<Part>;
  createOidcProvider: boolean;
  /** show the plan and get a yes; false cancels */
  approve(p: Plan): Promise<boolean>;
  /** wait for KEDA and the result analyzer to be ready (off against API servers without nodes) */
  wait: boolean;
  roleWait?: WaitOptions;
  signal?: AbortSignal;
  /** take over fields another field manager changed (kubectl's --force-conflicts) */
  forceConflicts?: boolean;
}

export interface InitResult {
  plan: Plan;
  applied: boolean;
  queueUrl?: string;
  kedaVersion?: string;
}

export async function initStack(settings: Settings, ports: Ports, progress: Progress, opts: InitOptions): Promise<InitResult> {
  const { skip } = opts;
  let prepared = await prepare(settings, ports, skip, progress);
  const { plan: p } = prepared;
  if (prepared.desired.unresolved.length > 0)
    throw new UsageError(
      `cannot create the stack with unknown values: ${prepared.desired.unresolved.map((u) => u.setting).join(', ')}`,
      prepared.desired.unresolved.map((u) => `${u.setting}: ${u.how}`).join('; '),
    );
  if (prepared.awsObserved) assertNoConflicts(prepared.awsObserved, settings.stack);
  if (p.blockers.length > 0)
    throw new StateError(
      `the cluster would refuse part of the stack; nothing was changed:\n${p.blockers.join('\n')}`,
      'see the plan: `kedactl plan`',
    );
  if (!hasWork(p)) return { plan: p, applied: false, queueUrl: prepared.awsObserved?.queueUrls[prepared.desired.names.queue] };
  if (!(await opts.approve(p))) throw new CancelledError('not approved; nothing was changed');

  let queueUrl: string | undefined;
  if (!skip.has('aws')) {
    const r = await applyAws(prepared.desired, p, need(ports.aws, 'AWS'), progress, {
      createOidcProvider: opts.createOidcProvider,
      observed: prepared.awsObserved,
      wait: opts.roleWait,
    });
    queueUrl = r.queueUrl;
    if (queueUrl !== prepared.desired.arns.queueUrl) {
      // the manifests carry the queue URL AWS gave us, not the one derived from the region
      const desired = await desiredStack(settings, { ...prepared.known, queueUrl });
      prepared = { ...prepared, desired };
    }
  }
  let kedaVersion: string | undefined;
  if (!skip.has('keda')) {
    const r = await installKeda(prepared.desired, need(ports.helm, 'helm'), need(ports.kube, 'Kubernetes'), progress, {
      wait: opts.wait,
      signal: opts.signal,
      forceConflicts: opts.forceConflicts,
    });
    kedaVersion = r.version;
  }
  if (!skip.has('kubernetes'))
    await applyKube(prepared.desired, need(ports.kube, 'Kubernetes'), progress, {
      wait: opts.wait,
      signal: opts.signal,
      force: opts.forceConflicts,
    });
  return { plan: p, applied: true, queueUrl, kedaVersion };
}

export interface TeardownOptions {
  skip: ReadonlySet<Part>;
  /** the stack's namespace: read there when the user may not list cluster-wide */
  namespace?: string;
  keepKeda: boolean;
  signal?: AbortSignal;
  timeoutMs?: number;
}

export interface TeardownResult {
  kubernetes?: TeardownKubeResult;
  aws?: TeardownAwsResult;
}

/** Kubernetes first (so KEDA stops starting Jobs), then AWS. Found by labels and tags. */
export async function teardownStack(stack: string, ports: Ports, progress: Progress, opts: TeardownOptions): Promise<TeardownResult> {
  const out: TeardownResult = {};
  if (!opts.skip.has('kubernetes'))
    out.kubernetes = await teardownKube(stack, need(ports.kube, 'Kubernetes'), opts.skip.has('keda') ? undefined : ports.helm, progress, {
      keepKeda: opts.keepKeda || opts.skip.has('keda'),
      namespaces: opts.namespace ? [opts.namespace] : undefined,
      signal: opts.signal,
      timeoutMs: opts.timeoutMs,
    });
  if (!opts.skip.has('aws')) out.aws = await teardownAws(stack, need(ports.aws, 'AWS'), progress);
  return out;
}
