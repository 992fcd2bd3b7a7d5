// kedactl simulate: the stack's settings (flags / kedactl.yaml / what the stack recorded on its cluster, as
// init would deploy) + a load profile -> what KEDA would do, on a virtual clock; --compare runs one
// simulation per value, side by side.
import { resolve } from 'node:path';
import { UsageError } from '../core/errors.js';
import { loadSettings } from '../core/stack/load-settings.js';
import { buildProfile, loadProfileFrom, parseLoadSpec, PROFILE_LIMITS } from '../core/simulate/profile.js';
import { parseCompare, parseWorld, runSimulation, variants } from '../core/simulate/run.js';
import { formatData, parseOutput } from '../ui/format.js';
import { simulateText } from '../ui/simulate-text.js';
import { beginWithRecord } from './common.js';
import type { CommandContext, CommandFlags } from './context.js';

export interface SimulateOptions extends CommandFlags {
  output?: string;
  load?: string;
  count?: string;
  compare?: string;
}

export async function run(opts: SimulateOptions, ctx: CommandContext): Promise<void> {
  const output = parseOutput(opts.output, ['text', 'json']);
  if (opts.load !== undefined && opts.count !== undefined)
    throw new UsageError('--load and --count do not go together', 'pass --load burst:count=N, or only --count N');
  const count = String(opts.count ?? 1000).trim();
  if (!/^\d+$/.test(count) || Number(count) < 1 || Number(count) > PROFILE_LIMITS.total)
    throw new UsageError(
      `--count = ${JSON.stringify(opts.count)}: must be a whole number from 1 to ${PROFILE_LIMITS.total}`,
      'pass --count 10000, or --load with a profile',
    );
  const profile =
    opts.load !== undefined
      ? loadProfileFrom(opts.load, (p) => resolve(ctx.cwd, p))
      : buildProfile(parseLoadSpec(`burst:count=${count}`, '--count'));
  const world = parseWorld(opts);
  const compare = opts.compare !== undefined ? parseCompare(opts.compare) : undefined;
  const { settings, recorded } = await beginWithRecord(opts, ctx, { regionOptional: true });
  const settingsWith = (key: string, value: string) =>
    loadSettings({
      flags: { ...opts, [key]: value },
      env: ctx.env,
      cwd: ctx.cwd,
      configPath: opts.config,
      regionOptional: true,
      recorded: recorded?.layer,
    }).settings;

  const report = runSimulation(profile, variants(settings, world, compare, settingsWith));
  const host = ctx.host();
  host.result(output === 'json' ? formatData(report, 'json') : simulateText(report, Math.min(120, host.streams.stdout.columns ?? 80)));
}
