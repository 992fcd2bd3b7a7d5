// Reads the evidence once, through the narrow ports: the ScaledJob and what it names, KEDA's operator
// and its identity, the IAM roles, OIDC providers and queues those name. Every read is bounded (one
// list of the ScaledJob's Jobs and one of their Pods, one page each; one Pod's log) and recorded with
// its outcome; nothing is written.
import { kedaConflicts, storedRelease } from '../keda/conflicts.js';
import type { AwsPorts } from '../aws/ports.js';
import type { Kube, KubeObject } from '../kube/ports.js';
import { KEDA } from '../stack/names.js';
import {
  found,
  read,
  readValue,
  type Evidence,
  type QueueEvidence,
  type Read,
  type RoleEvidence,
  type SecretKeys,
  type StackFacts,
} from './evidence.js';
import { ANNOTATION_CREDENTIALS_EXPIRE } from '../stack/status.js';
import {
  authKey,
  authSecretRefs,
  kedaIdentity,
  LIST_LIMIT,
  operatorServiceAccount,
  roleName,
  sqsTriggers,
  workloadServiceAccountName,
  type KedaIdentity,
} from './model.js';
import { federatedPrincipals } from '../aws/validate-iam.js';
import { METRICS_API } from './checks-scaledobject.js';
import type { PolicyDocument } from '../aws/validate-iam.js';

/** one page is enough to judge; a ScaledJob with thousands of Jobs is not read Job by Job */
export const LOG_LINES = 20;
/** KEDA's operator logs every poll: its last lines hold the recent errors about a ScaledJob */
export const OPERATOR_LOG_LINES = 500;

export interface DoctorInput {
  namespace: string;
  scaledJob: string;
  /** the region doctor's AWS reads default to (settings), when known */
  region?: string;
  /** the cluster's OIDC issuer when given (--oidc-issuer), or the EKS cluster to ask (--cluster) */
  oidcIssuer?: string;
  cluster?: string;
  /** the deployment workload: its ScaledObject, the HPA KEDA makes for it and the consumer Deployment it scales */
  scaledObject?: { name: string; hpa: string; deployment: string };
  /** on a kedactl stack: its facts and the reads only a stack has */
  stack?: Omit<StackFacts, 'crdProblems' | 'analyzer'> & {
    crdProblems?: () => Promise<string[]>;
    analyzer?: () => Promise<{ processed: number; killed: number }>;
  };
}

export interface DoctorPorts {
  kube: Kube;
  /** AWS adapters for a region (KEDA asks SQS in the trigger's awsRegion); undefined: no AWS at all */
  aws?: (region: string) => AwsPorts;
  /** why there is no AWS (no credentials, no region), for skipped checks */
  awsUnavailable?: string;
}

const KEDA_API = 'keda.sh/v1alpha1';

export async function gather(input: DoctorInput, ports: DoctorPorts): Promise<Evidence> {
  const { kube } = ports;
  const ns = input.namespace;
  const kedaNs = KEDA.namespace;
  const [namespaceObject, scaledJob, deployment, scaledJobCrd] = await Promise.all([
    read(() => kube.get({ apiVersion: 'v1', kind: 'Namespace', name: ns })),
    read(() => kube.get({ apiVersion: KEDA_API, kind: 'ScaledJob', namespace: ns, name: input.scaledJob })),
    read(() => kube.get({ apiVersion: 'apps/v1', kind: 'Deployment', namespace: kedaNs, name: 'keda-operator' })),
    read(() => kube.get({ apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', name: 'scaledjobs.keda.sh' })),
  ]);
  const ev: Evidence = {
    readAt: new Date().toISOString(),
    namespace: ns,
    scaledJobName: input.scaledJob,
    region: input.region,
    namespaceObject,
    scaledJob,
    triggerAuths: {},
    keda: { namespace: kedaNs, deployment, scaledJobCrd },
    roles: {},
    oidcProviders: {},
    queues: [],
    ...(ports.aws ? {} : { awsUnavailable: ports.awsUnavailable ?? 'AWS was not asked' }),
  };
  if (input.stack) {
    const { crdProblems, analyzer, ...facts } = input.stack;
    ev.stack = facts;
  }
  const sj = readValue(scaledJob);
  if (input.scaledObject) await gatherScaledObject(ev, input.scaledObject, kube);
  /** what carries the consumers' pod template (their service account) */
  const consumers = input.scaledObject ? readValue(ev.scaledObject!.deployment) : sj;

  // --- the cluster: what the ScaledJob names, KEDA's identity, the Jobs
  const triggers = sqsTriggers(input.scaledObject ? readValue(ev.scaledObject!.object) : sj);
  const selector = `scaledjob.keda.sh/name=${input.scaledJob}`;
  const operatorSa = operatorServiceAccount(ev);
  const podSelector = Object.entries(
    ((readValue(deployment) as any)?.spec?.selector?.matchLabels ?? { app: 'keda-operator' }) as Record<string, string>,
  )
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
  const reads: Array<Promise<unknown>> = [];
  for (const t of triggers) {
    if (!t.authRef || ev.triggerAuths[authKey(t.authRef)]) continue;
    const ref = t.authRef;
    ev.triggerAuths[authKey(ref)] = found(undefined);
    reads.push(
      read(() =>
        kube.get({
          apiVersion: KEDA_API,
          kind: ref.kind,
          name: ref.name,
          ...(ref.kind === 'TriggerAuthentication' ? { namespace: ns } : {}),
        }),
      ).then((r) => (ev.triggerAuths[authKey(ref)] = r)),
    );
  }
  if (consumers)
    reads.push(
      read(() => kube.get({ apiVersion: 'v1', kind: 'ServiceAccount', namespace: ns, name: workloadServiceAccountName(consumers) })).then(
        (r) => (ev.workloadServiceAccount = r),
      ),
    );
  if (sj) {
    reads.push(
      read(() => kube.list({ apiVersion: 'batch/v1', kind: 'Job' }, { namespace: ns, labelSelector: selector, limit: LIST_LIMIT })).then(
        (r) => (ev.jobs = r),
      ),
    );
    reads.push(
      read(() => kube.list({ apiVersion: 'v1', kind: 'Pod' }, { namespace: ns, labelSelector: selector, limit: LIST_LIMIT })).then(
        (r) => (ev.pods = r),
      ),
    );
    reads.push(
      read(() =>
        kube.list(
          { apiVersion: 'v1', kind: 'Event' },
          { namespace: ns, fieldSelector: `involvedObject.kind=ScaledJob,involvedObject.name=${input.scaledJob}`, limit: LIST_LIMIT },
        ),
      ).then((r) => (ev.events = r)),
    );
  }
  if (sj || input.scaledObject)
    reads.push(read(() => kube.list({ apiVersion: 'v1', kind: 'Node' }, { limit: LIST_LIMIT })).then((r) => (ev.nodes = r)));
  if (input.scaledObject) {
    // a second ScaledObject or HPA on the same Deployment: KEDA's webhook refuses it, without the webhook they fight
    const [scaledObjects, hpas] = await Promise.all([
      read(() => kube.list({ apiVersion: KEDA_API, kind: 'ScaledObject' }, { namespace: ns, limit: LIST_LIMIT })),
      read(() => kube.list({ apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler' }, { namespace: ns, limit: LIST_LIMIT })),
    ]);
    ev.neighbours = { scaledObjects, hpas };
  }
  reads.push(
    read(async () => {
      const release = await storedRelease(kube, KEDA.release, kedaNs);
      // values are the operator-identity check's business: only what blocks helm is looked at here
      return kedaConflicts(
        { release: KEDA.release, namespace: kedaNs },
        { release, operator: !!readValue(deployment), installedByKedactl: true, differing: [] },
        kube,
        KEDA.chart,
      );
    }).then((r) => (ev.keda.installConflicts = r)),
  );
  if (readValue(deployment)) {
    reads.push(
      read(() => kube.get({ apiVersion: 'v1', kind: 'ServiceAccount', namespace: kedaNs, name: operatorSa })).then(
        (r) => (ev.keda.serviceAccount = r),
      ),
    );
    reads.push(
      read(() => kube.list({ apiVersion: 'v1', kind: 'Pod' }, { namespace: kedaNs, labelSelector: podSelector, limit: 20 })).then(
        (r) => (ev.keda.pods = r),
      ),
    );
  }
  if (input.stack?.crdProblems) reads.push(read(input.stack.crdProblems).then((r) => (ev.stack!.crdProblems = r)));
  if (input.stack?.analyzer) reads.push(read(input.stack.analyzer).then((r) => (ev.stack!.analyzer = r)));
  await Promise.all(reads);

  // the Secrets the TriggerAuthentications name (KEDA resolves each at every scaler rebuild): keys and lengths only
  const secretRefs = authSecretRefs(ev);
  if (secretRefs.length) {
    ev.secrets = {};
    await Promise.all(
      secretRefs.map(async ({ namespace, name }) => {
        ev.secrets![`${namespace}/${name}`] = await read(() =>
          kube.get({ apiVersion: 'v1', kind: 'Secret', namespace, name }).then(secretKeys),
        );
      }),
    );
  }

  // one failed Pod's last log lines (never one read per Pod), and the running operator's
  const failed = (readValue(ev.pods) ?? []).map((p) => ({ p, c: failedContainer(p) })).find((x) => x.c);
  const operator =
    (sj || readValue(ev.scaledObject?.object)) &&
    (readValue(ev.keda.pods) ?? []).find((p) => !(p.metadata as Record<string, unknown>).deletionTimestamp);
  if (kube.podLog) {
    const podLog = kube.podLog.bind(kube);
    await Promise.all([
      failed &&
        read(() => podLog({ namespace: ns, pod: failed.p.metadata.name, container: failed.c, tailLines: LOG_LINES })).then(
          (log) => (ev.failedPodLog = { pod: failed.p.metadata.name, container: failed.c!, log }),
        ),
      operator &&
        read(() =>
          podLog({
            namespace: kedaNs,
            pod: operator.metadata.name,
            container: (operator as any).spec?.containers?.[0]?.name,
            tailLines: OPERATOR_LOG_LINES,
          }),
        ).then((log) => (ev.operatorLog = { pod: operator.metadata.name, lines: OPERATOR_LOG_LINES, log })),
    ]);
  }

  // --- AWS: the roles, providers and queues the cluster names
  if (!ports.aws) return ev;
  const defaultRegion = input.region ?? triggers.find((t) => t.awsRegion)?.awsRegion;
  if (!defaultRegion) {
    ev.awsUnavailable = 'no region: pass --region (or set AWS_REGION)';
    return ev;
  }
  const aws = ports.aws(defaultRegion);
  const id: KedaIdentity = kedaIdentity(ev);
  const roleArns = new Set([id.operatorRole, id.workloadRole, ...id.triggers.map((t) => t.readsAs)].filter((x): x is string => Boolean(x)));
  await Promise.all([...roleArns].map(async (arn) => (ev.roles[arn] = await read(() => readRole(aws, arn)))));

  const issuer = input.oidcIssuer ?? (input.cluster ? readValue(await read(() => aws.eks.clusterOidcIssuer(input.cluster!))) : undefined);
  if (issuer)
    ev.oidcIssuer = { url: issuer.replace(/\/+$/, ''), from: input.oidcIssuer ? 'oidcIssuer setting' : `EKS cluster ${input.cluster}` };
  const providers = new Set<string>();
  for (const r of Object.values(ev.roles))
    for (const f of federatedPrincipals(readValue(r)?.trust ?? { Version: '', Statement: [] })) providers.add(f);
  const expected = ev.oidcIssuer && expectedProvider(ev, [...roleArns]);
  if (expected) providers.add(expected);
  await Promise.all(
    [...providers].map(
      async (arn) =>
        (ev.oidcProviders[arn] = await read(() =>
          aws.iam.getOidcProvider(arn).then((p) => (p ? { url: p.url, clientIds: p.clientIds } : undefined)),
        )),
    ),
  );

  ev.queues = await Promise.all(
    triggers.filter((t) => t.queueURL).map((t) => readQueue(ports.aws!, t.queueURL!, t.awsRegion, defaultRegion)),
  );
  return ev;
}

/**
 * The deployment workload's reads: the ScaledObject and its events, the HPA KEDA makes, the consumer
 * Deployment, and the external metrics APIService with the Service and endpoints it names.
 */
async function gatherScaledObject(ev: Evidence, so: NonNullable<DoctorInput['scaledObject']>, kube: Kube): Promise<void> {
  const ns = ev.namespace;
  const [object, events, hpa, deployment, apiService] = await Promise.all([
    read(() => kube.get({ apiVersion: KEDA_API, kind: 'ScaledObject', namespace: ns, name: so.name })),
    read(() =>
      kube.list(
        { apiVersion: 'v1', kind: 'Event' },
        { namespace: ns, fieldSelector: `involvedObject.kind=ScaledObject,involvedObject.name=${so.name}`, limit: LIST_LIMIT },
      ),
    ),
    read(() => kube.get({ apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler', namespace: ns, name: so.hpa })),
    read(() => kube.get({ apiVersion: 'apps/v1', kind: 'Deployment', namespace: ns, name: so.deployment })),
    read(() => kube.get({ apiVersion: 'apiregistration.k8s.io/v1', kind: 'APIService', name: METRICS_API })),
  ]);
  ev.scaledObject = {
    name: so.name,
    object,
    events,
    hpaName: so.hpa,
    hpa,
    deploymentName: so.deployment,
    deployment,
    metricsApi: { name: METRICS_API, apiService },
  };
  const svc = (readValue(apiService) as { spec?: { service?: { namespace?: string; name?: string } } } | undefined)?.spec?.service;
  if (svc?.namespace && svc.name) {
    const [service, endpoints] = await Promise.all([
      read(() => kube.get({ apiVersion: 'v1', kind: 'Service', namespace: svc.namespace, name: svc.name! })),
      read(() =>
        kube.list(
          { apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice' },
          { namespace: svc.namespace, labelSelector: `kubernetes.io/service-name=${svc.name}`, limit: 20 },
        ),
      ),
    ]);
    Object.assign(ev.scaledObject.metricsApi, { service, endpoints });
  }
}

/** the cluster's provider ARN: the account from a role the cluster names (no extra call) */
function expectedProvider(ev: Evidence, roleArns: string[]): string | undefined {
  const arn = roleArns[0];
  if (!arn || !ev.oidcIssuer) return undefined;
  const [, partition, , , account] = arn.split(':');
  return `arn:${partition}:iam::${account}:oidc-provider/${ev.oidcIssuer.url.replace(/^https:\/\//, '')}`;
}

async function readRole(aws: AwsPorts, arn: string): Promise<RoleEvidence | undefined> {
  const name = roleName(arn);
  const role = await aws.iam.getRole(name);
  if (!role) return undefined;
  const policies: Record<string, PolicyDocument> = {};
  const unreadPolicies: string[] = [];
  const [inline, attached] = await Promise.all([
    read(() => aws.iam.listInlinePolicies(name)),
    read(() => aws.iam.listAttachedPolicies(name)),
  ]);
  if (inline.state !== 'read')
    unreadPolicies.push(`inline policies (${inline.state === 'forbidden' ? `forbidden, needs ${inline.needs}` : inline.error})`);
  if (attached.state !== 'read')
    unreadPolicies.push(`attached policies (${attached.state === 'forbidden' ? `forbidden, needs ${attached.needs}` : attached.error})`);
  await Promise.all([
    ...(readValue(inline) ?? []).map(async (p) => {
      const doc = await read(() => aws.iam.getInlinePolicy(name, p));
      if (doc.state === 'read') doc.value && (policies[p] = doc.value);
      else unreadPolicies.push(p);
    }),
    ...(readValue(attached) ?? []).map(async (p) => {
      const doc = await read(() => aws.iam.getManagedPolicy(p));
      if (doc.state === 'read') doc.value && (policies[p] = doc.value);
      else unreadPolicies.push(p);
    }),
  ]);
  return { name, arn: role.arn, trust: role.trust, policies, unreadPolicies };
}

async function readQueue(
  aws: (region: string) => AwsPorts,
  url: string,
  triggerRegion: string | undefined,
  defaultRegion: string,
): Promise<QueueEvidence> {
  const region = triggerRegion ?? defaultRegion;
  const q: QueueEvidence = { url, region: triggerRegion, attributes: await read(() => aws(region).sqs.queueAttributes(url)) };
  // not where KEDA asks: is it where the stack's settings say?
  if (q.attributes.state === 'read' && !q.attributes.value && region !== defaultRegion) {
    const there: Read<Record<string, string> | undefined> = await read(() => aws(defaultRegion).sqs.queueAttributes(url));
    if (readValue(there)) q.foundIn = defaultRegion;
  }
  const redrive = readValue(q.attributes)?.RedrivePolicy;
  if (redrive) {
    try {
      const arn = String((JSON.parse(redrive) as { deadLetterTargetArn?: string }).deadLetterTargetArn ?? '');
      const name = arn.split(':').pop();
      if (name) {
        const dlqUrl = url.replace(/[^/]+\/?$/, name);
        q.deadLetter = { arn, url: dlqUrl, attributes: await read(() => aws(arn.split(':')[3] || region).sqs.queueAttributes(dlqUrl)) };
      }
    } catch {
      /* not JSON: the queue check names it */
    }
  }
  return q;
}

/** a Secret's keys and their decoded lengths; the values are dropped here and never reach the evidence */
function secretKeys(secret: KubeObject | undefined): SecretKeys | undefined {
  if (!secret) return undefined;
  const o = secret as { data?: Record<string, string>; stringData?: Record<string, string> };
  const keys: Record<string, number> = {};
  for (const [k, v] of Object.entries(o.data ?? {})) keys[k] = Buffer.from(String(v ?? ''), 'base64').length;
  for (const [k, v] of Object.entries(o.stringData ?? {})) keys[k] = String(v ?? '').length;
  const expiresAt = secret.metadata.annotations?.[ANNOTATION_CREDENTIALS_EXPIRE];
  return { keys, ...(expiresAt ? { expiresAt } : {}) };
}

/** the first container of a Pod that ended with an error (not OOMKilled: that says enough) */
function failedContainer(p: KubeObject): string | undefined {
  const statuses = ((p as any).status?.containerStatuses ?? []) as Array<{ name: string; state?: any; lastState?: any }>;
  for (const s of statuses) {
    const t = s.state?.terminated ?? s.lastState?.terminated;
    if (t && t.exitCode !== 0 && t.reason !== 'OOMKilled') return s.name;
  }
  return undefined;
}
