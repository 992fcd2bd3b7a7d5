// What doctor read, as one plain value: every read is recorded with its outcome (found, not found,
// forbidden and which permission it needs, failed), so the checks are pure functions of this value and
// a refused read becomes "skipped", never a crash or a false failure.
import { AwsAccessDeniedError } from '../aws/ports.js';
import type { KubeObject } from '../kube/ports.js';
import { isAuthorizationDenied } from '../kube/ports.js';
import type { PolicyDocument } from '../aws/validate-iam.js';
import type { KedaConflict } from '../keda/conflicts.js';

export type Read<T> =
  /** value undefined: read, and it does not exist */
  | { state: 'read'; value: T }
  /** refused for lack of permission: needs names the permission */
  | { state: 'forbidden'; needs: string }
  /** any other failure (unreachable, throttled past retries, ...) */
  | { state: 'failed'; error: string };

export const found = <T>(value: T): Read<T> => ({ state: 'read', value });

/** Run one read; a refusal or failure is recorded as evidence instead of thrown. */
export async function read<T>(fn: () => Promise<T>): Promise<Read<T>> {
  try {
    return { state: 'read', value: await fn() };
  } catch (e) {
    if (isAuthorizationDenied(e)) return { state: 'forbidden', needs: kubeNeeds(e.message) };
    if (e instanceof AwsAccessDeniedError) return { state: 'forbidden', needs: e.action };
    return { state: 'failed', error: String((e as Error)?.message ?? e).split('\n')[0]! };
  }
}

/** "get serviceaccounts in namespace keda" from the adapter's 403 message */
function kubeNeeds(message: string): string {
  const m = /may not (\S+) (\S+)(?: "[^"]*")?( in namespace "[^"]*"| \(cluster-wide\))?/.exec(message);
  if (!m) return 'RBAC permission to read it';
  return `${m[1]} ${m[2]}${(m[3] ?? '').replace(/"/g, '')}`;
}

/** the value when it was read, else undefined */
export const readValue = <T>(r: Read<T> | undefined): T | undefined => (r?.state === 'read' ? r.value : undefined);

/** why a read gave nothing to judge, for a "skipped" verdict; undefined when it was read */
export function notRead(r: Read<unknown> | undefined, what: string): string | undefined {
  if (!r) return `${what} was not read`;
  if (r.state === 'forbidden') return `forbidden (needs ${r.needs}) to read ${what}`;
  if (r.state === 'failed') return `could not read ${what}: ${r.error}`;
  return undefined;
}

export interface RoleEvidence {
  name: string;
  arn: string;
  trust: PolicyDocument;
  /** inline and attached policies, by name or ARN */
  policies: Record<string, PolicyDocument>;
  /** policies that could not be read (the role may be allowed more than doctor saw) */
  unreadPolicies: string[];
}

export interface QueueEvidence {
  /** the trigger's queueURL */
  url: string;
  /** the trigger's awsRegion (where KEDA asks) */
  region?: string;
  /** GetQueueAttributes in that region; undefined value: no such queue there */
  attributes: Read<Record<string, string> | undefined>;
  /** the queue was not in the trigger's region but is in this one */
  foundIn?: string;
  deadLetter?: { arn: string; url: string; attributes: Read<Record<string, string> | undefined> };
}

/** The stack's own settings, when doctor runs on a kedactl stack (not on any ScaledJob). */
export interface StackFacts {
  stack: string;
  region: string;
  auth: 'irsa' | 'static';
  processingTime: number;
  visibilityTimeout: number;
  /** the roles the stack's names give */
  roles: { kedaOperator: string; scaler: string; consumer: string };
  /** flags to repeat in suggested commands */
  flags: string;
  /** what the installed CRDs say of the objects kedactl renders */
  crdProblems?: Read<string[]>;
  /** the result analyzer through the API server's proxy */
  analyzer?: Read<{ processed: number; killed: number }>;
  analyzerService: string;
  /** the stack's queue name and its SQS endpoint (an emulator's), to compare the trigger with */
  queueName?: string;
  endpointUrl?: string;
}

/** a Secret as doctor keeps it: each key's decoded length (its values are never kept), and kedactl's expiry annotation */
export interface SecretKeys {
  keys: Record<string, number>;
  expiresAt?: string;
}

/**
 * A ScaledObject's path (the deployment workload): KEDA's object, the HPA it makes, the consumer Deployment
 * the HPA scales, and the external metrics APIService the HPA reads KEDA's metric through.
 */
export interface ScaledObjectEvidence {
  name: string;
  object: Read<KubeObject | undefined>;
  /** the ScaledObject's events (KEDA's Warning events name what it could not do) */
  events: Read<KubeObject[]>;
  hpaName: string;
  hpa: Read<KubeObject | undefined>;
  deploymentName: string;
  deployment: Read<KubeObject | undefined>;
  metricsApi: {
    name: string;
    apiService: Read<KubeObject | undefined>;
    /** the Service the APIService names, and the endpoints behind it (EndpointSlices) */
    service?: Read<KubeObject | undefined>;
    endpoints?: Read<KubeObject[]>;
  };
}

export interface Evidence {
  /** when doctor read it (ISO time): ages of Pods and Jobs are measured from here */
  readAt?: string;
  namespace: string;
  scaledJobName: string;
  stack?: StackFacts;
  /** where the cluster's OIDC issuer came from, when known */
  oidcIssuer?: { url: string; from: string };
  /** the region doctor's own AWS reads default to */
  region?: string;
  namespaceObject: Read<KubeObject | undefined>;
  scaledJob: Read<KubeObject | undefined>;
  /** by "TriggerAuthentication name" or "ClusterTriggerAuthentication name" */
  triggerAuths: Record<string, Read<KubeObject | undefined>>;
  /** the Secrets the TriggerAuthentications (and their env sources) name, by "namespace/name" */
  secrets?: Record<string, Read<SecretKeys | undefined>>;
  /** the other scalers in the namespace: ScaledObjects and HPAs (a second one on the same Deployment) */
  neighbours?: { scaledObjects: Read<KubeObject[]>; hpas: Read<KubeObject[]> };
  /** the deployment workload: the ScaledObject and what it scales through (its ScaledJob is not the stack's) */
  scaledObject?: ScaledObjectEvidence;
  /** the service account the Jobs (or the consumer Pods) run as */
  workloadServiceAccount?: Read<KubeObject | undefined>;
  keda: {
    namespace: string;
    deployment: Read<KubeObject | undefined>;
    serviceAccount?: Read<KubeObject | undefined>;
    pods?: Read<KubeObject[]>;
    scaledJobCrd: Read<KubeObject | undefined>;
    /** what stands in the way of (re)installing KEDA's helm release (keda-conflicts.ts), from the cluster alone */
    installConflicts?: Read<KedaConflict[]>;
  };
  /** by role ARN; undefined value: no such role */
  roles: Record<string, Read<RoleEvidence | undefined>>;
  /** by provider ARN */
  oidcProviders: Record<string, Read<{ url: string; clientIds: string[] } | undefined>>;
  /** per aws-sqs-queue trigger, in the ScaledJob's order */
  queues: QueueEvidence[];
  jobs?: Read<KubeObject[]>;
  pods?: Read<KubeObject[]>;
  events?: Read<KubeObject[]>;
  /** the cluster's Nodes (one page), to compare maxReplicaCount with what they can hold */
  nodes?: Read<KubeObject[]>;
  /** the last lines of KEDA's operator log (one pod, pods/log), for its errors about this ScaledJob */
  operatorLog?: { pod: string; lines: number; log: Read<string | undefined> };
  /** the last log lines of one failed Pod: pod name and lines */
  failedPodLog?: { pod: string; container: string; log: Read<string | undefined> };
  /** AWS could not be asked at all (no region, no credentials) */
  awsUnavailable?: string;
}
