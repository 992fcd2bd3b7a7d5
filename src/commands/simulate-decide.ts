// kedactl simulate decide: one KEDA polling cycle for a ScaledJob, from the numbers given, so each
// decision can be checked against KEDA's own tests.
import { UsageError } from '../core/errors.js';
import { decide, type DecideInput } from '../core/simulate/decide.js';
import { formatData, parseOutput } from '../ui/format.js';
import { decisionText } from '../ui/simulate-text.js';
import { begin } from './common.js';
import type { CommandContext, CommandFlags } from './context.js';

/** the numbers as given (checked by parseDecideFlags), and the settings flags decide reads */
export interface DecideOptions extends CommandFlags {
  output?: string;
}

const COUNTS = {
  visible: 'visible',
  inFlight: 'in-flight',
  delayed: 'delayed',
  running: 'running',
  pending: 'pending',
  minReplicas: 'min-replicas',
} as const;

export function parseDecideFlags(
  opts: Record<string, unknown>,
): Omit<DecideInput, 'queueLength' | 'activationQueueLength' | 'maxReplicaCount' | 'strategy'> {
  const problems: string[] = [];
  const n = (k: keyof typeof COUNTS): number => {
    const v = opts[k];
    if (v === undefined) return 0;
    if (!/^\d+$/.test(String(v).trim()) || Number(v) > 1_000_000_000) {
      problems.push(`--${COUNTS[k]} = ${JSON.stringify(v)}: must be a whole number from 0 to 1000000000`);
      return 0;
    }
    return Number(v);
  };
  const bool = (flag: string, v: unknown, fallback: boolean): boolean => {
    if (v === undefined) return fallback;
    if (v === 'true' || v === true) return true;
    if (v === 'false' || v === false) return false;
    problems.push(`--${flag} = ${JSON.stringify(v)}: must be true or false`);
    return fallback;
  };
  let deduction: number | undefined;
  if (opts.customDeduction !== undefined) {
    if (!/^-?\d+$/.test(String(opts.customDeduction).trim()) || Math.abs(Number(opts.customDeduction)) > 2 ** 31 - 1)
      problems.push(`--custom-deduction = ${JSON.stringify(opts.customDeduction)}: must be a whole number (an int32, may be negative)`);
    else deduction = Number(opts.customDeduction);
  }
  const out = {
    visible: n('visible'),
    inFlight: n('inFlight'),
    delayed: n('delayed'),
    running: n('running'),
    pending: n('pending'),
    minReplicaCount: n('minReplicas'),
    scaleOnInFlight: bool('scale-on-in-flight', opts.scaleOnInFlight, true),
    scaleOnDelayed: bool('scale-on-delayed', opts.scaleOnDelayed, false),
    ...(deduction !== undefined ? { customScalingQueueLengthDeduction: deduction } : {}),
    ...(opts.customRunningPercentage !== undefined ? { customScalingRunningJobPercentage: String(opts.customRunningPercentage) } : {}),
  };
  if (problems.length) throw new UsageError(problems.join('\n'), 'fix the flags above');
  return out;
}

export async function run(opts: DecideOptions, ctx: CommandContext): Promise<void> {
  const output = parseOutput(opts.output, ['text', 'json']);
  const counts = parseDecideFlags(opts);
  const { settings } = begin(opts, ctx, { regionOptional: true });
  const input: DecideInput = {
    ...counts,
    queueLength: settings.queueLength,
    activationQueueLength: settings.activationQueueLength,
    maxReplicaCount: settings.maxReplicas,
    strategy: settings.strategy,
  };
  const d = decide(input);
  ctx.host().result(output === 'json' ? formatData({ input, decision: d }, 'json') : decisionText(input, d));
}
