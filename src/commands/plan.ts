import { desiredStack } from '../core/desired.js';
import { plan } from '../core/plan.js';
import { formatData, parseOutput } from '../ui/format.js';
import { planText } from '../ui/plan-text.js';
import { begin } from './common.js';
import type { CommandContext } from './context.js';

export async function run(opts: Record<string, unknown>, ctx: CommandContext): Promise<void> {
  const output = parseOutput(opts.output as string | undefined);
  const { settings } = begin(opts, ctx, { regionOptional: true });
  const host = ctx.host();
  const desired = await desiredStack(settings);
  const p = plan(desired);
  if (output === 'text') {
    host.result(planText(p, host.color));
    host.notify('info', 'plan.offline', 'this plan read nothing from AWS or Kubernetes: it shows everything as to be created');
  } else host.result(formatData(p, output));
}
