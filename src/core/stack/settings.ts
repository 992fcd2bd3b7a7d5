// The stack's settings: one typed object, every field declared once (flag, env var, config key,
// default, rule), so flags, KEDACTL_* variables and kedactl.yaml all speak the same language.
import type { SettingProblem } from '../errors.js';
import { DEFAULT_KEDA_VERSION, kedaVersionProblem, SUPPORTED_KEDA_RANGE } from '../keda/versions.js';
import { kedaChartProblem, kedaChartSource, localKedaChartVersion } from '../keda/chart.js';

export const STRATEGIES = ['default', 'custom', 'accurate', 'eager'] as const;
export type Strategy = (typeof STRATEGIES)[number];
export const AUTH_MODES = ['irsa', 'static'] as const;
export type AuthMode = (typeof AUTH_MODES)[number];
/** what KEDA scales: one Job per message (ScaledJob) or a consumer Deployment (ScaledObject); src/core/workloads/ */
export const WORKLOADS = ['job', 'deployment'] as const;
export type WorkloadKind = (typeof WORKLOADS)[number];
/** who sends the messages: this machine (produce) or Pods in the cluster under their own identity (src/core/producer/) */
export const PRODUCERS = ['local', 'in-cluster'] as const;
export type ProducerKind = (typeof PRODUCERS)[number];

export interface Settings {
  stack: string;
  region: string;
  profile?: string;
  endpointUrl?: string;
  accountId?: string;
  cluster?: string;
  oidcIssuer?: string;
  kubeconfig?: string;
  context?: string;
  namespace: string;
  queueName: string;
  deadLetterQueue: boolean;
  maxReceiveCount: number;
  pollingInterval: number;
  maxReplicas: number;
  queueLength: number;
  activationQueueLength: number;
  strategy: Strategy;
  processingTime: number;
  visibilityTimeout: number;
  image: string;
  analyzerImage: string;
  auth: AuthMode;
  workload: WorkloadKind;
  /** in-cluster: init creates a producer service account (and in irsa mode its send-only role) */
  producer: ProducerKind;
  /** seconds the consumer has after SIGTERM (both workloads' Pods) */
  terminationGracePeriod: number;
  /** deployment: seconds without messages before KEDA scales the Deployment to zero (ScaledObject cooldownPeriod) */
  cooldownPeriod: number;
  /** deployment: the HPA's scale-down stabilization window, seconds (Kubernetes' default 300) */
  scaleDownStabilization: number;
  /** deployment: the HPA's scale-down policy: at most this percent of the replicas... */
  scaleDownPercent: number;
  /** ...per this many seconds (Kubernetes' default: 100 % per 15 s) */
  scaleDownPeriod: number;
  templates?: string;
  kedaVersion: string;
  /** where KEDA's chart comes from (src/core/keda/chart.ts); unset: the public chart repository */
  kedaChart?: string;
}

export type SettingKey = keyof Settings;

type Kind = 'string' | 'int' | 'bool' | 'enum';

export interface FieldSpec {
  key: SettingKey;
  /** long flag without dashes */
  flag: string;
  kind: Kind;
  choices?: readonly string[];
  min?: number;
  max?: number;
  describe: string;
  /** AWS's own variable that may supply it (lower precedence than KEDACTL_*) */
  awsEnv?: string;
  /** the rule a value must follow, or a message */
  check?: (value: never, all: Partial<Settings>, source: string) => string | undefined;
  /**
   * The setting names or shapes one stack's own resources (its names, how it scales), so it follows the
   * stack: a kedactl.yaml that names another stack does not give it. Without this mark a setting follows
   * the folder: where stacks are made and with what (account, cluster, images, KEDA).
   */
  perStack?: true;
}

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const REGION = /^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d{1,2}$/;
const SQS_NAME = /^[A-Za-z0-9_-]{1,80}$/;

export function checkDns1123Label(v: string, max = 63): string | undefined {
  if (v.length > max) return `must be at most ${max} characters (DNS-1123 label)`;
  if (!DNS1123_LABEL.test(v))
    return 'must be a DNS-1123 label: lowercase letters, digits and "-", starting and ending with a letter or digit';
  return undefined;
}

export function checkQueueName(v: string): string | undefined {
  const fifo = v.endsWith('.fifo');
  const base = fifo ? v.slice(0, -5) : v;
  if (v.length > 80) return 'SQS queue names are at most 80 characters (including ".fifo")';
  if (!SQS_NAME.test(base) || base.length === 0)
    return 'SQS queue names may contain only letters, digits, "-" and "_"' + (fifo ? ' before ".fifo"' : '');
  if (fifo) return 'FIFO queues are not supported: KEDA\'s ScaledJob demo needs a standard queue (drop ".fifo")';
  return undefined;
}

export const FIELDS: readonly FieldSpec[] = [
  {
    key: 'stack',
    flag: 'stack',
    kind: 'string',
    describe: 'stack name; every resource name and tag derives from it',
    check: (v: string) => checkDns1123Label(v, 24),
  },
  {
    key: 'region',
    flag: 'region',
    kind: 'string',
    awsEnv: 'AWS_REGION',
    describe: 'AWS region of the queue and roles',
    check: (v: string) => (REGION.test(v) ? undefined : 'must look like an AWS region, e.g. eu-west-1'),
  },
  {
    key: 'profile',
    flag: 'profile',
    kind: 'string',
    awsEnv: 'AWS_PROFILE',
    describe: 'AWS shared-config profile',
    check: (v: string) => (/^[\w+=,.@-]{1,128}$/.test(v) ? undefined : 'must be a profile name from ~/.aws/config'),
  },
  {
    key: 'endpointUrl',
    flag: 'endpoint-url',
    kind: 'string',
    awsEnv: 'AWS_ENDPOINT_URL',
    describe: 'AWS endpoint for emulators (e.g. http://127.0.0.1:5000)',
    check: (v: string) => checkUrl(v, ['http:', 'https:']),
  },
  {
    key: 'accountId',
    flag: 'account-id',
    kind: 'string',
    describe: 'AWS account id (detected with STS when omitted)',
    check: (v: string) => (/^\d{12}$/.test(v) ? undefined : 'must be 12 digits'),
  },
  {
    key: 'cluster',
    flag: 'cluster',
    kind: 'string',
    describe: 'EKS cluster name (for the OIDC issuer)',
    check: (v: string) =>
      /^[0-9A-Za-z][A-Za-z0-9_-]{0,99}$/.test(v) ? undefined : 'must be an EKS cluster name: letters, digits, "-" and "_", at most 100',
  },
  {
    key: 'oidcIssuer',
    flag: 'oidc-issuer',
    kind: 'string',
    describe: "the cluster's OIDC issuer URL (https)",
    check: (v: string) =>
      checkUrl(v, ['https:']) ?? (new URL(v).search || new URL(v).hash ? 'must not carry a query or fragment' : undefined),
  },
  { key: 'kubeconfig', flag: 'kubeconfig', kind: 'string', describe: 'path to the kubeconfig file' },
  { key: 'context', flag: 'context', kind: 'string', describe: 'kubeconfig context to use' },
  {
    key: 'namespace',
    perStack: true,
    flag: 'namespace',
    kind: 'string',
    describe: 'Kubernetes namespace of the stack',
    check: (v: string) => checkDns1123Label(v),
  },
  { key: 'queueName', perStack: true, flag: 'queue-name', kind: 'string', describe: 'SQS queue name', check: checkQueueName },
  { key: 'deadLetterQueue', perStack: true, flag: 'dead-letter-queue', kind: 'bool', describe: 'also create a dead-letter queue' },
  {
    key: 'maxReceiveCount',
    perStack: true,
    flag: 'max-receive-count',
    kind: 'int',
    min: 1,
    max: 1000,
    describe: 'receives before a message moves to the dead-letter queue',
  },
  {
    key: 'pollingInterval',
    perStack: true,
    flag: 'polling-interval',
    kind: 'int',
    min: 1,
    max: 3600,
    describe: 'seconds between KEDA queue checks',
  },
  {
    key: 'maxReplicas',
    perStack: true,
    flag: 'max-replicas',
    kind: 'int',
    min: 1,
    max: 1000,
    describe: 'most Jobs (or consumer Pods) KEDA runs at once',
  },
  {
    key: 'queueLength',
    perStack: true,
    flag: 'queue-length',
    kind: 'int',
    min: 1,
    max: 10000,
    describe: 'messages per Job (or per consumer Pod)',
  },
  {
    key: 'activationQueueLength',
    perStack: true,
    flag: 'activation-queue-length',
    kind: 'int',
    min: 0,
    max: 10000,
    describe: 'messages needed before any Job starts',
  },
  { key: 'strategy', perStack: true, flag: 'strategy', kind: 'enum', choices: STRATEGIES, describe: 'ScaledJob scaling strategy' },
  {
    key: 'processingTime',
    perStack: true,
    flag: 'processing-time',
    kind: 'int',
    min: 0,
    max: 43000,
    describe: 'seconds each consumer spends on a message',
  },
  {
    key: 'visibilityTimeout',
    perStack: true,
    flag: 'visibility-timeout',
    kind: 'int',
    min: 1,
    max: 43200,
    describe: 'SQS visibility timeout in seconds (> processing time)',
    check: (v: number, all) =>
      all.processingTime !== undefined && v <= all.processingTime
        ? `must be greater than the processing time (${all.processingTime}s), or a message reappears while it is being processed`
        : undefined,
  },
  { key: 'image', flag: 'image', kind: 'string', describe: 'consumer image (needs bash, curl and the aws CLI v2)', check: checkImage },
  { key: 'analyzerImage', flag: 'analyzer-image', kind: 'string', describe: 'result analyzer image', check: checkImage },
  { key: 'auth', flag: 'auth', kind: 'enum', choices: AUTH_MODES, describe: 'irsa (EKS) or static (emulator / non-AWS cluster)' },
  {
    key: 'workload',
    perStack: true,
    flag: 'workload',
    kind: 'enum',
    choices: WORKLOADS,
    describe: 'what KEDA scales: job (a ScaledJob, one Job per message) or deployment (a ScaledObject scaling a consumer Deployment)',
  },
  {
    key: 'producer',
    perStack: true,
    flag: 'producer',
    kind: 'enum',
    choices: PRODUCERS,
    describe:
      'who sends messages: local (produce sends from this machine) or in-cluster (init also creates a producer service account with a send-only role; produce --in-cluster runs the sending as a Job)',
  },
  {
    key: 'terminationGracePeriod',
    perStack: true,
    flag: 'termination-grace-period',
    kind: 'int',
    min: 0,
    max: 3600,
    describe: "seconds a consumer has after SIGTERM to give its message back and report the kill (the Pods' terminationGracePeriodSeconds)",
  },
  {
    key: 'cooldownPeriod',
    perStack: true,
    flag: 'cooldown-period',
    kind: 'int',
    min: 0,
    max: 86400,
    describe: 'deployment: seconds without messages before KEDA scales the consumers to zero (ScaledObject cooldownPeriod)',
  },
  {
    key: 'scaleDownStabilization',
    perStack: true,
    flag: 'scale-down-stabilization',
    kind: 'int',
    min: 0,
    max: 3600,
    describe:
      "deployment: the HPA's scale-down stabilization window in seconds (it scales down to the highest count it wanted in this window)",
  },
  {
    key: 'scaleDownPercent',
    perStack: true,
    flag: 'scale-down-percent',
    kind: 'int',
    min: 1,
    max: 100,
    describe: 'deployment: the HPA removes at most this percent of the consumers per --scale-down-period',
  },
  {
    key: 'scaleDownPeriod',
    perStack: true,
    flag: 'scale-down-period',
    kind: 'int',
    min: 1,
    max: 1800,
    describe: "deployment: seconds of the HPA's scale-down policy (--scale-down-percent per this many seconds)",
  },
  { key: 'templates', flag: 'templates', kind: 'string', describe: 'directory of template overrides' },
  {
    key: 'kedaVersion',
    flag: 'keda-version',
    kind: 'string',
    describe: `KEDA helm chart version (${SUPPORTED_KEDA_RANGE})`,
    check: (v: string) => kedaVersionProblem(v),
  },
  {
    key: 'kedaChart',
    flag: 'keda-chart',
    kind: 'string',
    describe:
      "KEDA's helm chart: a folder or .tgz (installs its own version), oci://host/path/keda or an https helm repository URL (default kedacore/keda)",
    // a folder recorded by another machine need not exist here: only installing reads it
    check: (v: string, _all, source) =>
      source.startsWith('recorded in') && kedaChartSource(v).kind === 'local' ? undefined : kedaChartProblem(v),
  },
];

export const FIELD_BY_KEY: ReadonlyMap<SettingKey, FieldSpec> = new Map(FIELDS.map((f) => [f.key, f]));

export function envName(f: FieldSpec): string {
  return 'KEDACTL_' + f.flag.toUpperCase().replace(/-/g, '_');
}

function checkUrl(v: string, protocols: string[]): string | undefined {
  let u: URL;
  try {
    u = new URL(v);
  } catch {
    return `must be a URL (${protocols.join(' or ')})`;
  }
  if (!protocols.includes(u.protocol)) return `must use ${protocols.map((p) => p.replace(':', '')).join(' or ')}`;
  return undefined;
}

function checkImage(v: string): string | undefined {
  return /^[a-z0-9]+([._/:@-][A-Za-z0-9_.-]+)*$/.test(v) && v.length <= 255
    ? undefined
    : 'must be an image reference like registry/name:tag';
}

/** The defaults computed from another setting (the rest are constants). */
export const DERIVED_FROM: Partial<Record<SettingKey, SettingKey>> = {
  namespace: 'stack',
  queueName: 'stack',
  visibilityTimeout: 'processingTime',
};

/** Defaults that reproduce the published example, with names derived from the stack. */
export function defaults(stack: string, processingTime = 30): Omit<Settings, 'stack' | 'region'> {
  return {
    namespace: stack,
    queueName: `${stack}-queue`,
    deadLetterQueue: false,
    maxReceiveCount: 5,
    pollingInterval: 10,
    maxReplicas: 100,
    queueLength: 1,
    activationQueueLength: 0,
    strategy: 'default',
    processingTime,
    visibilityTimeout: processingTime + 60,
    image: 'amazon/aws-cli:2.15.23',
    analyzerImage: 'ghcr.io/kedify/blog05-result-analyzer-program:latest',
    auth: 'irsa',
    workload: 'job',
    producer: 'local',
    terminationGracePeriod: 30,
    // KEDA's and Kubernetes' own defaults: the ScaledObject says them out loud
    cooldownPeriod: 300,
    scaleDownStabilization: 300,
    scaleDownPercent: 100,
    scaleDownPeriod: 15,
    kedaVersion: DEFAULT_KEDA_VERSION,
  };
}

export const DEFAULT_STACK = 'video';

/** Turn one raw value (string from a flag/env, or any YAML scalar) into the field's type. */
export function coerce(f: FieldSpec, raw: unknown): { value?: unknown; problem?: string } {
  if (raw === null || raw === undefined) return { problem: 'must have a value' };
  switch (f.kind) {
    case 'string':
      if (typeof raw === 'string' && raw.length > 0) return { value: raw };
      if (typeof raw === 'number') return { value: String(raw) };
      return { problem: 'must be a non-empty string' };
    case 'enum': {
      const s = String(raw);
      return f.choices!.includes(s) ? { value: s } : { problem: `must be one of ${f.choices!.join(', ')}` };
    }
    case 'bool':
      if (typeof raw === 'boolean') return { value: raw };
      if (raw === 'true' || raw === '1' || raw === 'yes') return { value: true };
      if (raw === 'false' || raw === '0' || raw === 'no') return { value: false };
      return { problem: 'must be true or false' };
    case 'int': {
      const n = typeof raw === 'number' ? raw : typeof raw === 'string' && /^-?\d+$/.test(raw.trim()) ? Number(raw) : NaN;
      if (!Number.isInteger(n)) return { problem: `must be a whole number from ${f.min} to ${f.max}` };
      if ((f.min !== undefined && n < f.min) || (f.max !== undefined && n > f.max)) return { problem: `must be from ${f.min} to ${f.max}` };
      return { value: n };
    }
  }
}

/**
 * Where a setting's value came from: the user gave it (a flag, a variable they set, a line of the config
 * file, an answer to the wizard), or kedactl found it (the stack's record on its cluster, something it
 * detected, a value derived from another setting, a default). kedactl.yaml holds only the user's.
 */
export type Origin = 'flag' | 'env' | 'file' | 'wizard' | 'recorded' | 'detected' | 'derived' | 'default';

export const USER_ORIGINS: ReadonlySet<Origin> = new Set<Origin>(['flag', 'env', 'file', 'wizard']);

/** A raw value, where it was read (for messages) and what kind of source that is. */
export interface Sourced {
  value: unknown;
  source: string;
  origin: Origin;
}

export type Layer = Partial<Record<SettingKey, Sourced>>;

/**
 * Merge the layers (highest precedence first), coerce, fill defaults and check every rule.
 * Returns all problems at once.
 */
export const UNKNOWN_REGION = '<region>';

export function resolveSettings(
  layers: Layer[],
  opts: { regionOptional?: boolean } = {},
): { settings?: Settings; origins: Partial<Record<SettingKey, Origin>>; problems: SettingProblem[] } {
  const problems: SettingProblem[] = [];
  const picked: Partial<Record<SettingKey, unknown>> = {};
  const sources: Partial<Record<SettingKey, string>> = {};
  const origins: Partial<Record<SettingKey, Origin>> = {};
  for (const f of FIELDS) {
    const hit = layers.map((l) => l[f.key]).find((s) => s !== undefined);
    if (!hit) continue;
    const c = coerce(f, hit.value);
    if (c.problem) problems.push({ setting: f.key, value: hit.value, rule: c.problem, source: hit.source });
    else {
      picked[f.key] = c.value;
      sources[f.key] = hit.source;
      origins[f.key] = hit.origin;
    }
  }
  const stack = (picked.stack as string | undefined) ?? DEFAULT_STACK;
  const processingTime = (picked.processingTime as number | undefined) ?? 30;
  const filled = defaults(stack, processingTime);
  for (const k of Object.keys(filled) as SettingKey[]) origins[k] ??= DERIVED_FROM[k] ? 'derived' : 'default';
  origins.stack ??= 'default';
  const merged = { ...filled, ...picked, stack } as Partial<Settings>;
  // a local chart installs its own version: kedaVersion defaults to it, and may not say another
  const chartVersion =
    merged.kedaChart && kedaChartSource(merged.kedaChart).kind === 'local' ? localKedaChartVersion(merged.kedaChart) : undefined;
  if (chartVersion && picked.kedaVersion === undefined) {
    merged.kedaVersion = chartVersion;
    sources.kedaVersion = `the Chart.yaml of ${merged.kedaChart}`;
    origins.kedaVersion = 'derived';
  } else if (chartVersion && picked.kedaVersion !== chartVersion)
    problems.push({
      setting: 'kedaVersion',
      value: picked.kedaVersion,
      source: sources.kedaVersion,
      rule: `differs from the version of the chart kedaChart names (${merged.kedaChart} is ${chartVersion}, from ${sources.kedaChart}); a local chart installs its own version: drop kedaVersion or point kedaChart at a ${picked.kedaVersion} chart`,
    });
  if (merged.region === undefined && opts.regionOptional) merged.region = UNKNOWN_REGION;
  else if (merged.region === undefined)
    problems.push({ setting: 'region', rule: 'is required: pass --region, set AWS_REGION, or put region: in kedactl.yaml' });
  for (const f of FIELDS) {
    const v = merged[f.key];
    if (v === undefined || v === UNKNOWN_REGION || !f.check || problems.some((p) => p.setting === f.key)) continue;
    const rule = f.check(v as never, merged, sources[f.key] ?? 'default');
    if (rule) problems.push({ setting: f.key, value: v, rule, source: sources[f.key] ?? 'default' });
  }
  if (problems.length > 0) return { origins, problems };
  return { settings: merged as Settings, origins, problems };
}
