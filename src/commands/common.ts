// Shared steps of every command: verbosity, then settings from flags/env/config.
import { loadSettings, type LoadedSettings } from '../core/load-settings.js';
import type { CommandContext } from './context.js';

export function begin(opts: Record<string, unknown>, ctx: CommandContext, o: { regionOptional?: boolean } = {}): LoadedSettings {
  ctx.setVerbosity(Number(opts.verbose ?? 0));
  const loaded = loadSettings({ flags: opts, env: ctx.env, cwd: ctx.cwd, configPath: opts.config as string | undefined, ...o });
  if (loaded.configFile) ctx.host().notify('debug', 'settings.file', `settings read from ${loaded.configFile}`);
  return loaded;
}
