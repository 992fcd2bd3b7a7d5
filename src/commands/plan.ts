// kedactl plan: what init would do. Reads AWS and the cluster when it can (server dry-run for the
// objects); what it cannot read is planned as "create" and named, so plan works on any machine.
// The adapters and use cases that read are loaded only when reading: --offline needs no SDK, no
// Kubernetes client and no helm wrapper (bench/README.md, test/e2e/loaded-modules.test.ts).
import { desiredStack } from '../core/stack/desired.js';
import { parseSkip, type Part } from '../core/stack/ports.js';
import { plan, type Plan } from '../core/stack/plan.js';
import { UNKNOWN_REGION } from '../core/stack/settings.js';
import { formatData, parseOutput } from '../ui/format.js';
import { planText } from '../ui/plan-text.js';
import { beginWithRecord } from './common.js';
import type { CommandContext, CommandFlags, SkipFlag } from './context.js';

export interface PlanOptions extends CommandFlags {
  output?: string;
  offline?: boolean;
  skip?: SkipFlag;
}

export async function run(opts: PlanOptions, ctx: CommandContext): Promise<void> {
  const output = parseOutput(opts.output);
  const skip = parseSkip(opts.skip);
  const { settings } = await beginWithRecord(opts, ctx, { regionOptional: true, readCluster: !opts.offline && !skip.has('kubernetes') });
  const host = ctx.host();

  // what can be read here; the rest is planned without looking
  const unread = new Set<Part>();
  const notes: string[] = [];
  if (opts.offline) for (const p of ['aws', 'keda', 'kubernetes'] as const) unread.add(p);
  else {
    const { checkEnvironment } = await import('../adapters/environment.js');
    const missing = await checkEnvironment(settings, ctx.env, {
      awsCredentials: settings.region !== UNKNOWN_REGION,
      kube: true,
      helm: true,
    });
    if (settings.region === UNKNOWN_REGION) missing.unshift({ part: 'aws', what: 'aws', problem: 'no region' });
    for (const m of missing) {
      const part = m.part === 'region' ? 'aws' : m.part;
      unread.add(part);
      if (part === 'kubernetes') unread.add('keda');
      if (!skip.has(part)) notes.push(`${part} not read (${m.what}: ${m.problem.split('\n')[0]}): planned as if nothing exists`);
    }
  }
  let p: Plan;
  if (unread.size === 3) p = plan(await desiredStack(settings));
  else {
    const [{ connect }, { prepare }, { recordingProgress }] = await Promise.all([
      import('../adapters/connect.js'),
      import('../core/stack/lifecycle.js'),
      import('../core/progress.js'),
    ]);
    const ports = connect(settings, ctx.env, host, new Set([...skip, ...unread]), ctx.awsClient);
    p = (await prepare(settings, ports, skip, recordingProgress(), unread)).plan;
  }
  if (skip.size) p = { ...p, changes: p.changes.filter((c) => !skip.has(c.group)) };
  if (output === 'text') {
    host.result(planText(p, host.color));
    for (const n of notes) host.notify('info', 'plan.unread', n);
    if (opts.offline)
      host.notify('info', 'plan.offline', '--offline: nothing was read from AWS or Kubernetes; everything is shown as to be created');
  } else host.result(formatData({ ...p, notRead: [...unread] }, output));
}
