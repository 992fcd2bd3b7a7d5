// Templates are parsed first, then values are filled into the parsed tree: a value is data, never
// structure. Files in an override directory replace the built-in ones with the same relative path.
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments, visit, Scalar } from 'yaml';
import { UsageError } from '../errors.js';
import { packageRoot } from '../package-root.js';

export const BUILTIN_TEMPLATES = join(packageRoot(import.meta.url), 'templates');

/** Template values; `undefined` means "does not apply here": the placeholder's entry is removed. */
export type TemplateValues = Record<string, string | number | boolean | undefined>;

export class TemplateError extends UsageError {}

export interface TemplateSource {
  /** reads a template's text by relative path; the override directory first */
  read(relPath: string): { text: string; path: string };
}

export function templateSource(overrideDir?: string): TemplateSource {
  if (overrideDir) {
    let ok = false;
    try {
      ok = statSync(overrideDir).isDirectory();
    } catch {
      ok = false;
    }
    if (!ok)
      throw new TemplateError(
        `templates = "${overrideDir}": no such directory`,
        'pass --templates a directory that holds your overrides, or drop the flag',
      );
  }
  return {
    read(relPath) {
      for (const dir of overrideDir ? [overrideDir, BUILTIN_TEMPLATES] : [BUILTIN_TEMPLATES]) {
        const path = join(dir, relPath);
        try {
          return { text: readFileSync(path, 'utf8'), path };
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw new TemplateError(`cannot read template ${path}: ${String(e)}`);
        }
      }
      throw new TemplateError(`template ${relPath} is missing`, 'reinstall kedactl, or add the file to your --templates directory');
    },
  };
}

const WHOLE = /^\$\{([A-Za-z][A-Za-z0-9]*)\}$/;
const INLINE = /\$\{([A-Za-z][A-Za-z0-9]*)\}/g;
const REMOVE = Symbol('remove');

type Json = string | number | boolean | null | Json[] | { [k: string]: Json };

/** A scalar the template author quoted: its placeholders always fill in as text. */
class Quoted {
  constructor(readonly text: string) {}
}

function fillString(s: string, values: TemplateValues, where: string, asText = false): Json | typeof REMOVE {
  const whole = asText ? null : WHOLE.exec(s);
  if (whole) {
    const name = whole[1]!;
    if (!(name in values))
      throw new TemplateError(`${where}: unknown placeholder \${${name}}`, `known placeholders: ${Object.keys(values).sort().join(', ')}`);
    const v = values[name];
    return v === undefined ? REMOVE : v;
  }
  return s.replace(INLINE, (_m, name: string) => {
    if (!(name in values))
      throw new TemplateError(`${where}: unknown placeholder \${${name}}`, `known placeholders: ${Object.keys(values).sort().join(', ')}`);
    const v = values[name];
    if (v === undefined)
      throw new TemplateError(`${where}: \${${name}} does not apply in this configuration; use it only as a whole, unquoted value`);
    return String(v);
  });
}

/** Fill placeholders in a parsed tree. Removals prune maps and lists they leave empty. */
export function fill(node: unknown, values: TemplateValues, where: string): Json | typeof REMOVE {
  if (typeof node === 'string') return fillString(node, values, where);
  if (node instanceof Quoted) return fillString(node.text, values, where, true);
  if (Array.isArray(node)) {
    const out: Json[] = [];
    for (const item of node) {
      const v = fill(item, values, where);
      if (v !== REMOVE) out.push(v);
    }
    return out.length === 0 && node.length > 0 ? REMOVE : out;
  }
  if (node !== null && typeof node === 'object') {
    const out: Record<string, Json> = {};
    const entries = Object.entries(node);
    for (const [k, child] of entries) {
      const v = fill(child, values, where);
      if (v === REMOVE) continue;
      const key = fillString(k, values, where);
      if (typeof key !== 'string') throw new TemplateError(`${where}: a key must be text, not a value of another type`);
      out[key] = v;
    }
    return Object.keys(out).length === 0 && entries.length > 0 ? REMOVE : out;
  }
  return node as Json;
}

/** Parse a YAML template (one or more documents) and fill it. */
export function renderYaml(src: TemplateSource, relPath: string, values: TemplateValues): Array<Record<string, unknown>> {
  const { text, path } = src.read(relPath);
  const docs = parseAllDocuments(text);
  if (!Array.isArray(docs)) throw new TemplateError(`template ${path} does not parse as YAML`);
  const out: Array<Record<string, unknown>> = [];
  for (const doc of docs) {
    if (doc.errors.length > 0) {
      throw new TemplateError(
        `template ${path} does not parse as YAML: ${doc.errors[0]!.message.split('\n')[0]}`,
        'fix the template and run again',
      );
    }
    // quoted scalars ("${x}") stay text even when the value is a number
    visit(doc, {
      Scalar(_key, n) {
        if ((n.type === Scalar.QUOTE_DOUBLE || n.type === Scalar.QUOTE_SINGLE) && typeof n.value === 'string')
          n.value = new Quoted(n.value);
      },
    });
    const tree = doc.toJS({ maxAliasCount: 0 });
    if (tree === null || tree === undefined) continue;
    const filled = fill(tree, values, path);
    if (filled === REMOVE || typeof filled !== 'object' || filled === null || Array.isArray(filled))
      throw new TemplateError(`template ${path}: each document must be one Kubernetes object (a mapping)`);
    out.push(filled as Record<string, unknown>);
  }
  return out;
}

/** Parse a JSON template and fill it. */
export function renderJson(src: TemplateSource, relPath: string, values: TemplateValues): Record<string, unknown> {
  const { text, path } = src.read(relPath);
  let tree: unknown;
  try {
    tree = JSON.parse(text);
  } catch (e) {
    throw new TemplateError(`template ${path} does not parse as JSON: ${(e as Error).message}`, 'fix the template and run again');
  }
  const filled = fill(tree, values, path);
  if (filled === REMOVE || typeof filled !== 'object' || filled === null || Array.isArray(filled))
    throw new TemplateError(`template ${path} must hold one JSON object`);
  return filled as Record<string, unknown>;
}

/** A template's raw text (the consumer script is carried as-is into its ConfigMap). */
export function readText(src: TemplateSource, relPath: string): string {
  return src.read(relPath).text;
}
