// Shared steps of every command: verbosity, then settings from flags/env/config (and what the stack
// recorded on the cluster); Ctrl-C as an abort.
import { loadSettings, type LoadedSettings } from '../core/stack/load-settings.js';
import { FIELDS, UNKNOWN_REGION, type Settings } from '../core/stack/settings.js';
import { readRecorded, type Recorded } from '../core/stack/recorded.js';
import { hasKubeconfig } from '../adapters/kubeconfig-files.js';
import { KedactlError } from '../core/errors.js';
import { LEGACY_HEADER } from '../core/stack/config-file.js';
import type { IoHost } from '../ui/io.js';
import type { CommandContext, CommandFlags } from './context.js';

export function begin(opts: CommandFlags, ctx: CommandContext, o: { regionOptional?: boolean } = {}): LoadedSettings {
  ctx.setVerbosity(Number(opts.verbose ?? 0));
  const loaded = loadSettings({ flags: opts, env: ctx.env, cwd: ctx.cwd, configPath: opts.config, ...o });
  tellAboutFile(ctx.host(), loaded);
  return loaded;
}

/** What this run took from kedactl.yaml and what it left, said before anything else happens. */
function tellAboutFile(host: IoHost, loaded: LoadedSettings): void {
  const file = loaded.file;
  if (!file) return;
  host.notify('debug', 'settings.file', `settings read from ${file.path}`);
  if (file.otherStack) {
    const { leftOut, used } = file.otherStack;
    const stack = loaded.settings.stack;
    const gives = used.length ? `only what follows the folder (${used.join(', ')})` : 'nothing (it has no setting that follows the folder)';
    const not = leftOut.length
      ? `; ${leftOut.map((l) => `${l.key} (${l.where})`).join(', ')} ${leftOut.length === 1 ? 'is' : 'are'} "${file.stack}"'s and not used`
      : '';
    host.notify(
      leftOut.length ? 'warn' : 'info',
      'settings.other-stack',
      `${file.path} names stack "${file.stack}"; for stack "${stack}" it gives ${gives}${not}`,
    );
  }
  if (file.pinned.length) {
    const width = Math.max(...file.pinned.map((p) => p.where.length));
    host.notify(
      'warn',
      'settings.pinned',
      [
        `${file.path} was written by an older kedactl init, which also saved values it had derived or taken from its defaults. These lines say what kedactl would use anyway; while they stay, they count as your choice (a later default, such as a newer KEDA or consumer image, does not reach this folder):`,
        ...file.pinned.map((p) => `  ${p.where.padEnd(width)}  ${p.key}: ${String(p.value)} (${p.why})`),
        `Delete the lines you did not choose. Keep those you did, and delete the file's first line ("${LEGACY_HEADER}") to stop this warning. Or run kedactl init on a terminal: it asks.`,
      ].join('\n'),
    );
  }
}

const RECORD_TIMEOUT_MS = 10_000;

/**
 * Settings as begin() reads them, with what the stack recorded on its cluster underneath (flags, variables
 * and kedactl.yaml still win). Without a kubeconfig there is nothing to read; a cluster that cannot be
 * read is named in a warning and the command goes on with what it was given.
 */
export async function beginWithRecord(
  opts: CommandFlags,
  ctx: CommandContext,
  o: { regionOptional?: boolean; readCluster?: boolean } = {},
): Promise<LoadedSettings & { recorded?: Recorded }> {
  const local = begin(opts, ctx, { regionOptional: true });
  const host = ctx.host();
  const strict = () =>
    o.regionOptional || local.settings.region !== UNKNOWN_REGION
      ? local
      : loadSettings({ flags: opts, env: ctx.env, cwd: ctx.cwd, configPath: opts.config });
  if (o.readCluster === false) return strict();
  const where = { kubeconfig: local.settings.kubeconfig, context: local.settings.context, env: ctx.env };
  if (!hasKubeconfig(where)) {
    host.notify('debug', 'settings.record', 'no kubeconfig: no recorded settings read');
    return strict();
  }
  // loaded only here, when there is a cluster to read: produce without one loads no Kubernetes client
  const { connectKube } = await import('../adapters/kube.js');
  let kube: ReturnType<typeof connectKube>;
  try {
    kube = connectKube(where);
  } catch (e) {
    if (!(e instanceof KedactlError)) throw e;
    host.notify('debug', 'settings.record', `no recorded settings read: ${e.message}`);
    return strict();
  }
  const { stack, namespace } = local.settings;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer from ${kube.server} in ${RECORD_TIMEOUT_MS / 1000}s`)), RECORD_TIMEOUT_MS);
  });
  let recorded: Recorded | undefined;
  try {
    recorded = await Promise.race([readRecorded(stack, namespace, kube), timeout]);
  } catch (e) {
    host.notify(
      'warn',
      'settings.record',
      `could not read the settings stack "${stack}" recorded on the cluster (${(e as Error).message.split('\n')[0]}); using flags, variables, kedactl.yaml and defaults`,
    );
    return strict();
  } finally {
    clearTimeout(timer);
  }
  if (!recorded) return strict();
  host.notify('debug', 'settings.record', `settings recorded in ${recorded.where}`);
  return {
    ...loadSettings({
      flags: opts,
      env: ctx.env,
      cwd: ctx.cwd,
      configPath: opts.config,
      regionOptional: o.regionOptional,
      recorded: recorded.layer,
    }),
    recorded,
  };
}

/**
 * Runs fn with a signal that Ctrl-C aborts: the use case stops cleanly and reports what it did. A command
 * that only reads (watch) stops the same way on SIGTERM.
 */
export async function withCtrlC<T>(fn: (signal: AbortSignal) => Promise<T>, o: { alsoOn?: NodeJS.Signals[] } = {}): Promise<T> {
  const abort = new AbortController();
  const onSignal = () => abort.abort();
  const signals: NodeJS.Signals[] = ['SIGINT', ...(o.alsoOn ?? [])];
  for (const s of signals) process.once(s, onSignal);
  try {
    return await fn(abort.signal);
  } finally {
    for (const s of signals) process.removeListener(s, onSignal);
  }
}

/** The settings flags this run was given, to repeat in the commands it suggests next. */
export function settingFlags(opts: CommandFlags, s: Settings): string {
  const out: string[] = [];
  for (const f of FIELDS) {
    if (opts[f.key] === undefined) continue;
    const v = s[f.key];
    out.push(
      f.kind === 'bool' ? (v ? `--${f.flag}` : '') : `--${f.flag} ${/^[\w.:/@-]+$/.test(String(v)) ? v : JSON.stringify(String(v))}`,
    );
  }
  if (opts.config) out.push(`--config ${opts.config}`);
  return out.filter(Boolean).join(' ');
}
