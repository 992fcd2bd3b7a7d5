import { resolve } from 'node:path';
import { desiredStack } from '../core/stack/desired.js';
import { UsageError } from '../core/errors.js';
import { writeRendered } from '../core/stack/render.js';
import { begin } from './common.js';
import type { CommandContext, CommandFlags } from './context.js';

export interface RenderOptions extends CommandFlags {
  /** required by commander */
  out: string;
}

export async function run(opts: RenderOptions, ctx: CommandContext): Promise<void> {
  const { settings } = begin(opts, ctx);
  const host = ctx.host();
  const desired = await desiredStack(settings);
  if (desired.unresolved.length > 0) {
    throw new UsageError(
      `cannot render files with unknown values: ${desired.unresolved.map((u) => u.setting).join(', ')}`,
      desired.unresolved.map((u) => `${u.setting}: ${u.how}`).join('; '),
    );
  }
  const out = resolve(ctx.cwd, opts.out);
  const files = await writeRendered(desired, out);
  for (const f of files) host.notify('debug', 'render.file', `wrote ${f}`);
  host.result(`wrote ${files.length} files to ${out} (see ${resolve(out, 'README.md')})`);
}
