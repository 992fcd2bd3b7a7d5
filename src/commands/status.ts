import { connect } from '../adapters/connect.js';
import { StateError } from '../core/errors.js';
import { parseSkip } from '../core/stack/ports.js';
import { recordingProgress } from '../core/progress.js';
import { stackStatus } from '../core/stack/status.js';
import { formatData, parseOutput } from '../ui/format.js';
import { statusText } from '../ui/status-text.js';
import { beginWithRecord, settingFlags } from './common.js';
import type { CommandContext, CommandFlags, SkipFlag } from './context.js';

export interface StatusOptions extends CommandFlags {
  output?: string;
  skip?: SkipFlag;
}

export async function run(opts: StatusOptions, ctx: CommandContext): Promise<void> {
  const output = parseOutput(opts.output, ['text', 'json']);
  const skip = parseSkip(opts.skip);
  const { settings } = await beginWithRecord(opts, ctx, { regionOptional: true, readCluster: !skip.has('kubernetes') });
  const host = ctx.host();
  const ports = connect(settings, ctx.env, host, new Set([...skip, 'keda']), ctx.awsClient);
  const s = await stackStatus(settings, ports, skip, recordingProgress());
  host.result(output === 'json' ? formatData(s, 'json') : statusText(s, host.color));
  // exit 1 when not healthy; the problems are already on stdout
  if (!s.healthy) {
    const flags = settingFlags(opts, settings);
    // doctor starts from the ScaledJob on the cluster: no hint when the cluster was left out
    const next = skip.has('kubernetes') ? undefined : `kedactl doctor${flags ? ` ${flags}` : ''} says why, with the evidence and the fix`;
    throw new StateError(
      `stack "${settings.stack}" is not healthy (${s.problems.length} problem${s.problems.length === 1 ? '' : 's'})`,
      next,
    );
  }
}
