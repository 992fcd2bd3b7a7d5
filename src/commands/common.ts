// Shared steps of every command: verbosity, then settings from flags/env/config; Ctrl-C as an abort.
import { loadSettings, type LoadedSettings } from '../core/load-settings.js';
import { FIELDS, type Settings } from '../core/settings.js';
import type { CommandContext } from './context.js';

export function begin(opts: Record<string, unknown>, ctx: CommandContext, o: { regionOptional?: boolean } = {}): LoadedSettings {
  ctx.setVerbosity(Number(opts.verbose ?? 0));
  const loaded = loadSettings({ flags: opts, env: ctx.env, cwd: ctx.cwd, configPath: opts.config as string | undefined, ...o });
  if (loaded.configFile) ctx.host().notify('debug', 'settings.file', `settings read from ${loaded.configFile}`);
  return loaded;
}

/** Runs fn with a signal that Ctrl-C aborts: the use case stops cleanly and reports what it did. */
export async function withCtrlC<T>(fn: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const abort = new AbortController();
  const onSigint = () => abort.abort();
  process.once('SIGINT', onSigint);
  try {
    return await fn(abort.signal);
  } finally {
    process.removeListener('SIGINT', onSigint);
  }
}

/** The settings flags this run was given, to repeat in the commands it suggests next. */
export function settingFlags(opts: Record<string, unknown>, s: Settings): string {
  const out: string[] = [];
  for (const f of FIELDS) {
    if (opts[f.key] === undefined) continue;
    const v = s[f.key];
    out.push(f.kind === 'bool' ? (v ? `--${f.flag}` : '') : `--${f.flag} ${/^[\w.:/@-]+$/.test(String(v)) ? v : JSON.stringify(String(v))}`);
  }
  if (opts.config) out.push(`--config ${opts.config}`);
  return out.filter(Boolean).join(' ');
}
