// The init wizard's logic, without a terminal: which questions to ask (only what flags, env and the
// config file did not answer), their defaults (from what was detected), and the rule each answer must
// follow. The UI asks; this decides.
import {
  coerce,
  defaults,
  DEFAULT_STACK,
  FIELD_BY_KEY,
  PRODUCERS,
  STRATEGIES,
  WORKLOADS,
  type Settings,
  type SettingKey,
} from './settings.js';
import { WORKLOAD_HELP } from '../workloads/index.js';

export interface Detected {
  region?: string;
  context?: string;
  /** EKS cluster name read from the kube context, if it is one */
  cluster?: string;
  accountId?: string;
  kedaVersion?: string;
  oidcProviderExists?: boolean;
  existingStacks?: string[];
}

export interface Choice {
  value: string;
  name: string;
  description: string;
}

export interface Question {
  key: SettingKey | 'createOidcProvider';
  message: string;
  kind: 'text' | 'number' | 'select' | 'confirm';
  default: string;
  choices?: Choice[];
  /** returns an error text, or undefined when the answer is fine */
  validate(answer: string, so_far: Partial<Settings>): string | undefined;
}

export const STRATEGY_HELP: Record<(typeof STRATEGIES)[number], string> = {
  default: "one Job per queueLength messages, minus Jobs already running (the example's choice)",
  custom: 'like default, with your own formula for running Jobs (customScalingQueueLengthDeduction)',
  accurate: 'counts pending Jobs exactly; with in-flight counting on it over-scales: avoid here',
  eager: 'fills up to maxReplicaCount as soon as messages wait: fastest, most Jobs',
};

function fieldRule(key: SettingKey) {
  const f = FIELD_BY_KEY.get(key)!;
  return (answer: string, soFar: Partial<Settings>): string | undefined => {
    const c = coerce(f, answer);
    if (c.problem) return `${key} ${c.problem}`;
    const rule = f.check?.(c.value as never, soFar, 'the wizard');
    return rule ? `${key} ${rule}` : undefined;
  };
}

/** Questions for the settings not yet given, in the order a person thinks about them. */
export function questions(given: ReadonlySet<SettingKey>, detected: Detected, soFar: Partial<Settings>): Question[] {
  const q: Question[] = [];
  const stack = soFar.stack ?? DEFAULT_STACK;
  const d = defaults(stack, soFar.processingTime ?? 30);
  const ask = (key: SettingKey, message: string, def: string, kind: Question['kind'] = 'text', choices?: Choice[]) => {
    if (!given.has(key)) q.push({ key, message, kind, default: def, choices, validate: fieldRule(key) });
  };
  ask('stack', `Stack name${detected.existingStacks?.length ? ` (existing: ${detected.existingStacks.join(', ')})` : ''}`, stack);
  ask('region', 'AWS region', detected.region ?? 'us-east-1');
  ask('namespace', 'Kubernetes namespace', d.namespace);
  ask('queueName', 'SQS queue name', d.queueName);
  ask(
    'workload',
    'What KEDA scales',
    d.workload,
    'select',
    WORKLOADS.map((w) => ({ value: w, name: w, description: WORKLOAD_HELP[w] })),
  );
  const jobs = (soFar.workload ?? d.workload) === 'job';
  ask('processingTime', `Seconds each ${jobs ? 'Job' : 'consumer'} spends on a message`, String(d.processingTime), 'number');
  ask('maxReplicas', `Most ${jobs ? 'Jobs' : 'consumer Pods'} running at once`, String(d.maxReplicas), 'number');
  // the scaling strategy is the ScaledJob's; a ScaledObject's HPA has its own rules
  if (jobs)
    ask(
      'strategy',
      'Scaling strategy',
      d.strategy,
      'select',
      STRATEGIES.map((s) => ({ value: s, name: s, description: STRATEGY_HELP[s] })),
    );
  ask('auth', 'How KEDA and the Jobs authenticate to AWS', detected.cluster ? 'irsa' : 'static', 'select', [
    { value: 'irsa', name: 'irsa', description: "EKS: IAM roles through the cluster's OIDC provider (no keys anywhere)" },
    { value: 'static', name: 'static', description: 'access keys in a Secret: emulators and non-AWS clusters' },
  ]);
  ask(
    'producer',
    'Who sends the messages',
    d.producer,
    'select',
    PRODUCERS.map((p) => ({ value: p, name: p, description: PRODUCER_HELP[p] })),
  );
  return q;
}

export const PRODUCER_HELP: Record<(typeof PRODUCERS)[number], string> = {
  local: 'kedactl produce sends from this machine (you attach producer-policy.json to whoever else sends)',
  'in-cluster': 'also a producer service account with a send-only role: produce --in-cluster sends from Pods, as the example does',
};

/** Asked after the AWS answers are known: only in irsa mode and only when the provider is missing. */
export function oidcQuestion(detected: Detected): Question | undefined {
  if (detected.oidcProviderExists !== false) return undefined;
  return {
    key: 'createOidcProvider',
    message: "The cluster's IAM OIDC provider does not exist. Create it (needed for IRSA)?",
    kind: 'confirm',
    default: 'yes',
    validate: () => undefined,
  };
}
