// What the evidence means, derived once and shared by the checks (pure): the ScaledJob's SQS triggers,
// how KEDA authenticates for each (from KEDA v2.21's resolver: pkg/scaling/resolver, pkg/scalers/aws),
// the operator's and the Jobs' IAM roles, and which role KEDA ends up reading the queue with.
import type { KubeObject } from '../kube/ports.js';
import { readValue, type Evidence, type Read } from './evidence.js';
import { kedaSelfCancellation, warningsAbout, type Condition, type RawEvent } from '../kube/state.js';
import type { Finding } from './finding.js';

export const ROLE_ANNOTATION = 'eks.amazonaws.com/role-arn';

/** the most Jobs, Pods, Events and Nodes doctor lists (one page each: it reads, bounded) */
export const LIST_LIMIT = 500;

export interface SqsTrigger {
  index: number;
  queueURL?: string;
  awsRegion?: string;
  scaleOnInFlight: boolean;
  /** identityOwner / awsAccessKeyID in the trigger's own metadata (the older ways) */
  metadata: Record<string, string>;
  authRef?: { kind: 'TriggerAuthentication' | 'ClusterTriggerAuthentication'; name: string };
}

const obj = (x: unknown): Record<string, any> => (x && typeof x === 'object' ? (x as Record<string, any>) : {});

export function sqsTriggers(sj: KubeObject | undefined): SqsTrigger[] {
  const triggers = (obj(obj(sj).spec).triggers ?? []) as Array<Record<string, any>>;
  return triggers.flatMap((t, index) => {
    if (t.type !== 'aws-sqs-queue') return [];
    const md = Object.fromEntries(Object.entries(obj(t.metadata)).map(([k, v]) => [k, String(v)]));
    const ref = obj(t.authenticationRef);
    return [
      {
        index,
        queueURL: md.queueURL,
        awsRegion: md.awsRegion,
        // KEDA's default is true (pkg/scalers/aws_sqs_queue_scaler.go)
        scaleOnInFlight: (md.scaleOnInFlight ?? 'true').toLowerCase() !== 'false',
        metadata: md,
        authRef: ref.name
          ? {
              kind: ref.kind === 'ClusterTriggerAuthentication' ? 'ClusterTriggerAuthentication' : 'TriggerAuthentication',
              name: String(ref.name),
            }
          : undefined,
      },
    ];
  });
}

export const authKey = (ref: NonNullable<SqsTrigger['authRef']>) => `${ref.kind} ${ref.name}`;

/** the consumers' pod template: a ScaledJob's jobTargetRef.template, or a Deployment's template */
export function podSpec(o: KubeObject | undefined): Record<string, any> {
  const spec = obj(obj(o).spec);
  return obj(obj(obj(spec.jobTargetRef ?? spec).template).spec);
}

/** the KEDA object that scales the stack: the ScaledObject on the deployment workload, else the ScaledJob */
export function scalerOf(ev: Evidence): {
  kind: 'ScaledJob' | 'ScaledObject';
  name: string;
  read: Read<KubeObject | undefined>;
  label: string;
} {
  const so = ev.scaledObject;
  const kind = so ? 'ScaledObject' : 'ScaledJob';
  const name = so ? so.name : ev.scaledJobName;
  return { kind, name, read: so ? so.object : ev.scaledJob, label: `${kind} ${ev.namespace}/${name}` };
}

/** what carries the consumers' pod template: the consumer Deployment, or the ScaledJob */
export function workloadObject(ev: Evidence): KubeObject | undefined {
  return ev.scaledObject ? readValue(ev.scaledObject.deployment) : readValue(ev.scaledJob);
}

export function workloadServiceAccountName(sj: KubeObject | undefined): string {
  return String(podSpec(sj).serviceAccountName ?? podSpec(sj).serviceAccount ?? 'default');
}

/** an env value of the Jobs' first container (as KEDA resolves env), when set as a plain value */
export function containerEnv(sj: KubeObject | undefined, name: string): string | undefined {
  for (const c of (podSpec(sj).containers ?? []) as Array<Record<string, any>>)
    for (const e of (c.env ?? []) as Array<{ name: string; value?: string }>) if (e.name === name && e.value !== undefined) return e.value;
  return undefined;
}

export type TriggerAuthKind =
  /** podIdentity.provider aws: roleArn (KEDA assumes it), or workload (the Jobs' role), or KEDA's own role */
  | { kind: 'pod-identity'; roleArn?: string; identityOwner: 'keda' | 'workload' }
  | { kind: 'aws-eks' }
  | { kind: 'keys'; secrets: string[]; missing: string[] }
  | { kind: 'other'; provider: string };

/** How one TriggerAuthentication makes KEDA authenticate to AWS. */
export function authKind(ta: KubeObject): TriggerAuthKind {
  const spec = obj((ta as Record<string, any>).spec);
  const pi = obj(spec.podIdentity);
  if (pi.provider === 'aws')
    return { kind: 'pod-identity', roleArn: pi.roleArn || undefined, identityOwner: pi.identityOwner === 'workload' ? 'workload' : 'keda' };
  if (pi.provider === 'aws-eks') return { kind: 'aws-eks' };
  const refs = (spec.secretTargetRef ?? []) as Array<{ parameter: string; name: string }>;
  // env sources give parameters as secretTargetRef does (check 20 follows both)
  const params = new Set([...refs, ...((spec.env ?? []) as Array<{ parameter: string }>)].map((r) => r.parameter));
  if (params.has('awsAccessKeyID') || params.has('awsAccessKeyId') || params.has('awsSecretAccessKey') || params.has('awsRoleArn')) {
    if (params.has('awsRoleArn')) return { kind: 'pod-identity', roleArn: undefined, identityOwner: 'keda' };
    const missing = ['awsAccessKeyID', 'awsSecretAccessKey'].filter(
      (p) => !params.has(p) && !(p === 'awsAccessKeyID' && params.has('awsAccessKeyId')),
    );
    return { kind: 'keys', secrets: [...new Set(refs.map((r) => r.name))], missing };
  }
  return { kind: 'other', provider: String(pi.provider ?? 'none') };
}

export const roleAnnotation = (sa: Read<KubeObject | undefined> | undefined): string | undefined =>
  readValue(sa)?.metadata.annotations?.[ROLE_ANNOTATION] || undefined;

export interface KedaIdentity {
  /** the role KEDA's own pod runs as (its service account's annotation) */
  operatorRole?: string;
  /** the role the Jobs run as */
  workloadRole?: string;
  /** per trigger: how it authenticates and the role KEDA reads the queue with (undefined: keys or unknown) */
  triggers: Array<{ trigger: SqsTrigger; auth?: TriggerAuthKind; authRead?: Read<KubeObject | undefined>; readsAs?: string }>;
}

export function kedaIdentity(ev: Evidence): KedaIdentity {
  const sj = readValue(scalerOf(ev).read);
  const operatorRole = roleAnnotation(ev.keda.serviceAccount);
  const workloadRole = roleAnnotation(ev.workloadServiceAccount);
  return {
    operatorRole,
    workloadRole,
    triggers: sqsTriggers(sj).map((trigger) => {
      const authRead = trigger.authRef ? ev.triggerAuths[authKey(trigger.authRef)] : undefined;
      const ta = readValue(authRead);
      // no TriggerAuthentication: identityOwner operator in the trigger makes KEDA use its own identity
      const auth = ta
        ? authKind(ta)
        : !trigger.authRef && trigger.metadata.identityOwner === 'operator'
          ? ({ kind: 'pod-identity', identityOwner: 'keda' } satisfies TriggerAuthKind as TriggerAuthKind)
          : undefined;
      let readsAs: string | undefined;
      if (auth?.kind === 'pod-identity') readsAs = auth.roleArn ?? (auth.identityOwner === 'workload' ? workloadRole : operatorRole);
      return { trigger, auth, authRead, readsAs };
    }),
  };
}

/** "system:serviceaccount:ns:name" */
export const subject = (namespace: string, sa: string) => `system:serviceaccount:${namespace}:${sa}`;

/** the service account KEDA's operator runs as (the chart's default when its Deployment is unread) */
export function operatorServiceAccount(ev: Evidence): string {
  return String(podSpecOf(readValue(ev.keda.deployment)).serviceAccountName ?? 'keda-operator');
}

export function podSpecOf(deployment: KubeObject | undefined): Record<string, any> {
  return obj(obj(obj(obj(deployment).spec).template).spec);
}

/** "us-east-1" from https://sqs.us-east-1.amazonaws.com/..., undefined for an emulator's URL */
export function regionOfQueueUrl(url: string): string | undefined {
  return /^https?:\/\/(?:sqs\.)?([a-z]{2}(?:-gov)?-[a-z]+-\d)\.(?:queue\.)?amazonaws\.com(?:\.cn)?\//.exec(url)?.[1];
}

export const roleName = (arn: string) => arn.split('/').pop() ?? arn;

const SUFFIX: Record<string, number> = {
  n: 1e-9,
  u: 1e-6,
  m: 1e-3,
  '': 1,
  k: 1e3,
  K: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
};

/** a Kubernetes quantity ("50m", "64Mi", "2", "1e3") as a number; undefined when it is not one */
export function quantity(q: unknown): number | undefined {
  if (typeof q === 'number') return q;
  const m = /^([+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)(Ki|Mi|Gi|Ti|Pi|Ei|[numkKMGTPE]?)$/.exec(String(q ?? '').trim());
  return m ? Number(m[1]) * SUFFIX[m[2]!]! : undefined;
}

/** seconds between two ISO times (undefined when either is missing) */
export function secondsBetween(from: unknown, to: string | undefined): number | undefined {
  const a = Date.parse(String(from ?? ''));
  const b = Date.parse(String(to ?? ''));
  return Number.isFinite(a) && Number.isFinite(b) ? Math.round((b - a) / 1000) : undefined;
}

/** "1h02m", "45s": a duration for a reader */
export function duration(seconds: number): string {
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  if (s < 86400) return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
  return `${Math.floor(s / 86400)}d${String(Math.floor((s % 86400) / 3600)).padStart(2, '0')}h`;
}

const clip = (s: string, n = 300) => (s.length > n ? `${s.slice(0, n)}…` : s);

/** KEDA's operator log lines at error level that name this ScaledJob (zap console or JSON encoding) */
export function operatorErrorLines(log: string, namespace: string, scaledJob: string): string[] {
  return log
    .split('\n')
    .filter(
      (l) => /\tERROR\t|"level":"error"|\bERROR\b/.test(l) && l.includes(scaledJob) && l.includes(namespace) && !kedaSelfCancellation(l),
    )
    .map((l) => clip(l.trim()));
}

export interface LoggedError {
  /** what went wrong: the line without its time and request ids */
  key: string;
  /** the message and error field, for a reader */
  text: string;
  /** first and last time it was logged (ms), when the line has a time */
  first?: number;
  last?: number;
  count: number;
  /** the newest such line */
  line: string;
}

/** the time at the start of a zap console line, or in a JSON line's "ts" */
function lineTime(line: string): number | undefined {
  const iso = /^(\d{4}-\d{2}-\d{2}T[\d:.]+(?:Z|[+-]\d{2}:?\d{2}))/.exec(line)?.[1] ?? /"ts":\s*"([^"]+)"/.exec(line)?.[1];
  if (iso) return Date.parse(iso) || undefined;
  const epoch = /"ts":\s*([\d.]+)/.exec(line)?.[1];
  return epoch ? Number(epoch) * 1000 : undefined;
}

/** what an operator log line says went wrong: its "error" field (zap), with its message, else the line */
export function errorText(line: string): string {
  const error = /"error":\s*"((?:[^"\\]|\\.)*)/.exec(line)?.[1];
  const message = line.includes('\t') ? line.split('\t')[3] : /"msg":\s*"((?:[^"\\]|\\.)*)/.exec(line)?.[1];
  return (error ? `${message ? `${message}: ` : ''}${error}` : (message ?? line)).slice(0, 300);
}

/** the operator's error lines about this ScaledJob, the same error (request ids aside) grouped, oldest first */
export function operatorErrors(log: string, namespace: string, scaledJob: string): LoggedError[] {
  const groups = new Map<string, LoggedError>();
  for (const line of operatorErrorLines(log, namespace, scaledJob)) {
    const t = lineTime(line);
    const key = errorText(line).replace(/RequestID: [^,\s"]+/g, 'RequestID: *');
    const g = groups.get(key);
    if (!g) groups.set(key, { key, text: errorText(line), first: t, last: t, count: 1, line });
    else Object.assign(g, { last: t ?? g.last, count: g.count + 1, line, text: errorText(line), first: g.first ?? t });
  }
  return [...groups.values()];
}

/** the scaler's (ScaledJob's or ScaledObject's) Warning events that report a problem (not KEDA's own cancellations), newest first */
export function warningEvents(ev: Evidence): Array<Record<string, any>> {
  const { kind, name } = scalerOf(ev);
  const events = ev.scaledObject ? ev.scaledObject.events : ev.events;
  return warningsAbout((readValue(events) ?? []) as RawEvent[], { kind, name }).reverse() as Array<Record<string, any>>;
}

/**
 * What KEDA itself said that matches a cause: its Warning events on the ScaledJob and its operator's error
 * lines about it, newest first, at most `n` (evidence for the AWS checks: KEDA's own word on the symptom).
 */
export function kedaSays(ev: Evidence, pattern: RegExp, n = 2): string[] {
  const events = warningEvents(ev)
    .filter((e) => pattern.test(String(e.message ?? '')))
    .map((e) => `KEDA's Warning event ${e.reason} (x${e.count ?? 1}): ${clip(String(e.message))}`);
  const log =
    ev.operatorLog?.log.state === 'read'
      ? operatorErrorLines(ev.operatorLog.log.value ?? '', ev.namespace, scalerOf(ev).name)
          .filter((l) => pattern.test(l))
          .reverse()
      : [];
  return [...events.slice(0, n), ...log.slice(0, 1).map((l) => `KEDA's operator log (${ev.operatorLog!.pod}): ${l}`)].slice(0, n + 1);
}

/**
 * A KEDA object's (the ScaledJob's, the ScaledObject's) Ready condition when it is not True: not reported
 * (warn: is the operator watching the namespace?) or False (fail, with KEDA's reason and message); undefined
 * when it is Ready. `fix` says what to do about a False one, from its reason.
 */
export function notReadyFinding(
  ev: Evidence,
  o: {
    check: number;
    id: string;
    /** "Kind namespace/name" */
    name: string;
    /** the object's name, for grepping the operator's log */
    objectName: string;
    ready: Condition | undefined;
    evidence: string[];
    fix: (reason: string | undefined) => string;
  },
): Finding | undefined {
  const { check, id, name, ready, evidence } = o;
  if (!ready || ready.status === 'Unknown')
    return {
      check,
      id,
      group: 'KEDA',
      verdict: 'warn',
      summary: `KEDA has not reported ${name} Ready (is its operator running and watching namespace ${ev.namespace}?)`,
      evidence,
      fix: `kubectl -n ${ev.keda.namespace} logs deployment/keda-operator | grep ${o.objectName}`,
    };
  if (ready.status !== 'True')
    return {
      check,
      id,
      group: 'KEDA',
      verdict: 'fail',
      summary: `KEDA says ${name} is not Ready: ${ready.reason ?? ''}${ready.message ? `: ${ready.message}` : ''}`,
      evidence,
      fix: o.fix(ready.reason),
    };
  return undefined;
}

/** one TriggerAuthentication's references, as KEDA's resolver (pkg/scaling/resolver) follows them */
export interface AuthSources {
  /** "TriggerAuthentication ns/name" */
  what: string;
  /** where its secretTargetRef Secrets are: the trigger's namespace, or KEDA's for a ClusterTriggerAuthentication */
  secretNamespace: string;
  secretTargetRef: Array<{ parameter: string; name: string; key: string }>;
  env: Array<{ parameter: string; name: string; containerName?: string }>;
  podIdentity: Record<string, any>;
}

export function authSources(ev: Evidence, ref: NonNullable<SqsTrigger['authRef']>, ta: KubeObject): AuthSources {
  const spec = obj((ta as Record<string, any>).spec);
  const cluster = ref.kind === 'ClusterTriggerAuthentication';
  const str = (x: unknown) => (x === undefined || x === null ? '' : String(x));
  return {
    what: `${ref.kind} ${cluster ? '' : `${ev.namespace}/`}${ref.name}`,
    secretNamespace: cluster ? ev.keda.namespace : ev.namespace,
    secretTargetRef: ((spec.secretTargetRef ?? []) as Array<Record<string, unknown>>).map((r) => ({
      parameter: str(r.parameter),
      name: str(r.name),
      key: str(r.key),
    })),
    env: ((spec.env ?? []) as Array<Record<string, unknown>>).map((e) => ({
      parameter: str(e.parameter),
      name: str(e.name),
      ...(e.containerName ? { containerName: str(e.containerName) } : {}),
    })),
    podIdentity: obj(spec.podIdentity),
  };
}

/** the container KEDA resolves a TriggerAuthentication's env on: the named one, else the first (ResolveContainerEnv) */
export function envContainer(ev: Evidence, containerName?: string): Record<string, any> | undefined {
  const containers = (podSpec(workloadObject(ev)).containers ?? []) as Array<Record<string, any>>;
  return containerName ? containers.find((c) => c.name === containerName) : containers[0];
}

/** every Secret the triggers' authentication names: secretTargetRef, and the env sources' secretKeyRef / envFrom */
export function authSecretRefs(ev: Evidence): Array<{ namespace: string; name: string }> {
  const out = new Map<string, { namespace: string; name: string }>();
  const add = (namespace: string, name: string) => name && out.set(`${namespace}/${name}`, { namespace, name });
  for (const t of sqsTriggers(readValue(scalerOf(ev).read))) {
    const ta = t.authRef ? readValue(ev.triggerAuths[authKey(t.authRef)]) : undefined;
    if (!ta) continue;
    const a = authSources(ev, t.authRef!, ta);
    for (const r of a.secretTargetRef) add(a.secretNamespace, r.name);
    for (const e of a.env) {
      const c = envContainer(ev, e.containerName);
      for (const v of (c?.env ?? []) as Array<Record<string, any>>)
        if (v.name === e.name && v.valueFrom?.secretKeyRef?.name) add(ev.namespace, String(v.valueFrom.secretKeyRef.name));
      for (const f of (c?.envFrom ?? []) as Array<Record<string, any>>) if (f.secretRef?.name) add(ev.namespace, String(f.secretRef.name));
    }
  }
  return [...out.values()];
}
