// kedactl teardown: find what the stack has (labels, tags) -> show it -> ask (or --yes) -> delete,
// Kubernetes first, then AWS.
import { connect } from '../adapters/connect.js';
import { IncompleteError } from '../core/aws/tags.js';
import { inventory, summarize } from '../core/stack/inventory.js';
import { teardownStack } from '../core/stack/lifecycle.js';
import { parseSkip } from '../core/stack/ports.js';
import { progressFor } from '../ui/progress.js';
import { paint } from '../ui/io.js';
import { beginWithRecord, withCtrlC } from './common.js';
import type { CommandContext, CommandFlags, SkipFlag } from './context.js';

export interface TeardownOptions extends CommandFlags {
  skip?: SkipFlag;
  yes?: boolean;
  keepKeda?: boolean;
}

export async function run(opts: TeardownOptions, ctx: CommandContext): Promise<void> {
  const skip = parseSkip(opts.skip);
  if (skip.has('kubernetes')) skip.add('keda'); // KEDA is removed with the cluster side, or not at all
  const { settings } = await beginWithRecord(opts, ctx, { readCluster: !skip.has('kubernetes') });
  const host = ctx.host();
  const c = paint(host.color);
  const ports = connect(settings, ctx.env, host, skip, ctx.awsClient);
  const { items: found, unreadable } = await inventory(settings.stack, ports, skip, settings.namespace);
  // "nothing left" only when every candidate could be read; an unreadable one may be the stack's
  if (found.length === 0 && unreadable.length > 0) throw new IncompleteError('teardown', unreadable, 'nothing was deleted');
  if (found.length === 0) {
    host.result(`nothing left of stack "${settings.stack}"${skip.size ? ` (not looked at: ${[...skip].join(', ')})` : ''}`);
    return;
  }
  host.notify(
    'info',
    'teardown.found',
    [
      c.bold(`Stack "${settings.stack}" has:`),
      ...summarize(found).map((l) => c.red(`  - ${l}`)),
      ...(unreadable.length
        ? [
            c.bold("and kedactl could not tell whether these are the stack's (left as they are):"),
            ...unreadable.map((u) => c.yellow(`  ? ${u.kind} ${u.name}: ${u.error.message}`)),
          ]
        : []),
    ].join('\n'),
  );
  await host.approve('Delete all of this?', {
    yes: opts.yes,
    withoutTerminal: {
      message: 'teardown deletes the resources listed above, and there is no terminal to ask',
      next: 'pass --yes to delete them; nothing was deleted',
    },
    declined: 'nothing was deleted',
  });
  const progress = await progressFor(host, ctx.env);
  try {
    const r = await withCtrlC((signal) =>
      teardownStack(settings.stack, ports, progress, { skip, keepKeda: opts.keepKeda === true, namespace: settings.namespace, signal }),
    );
    await progress.close?.();
    const lines: string[] = [];
    if (r.kubernetes) {
      const counts = Object.entries(r.kubernetes.deleted)
        .filter(([, n]) => n > 0)
        .map(([k, n]) => `${n} ${k}`);
      lines.push(`Kubernetes: deleted ${counts.length ? counts.join(', ') : 'nothing'}; KEDA ${r.kubernetes.keda}`);
      if (r.kubernetes.terminatingNamespaces.length)
        lines.push(`  still terminating: namespace ${r.kubernetes.terminatingNamespaces.join(', ')}`);
    }
    if (r.aws) {
      lines.push(`AWS: deleted ${r.aws.deleted.length ? r.aws.deleted.join(', ') : 'nothing'}`);
      for (const k of r.aws.kept) lines.push(`  kept: ${k}`);
    }
    host.result([c.green(`stack "${settings.stack}" torn down`), ...lines].join('\n'));
  } finally {
    await progress.close?.();
  }
}
