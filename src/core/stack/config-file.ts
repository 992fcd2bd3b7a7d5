// kedactl.yaml: the settings a user gave for a folder, and only those. Reading it (file:line for every
// problem), telling whether an older kedactl pinned values it derived, and the text init writes back:
// the user's values set into the file as it stands, its comments, order and other lines kept.
import { readFileSync } from 'node:fs';
import { LineCounter, parseDocument, isMap, isScalar, stringify, type Pair } from 'yaml';
import { UsageError, type SettingProblem } from '../errors.js';
import {
  coerce,
  defaults,
  DERIVED_FROM,
  FIELDS,
  FIELD_BY_KEY,
  USER_ORIGINS,
  type Layer,
  type Origin,
  type Settings,
  type SettingKey,
} from './settings.js';

export const CONFIG_FILE = 'kedactl.yaml';

/** The first line of a file kedactl init writes. */
export const HEADER =
  '# the settings you gave kedactl for this folder (never ones it derived); flags and KEDACTL_* variables win over these';

/**
 * The first line an earlier init wrote. Since stacks recorded their settings, its re-runs also
 * saved every value they had read from the record or derived: such a file may pin them.
 */
export const LEGACY_HEADER = '# written by kedactl init; flags and KEDACTL_* variables still win over these';

export interface ConfigFileRead {
  layer: Layer;
  problems: SettingProblem[];
  /** written by an init that pinned derived values (LEGACY_HEADER) */
  legacy: boolean;
}

/** Parse kedactl.yaml, reporting file:line for every problem. */
export function readConfigFile(path: string, via?: string): ConfigFileRead {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new UsageError(
      `cannot read config file ${path}${via ? ` (given by ${via})` : ''}: ${code === 'ENOENT' ? 'no such file' : (code ?? String(e))}`,
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
  const layer: Layer = {};
  const problems: SettingProblem[] = [];
  const legacy = text.split('\n', 1)[0]!.trim() === LEGACY_HEADER;
  if (doc.contents === null) return { layer, problems, legacy };
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
    layer[field.key] = { value: valueNode.value, source: where, origin: 'file' };
  }
  return { layer, problems, legacy };
}

export interface PinnedLine {
  key: SettingKey;
  value: unknown;
  /** file:line */
  where: string;
  line: number;
  /** "derived from stack" or "the default" */
  why: string;
}

/**
 * The lines of a file an older init wrote that equal what kedactl derives or defaults to anyway (given the
 * stack and processing time in effect). Whether the user chose them, the file cannot tell.
 */
export function pinnedLines(file: Layer, s: Pick<Settings, 'stack' | 'processingTime'>): PinnedLine[] {
  const d = defaults(s.stack, s.processingTime) as Partial<Record<SettingKey, unknown>>;
  const out: PinnedLine[] = [];
  for (const f of FIELDS) {
    const line = file[f.key];
    if (!line || d[f.key] === undefined || coerce(f, line.value).value !== d[f.key]) continue;
    const from = DERIVED_FROM[f.key];
    out.push({
      key: f.key,
      value: d[f.key],
      where: line.source,
      line: Number(line.source.slice(line.source.lastIndexOf(':') + 1)),
      why: from ? `derived from ${from}` : 'the default',
    });
  }
  return out.sort((a, b) => a.line - b.line);
}

/** The values kedactl.yaml holds after this run: the ones the user gave, in the order of FIELDS. */
export function userValues(s: Settings, origins: Partial<Record<SettingKey, Origin>>): Partial<Record<SettingKey, unknown>> {
  const out: Partial<Record<SettingKey, unknown>> = {};
  for (const f of FIELDS) {
    const origin = origins[f.key];
    if (origin && USER_ORIGINS.has(origin) && s[f.key] !== undefined) out[f.key] = s[f.key];
  }
  return out;
}

/**
 * kedactl.yaml's text with these values: a new file, or the existing one with each value set in place (a
 * line already saying it is left as written, spelled as a key or as a flag); no line is removed.
 */
export function configText(existing: string | undefined, values: Partial<Record<SettingKey, unknown>>): string {
  if (existing === undefined) return `${HEADER}\n${Object.keys(values).length > 0 ? stringify(values) : ''}`;
  const doc = parseDocument(existing);
  let changed = false;
  for (const [k, v] of Object.entries(values) as Array<[SettingKey, unknown]>) {
    const f = FIELD_BY_KEY.get(k)!;
    const pair = isMap(doc.contents)
      ? (doc.contents.items as Pair[]).find((p) => isScalar(p.key) && (p.key.value === f.key || p.key.value === f.flag))
      : undefined;
    if (pair && isScalar(pair.value) && coerce(f, pair.value.value).value === v) continue;
    if (pair && isScalar(pair.value))
      pair.value.value = v; // the scalar keeps its comment
    else doc.set(k, v);
    changed = true;
  }
  // unchanged, the file stays byte for byte as its author wrote it
  return changed ? doc.toString() : existing;
}

/**
 * The text of an older init's file once its user has looked at its pinned lines: the ones they did not
 * choose removed, the first line replaced by today's (so the warning stops). A line is removed only when
 * it is the one-line `key: value` that was read there.
 */
export function afterReview(text: string, drop: readonly PinnedLine[]): string {
  const lines = text.split('\n');
  const gone = new Set<number>();
  for (const p of drop) {
    const f = FIELD_BY_KEY.get(p.key)!;
    const i = p.line - 1;
    if (new RegExp(`^(${f.key}|${f.flag})\\s*:`).test(lines[i] ?? '') && !/^\s/.test(lines[i + 1] ?? '')) gone.add(i);
  }
  const kept = lines.filter((_, i) => !gone.has(i));
  if (kept[0]?.trim() === LEGACY_HEADER) kept[0] = HEADER;
  return kept.join('\n');
}
