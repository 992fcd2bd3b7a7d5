// kedactl produce: flags -> checked options (before any AWS call) -> produce() -> summary.
import { readFileSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { createAws } from '../adapters/aws.js';
import { CancelledError, ExternalError, UsageError } from '../core/errors.js';
import { parseProduceOptions, produce, type ProduceOptions, type ProduceResult } from '../core/produce/produce.js';
import { formatData, parseOutput } from '../ui/format.js';
import { targetAt } from '../core/simulate/profile.js';
import { produceSummary, progressLine, scheduleLine } from '../ui/produce-text.js';
import { beginWithRecord, withCtrlC } from './common.js';
import type { CommandContext, CommandFlags } from './context.js';

export interface ProduceFlags extends CommandFlags {
  output?: string;
  count?: string;
  concurrency?: string;
  rate?: string;
  load?: string;
  bodyFile?: string;
  inCluster?: boolean;
  parallelism?: string;
}

const MAX_BODY_FILE = 1024 * 1024;

function readBodyFile(path: string): string {
  let size: number;
  try {
    size = statSync(path).size;
  } catch (e) {
    throw new UsageError(
      `cannot read --body-file ${path}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : String((e as Error).message)}`,
      'pass an existing file; nothing was sent',
    );
  }
  if (size > MAX_BODY_FILE)
    throw new UsageError(
      `--body-file ${path} is ${size} bytes; SQS messages are at most ${MAX_BODY_FILE} bytes`,
      'use a smaller body; nothing was sent',
    );
  return readFileSync(path, 'utf8');
}

export async function run(opts: ProduceFlags, ctx: CommandContext): Promise<void> {
  const output = parseOutput(opts.output, ['text', 'json']);
  // loaded only when asked: a local produce loads no Kubernetes client (test/e2e/loaded-modules.test.ts)
  if (opts.inCluster) {
    const { runInCluster } = await import('./produce-in-cluster.js');
    return runInCluster(opts, ctx, output, (p) => readBodyFile(resolve(ctx.cwd, p)));
  }
  if (opts.parallelism !== undefined)
    throw new UsageError(
      '--parallelism goes with --in-cluster (Pods sending at once)',
      'add --in-cluster, or use --concurrency for batches in flight from this machine',
    );
  const parsed = parseProduceOptions({ count: opts.count, concurrency: opts.concurrency, rate: opts.rate, load: opts.load }, (p) =>
    resolve(ctx.cwd, p),
  );
  const bodyPath = opts.bodyFile ? resolve(ctx.cwd, opts.bodyFile) : undefined;
  const options: ProduceOptions = { ...parsed, ...(bodyPath ? { bodyTemplate: readBodyFile(bodyPath) } : {}) };
  const { settings } = await beginWithRecord(opts, ctx);
  const host = ctx.host();
  const aws = createAws({ region: settings.region, profile: settings.profile, endpointUrl: settings.endpointUrl, env: ctx.env });

  const tty = Boolean(host.streams.stderr.isTTY);
  const t0 = performance.now();
  let last = 0;
  let sentNow = 0;
  let failedNow = 0;
  const profile = options.profile;
  const draw = (force: boolean) => {
    const t = performance.now();
    if (!force && t - last < 100 && sentNow + failedNow < options.count) return;
    last = t;
    const s = (t - t0) / 1000;
    host.streams.stderr.write(
      profile
        ? scheduleLine(sentNow, failedNow, targetAt(profile, s), profile.total, s, profile.duration)
        : progressLine(sentNow, failedNow, options.count, s),
    );
  };
  const onProgress = tty
    ? (sent: number, failed: number) => {
        sentNow = sent;
        failedNow = failed;
        draw(false);
      }
    : undefined;
  // a profile can pause: the live line keeps its target and ETA moving meanwhile
  const ticker = tty && profile ? setInterval(() => draw(true), 500) : undefined;
  let result: ProduceResult;
  try {
    // Ctrl-C: stop new batches, let the ones in flight finish, report the exact count
    result = await withCtrlC((signal) =>
      produce(settings, aws.sqs, options, { signal, onProgress, bodySource: bodyPath ?? 'the default template' }),
    );
  } catch (e) {
    clearInterval(ticker);
    const partial = (e as { partial?: ProduceResult }).partial;
    if (tty) host.streams.stderr.write('\n');
    if (partial) host.notify('error', 'produce.partial', `sent ${partial.sent} of ${partial.requested} messages before the error`);
    throw e;
  }
  clearInterval(ticker);
  if (tty) host.streams.stderr.write('\n');
  host.result(output === 'json' ? formatData(result, 'json') : produceSummary(result));
  if (result.stopped) throw new CancelledError(`stopped by Ctrl-C after sending ${result.sent} of ${result.requested} messages`);
  if (result.sent !== result.requested) {
    const missing = result.requested - result.sent;
    throw new ExternalError(
      'SQS',
      'SendMessageBatch',
      `${missing} of ${result.requested} messages were not sent${result.failed[0] ? ` (first: message ${result.failed[0].message}, ${result.failed[0].code}: ${result.failed[0].reason})` : ''}`,
      `run "kedactl produce --count ${missing}" to send the rest`,
    );
  }
}
