// The KEDA checks (1, 4, 9, 11, 12, 13): pure functions of the evidence.
import { isSupportedKedaVersion, DEFAULT_KEDA_VERSION, SUPPORTED_KEDA_RANGE } from '../keda/versions.js';
import { KEDA } from '../stack/names.js';
import { notRead, readValue, type Evidence } from './evidence.js';
import type { KubeObject } from '../kube/ports.js';
import { LIST_LIMIT } from './model.js';
import { conditionOf, conditionsOf, describeCondition, kedaVersionOf } from '../kube/state.js';
import { ok, skipped, type Finding } from './finding.js';
import {
  duration,
  kedaIdentity,
  notReadyFinding,
  operatorErrors,
  type LoggedError,
  operatorServiceAccount,
  podSpec,
  quantity,
  ROLE_ANNOTATION,
  roleName,
  scalerOf,
  secondsBetween,
  warningEvents,
  type KedaIdentity,
} from './model.js';

type TriggerIdentity = KedaIdentity['triggers'][number];

/** KEDA cannot authenticate this trigger as configured (check 1 fails): the checks that follow it wait */
export function authFailing(t: TriggerIdentity): boolean {
  const a = t.auth;
  if (!a) return true;
  if (a.kind === 'aws-eks' || a.kind === 'other') return true;
  if (a.kind === 'keys') return a.missing.length > 0;
  return Boolean(a.roleArn && a.identityOwner === 'workload');
}

const stackInit = (ev: Evidence, what: string) =>
  ev.stack ? `kedactl init${ev.stack.flags ? ` ${ev.stack.flags}` : ''} (${what}), or ` : '';
const taYaml = (roleArn: string) => `spec:\n  podIdentity:\n    provider: aws\n    roleArn: ${roleArn}`;

/** 1: every aws-sqs-queue trigger authenticates in a way KEDA accepts and that is not deprecated */
export function checkTriggerAuth(ev: Evidence): Finding[] {
  const C = 1,
    ID = 'trigger-auth';
  const id = kedaIdentity(ev);
  const scaler = scalerOf(ev);
  const sjRead = notRead(scaler.read, scaler.label);
  if (sjRead) return [skipped(C, ID, 'KEDA', sjRead)];
  if (!readValue(scaler.read)) return [skipped(C, ID, 'KEDA', `no ${scaler.label} to read (see check ${ev.scaledObject ? 16 : 11})`)];
  if (id.triggers.length === 0) return [skipped(C, ID, 'KEDA', `${scaler.kind} ${scaler.name} has no aws-sqs-queue trigger`)];
  const roleHint = ev.stack
    ? `arn:aws:iam::<account>:role/${ev.stack.roles.scaler}`
    : '<a role that may sqs:GetQueueAttributes on the queue>';
  return id.triggers.map((t): Finding => {
    const at = `triggers[${t.trigger.index}]`;
    const ref = t.trigger.authRef;
    if (!ref) {
      if (t.auth) return ok(C, ID, 'KEDA', `${at} uses KEDA's own identity (identityOwner: operator)`);
      return {
        check: C,
        id: ID,
        group: 'KEDA',
        verdict: 'fail',
        summary: `${at} has no authenticationRef: KEDA looks for access keys in the trigger's metadata and fails`,
        evidence: [`${at}.metadata: ${JSON.stringify(t.trigger.metadata)}`],
        fix: `${stackInit(ev, 'restores the trigger and its TriggerAuthentication')}add ${at}.authenticationRef.name: <a TriggerAuthentication> with\n${taYaml(roleHint)}`,
      };
    }
    const what = `${ref.kind} ${ref.kind === 'TriggerAuthentication' ? `${ev.namespace}/` : ''}${ref.name}`;
    const why = notRead(t.authRead, what);
    if (why) return skipped(C, ID, 'KEDA', why);
    const ta = readValue(t.authRead);
    if (!ta)
      return {
        check: C,
        id: ID,
        group: 'KEDA',
        verdict: 'fail',
        summary: `${at} names ${what}, which does not exist`,
        evidence: [`${at}.authenticationRef: ${JSON.stringify(ref)}`],
        fix: `${stackInit(ev, 'creates it')}create ${what} with\n${taYaml(roleHint)}`,
      };
    const spec = JSON.stringify((ta as Record<string, unknown>).spec ?? {});
    const a = t.auth!;
    const evidence = [`${what} spec: ${spec}`];
    if (a.kind === 'aws-eks')
      return {
        check: C,
        id: ID,
        group: 'KEDA',
        verdict: 'fail',
        summary: `${what} uses podIdentity provider aws-eks, deprecated (KEDA removes it in v3): KEDA takes the Jobs' role and assumes it with its own credentials, which that role's trust does not allow`,
        evidence,
        fix: `${stackInit(ev, 'restores it')}change ${what} to\n${taYaml(roleHint)}`,
      };
    if (a.kind === 'other')
      return {
        check: C,
        id: ID,
        group: 'KEDA',
        verdict: 'fail',
        summary: `${what} gives KEDA no AWS credentials (podIdentity provider: ${a.provider}, no access keys)`,
        evidence,
        fix: `${stackInit(ev, 'restores it')}change ${what} to\n${taYaml(roleHint)}`,
      };
    if (a.kind === 'keys') {
      if (a.missing.length)
        return {
          check: C,
          id: ID,
          group: 'KEDA',
          verdict: 'fail',
          summary: `${what} has no secretTargetRef for ${a.missing.join(', ')}`,
          evidence,
          fix: `add secretTargetRef entries for ${a.missing.join(' and ')} (from Secret ${a.secrets[0]})`,
        };
      return ok(
        C,
        ID,
        'KEDA',
        `${what} gives KEDA access keys ${a.secrets.length ? `from Secret ${a.secrets.join(', ')}` : "from the target container's env"}`,
        evidence,
      );
    }
    if (a.roleArn && a.identityOwner === 'workload')
      return {
        check: C,
        id: ID,
        group: 'KEDA',
        verdict: 'fail',
        summary: `${what} sets both roleArn and identityOwner: workload, which KEDA refuses ("roleArn can't be set if KEDA isn't identity owner")`,
        evidence,
        fix: `remove spec.podIdentity.identityOwner from ${what} (keep roleArn: ${a.roleArn}), or remove roleArn to use the Jobs' role`,
      };
    return ok(
      C,
      ID,
      'KEDA',
      `${what} uses podIdentity provider aws${a.roleArn ? ` with roleArn ${roleName(a.roleArn)}` : a.identityOwner === 'workload' ? " with the Jobs' role (identityOwner: workload)" : " with KEDA's own role"}`,
      evidence,
    );
  });
}

/** when the service account's role annotation was last set (server-side apply / update records it) */
function annotationTime(sa: Record<string, any> | undefined): string | undefined {
  const times = ((sa?.metadata?.managedFields ?? []) as Array<{ time?: string; fieldsV1?: Record<string, any> }>)
    .filter((m) => m.fieldsV1?.['f:metadata']?.['f:annotations']?.[`f:${ROLE_ANNOTATION}`] !== undefined)
    .map((m) => m.time ?? '')
    .sort();
  return times[times.length - 1] || undefined;
}

/** 4: KEDA's service account names its role and the running operator has it in its environment */
export function checkOperatorIdentity(ev: Evidence): Finding[] {
  const C = 4,
    ID = 'operator-identity';
  const id = kedaIdentity(ev);
  const uses = id.triggers.some((t) => t.auth?.kind === 'pod-identity' || t.auth?.kind === 'aws-eks');
  if (!uses) return [skipped(C, ID, 'KEDA', "no trigger uses pod identity, so KEDA's own AWS identity does not matter here")];
  const depWhy = notRead(ev.keda.deployment, `Deployment ${ev.keda.namespace}/keda-operator`);
  if (depWhy) return [skipped(C, ID, 'KEDA', depWhy)];
  if (!readValue(ev.keda.deployment))
    return [skipped(C, ID, 'KEDA', `KEDA's operator is not installed in namespace ${ev.keda.namespace} (see check 12)`)];
  const saName = operatorServiceAccount(ev);
  const saWhy = notRead(ev.keda.serviceAccount, `service account ${ev.keda.namespace}/${saName}`);
  if (saWhy) return [skipped(C, ID, 'KEDA', saWhy)];
  const sa = readValue(ev.keda.serviceAccount);
  const role = id.operatorRole;
  const wantRole = ev.stack ? ev.stack.roles.kedaOperator : undefined;
  const helmFix = (arn: string) =>
    `${stackInit(ev, "sets KEDA's helm values")}helm upgrade keda ${KEDA.chart} -n ${ev.keda.namespace} --reuse-values --set podIdentity.aws.irsa.enabled=true --set podIdentity.aws.irsa.roleArn=${arn}, then kubectl -n ${ev.keda.namespace} rollout restart deployment keda-operator`;
  if (!sa || !role)
    return [
      {
        check: C,
        id: ID,
        group: 'KEDA',
        verdict: 'fail',
        summary: `KEDA's service account ${ev.keda.namespace}/${saName} ${sa ? `has no ${ROLE_ANNOTATION} annotation` : 'does not exist'}: KEDA has no AWS identity and falls back to the instance metadata service (IMDS), which hangs or fails on clusters not on EC2`,
        evidence: [`annotations: ${JSON.stringify(sa?.metadata.annotations ?? {})}`],
        fix: helmFix(wantRole ? `arn:aws:iam::<account>:role/${wantRole}` : '<KEDA operator role ARN>'),
      },
    ];
  const evidence = [
    `${ROLE_ANNOTATION}: ${role}${annotationTime(sa as Record<string, any>) ? ` (set ${annotationTime(sa as Record<string, any>)})` : ''}`,
  ];
  if (wantRole && roleName(role) !== wantRole)
    return [
      {
        check: C,
        id: ID,
        group: 'KEDA',
        verdict: 'fail',
        summary: `KEDA runs as ${roleName(role)}, not this stack's ${wantRole} (another stack, or someone, changed KEDA's identity; one irsa stack per cluster)`,
        evidence,
        fix: helmFix(role.replace(/[^/]+$/, wantRole)),
      },
    ];
  const podsWhy = notRead(ev.keda.pods, `the keda-operator pods in ${ev.keda.namespace}`);
  if (podsWhy) return [skipped(C, ID, 'KEDA', `${podsWhy} (the service account names ${roleName(role)})`)];
  const pods = (readValue(ev.keda.pods) ?? []).filter((p) => !(p.metadata as Record<string, unknown>).deletionTimestamp);
  if (pods.length === 0)
    return [skipped(C, ID, 'KEDA', `no keda-operator pod runs to look at (the service account names ${roleName(role)})`)];
  const bad: string[] = [];
  for (const p of pods) {
    const env = ((p as Record<string, any>).spec?.containers?.[0]?.env ?? []) as Array<{ name: string; value?: string }>;
    const get = (n: string) => env.find((e) => e.name === n)?.value;
    const podRole = get('AWS_ROLE_ARN');
    const token = get('AWS_WEB_IDENTITY_TOKEN_FILE');
    evidence.push(
      `pod ${p.metadata.name} (created ${(p.metadata as Record<string, unknown>).creationTimestamp ?? '?'}): AWS_ROLE_ARN=${podRole ?? '(unset)'}, AWS_WEB_IDENTITY_TOKEN_FILE=${token ?? '(unset)'}`,
    );
    if (podRole !== role || !token) bad.push(p.metadata.name);
  }
  if (bad.length)
    return [
      {
        check: C,
        id: ID,
        group: 'KEDA',
        verdict: 'fail',
        summary: `the running KEDA operator pod${bad.length > 1 ? 's' : ''} ${bad.join(', ')} ${bad.length > 1 ? 'do' : 'does'} not carry the role its service account names (started before the annotation was set or changed): KEDA still has ${bad.length > 1 ? 'their' : 'its'} old identity`,
        evidence,
        fix: `kubectl -n ${ev.keda.namespace} rollout restart deployment keda-operator`,
      },
    ];
  return [ok(C, ID, 'KEDA', `KEDA's operator runs as ${roleName(role)} (service account annotation and pod environment agree)`, evidence)];
}

/** 9: a strategy that counts in-flight messages twice */
export function checkStrategy(ev: Evidence): Finding[] {
  const C = 9,
    ID = 'strategy';
  const sj = readValue(ev.scaledJob) as Record<string, any> | undefined;
  if (!sj) return [];
  const strategy = String(sj.spec?.scalingStrategy?.strategy ?? 'default');
  const id = kedaIdentity(ev);
  const inFlight = id.triggers.filter((t) => t.trigger.scaleOnInFlight);
  const evidence = [
    `spec.scalingStrategy.strategy: ${strategy}`,
    ...id.triggers.map(
      (t) => `triggers[${t.trigger.index}].metadata.scaleOnInFlight: ${t.trigger.metadata.scaleOnInFlight ?? '(unset: true)'}`,
    ),
  ];
  const out = [
    ...startUp(ev, strategy),
    ...capacity(ev, { check: 9, scaler: readValue(ev.scaledJob), template: readValue(ev.scaledJob), pods: 'Job Pods' }),
  ];
  if ((strategy === 'accurate' || strategy === 'eager') && inFlight.length)
    return [
      ...out,
      {
        check: C,
        id: ID,
        group: 'KEDA',
        verdict: 'warn',
        summary: `strategy ${strategy} with scaleOnInFlight counts each message a running Job holds again: KEDA starts Jobs for messages already being processed (over-scaling; 'kedactl simulate --compare strategy=default,${strategy}' shows how much)`,
        evidence,
        fix: ev.stack
          ? `kedactl init --strategy default${ev.stack.flags ? ` ${ev.stack.flags}` : ''}`
          : `set spec.scalingStrategy.strategy: default in ScaledJob ${ev.namespace}/${ev.scaledJobName} (or scaleOnInFlight: "false" on the trigger)`,
      },
    ];
  return [
    ...out,
    ok(
      C,
      ID,
      'KEDA',
      `strategy ${strategy}${inFlight.length ? ' with scaleOnInFlight' : ''} does not count in-flight messages twice`,
      evidence,
    ),
  ];
}

/**
 * 9: Pods sitting Pending longer than pollingInterval. KEDA (v2.21, pkg/scaling/executor) counts a Job as
 * pending while none of its Pods runs, and every strategy subtracts pending Jobs; but once a Pod runs and
 * before it has taken its message, accurate and eager no longer count it (default counts every unfinished
 * Job) and start Jobs again for the same visible messages, at every poll of that window, up to maxReplicaCount.
 */
function startUp(ev: Evidence, strategy: string): Finding[] {
  const C = 9,
    ID = 'start-up';
  const sj = readValue(ev.scaledJob) as Record<string, any>;
  if (!ev.readAt || ev.pods?.state !== 'read') return [];
  const interval = Number(sj.spec?.pollingInterval ?? 30);
  const max = Number(sj.spec?.maxReplicaCount ?? 100);
  const pending = (ev.pods.value as Array<Record<string, any>>)
    .filter((p) => p.status?.phase === 'Pending' && !p.metadata?.deletionTimestamp)
    .map((p) => ({ name: String(p.metadata.name), age: secondsBetween(p.metadata.creationTimestamp, ev.readAt) ?? 0 }))
    .filter((p) => p.age > interval)
    .sort((a, b) => b.age - a.age);
  if (!pending.length) return [];
  const evidence = [
    `spec.pollingInterval: ${interval}s, spec.maxReplicaCount: ${max}, strategy ${strategy}`,
    ...pending.slice(0, 3).map((p) => `pod ${p.name}: Pending for ${duration(p.age)}`),
  ];
  const what = `${pending.length} Pod(s) have sat Pending longer than pollingInterval (${interval}s), the longest ${duration(pending[0]!.age)}`;
  if (strategy === 'accurate' || strategy === 'eager')
    return [
      {
        check: C,
        id: ID,
        group: 'KEDA',
        verdict: 'warn',
        summary: `${what}: start-up outlasts KEDA's polls, and with strategy ${strategy} every poll between a Pod starting and taking its message starts Jobs again for that message (over-scaling, up to maxReplicaCount ${max})`,
        evidence,
        fix: ev.stack
          ? `kedactl init --strategy default${ev.stack.flags ? ` ${ev.stack.flags}` : ''} (counts every unfinished Job), or --polling-interval ${Math.max(interval, pending[0]!.age)}`
          : `set spec.scalingStrategy.strategy: default (counts every unfinished Job), or spec.pollingInterval: ${Math.max(interval, pending[0]!.age)} in ScaledJob ${ev.namespace}/${ev.scaledJobName}`,
      },
    ];
  return [
    ok(
      C,
      ID,
      'KEDA',
      `${what}; strategy ${strategy} counts their Jobs until they finish, so KEDA does not start more for their messages`,
      evidence,
    ),
  ];
}

/** CPU (cores) and memory (bytes) one Job's Pod requests: the sum of its containers' requests */
function podRequests(sj: KubeObject | undefined): { cpu: number; memory: number } {
  let cpu = 0,
    memory = 0;
  for (const c of (podSpec(sj).containers ?? []) as Array<Record<string, any>>) {
    // a request left out defaults to the limit
    const r = c.resources ?? {};
    cpu += quantity(r.requests?.cpu ?? r.limits?.cpu) ?? 0;
    memory += quantity(r.requests?.memory ?? r.limits?.memory) ?? 0;
  }
  return { cpu, memory };
}

/**
 * 9: maxReplicaCount above what the cluster's Nodes can hold: on empty Nodes (an upper bound: what else runs
 * there is not read, nor taints and selectors), each Ready, schedulable Node holds min(allocatable / the Job
 * Pod's requests, allocatable pods). One list of Nodes (one page).
 */
export function capacity(
  ev: Evidence,
  o: {
    check: number;
    /** the ScaledJob or ScaledObject (its maxReplicaCount) */
    scaler: KubeObject | undefined;
    /** what carries the pod template: the ScaledJob, or the consumer Deployment */
    template: KubeObject | undefined;
    pods: string;
  },
): Finding[] {
  const C = o.check,
    ID = 'capacity';
  const sj = o.scaler as Record<string, any>;
  const why = notRead(ev.nodes, "the cluster's Nodes");
  if (why) return ev.nodes ? [skipped(C, ID, 'KEDA', `${why} (to compare maxReplicaCount with what they hold)`)] : [];
  const nodes = (readValue(ev.nodes) ?? []) as Array<Record<string, any>>;
  const max = Number(sj.spec?.maxReplicaCount ?? 100);
  if (!nodes.length)
    return [
      skipped(
        C,
        ID,
        'KEDA',
        'the cluster lists no Nodes (serverless, or an autoscaler adds them on demand): maxReplicaCount is not compared with them',
      ),
    ];
  const req = podRequests(o.template);
  const job = o.pods === 'Job Pods';
  const usable = nodes.filter((n) => !n.spec?.unschedulable && conditionOf(n, 'Ready')?.status === 'True');
  const per = usable.map((n) => {
    const a = n.status?.allocatable ?? {};
    const fits = [quantity(a.pods) ?? 110];
    if (req.cpu > 0 && quantity(a.cpu) !== undefined) fits.push(Math.floor(quantity(a.cpu)! / req.cpu + 1e-9));
    if (req.memory > 0 && quantity(a.memory) !== undefined) fits.push(Math.floor(quantity(a.memory)! / req.memory + 1e-9));
    return Math.max(0, Math.min(...fits));
  });
  const total = per.reduce((a, b) => a + b, 0);
  const bounded = nodes.length >= LIST_LIMIT ? ` (of the first ${LIST_LIMIT} Nodes)` : '';
  const evidence = [
    `spec.maxReplicaCount: ${max}`,
    `one ${job ? "Job's Pod" : 'consumer Pod'} requests cpu ${req.cpu ? `${Math.round(req.cpu * 1000)}m` : '(none)'}, memory ${req.memory ? `${Math.round(req.memory / 2 ** 20)}Mi` : '(none)'}`,
    `${usable.length} of ${nodes.length} Node(s) Ready and schedulable${bounded}: at most ${total} such Pods on them, empty`,
  ];
  if (total < max)
    return [
      {
        check: C,
        id: ID,
        group: 'KEDA',
        verdict: 'warn',
        summary: `maxReplicaCount ${max} is more than the Nodes can hold (at most ${total} ${o.pods}, on empty Nodes): ${job ? 'KEDA starts Jobs whose Pods stay Pending, and counts them against maxReplicaCount' : 'the HPA asks for consumers whose Pods stay Pending'}${req.cpu || req.memory ? '' : ' (the Pods request nothing: only allocatable pods counts)'}, unless an autoscaler adds Nodes`,
        evidence,
        fix: ev.stack
          ? `kedactl init --max-replicas ${Math.max(1, total)}${ev.stack.flags ? ` ${ev.stack.flags}` : ''}, or add Nodes`
          : `set spec.maxReplicaCount: ${Math.max(1, total)} in ${scalerOf(ev).label}, or add Nodes`,
      },
    ];
  return [ok(C, ID, 'KEDA', `maxReplicaCount ${max} fits on the Nodes (at most ${total} ${o.pods} on them, empty)`, evidence)];
}

/** 11: KEDA's own word on the ScaledJob: its conditions and its recent Warning events */
export function checkScaledJob(ev: Evidence): Finding[] {
  const C = 11,
    ID = 'scaledjob';
  const name = `ScaledJob ${ev.namespace}/${ev.scaledJobName}`;
  const why = notRead(ev.scaledJob, name);
  if (why) return [skipped(C, ID, 'KEDA', why)];
  const sj = readValue(ev.scaledJob) as Record<string, any> | undefined;
  if (!sj) {
    const nsGone = ev.namespaceObject.state === 'read' && !ev.namespaceObject.value;
    return [
      {
        check: C,
        id: ID,
        group: 'KEDA',
        verdict: 'fail',
        summary: `${name} does not exist${nsGone ? ` (nor namespace ${ev.namespace})` : ''}`,
        evidence: [],
        fix: ev.stack
          ? `kedactl init${ev.stack.flags ? ` ${ev.stack.flags}` : ''}`
          : 'check the name and namespace (kubectl get scaledjobs -A)',
      },
    ];
  }
  const out: Finding[] = [];
  const ready = conditionOf(sj, 'Ready');
  const evidence = conditionsOf(sj).map((c) => `${c.type}: ${describeCondition(c)}`);
  const notReady = notReadyFinding(ev, {
    check: C,
    id: ID,
    name,
    objectName: ev.scaledJobName,
    ready,
    evidence,
    fix: (reason) =>
      reason === 'TriggerError'
        ? "KEDA's scaler failed on the trigger: the AWS checks above and KEDA's events and log lines below say why (authentication, permission or the queue)"
        : 'the message names the field; fix it in the ScaledJob (kedactl plan shows what kedactl would apply)',
  });
  if (notReady) out.push(notReady);
  else out.push(ok(C, ID, 'KEDA', `KEDA reports ${name} Ready`, evidence));
  const evWhy = notRead(ev.events, `the events of ${name}`);
  if (evWhy) out.push(skipped(C, ID, 'KEDA', evWhy));
  else {
    const warnings = warningEvents(ev);
    if (warnings.length)
      out.push({
        check: C,
        id: ID,
        group: 'KEDA',
        verdict: 'warn',
        summary: `KEDA reported ${warnings.length} Warning event(s) on ${name}, the last: ${warnings[0]!.reason}: ${warnings[0]!.message}`,
        evidence: warnings.slice(0, 3).map((e) => `${e.lastTimestamp ?? e.eventTime ?? ''} ${e.reason} (x${e.count ?? 1}): ${e.message}`),
        fix: 'the event names the cause; the AWS checks above say whether it is authentication, permission or the queue',
      });
  }
  const log = ev.operatorLog;
  if (log) {
    const logWhy = notRead(log.log, `the log of KEDA's operator pod ${ev.keda.namespace}/${log.pod}`);
    if (logWhy) out.push(skipped(C, ID, 'KEDA', logWhy));
    else {
      // a lasting problem is logged at every poll; an error logged once (KEDA starting, its caches syncing)
      // and not again a poll later is history, shown but not judged
      const interval = Number((sj.spec?.pollingInterval as number | undefined) ?? 30);
      const where = `the last ${log.lines} lines of pod ${ev.keda.namespace}/${log.pod}`;
      const errors = operatorErrors(readValue(log.log) ?? '', ev.namespace, ev.scaledJobName);
      const lasting = errors.filter(
        (e) => e.first !== undefined && e.last !== undefined && e.last - e.first >= Math.max(1, interval - 1) * 1000,
      );
      const when = (e: LoggedError) =>
        e.first !== undefined && e.last !== undefined
          ? `${new Date(e.first).toISOString().replace('.000', '')} to ${new Date(e.last).toISOString().replace('.000', '')}`
          : 'at unknown times';
      if (lasting.length)
        out.push({
          check: C,
          id: ID,
          group: 'KEDA',
          verdict: 'warn',
          summary: `KEDA's operator keeps logging an error about ${name} (${lasting[lasting.length - 1]!.count} times in ${where}, ${when(lasting[lasting.length - 1]!)}): ${lasting[lasting.length - 1]!.text}`,
          evidence: lasting.slice(-3).map((e) => e.line),
          fix: `kubectl -n ${ev.keda.namespace} logs ${log.pod} | grep ${ev.scaledJobName}; the AWS checks above say whether it is authentication, permission or the queue`,
        });
      else
        out.push(
          ok(
            C,
            ID,
            'KEDA',
            `KEDA's operator logged no lasting error about ${name} in ${where}${errors.length ? ` (${errors.length} error(s) logged within one polling interval only: KEDA starting, or a one-off; doctor again shows whether they recur)` : ''}`,
            errors.slice(-3).map((e) => `${when(e)}: ${e.text}`),
          ),
        );
    }
  }
  return out;
}

/** 12: KEDA is installed, a version kedactl supports, and its CRDs accept what kedactl renders */
export function checkKedaVersion(ev: Evidence): Finding[] {
  const C = 12,
    ID = 'keda-version';
  const why = notRead(ev.keda.deployment, `Deployment ${ev.keda.namespace}/keda-operator`);
  if (why) return [skipped(C, ID, 'KEDA', why)];
  const dep = readValue(ev.keda.deployment) as Record<string, any> | undefined;
  const install = ev.stack
    ? `kedactl init${ev.stack.flags ? ` ${ev.stack.flags}` : ''}`
    : `helm upgrade --install keda ${KEDA.chart} -n ${ev.keda.namespace} --create-namespace --version ${DEFAULT_KEDA_VERSION}`;
  if (!dep)
    return [
      {
        check: C,
        id: ID,
        group: 'KEDA',
        verdict: 'fail',
        summary: `KEDA is not installed (no Deployment keda-operator in namespace ${ev.keda.namespace}): nothing scales the ScaledJob`,
        evidence: [],
        fix: install,
      },
    ];
  const version = kedaVersionOf(dep);
  const evidence = [`keda-operator version: ${version ?? 'unknown'}`];
  const out: Finding[] = [];
  const available = conditionOf(dep, 'Available')?.status === 'True';
  if (!available)
    out.push({
      check: C,
      id: ID,
      group: 'KEDA',
      verdict: 'fail',
      summary: `KEDA's operator is not available (${dep.status?.availableReplicas ?? 0} of ${dep.spec?.replicas ?? 1} replicas)`,
      evidence,
      fix: `kubectl -n ${ev.keda.namespace} get pods; kubectl -n ${ev.keda.namespace} describe deployment keda-operator`,
    });
  const crdWhy = notRead(ev.keda.scaledJobCrd, 'CRD scaledjobs.keda.sh');
  if (!crdWhy && !readValue(ev.keda.scaledJobCrd))
    out.push({
      check: C,
      id: ID,
      group: 'KEDA',
      verdict: 'fail',
      summary: "KEDA's ScaledJob CRD (scaledjobs.keda.sh) is not installed",
      evidence,
      fix: install,
    });
  if (version && !isSupportedKedaVersion(version))
    out.push({
      check: C,
      id: ID,
      group: 'KEDA',
      verdict: 'warn',
      summary: `KEDA ${version} is not a release kedactl renders for (${SUPPORTED_KEDA_RANGE})`,
      evidence,
      fix: `helm upgrade keda ${KEDA.chart} -n ${ev.keda.namespace} --reuse-values --version ${DEFAULT_KEDA_VERSION}`,
    });
  const problems = readValue(ev.stack?.crdProblems);
  if (problems?.length)
    out.push({
      check: C,
      id: ID,
      group: 'KEDA',
      verdict: 'fail',
      summary: `the installed KEDA CRDs refuse what kedactl renders for this stack`,
      evidence: [...evidence, ...problems],
      fix: `helm upgrade keda ${KEDA.chart} -n ${ev.keda.namespace} --reuse-values --version ${DEFAULT_KEDA_VERSION} (its CRDs come with it)`,
    });
  if (ev.stack?.crdProblems && ev.stack.crdProblems.state !== 'read')
    out.push(skipped(C, ID, 'KEDA', notRead(ev.stack.crdProblems, "KEDA's CRDs")!));
  if (crdWhy) out.push(skipped(C, ID, 'KEDA', crdWhy));
  if (!out.some((f) => f.verdict === 'fail' || f.verdict === 'warn'))
    out.push(
      ok(
        C,
        ID,
        'KEDA',
        `KEDA ${version ?? ''} is installed and available${problems ? '; its CRDs accept what kedactl renders' : ''}`.replace('  ', ' '),
        evidence,
      ),
    );
  return out;
}

/** 15: nothing stands in the way of installing or upgrading KEDA's helm release (a stuck release, objects helm will not adopt) */
export function checkKedaRelease(ev: Evidence): Finding[] {
  const C = 15,
    ID = 'keda-release';
  const r = ev.keda.installConflicts;
  if (!r) return [];
  const why = notRead(r, `helm's release ${ev.keda.namespace}/${KEDA.release} and the objects its chart makes`);
  if (why) return [skipped(C, ID, 'KEDA', why)];
  return (readValue(r) ?? []).map((c) => ({
    check: C,
    id: ID,
    group: 'KEDA' as const,
    verdict: c.blocks ? ('fail' as const) : ('warn' as const),
    summary: c.what,
    evidence: [],
    fix: c.fix,
  }));
}

/** 13: a ScaledJob or namespace stuck in deletion behind finalizers nobody clears */
export function checkFinalizers(ev: Evidence): Finding[] {
  const C = 13,
    ID = 'finalizers';
  const out: Finding[] = [];
  const dep = readValue(ev.keda.deployment) as Record<string, any> | undefined;
  const operatorUp = Boolean(dep?.status?.availableReplicas);
  const sj = readValue(ev.scaledJob) as Record<string, any> | undefined;
  if (sj?.metadata?.deletionTimestamp) {
    const fin = (sj.metadata.finalizers ?? []) as string[];
    out.push({
      check: C,
      id: ID,
      group: 'KEDA',
      verdict: operatorUp ? 'warn' : 'fail',
      summary: `ScaledJob ${ev.namespace}/${ev.scaledJobName} is being deleted since ${sj.metadata.deletionTimestamp}${fin.length ? `, held by finalizer(s) ${fin.join(', ')}` : ''}${operatorUp ? '' : ' and no KEDA operator runs to clear them'}`,
      evidence: [`finalizers: ${JSON.stringify(fin)}`],
      fix: operatorUp
        ? `look at KEDA's log (kubectl -n ${ev.keda.namespace} logs deployment/keda-operator | grep ${ev.scaledJobName})`
        : `kubectl -n ${ev.namespace} patch scaledjob ${ev.scaledJobName} --type=merge -p '${JSON.stringify({ metadata: { finalizers: null } })}'`,
    });
  }
  const ns = readValue(ev.namespaceObject) as Record<string, any> | undefined;
  if (ns?.metadata?.deletionTimestamp) {
    const stuck = conditionsOf(ns)
      .filter((c) => c.status === 'True')
      .map((c) => `${c.type}: ${c.message ?? ''}`);
    out.push({
      check: C,
      id: ID,
      group: 'KEDA',
      verdict: 'fail',
      summary: `namespace ${ev.namespace} is being deleted since ${ns.metadata.deletionTimestamp}: nothing new can be created in it`,
      evidence: stuck,
      fix: `wait for it to go (kubectl get namespace ${ev.namespace}); if it stays, the conditions above name what holds it${ev.stack ? `; then kedactl init${ev.stack.flags ? ` ${ev.stack.flags}` : ''}` : ''}`,
    });
  }
  if (!out.length && (sj || ns)) out.push(ok(C, ID, 'KEDA', 'nothing is stuck in deletion'));
  return out;
}
