import { connectKube } from '../adapters/kube.js';
import { readResults, resetResults } from '../core/kube/results.js';
import { names } from '../core/stack/names.js';
import { formatData, parseOutput } from '../ui/format.js';
import { resultsText } from '../ui/results-text.js';
import { beginWithRecord } from './common.js';
import type { CommandContext, CommandFlags } from './context.js';

export interface ResultsOptions extends CommandFlags {
  output?: string;
  reset?: boolean;
}

export async function run(opts: ResultsOptions, ctx: CommandContext): Promise<void> {
  const output = parseOutput(opts.output, ['text', 'json']);
  const { settings } = await beginWithRecord(opts, ctx, { regionOptional: true });
  const host = ctx.host();
  const kube = connectKube({
    kubeconfig: settings.kubeconfig,
    context: settings.context,
    env: ctx.env,
    log: (t) => host.notify('debug', 'kube.request', t),
  });
  const n = names(settings);
  const svc = { namespace: n.namespace, name: n.analyzer, port: 'http' };
  if (opts.reset) {
    await resetResults(kube, svc);
    if (output === 'json') host.result(formatData({ reset: true, service: `${svc.namespace}/${svc.name}` }, 'json'));
    else host.result(`result analyzer counts reset (service ${svc.namespace}/${svc.name})`);
    return;
  }
  const r = await readResults(kube, svc);
  if (output === 'json') host.result(formatData({ stack: settings.stack, service: `${svc.namespace}/${svc.name}`, ...r }, 'json'));
  else host.result(resultsText(settings.stack, r));
  if (r.unknown.length)
    host.notify(
      'warn',
      'results.unknown',
      `${r.unknown.length} line(s) from the analyzer were not understood, e.g. ${JSON.stringify(r.unknown[0])}`,
    );
}
