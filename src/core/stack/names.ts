// Every name, label, tag and ARN of a stack, derived from its settings in one place.
import { UNKNOWN_REGION, type Settings } from './settings.js';

export const LABEL_MANAGED_BY = 'app.kubernetes.io/managed-by';
export const LABEL_STACK = 'kedactl.io/stack';
export const MANAGER = 'kedactl';

export const KEDA = {
  namespace: 'keda',
  release: 'keda',
  chart: 'kedacore/keda',
  repoName: 'kedacore',
  repoUrl: 'https://kedacore.github.io/charts',
  operatorServiceAccount: 'keda-operator',
} as const;

/** Placeholders used when the account or issuer is not known yet (plan only; render refuses them). */
export const UNKNOWN_ACCOUNT = '<account-id>';
export const UNKNOWN_ISSUER = 'https://<oidc-issuer>';

export interface StackNames {
  queue: string;
  deadLetterQueue: string;
  namespace: string;
  serviceAccount: string;
  scaledJob: string;
  /** the deployment workload: the ScaledObject and the Deployment it scales (same name as the ScaledJob) */
  scaledObject: string;
  consumerDeployment: string;
  triggerAuthentication: string;
  consumerScript: string;
  credentialsSecret: string;
  analyzer: string;
  kedaOperatorRole: string;
  consumerRole: string;
  scalerRole: string;
  /** producer in-cluster: its service account, its role (irsa), its script, and the Jobs and run record of produce --in-cluster */
  producerServiceAccount: string;
  producerRole: string;
  producerScript: string;
  producerJob: string;
  producerRun: string;
}

export function names(s: Settings): StackNames {
  const p = `kedactl-${s.stack}`;
  return {
    queue: s.queueName,
    deadLetterQueue: `${s.queueName}-dlq`,
    namespace: s.namespace,
    serviceAccount: `${s.stack}-consumer`,
    scaledJob: `${s.stack}-processor`,
    scaledObject: `${s.stack}-processor`,
    consumerDeployment: `${s.stack}-processor`,
    triggerAuthentication: `${s.stack}-aws`,
    consumerScript: `${s.stack}-consumer-script`,
    credentialsSecret: `${s.stack}-aws-credentials`,
    analyzer: `${s.stack}-result-analyzer`,
    kedaOperatorRole: `${p}-keda-operator`,
    consumerRole: `${p}-consumer`,
    scalerRole: `${p}-scaler`,
    producerServiceAccount: `${s.stack}-producer`,
    producerRole: `${p}-producer`,
    producerScript: `${s.stack}-producer-script`,
    producerJob: `${s.stack}-producer`,
    producerRun: `${s.stack}-producer-run`,
  };
}

export function stackLabels(stack: string): Record<string, string> {
  return { [LABEL_MANAGED_BY]: MANAGER, [LABEL_STACK]: stack };
}

export function stackSelector(stack: string): string {
  return `${LABEL_MANAGED_BY}=${MANAGER},${LABEL_STACK}=${stack}`;
}

/** AWS tags carry the same keys as the Kubernetes labels. */
export function stackTags(stack: string): Record<string, string> {
  return stackLabels(stack);
}

export function partition(region: string): string {
  if (region.startsWith('cn-')) return 'aws-cn';
  if (region.startsWith('us-gov-')) return 'aws-us-gov';
  return 'aws';
}

export interface Arns {
  accountId: string;
  queue: string;
  deadLetterQueue: string;
  queueUrl: string;
  deadLetterQueueUrl: string;
  oidcIssuer: string;
  /** issuer without scheme, as IAM condition keys and provider ARNs use it */
  oidcIssuerHost: string;
  oidcProvider: string;
  kedaOperatorRole: string;
  consumerRole: string;
  scalerRole: string;
  producerRole: string;
}

export function queueUrlFor(s: Settings, accountId: string, queueName: string): string {
  if (s.endpointUrl) return `${s.endpointUrl.replace(/\/+$/, '')}/${accountId}/${queueName}`;
  const domain = partition(s.region) === 'aws-cn' ? 'amazonaws.com.cn' : 'amazonaws.com';
  return `https://sqs.${s.region}.${domain}/${accountId}/${queueName}`;
}

export function arns(s: Settings, known: { accountId?: string; oidcIssuer?: string; queueUrl?: string } = {}): Arns {
  const n = names(s);
  const accountId = known.accountId ?? s.accountId ?? UNKNOWN_ACCOUNT;
  const part = partition(s.region);
  const oidcIssuer = (known.oidcIssuer ?? s.oidcIssuer ?? UNKNOWN_ISSUER).replace(/\/+$/, '');
  const oidcIssuerHost = oidcIssuer.replace(/^https:\/\//, '');
  const role = (name: string) => `arn:${part}:iam::${accountId}:role/${name}`;
  return {
    accountId,
    queue: `arn:${part}:sqs:${s.region}:${accountId}:${n.queue}`,
    deadLetterQueue: `arn:${part}:sqs:${s.region}:${accountId}:${n.deadLetterQueue}`,
    queueUrl: known.queueUrl ?? queueUrlFor(s, accountId, n.queue),
    deadLetterQueueUrl: queueUrlFor(s, accountId, n.deadLetterQueue),
    oidcIssuer,
    oidcIssuerHost,
    oidcProvider: `arn:${part}:iam::${accountId}:oidc-provider/${oidcIssuerHost}`,
    kedaOperatorRole: role(n.kedaOperatorRole),
    consumerRole: role(n.consumerRole),
    scalerRole: role(n.scalerRole),
    producerRole: role(n.producerRole),
  };
}

/** What is still unknown for this stack (plan can show placeholders; render and init cannot). */
export function unresolved(s: Settings, known: { accountId?: string; oidcIssuer?: string } = {}): Array<{ setting: string; how: string }> {
  const out: Array<{ setting: string; how: string }> = [];
  if (s.region === UNKNOWN_REGION) out.push({ setting: 'region', how: 'pass --region, set AWS_REGION, or put region: in kedactl.yaml' });
  if (!(known.accountId ?? s.accountId))
    out.push({ setting: 'accountId', how: 'pass --account-id, or configure AWS credentials so kedactl can ask STS' });
  if (s.auth === 'irsa' && !(known.oidcIssuer ?? s.oidcIssuer))
    out.push({ setting: 'oidcIssuer', how: 'pass --oidc-issuer, or --cluster with AWS credentials so kedactl can ask EKS' });
  return out;
}
