// Where settings come from, in precedence order: flags, KEDACTL_* variables, AWS's own variables,
// the config file (kedactl.yaml), what the stack records on the cluster, then defaults.
import { readFileSync, existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { LineCounter, parseDocument, isMap, isScalar, type Pair } from 'yaml';
import { SettingsError, UsageError, type SettingProblem } from './errors.js';
import { absoluteKedaChart } from './keda-chart.js';
import { FIELDS, FIELD_BY_KEY, envName, resolveSettings, type Settings, type SettingKey, type Sourced } from './settings.js';

export const CONFIG_FILE = 'kedactl.yaml';

export interface SettingsInput {
  /** values from command-line flags, keyed by setting (commander's camelCase) */
  flags: Partial<Record<string, unknown>>;
  env: NodeJS.ProcessEnv;
  cwd: string;
  /** --config, or undefined to use ./kedactl.yaml when present */
  configPath?: string;
  /** plan may run before a region is chosen: it shows <region> and says how to set it */
  regionOptional?: boolean;
  /** what the stack was applied with (src/core/recorded.ts): under the config file, over the defaults */
  recorded?: Partial<Record<SettingKey, Sourced>>;
}

export interface LoadedSettings {
  settings: Settings;
  /** settings some source supplied (flags, env, file): the wizard does not ask for these */
  given: Set<SettingKey>;
  /** the config file that was read, if any */
  configFile?: string;
}

export function loadSettings(input: SettingsInput): LoadedSettings {
  const problems: SettingProblem[] = [];
  const flagLayer: Partial<Record<SettingKey, Sourced>> = {};
  for (const f of FIELDS) {
    const v = input.flags[f.key];
    if (v !== undefined) flagLayer[f.key] = { value: v, source: `--${f.flag}` };
  }
  const kedactlEnv: Partial<Record<SettingKey, Sourced>> = {};
  const awsEnv: Partial<Record<SettingKey, Sourced>> = {};
  for (const f of FIELDS) {
    const name = envName(f);
    const v = input.env[name];
    if (v !== undefined && v !== '') kedactlEnv[f.key] = { value: v, source: name };
    if (f.awsEnv) {
      const a = input.env[f.awsEnv] ?? (f.awsEnv === 'AWS_REGION' ? input.env.AWS_DEFAULT_REGION : undefined);
      if (a !== undefined && a !== '') awsEnv[f.key] = { value: a, source: f.awsEnv };
    }
  }
  const explicit = input.configPath ?? input.env.KEDACTL_CONFIG;
  const path = explicit ? resolve(input.cwd, explicit) : resolve(input.cwd, CONFIG_FILE);
  let fileLayer: Partial<Record<SettingKey, Sourced>> = {};
  let configFile: string | undefined;
  if (explicit || existsSync(path)) {
    const read = readConfigFile(path, explicit ? '--config' : undefined);
    fileLayer = read.layer;
    problems.push(...read.problems);
    configFile = path;
  }
  // a relative chart folder is where kedactl runs (flag, variable) or beside the config file that names it
  for (const [layer, base] of [[flagLayer, input.cwd], [kedactlEnv, input.cwd], [fileLayer, configFile ? dirname(configFile) : input.cwd]] as const) {
    const chart = layer.kedaChart;
    if (chart && typeof chart.value === 'string' && chart.value) layer.kedaChart = { ...chart, value: absoluteKedaChart(chart.value, base) };
  }
  const recorded = input.recorded ?? {};
  const resolved = resolveSettings([flagLayer, kedactlEnv, awsEnv, fileLayer, recorded], { regionOptional: input.regionOptional });
  problems.push(...resolved.problems);
  if (problems.length > 0 || !resolved.settings) throw new SettingsError(problems);
  const given = new Set<SettingKey>();
  for (const layer of [flagLayer, kedactlEnv, awsEnv, fileLayer, recorded]) for (const k of Object.keys(layer)) given.add(k as SettingKey);
  return { settings: resolved.settings, configFile, given };
}

/** Parse kedactl.yaml, reporting file:line for every problem. */
export function readConfigFile(path: string, via?: string): { layer: Partial<Record<SettingKey, Sourced>>; problems: SettingProblem[] } {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new UsageError(
      `cannot read config file ${path}${via ? ` (given by ${via})` : ''}: ${code === 'ENOENT' ? 'no such file' : code ?? String(e)}`,
      'pass an existing file with --config, or run without it to use flags and defaults',
    );
  }
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false });
  const at = (offset: number | undefined) => `${path}:${offset === undefined ? 1 : lines.linePos(offset).line}`;
  if (doc.errors.length > 0) {
    const e = doc.errors[0]!;
    throw new UsageError(`config file ${at(e.pos[0])} does not parse as YAML: ${e.message.split('\n')[0]}`, 'fix the YAML and run again');
  }
  const layer: Partial<Record<SettingKey, Sourced>> = {};
  const problems: SettingProblem[] = [];
  if (doc.contents === null) return { layer, problems };
  if (!isMap(doc.contents)) {
    throw new UsageError(`config file ${at(doc.contents.range?.[0])} must be a mapping of setting: value`, 'see the README for the keys');
  }
  for (const pair of doc.contents.items as Pair[]) {
    const keyNode = pair.key;
    const key = isScalar(keyNode) ? String(keyNode.value) : String(keyNode);
    const where = at(isScalar(keyNode) ? keyNode.range?.[0] : undefined);
    const field = FIELD_BY_KEY.get(key as SettingKey) ?? FIELDS.find((f) => f.flag === key);
    if (!field) {
      problems.push({ setting: key, rule: `is not a kedactl setting (known: ${FIELDS.map((f) => f.key).join(', ')})`, source: where });
      continue;
    }
    const valueNode = pair.value;
    if (!isScalar(valueNode)) {
      problems.push({ setting: field.key, rule: 'must be a single value, not a list or mapping', source: where });
      continue;
    }
    layer[field.key] = { value: valueNode.value, source: where };
  }
  return { layer, problems };
}
