// Would a CRD's schema accept an object? The checks the API server makes for a server-side apply of a
// custom resource, enough to name a field before anything is written: unknown fields (apply refuses a
// field the schema does not declare), enums, types and required fields. Pure: the schema is passed in.

export interface JsonSchema {
  type?: string;
  enum?: unknown[];
  properties?: Record<string, JsonSchema>;
  additionalProperties?: boolean | JsonSchema;
  items?: JsonSchema;
  required?: string[];
  'x-kubernetes-preserve-unknown-fields'?: boolean;
  'x-kubernetes-int-or-string'?: boolean;
}

/** One reason the schema refuses the object: where, and why. */
export interface SchemaProblem {
  path: string;
  rule: string;
}

/** The openAPIV3Schema of `version` in a CustomResourceDefinition object, if it has one. */
export function crdSchema(crd: unknown, version: string): JsonSchema | undefined {
  const versions =
    (crd as { spec?: { versions?: Array<{ name: string; schema?: { openAPIV3Schema?: JsonSchema } }> } })?.spec?.versions ?? [];
  return versions.find((v) => v.name === version)?.schema?.openAPIV3Schema;
}

const show = (v: unknown) => JSON.stringify(v);

function typeProblem(value: unknown, s: JsonSchema): string | undefined {
  if (s['x-kubernetes-int-or-string'])
    return typeof value === 'string' || Number.isInteger(value) ? undefined : 'must be an integer or a string';
  switch (s.type) {
    case undefined:
      return undefined;
    case 'object':
      return value !== null && typeof value === 'object' && !Array.isArray(value) ? undefined : 'must be an object';
    case 'array':
      return Array.isArray(value) ? undefined : 'must be a list';
    case 'string':
      return typeof value === 'string' ? undefined : 'must be a string';
    case 'integer':
      return Number.isInteger(value) ? undefined : 'must be an integer';
    case 'number':
      return typeof value === 'number' ? undefined : 'must be a number';
    case 'boolean':
      return typeof value === 'boolean' ? undefined : 'must be true or false';
    default:
      return undefined;
  }
}

/**
 * Every problem the schema finds in `value`, with dotted paths from `at`. `metadata` at the top is the
 * API server's to check, not the CRD's, and is skipped.
 */
export function schemaProblems(value: unknown, schema: JsonSchema, at = ''): SchemaProblem[] {
  const out: SchemaProblem[] = [];
  const walk = (v: unknown, s: JsonSchema, path: string) => {
    const t = typeProblem(v, s);
    if (t) {
      out.push({ path, rule: `${t} (is ${show(v)})` });
      return;
    }
    if (s.enum && !s.enum.some((e) => e === v)) {
      out.push({ path, rule: `${show(v)} is not one of ${s.enum.map(show).join(', ')}` });
      return;
    }
    if (Array.isArray(v)) {
      if (s.items) for (const [i, item] of v.entries()) walk(item, s.items!, `${path}[${i}]`);
      return;
    }
    if (v === null || typeof v !== 'object') return;
    const obj = v as Record<string, unknown>;
    for (const r of s.required ?? []) if (!(r in obj)) out.push({ path: join(path, r), rule: 'is required' });
    for (const [k, child] of Object.entries(obj)) {
      const p = join(path, k);
      if (path === at && at === '' && k === 'metadata') continue;
      const declared = s.properties?.[k];
      if (declared) walk(child, declared, p);
      else if (typeof s.additionalProperties === 'object') walk(child, s.additionalProperties, p);
      else if (s.properties && !s['x-kubernetes-preserve-unknown-fields'] && s.additionalProperties !== true)
        out.push({ path: p, rule: 'is not a field of this CRD version' });
    }
  };
  walk(value, schema, at);
  return out;
}

const join = (path: string, key: string) => (path ? `${path}.${key}` : key);
