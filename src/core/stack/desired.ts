// What a stack consists of: derived from the settings and the templates, nothing observed yet.
import { kedaChartSource, type KedaChartSource } from '../keda/chart.js';
import type { AwsCredentials } from '../aws/ports.js';
import type { Settings } from './settings.js';
import { arns, KEDA, names, stackLabels, stackTags, unresolved, type Arns, type StackNames } from './names.js';
import { readText, renderJson, renderYaml, templateSource, TemplateError, type TemplateValues } from './templates.js';
import { iamProblems, privilegeProblems, type PolicyDocument } from '../aws/validate-iam.js';
import { validateKubeObjects, type KubeObject } from '../kube/validate.js';
import { recordObject } from './recorded.js';
import { retiredObjects, workloadOf } from '../workloads/index.js';

export interface DesiredQueue {
  name: string;
  purpose: 'work' | 'dead-letter';
  attributes: Record<string, string>;
  tags: Record<string, string>;
}

export interface DesiredRole {
  name: string;
  arn: string;
  purpose: string;
  trust: PolicyDocument;
  /** inline policies by name: they live and die with the role */
  policies: Record<string, PolicyDocument>;
  tags: Record<string, string>;
}

export interface DesiredDocument {
  file: string;
  purpose: string;
  kind: 'trust' | 'permissions';
  document: PolicyDocument;
  /** false for documents kedactl only renders (the producer policy is yours to attach) */
  created: boolean;
}

export interface DesiredKeda {
  release: string;
  namespace: string;
  /** where the chart comes from (the kedaChart setting) */
  source: KedaChartSource;
  version: string;
  /** --set values */
  values: Record<string, string>;
}

export interface RenderedObject {
  object: KubeObject;
  template: string;
}

export interface RetiredObject {
  apiVersion: string;
  kind: string;
  name: string;
  namespace: string;
  /** the workload kind it belongs to */
  workload: string;
  /** what deleting it does to work in progress */
  retiring: string;
}

export interface DesiredStack {
  settings: Settings;
  names: StackNames;
  arns: Arns;
  values: TemplateValues;
  queues: DesiredQueue[];
  roles: DesiredRole[];
  documents: DesiredDocument[];
  keda: DesiredKeda;
  objects: RenderedObject[];
  /** the other workload kinds' objects: deleted if the stack has them (it switched kinds) */
  retired: RetiredObject[];
  warnings: string[];
  unresolved: Array<{ setting: string; how: string }>;
  /** static mode with known credentials: temporary or not, and until when */
  credentials?: StaticCredentials;
}

export interface Known {
  accountId?: string;
  oidcIssuer?: string;
  queueUrl?: string;
  /** static mode only, at apply time: never rendered to files or printed */
  credentials?: AwsCredentials;
}

export const SECRET_PLACEHOLDER = '<filled from your AWS credentials at apply time>';
export const SESSION_TOKEN_PLACEHOLDER =
  '<filled from your AWS credentials at apply time when they are temporary (SSO, assumed role); left out for long-term keys>';

/** Static mode: which kind of credentials the Secret carries, and until when (no secret in here). */
export interface StaticCredentials {
  /** a session token: SSO or an assumed role; they stop working at expiresAt */
  temporary: boolean;
  /** ISO time; undefined when long-term or when the source does not tell */
  expiresAt?: string;
}

export function staticCredentials(known: Known): StaticCredentials | undefined {
  const c = known.credentials;
  if (!c) return undefined;
  return { temporary: Boolean(c.sessionToken), ...(c.sessionToken && c.expiration ? { expiresAt: c.expiration.toISOString() } : {}) };
}

export function templateValues(s: Settings, n: StackNames, a: Arns, known: Known): TemplateValues {
  const irsa = s.auth === 'irsa';
  return {
    stack: s.stack,
    region: s.region,
    namespace: n.namespace,
    queueName: n.queue,
    queueUrl: a.queueUrl,
    queueArn: a.queue,
    deadLetterQueueArn: s.deadLetterQueue ? a.deadLetterQueue : undefined,
    endpointUrl: irsa ? undefined : s.endpointUrl,
    serviceAccount: n.serviceAccount,
    scaledJob: n.scaledJob,
    scaledObject: n.scaledObject,
    consumerDeployment: n.consumerDeployment,
    triggerAuthentication: n.triggerAuthentication,
    consumerScriptName: n.consumerScript,
    consumerScript: undefined, // filled from templates/consumer/consume.sh
    credentialsSecret: irsa ? undefined : n.credentialsSecret,
    awsAccessKeyId: irsa ? undefined : (known.credentials?.accessKeyId ?? SECRET_PLACEHOLDER),
    awsSecretAccessKey: irsa ? undefined : (known.credentials?.secretAccessKey ?? SECRET_PLACEHOLDER),
    // long-term keys have none: the key is left out of the Secret (KEDA reads a missing key as empty)
    awsSessionToken: irsa ? undefined : known.credentials ? known.credentials.sessionToken : SESSION_TOKEN_PLACEHOLDER,
    credentialsExpireAt: irsa ? undefined : staticCredentials(known)?.expiresAt,
    analyzer: n.analyzer,
    analyzerImage: s.analyzerImage,
    image: s.image,
    pollingInterval: s.pollingInterval,
    maxReplicas: s.maxReplicas,
    queueLength: s.queueLength,
    activationQueueLength: s.activationQueueLength,
    // KEDA's own default: left out, so the ScaledJob is valid for CRDs that list no "default" (2.20.0/2.20.1)
    strategy: s.strategy === 'default' ? undefined : s.strategy,
    processingTime: s.processingTime,
    visibilityTimeout: s.visibilityTimeout,
    terminationGracePeriod: s.terminationGracePeriod,
    cooldownPeriod: s.cooldownPeriod,
    scaleDownStabilization: s.scaleDownStabilization,
    scaleDownPercent: s.scaleDownPercent,
    scaleDownPeriod: s.scaleDownPeriod,
    accountId: a.accountId,
    oidcIssuerHost: irsa ? a.oidcIssuerHost : undefined,
    oidcProviderArn: irsa ? a.oidcProvider : undefined,
    kedaNamespace: KEDA.namespace,
    kedaServiceAccount: KEDA.operatorServiceAccount,
    kedaOperatorRoleArn: irsa ? a.kedaOperatorRole : undefined,
    consumerRoleArn: irsa ? a.consumerRole : undefined,
    scalerRoleArn: irsa ? a.scalerRole : undefined,
  };
}

const KUBE_TEMPLATES = (s: Settings): string[] => [
  'kubernetes/namespace.yaml',
  'kubernetes/service-account.yaml',
  ...(s.auth === 'static' ? ['kubernetes/credentials-secret.yaml'] : []),
  `kubernetes/trigger-authentication-${s.auth}.yaml`,
  'kubernetes/consumer-script.yaml',
  'kubernetes/result-analyzer.yaml',
  ...workloadOf(s).templates,
];

function withLabels(obj: KubeObject, labels: Record<string, string>): KubeObject {
  obj.metadata = { ...obj.metadata, labels: { ...(obj.metadata?.labels ?? {}), ...labels } };
  // pod templates too, so Jobs and Pods KEDA creates carry the stack's labels
  const spec = obj.spec as Record<string, any> | undefined;
  const tmpl = obj.kind === 'ScaledJob' ? spec?.jobTargetRef?.template : obj.kind === 'Deployment' ? spec?.template : undefined;
  if (tmpl) {
    const { metadata, ...rest } = tmpl;
    const merged = { metadata: { ...(metadata ?? {}), labels: { ...(metadata?.labels ?? {}), ...labels } }, ...rest };
    for (const k of Object.keys(tmpl)) delete tmpl[k];
    Object.assign(tmpl, merged);
  }
  return obj;
}

export async function desiredStack(s: Settings, known: Known = {}): Promise<DesiredStack> {
  const n = names(s);
  const a = arns(s, known);
  const src = templateSource(s.templates);
  const values = templateValues(s, n, a, known);
  const labels = stackLabels(s.stack);
  const tags = stackTags(s.stack);
  const irsa = s.auth === 'irsa';

  // Kubernetes objects
  const workload = workloadOf(s);
  const scriptValues = { ...values, consumerScript: readText(src, workload.consumerScript) };
  const objects: RenderedObject[] = [];
  for (const t of KUBE_TEMPLATES(s)) {
    for (const o of renderYaml(src, t, scriptValues)) objects.push({ object: withLabels(o as KubeObject, labels), template: t });
  }
  // last, so it is written once the rest is: what the stack is applied with, for later commands anywhere
  objects.push({ object: recordObject(s), template: '(the settings kedactl records)' });
  await validateKubeObjects(objects);

  // IAM documents
  const doc = (file: string, kind: 'trust' | 'permissions'): PolicyDocument => {
    const d = renderJson(src, `iam/${file}`, values);
    const problems = iamProblems(d, kind);
    const policy = problems.length === 0 ? privilegeProblems(d as unknown as PolicyDocument, kind) : [];
    if (problems.length + policy.length > 0)
      throw new TemplateError(
        `IAM document iam/${file} is not valid:\n${[...problems, ...policy].map((p) => `  - ${p}`).join('\n')}`,
        'fix the template override and run again',
      );
    return d as unknown as PolicyDocument;
  };
  const documents: DesiredDocument[] = [];
  const roles: DesiredRole[] = [];
  if (irsa) {
    const specs = [
      {
        role: n.kedaOperatorRole,
        arn: a.kedaOperatorRole,
        purpose: 'KEDA operator (IRSA); may only assume the scaler role',
        trust: 'keda-operator-trust.json',
        policy: 'keda-operator-policy.json',
      },
      {
        role: n.scalerRole,
        arn: a.scalerRole,
        purpose: "KEDA's scaler for this queue; reads the queue depth only",
        trust: 'scaler-trust.json',
        policy: 'scaler-policy.json',
      },
      {
        role: n.consumerRole,
        arn: a.consumerRole,
        purpose: 'consumer Jobs (IRSA); receive, delete, change visibility on this queue',
        trust: 'consumer-trust.json',
        policy: 'consumer-policy.json',
      },
    ];
    for (const r of specs) {
      const trust = doc(r.trust, 'trust');
      const policy = doc(r.policy, 'permissions');
      documents.push({ file: r.trust, purpose: `who may assume ${r.role}`, kind: 'trust', document: trust, created: true });
      documents.push({ file: r.policy, purpose: `what ${r.role} may do`, kind: 'permissions', document: policy, created: true });
      roles.push({ name: r.role, arn: r.arn, purpose: r.purpose, trust, policies: { [`${r.role}-policy`]: policy }, tags });
    }
  }
  documents.push({
    file: 'producer-policy.json',
    purpose: 'attach to whatever sends messages (your CI role, a producer service account)',
    kind: 'permissions',
    document: doc('producer-policy.json', 'permissions'),
    created: false,
  });

  // Queues
  const queues: DesiredQueue[] = [];
  const work: DesiredQueue = {
    name: n.queue,
    purpose: 'work',
    attributes: {
      VisibilityTimeout: String(s.visibilityTimeout),
      MessageRetentionPeriod: '345600',
      ReceiveMessageWaitTimeSeconds: '20',
    },
    tags,
  };
  if (s.deadLetterQueue) {
    queues.push({ name: n.deadLetterQueue, purpose: 'dead-letter', attributes: { MessageRetentionPeriod: '1209600' }, tags });
    work.attributes.RedrivePolicy = JSON.stringify({ deadLetterTargetArn: a.deadLetterQueue, maxReceiveCount: s.maxReceiveCount });
  }
  queues.push(work);

  const warnings = workload.warnings(
    s,
    objects.map((o) => o.object),
  );

  return {
    settings: s,
    names: n,
    arns: a,
    values,
    queues,
    roles,
    documents,
    keda: {
      release: KEDA.release,
      namespace: KEDA.namespace,
      source: kedaChartSource(s.kedaChart),
      version: s.kedaVersion,
      values: irsa ? { 'podIdentity.aws.irsa.enabled': 'true', 'podIdentity.aws.irsa.roleArn': a.kedaOperatorRole } : {},
    },
    objects,
    retired: retiredObjects(s, n),
    warnings,
    unresolved: unresolved(s, known),
    ...(!irsa && known.credentials ? { credentials: staticCredentials(known) } : {}),
  };
}
