// src/core/simulate/ owns what KEDA would do with a stack's ScaledJob, on a virtual clock: one polling cycle
// (decide.ts), load profiles (profile.ts), the loop (sim.ts, random.ts), the deployment workload's
// ScaledObject, HPA and ReplicaSet (deployment/), one simulator per workload (workload.ts), the use case (run.ts). It imports
// only stack/settings.ts and the floor: no port, nothing that reaches AWS or a cluster.
//
// The simulate use case: the stack's settings (as init would deploy them) and a load profile in, one
// run per --compare value out. Also the checks of simulate's own flags (the world and --compare).
import { SettingsError, UsageError } from '../errors.js';
import { FIELDS, type FieldSpec, type Settings } from '../stack/settings.js';
import { describeProfile, type LoadProfile } from './profile.js';
import { DEFAULT_WORLD, type SimResult, type SimWorld } from './sim.js';
import { type ModelStack, simulateStack } from './workload.js';
import { WORLD_FLAGS, type WorldKey } from './world-flags.js';

export { WORLD_FLAGS };

function checkWorldValue(key: WorldKey, raw: unknown, source: string): number | string {
  const spec = WORLD_FLAGS[key];
  const s = String(raw).trim();
  const n = /^\d+(\.\d+)?$/.test(s) ? Number(s) : NaN;
  if (!Number.isFinite(n) || n < spec.min || n > spec.max || (spec.int && !Number.isInteger(n)))
    return `${source} = ${JSON.stringify(raw)}: must be ${spec.int ? 'a whole number' : 'a number'} from ${spec.min} to ${spec.max}`;
  return n;
}

/** The world from flags (camelCase keys as commander gives them); every problem at once. */
export function parseWorld(flags: Record<string, unknown>): SimWorld {
  const world: SimWorld = { ...DEFAULT_WORLD };
  const problems: string[] = [];
  for (const key of Object.keys(WORLD_FLAGS) as WorldKey[]) {
    if (flags[key] === undefined) continue;
    const v = checkWorldValue(key, flags[key], `--${WORLD_FLAGS[key].flag}`);
    if (typeof v === 'string') problems.push(v);
    else world[key] = v;
  }
  if (problems.length) throw new UsageError(problems.join('\n'), 'fix the flags above; nothing was simulated');
  return world;
}

export interface Compare {
  /** a setting or a world flag */
  key: string;
  label: string;
  values: string[];
  setting?: FieldSpec;
  world?: WorldKey;
}

export const MAX_VARIANTS = 8;

/** "--compare strategy=default,accurate,eager" (a setting's key or flag, or a world flag) */
export function parseCompare(raw: string): Compare {
  const m = /^([\w-]+)=(.+)$/.exec(raw.trim());
  if (!m)
    throw new UsageError(
      `--compare = ${JSON.stringify(raw)}: must be NAME=V1,V2,... (e.g. strategy=default,accurate,eager)`,
      'pass --compare strategy=default,accurate,eager',
    );
  const name = m[1]!;
  const values = m[2]!.split(',').map((v) => v.trim());
  if (values.some((v) => v === '') || values.length < 2 || values.length > MAX_VARIANTS)
    throw new UsageError(
      `--compare ${name}: needs 2 to ${MAX_VARIANTS} non-empty values separated by commas (got ${JSON.stringify(m[2])})`,
      `pass --compare ${name}=A,B`,
    );
  const setting = FIELDS.find((f) => f.key === name || f.flag === name);
  if (setting) return { key: setting.key, label: setting.flag, values, setting };
  const world = (Object.keys(WORLD_FLAGS) as WorldKey[]).find((k) => k === name || WORLD_FLAGS[k].flag === name);
  if (world) return { key: world, label: WORLD_FLAGS[world].flag, values, world };
  const known = [...FIELDS.map((f) => f.flag), ...Object.values(WORLD_FLAGS).map((w) => w.flag)].join(', ');
  throw new UsageError(
    `--compare ${name}: "${name}" is not a setting or simulate flag (known: ${known})`,
    'pass --compare strategy=default,accurate,eager',
  );
}

export interface Variant {
  label: string;
  settings: Settings;
  world: SimWorld;
}

/**
 * One variant per --compare value. `settingsWith` resolves settings with one flag replaced (through
 * the same precedence and rules as every command), so a compared value is checked like a flag.
 */
export function variants(
  base: Settings,
  world: SimWorld,
  compare: Compare | undefined,
  settingsWith: (key: string, value: string) => Settings,
): Variant[] {
  if (!compare) return [{ label: 'this stack', settings: base, world }];
  return compare.values.map((value) => {
    const label = `${compare.label}=${value}`;
    if (compare.world) {
      const v = checkWorldValue(compare.world, value, `--compare ${compare.label}`);
      if (typeof v === 'string') throw new UsageError(v, 'fix the --compare values; nothing was simulated');
      return { label, settings: base, world: { ...world, [compare.world]: v } };
    }
    try {
      return { label, settings: settingsWith(compare.key, value), world };
    } catch (e) {
      if (e instanceof SettingsError)
        throw new SettingsError(e.problems.map((p) => (p.setting === compare.key ? { ...p, source: '--compare' } : p)));
      throw e;
    }
  });
}

/** The part of the settings the simulation models (what the ScaledJob or ScaledObject, queue and consumer get). */
export function simStack(s: Settings): ModelStack {
  return {
    workload: s.workload,
    pollingInterval: s.pollingInterval,
    maxReplicas: s.maxReplicas,
    queueLength: s.queueLength,
    activationQueueLength: s.activationQueueLength,
    strategy: s.strategy,
    processingTime: s.processingTime,
    visibilityTimeout: s.visibilityTimeout,
    deadLetterQueue: s.deadLetterQueue,
    maxReceiveCount: s.maxReceiveCount,
    cooldownPeriod: s.cooldownPeriod,
    scaleDownStabilization: s.scaleDownStabilization,
    scaleDownPercent: s.scaleDownPercent,
    scaleDownPeriod: s.scaleDownPeriod,
    terminationGracePeriod: s.terminationGracePeriod,
  };
}

export interface SimRun {
  label: string;
  stack: ModelStack;
  world: SimWorld;
  result: SimResult;
}

export interface SimulateReport {
  profile: { describe: string; messages: number; seconds: number };
  runs: SimRun[];
  /** what the reader should know about the model for these settings */
  notes: string[];
}

export function runSimulation(profile: LoadProfile, vs: Variant[]): SimulateReport {
  const notes: string[] = [];
  if (vs.some((v) => v.settings.strategy === 'custom'))
    notes.push('strategy "custom": kedactl renders no customScalingRunningJobPercentage, so KEDA runs "default" (as simulated)');
  if (vs.some((v) => v.settings.strategy === 'accurate' || v.settings.strategy === 'eager'))
    notes.push(
      'accurate and eager do not subtract running Jobs from a metric that counts their in-flight messages (scaleOnInFlight, as kedactl renders): expect Jobs that find nothing when the queue is short',
    );
  if (vs.some((v) => v.settings.workload === 'deployment' && v.world.nodeCpus > 0))
    notes.push('--node-cpus is modelled for the job workload only: the deployment runs take CPUs as needed');
  return {
    profile: { describe: describeProfile(profile), messages: profile.total, seconds: profile.duration },
    runs: vs.map((v) => {
      const stack = simStack(v.settings);
      return { label: v.label, stack, world: v.world, result: simulateStack(stack, profile, v.world) };
    }),
    notes,
  };
}
