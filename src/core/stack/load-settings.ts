// Where settings come from, in precedence order: flags, the wizard's answers, KEDACTL_* variables, AWS's
// own variables, the config file (kedactl.yaml), what the stack records on the cluster, then defaults.
// Every value keeps its origin, so init saves to kedactl.yaml only what the user gave.
import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { SettingsError, type SettingProblem } from '../errors.js';
import { absoluteKedaChart } from '../keda/chart.js';
import { CONFIG_FILE, pinnedLines, readConfigFile, type PinnedLine } from './config-file.js';
import {
  coerce,
  FIELDS,
  FIELD_BY_KEY,
  envName,
  resolveSettings,
  type Layer,
  type Origin,
  type Settings,
  type SettingKey,
} from './settings.js';

export { CONFIG_FILE, readConfigFile } from './config-file.js';

export interface SettingsInput {
  /** values from command-line flags, keyed by setting (commander's camelCase) */
  flags: Partial<Record<string, unknown>>;
  /** what the init wizard was told (origin wizard) or found itself (origin detected) */
  answers?: Layer;
  env: NodeJS.ProcessEnv;
  cwd: string;
  /** --config, or undefined to use ./kedactl.yaml when present */
  configPath?: string;
  /** plan may run before a region is chosen: it shows <region> and says how to set it */
  regionOptional?: boolean;
  /** what the stack was applied with (src/core/stack/recorded.ts): under the config file, over the defaults */
  recorded?: Layer;
}

/** What this run made of the config file. */
export interface ConfigFileUse {
  path: string;
  /** the stack the file names, if it names one */
  stack?: string;
  /**
   * The file names another stack than this run's: its lines that follow the stack (FieldSpec.perStack)
   * belong to that stack and were not used.
   */
  otherStack?: { leftOut: Array<{ key: SettingKey; where: string }>; used: SettingKey[] };
  /** an older init wrote it, and these lines equal what kedactl derives or defaults to anyway */
  pinned: PinnedLine[];
}

export interface LoadedSettings {
  settings: Settings;
  /** settings some source supplied (flags, env, file, the stack's record): the wizard does not ask for these */
  given: Set<SettingKey>;
  /** where each setting's value came from: kedactl.yaml holds the user's (USER_ORIGINS) and nothing else */
  origins: Partial<Record<SettingKey, Origin>>;
  /** the config file that was read, if any */
  configFile?: string;
  file?: ConfigFileUse;
}

/** The stack a layer names, when it names a valid one. */
function stackOf(layer: Layer): string | undefined {
  const hit = layer.stack;
  const c = hit && coerce(FIELD_BY_KEY.get('stack')!, hit.value);
  return typeof c?.value === 'string' ? c.value : undefined;
}

export function loadSettings(input: SettingsInput): LoadedSettings {
  const problems: SettingProblem[] = [];
  const flagLayer: Layer = {};
  for (const f of FIELDS) {
    const v = input.flags[f.key];
    if (v !== undefined) flagLayer[f.key] = { value: v, source: `--${f.flag}`, origin: 'flag' };
  }
  const kedactlEnv: Layer = {};
  const awsEnv: Layer = {};
  for (const f of FIELDS) {
    const name = envName(f);
    const v = input.env[name];
    if (v !== undefined && v !== '') kedactlEnv[f.key] = { value: v, source: name, origin: 'env' };
    if (f.awsEnv) {
      const a = input.env[f.awsEnv] ?? (f.awsEnv === 'AWS_REGION' ? input.env.AWS_DEFAULT_REGION : undefined);
      if (a !== undefined && a !== '') awsEnv[f.key] = { value: a, source: f.awsEnv, origin: 'env' };
    }
  }
  const answers = input.answers ?? {};
  const explicit = input.configPath ?? input.env.KEDACTL_CONFIG;
  const path = explicit ? resolve(input.cwd, explicit) : resolve(input.cwd, CONFIG_FILE);
  let fileLayer: Layer = {};
  let file: ConfigFileUse | undefined;
  let legacy = false;
  if (explicit || existsSync(path)) {
    const read = readConfigFile(path, explicit ? '--config' : undefined);
    fileLayer = read.layer;
    legacy = read.legacy;
    problems.push(...read.problems);
    file = { path, stack: stackOf(fileLayer), pinned: [] };
    // a file made for another stack gives this one only what follows the folder, never that stack's names
    const runStack = [flagLayer, answers, kedactlEnv].map(stackOf).find((s) => s !== undefined);
    if (file.stack !== undefined && runStack !== undefined && runStack !== file.stack) {
      const leftOut: Array<{ key: SettingKey; where: string }> = [];
      for (const f of FIELDS) {
        const line = fileLayer[f.key];
        if (!line || !f.perStack) continue;
        leftOut.push({ key: f.key, where: line.source });
        delete fileLayer[f.key];
      }
      delete fileLayer.stack;
      file.otherStack = { leftOut, used: Object.keys(fileLayer) as SettingKey[] };
    }
  }
  // a relative chart folder is where kedactl runs (flag, answer, variable) or beside the config file that names it
  for (const [layer, base] of [
    [flagLayer, input.cwd],
    [answers, input.cwd],
    [kedactlEnv, input.cwd],
    [fileLayer, file ? dirname(file.path) : input.cwd],
  ] as const) {
    const chart = layer.kedaChart;
    if (chart && typeof chart.value === 'string' && chart.value)
      layer.kedaChart = { ...chart, value: absoluteKedaChart(chart.value, base) };
  }
  const recorded = input.recorded ?? {};
  const layers = [flagLayer, answers, kedactlEnv, awsEnv, fileLayer, recorded];
  const resolved = resolveSettings(layers, { regionOptional: input.regionOptional });
  problems.push(...resolved.problems);
  if (problems.length > 0 || !resolved.settings) throw new SettingsError(problems);
  if (file && legacy) file.pinned = pinnedLines(fileLayer, resolved.settings);
  const given = new Set<SettingKey>();
  for (const [k, o] of Object.entries(resolved.origins) as Array<[SettingKey, Origin]>)
    if (o !== 'default' && o !== 'derived' && o !== 'detected') given.add(k);
  return { settings: resolved.settings, origins: resolved.origins, configFile: file?.path, given, file };
}
