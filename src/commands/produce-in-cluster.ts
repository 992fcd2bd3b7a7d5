// kedactl produce --in-cluster: flags -> checked options (before any remote call) -> produceInCluster() -> the
// same exact accounting as local produce, with the Pods' part.
import { createAws } from '../adapters/aws.js';
import { connectKube } from '../adapters/kube.js';
import { CancelledError, ExternalError, UsageError } from '../core/errors.js';
import { parseProduceOptions } from '../core/produce/produce.js';
import { parseParallelism, produceInCluster, type InClusterResult } from '../core/producer/run.js';
import { formatData } from '../ui/format.js';
import { inClusterLine, inClusterSummary } from '../ui/produce-text.js';
import { beginWithRecord, withCtrlC } from './common.js';
import type { CommandContext } from './context.js';
import type { ProduceFlags } from './produce.js';

export async function runInCluster(
  opts: ProduceFlags,
  ctx: CommandContext,
  output: string,
  readBody: (p: string) => string,
): Promise<void> {
  const problems = [
    ...(opts.rate !== undefined ? ['--rate'] : []),
    ...(opts.load !== undefined ? ['--load'] : []),
    ...(opts.concurrency !== undefined ? ['--concurrency'] : []),
  ];
  if (problems.length > 0)
    throw new UsageError(
      `${problems.join(', ')} ${problems.length === 1 ? 'does' : 'do'} not go with --in-cluster yet`,
      'use --count and --parallelism (Pods sending at once), or drop --in-cluster; nothing was sent',
    );
  const { count } = parseProduceOptions({ count: opts.count });
  const parallelism = parseParallelism(opts.parallelism);
  const bodyTemplate = opts.bodyFile ? readBody(opts.bodyFile) : undefined;
  const { settings } = await beginWithRecord(opts, ctx);
  const host = ctx.host();
  const aws = createAws({ region: settings.region, profile: settings.profile, endpointUrl: settings.endpointUrl, env: ctx.env });
  const kube = connectKube({
    kubeconfig: settings.kubeconfig,
    context: settings.context,
    env: ctx.env,
    log: (t) => host.notify('debug', 'kube.request', t),
  });
  const tty = Boolean(host.streams.stderr.isTTY);
  const t0 = performance.now();
  let result: InClusterResult;
  try {
    // Ctrl-C: the Pods stop after their batch in flight (the run's stop flag), then the Job goes; exact count
    result = await withCtrlC((signal) =>
      produceInCluster(
        settings,
        { sqs: aws.sqs, kube },
        { count, parallelism, ...(bodyTemplate !== undefined ? { bodyTemplate } : {}) },
        {
          signal,
          onProgress: tty ? (p) => host.streams.stderr.write(inClusterLine(p, (performance.now() - t0) / 1000)) : undefined,
        },
      ),
    );
  } finally {
    if (tty) host.streams.stderr.write('\n');
  }
  host.result(output === 'json' ? formatData(result, 'json') : inClusterSummary(result));
  if (result.stopped) throw new CancelledError(`stopped by Ctrl-C after sending ${result.sent} of ${result.requested} messages`);
  if (result.sent !== result.requested) {
    const missing = result.requested - result.sent;
    const first = result.inCluster.unsent[0];
    const refused = result.failed[0];
    throw new ExternalError(
      'SQS',
      'SendMessageBatch',
      `${missing} of ${result.requested} messages were not sent${first ? ` (messages ${first.first}-${first.last} by Pod ${first.pod}: ${first.why})` : refused ? ` (first: message ${refused.message}, ${refused.code}: ${refused.reason})` : ''}`,
      `run "kedactl produce --in-cluster --count ${missing}" to send the rest`,
    );
  }
}
