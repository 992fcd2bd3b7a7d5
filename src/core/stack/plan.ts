// The plan is a value: what will be created, updated or left alone, and which permissions it grants.
// plan(desired, observed) is pure; apply does exactly what it says.
import type { DesiredStack, StaticCredentials } from './desired.js';
import type { PolicyDocument } from '../aws/validate-iam.js';
import { KEDA } from './names.js';
import { describeKedaChart } from '../keda/chart.js';
import { formatConflict, type KedaConflict } from '../keda/conflicts.js';
import { isSupportedKedaVersion, SUPPORTED_KEDA_RANGE } from '../keda/versions.js';

export type Action = 'create' | 'update' | 'unchanged' | 'delete' | 'adopt';
export type Group = 'aws' | 'keda' | 'kubernetes';

export interface Change {
  group: Group;
  /** the user's noun: "SQS queue", "IAM role", "ScaledJob" */
  kind: string;
  name: string;
  namespace?: string;
  action: Action;
  /** what differs, one line each (for updates) */
  details: string[];
}

/** One permission in words: who may do what on which resource. */
export interface Grant {
  principal: string;
  actions: string[];
  resource: string;
  condition?: string;
}

export interface Plan {
  stack: string;
  changes: Change[];
  grants: Grant[];
  /** true when the plan creates a role or adds to what a role may do or who may assume it */
  widensPermissions: boolean;
  warnings: string[];
  /** what stops init before it writes anything (the cluster would refuse part of the stack), with what to do */
  blockers: string[];
  unresolved: Array<{ setting: string; how: string }>;
  /** static mode: the kind of credentials the Secret gets, and when temporary ones expire (no secret) */
  credentials?: StaticCredentials;
}

/** What exists now. `undefined` for a resource means it does not exist; a missing map means "not looked at". */
export interface Observed {
  queues?: Record<string, { attributes: Record<string, string>; tags: Record<string, string> } | undefined>;
  roles?: Record<string, { trust: PolicyDocument; policies: Record<string, PolicyDocument>; tags: Record<string, string> } | undefined>;
  keda?: { installed: boolean; version?: string; values?: Record<string, string>; conflicts?: KedaConflict[] };
  /** keyed by kubeKey(); `diff` is the server's view of what an apply would change */
  objects?: Record<string, { exists: boolean; diff: string[] } | undefined>;
  /** keyed by kubeKey(): the other workload kinds' objects that exist and are the stack's (to delete) */
  retired?: Record<string, true>;
  /** what the installed KEDA CRDs refuse of the rendered objects (kube-stack.ts checkKedaCrds) */
  kedaCrds?: { problems: string[]; unread: string[] };
}

export function kubeKey(o: { kind: string; metadata: { name: string; namespace?: string } }): string {
  return `${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`;
}

const asList = (v: string | string[] | undefined): string[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

/** Every permission a set of roles grants, in words. */
export function grantsOf(desired: DesiredStack): Grant[] {
  const out: Grant[] = [];
  for (const r of desired.roles) {
    for (const s of r.trust.Statement) {
      for (const [kind, who] of Object.entries(s.Principal ?? {})) {
        for (const p of asList(who)) {
          const cond = Object.entries(s.Condition?.StringEquals ?? {}).map(([k, v]) => `${k.split(':').pop()}=${asList(v).join('|')}`);
          out.push({
            principal: kind === 'AWS' ? p : `${kind} ${p}`,
            actions: asList(s.Action),
            resource: r.arn,
            condition: cond.length ? cond.join(', ') : undefined,
          });
        }
      }
    }
    for (const doc of Object.values(r.policies))
      for (const s of doc.Statement)
        for (const res of asList(s.Resource)) out.push({ principal: r.arn, actions: asList(s.Action), resource: res });
  }
  // a role's policy and the target's trust often say the same thing twice (operator -> scaler)
  const seen = new Set<string>();
  return out.filter((g) => {
    const key = `${g.principal}|${g.actions.join()}|${g.resource}|${g.condition ?? ''}`;
    return seen.has(key) ? false : (seen.add(key), true);
  });
}

function statementsKey(doc: PolicyDocument): Set<string> {
  const keys = new Set<string>();
  for (const s of doc.Statement) {
    if (s.Effect !== 'Allow') continue;
    const principals = Object.entries(s.Principal ?? { '': '' }).flatMap(([k, v]) => asList(v).map((p) => `${k}:${p}`));
    for (const p of principals)
      for (const a of asList(s.Action))
        for (const r of asList(s.Resource ?? '')) keys.add(`${p}|${a}|${r}|${JSON.stringify(s.Condition ?? {})}`);
  }
  return keys;
}

/** true when `next` allows something `prev` did not */
export function widens(prev: PolicyDocument | undefined, next: PolicyDocument): boolean {
  if (!prev) return true;
  const before = statementsKey(prev);
  for (const k of statementsKey(next)) if (!before.has(k)) return true;
  return false;
}

export function sameDocument(a: PolicyDocument | undefined, b: PolicyDocument): boolean {
  if (!a) return false;
  return canonical(a) === canonical(b);
}

function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v && typeof v === 'object')
    return `{${Object.keys(v)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical((v as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  return JSON.stringify(v);
}

export function plan(desired: DesiredStack, observed: Observed = {}): Plan {
  const changes: Change[] = [];
  let widen = false;

  for (const q of desired.queues) {
    const seen = observed.queues?.[q.name];
    const kind = q.purpose === 'dead-letter' ? 'SQS dead-letter queue' : 'SQS queue';
    if (!observed.queues || !seen) {
      changes.push({
        group: 'aws',
        kind,
        name: q.name,
        action: 'create',
        details: Object.entries(q.attributes).map(([k, v]) => `${k}=${v}`),
      });
      continue;
    }
    const details = Object.entries(q.attributes)
      .filter(([k, v]) => seen.attributes[k] !== v)
      .map(([k, v]) => `${k}: ${seen.attributes[k] ?? '(unset)'} -> ${v}`);
    changes.push({ group: 'aws', kind, name: q.name, action: details.length ? 'update' : 'unchanged', details });
  }

  for (const r of desired.roles) {
    const seen = observed.roles?.[r.name];
    if (!observed.roles || !seen) {
      widen = true;
      changes.push({ group: 'aws', kind: 'IAM role', name: r.name, action: 'create', details: [r.purpose] });
      continue;
    }
    const details: string[] = [];
    if (!sameDocument(seen.trust, r.trust)) {
      details.push('trust policy differs from the plan');
      if (widens(seen.trust, r.trust)) widen = true;
    }
    for (const [name, doc] of Object.entries(r.policies)) {
      if (!sameDocument(seen.policies[name], doc)) {
        details.push(seen.policies[name] ? `policy ${name} differs from the plan` : `policy ${name} is missing`);
        if (widens(seen.policies[name], doc)) widen = true;
      }
    }
    for (const name of Object.keys(seen.policies))
      if (!(name in r.policies)) details.push(`policy ${name} is not in the plan and will be removed`);
    changes.push({ group: 'aws', kind: 'IAM role', name: r.name, action: details.length ? 'update' : 'unchanged', details });
  }

  const k = observed.keda;
  const kedaVals = Object.entries(desired.keda.values).map(([key, v]) => `${key}=${v}`);
  if (!k || !k.installed) {
    changes.push({
      group: 'keda',
      kind: 'helm release',
      name: `${KEDA.namespace}/${desired.keda.release}`,
      action: 'create',
      details: [`chart ${describeKedaChart(desired.keda.source)} ${desired.keda.version}`, ...kedaVals],
    });
  } else {
    const details = Object.entries(desired.keda.values)
      .filter(([key, v]) => k.values?.[key] !== v)
      .map(([key, v]) => `${key}: ${k.values?.[key] ?? '(unset)'} -> ${v}`);
    changes.push({
      group: 'keda',
      kind: 'helm release',
      name: `${KEDA.namespace}/${desired.keda.release}`,
      action: details.length ? 'update' : 'unchanged',
      details: [`installed version ${k.version ?? 'unknown'}`, ...details],
    });
  }

  for (const { object } of desired.objects) {
    const seen = observed.objects?.[kubeKey(object)];
    const base = { group: 'kubernetes' as const, kind: object.kind, name: object.metadata.name, namespace: object.metadata.namespace };
    if (!observed.objects || !seen || !seen.exists) changes.push({ ...base, action: 'create', details: [] });
    else changes.push({ ...base, action: seen.diff.length ? 'update' : 'unchanged', details: seen.diff });
  }

  for (const r of desired.retired)
    if (observed.retired?.[kubeKey({ kind: r.kind, metadata: r })])
      changes.push({
        group: 'kubernetes',
        kind: r.kind,
        name: r.name,
        namespace: r.namespace,
        action: 'delete',
        details: [`the ${r.workload} workload's; the stack now runs the ${desired.settings.workload} workload`, r.retiring],
      });

  const warnings = [...desired.warnings];
  const blockers: string[] = [];
  if (k?.installed && k.version && !isSupportedKedaVersion(k.version))
    warnings.push(`KEDA ${k.version} is installed; kedactl renders for KEDA ${SUPPORTED_KEDA_RANGE} and leaves an installed KEDA as it is`);
  for (const c of k?.conflicts ?? []) (c.blocks ? blockers : warnings).push(formatConflict(c));
  const crds = observed.kedaCrds;
  if (crds && crds.problems.length > 0) {
    const installed = k?.installed ? `KEDA ${k.version ?? '(version unknown)'}` : 'the installed KEDA';
    blockers.push(
      `${installed}'s CRDs would refuse what kedactl renders:\n${crds.problems.map((p) => `  - ${p}`).join('\n')}\n` +
        `  upgrade KEDA to ${desired.keda.version} (helm upgrade keda kedacore/keda -n ${KEDA.namespace} --reuse-values --version ${desired.keda.version}), ` +
        'or change the setting or template override that renders the field',
    );
  }
  if (crds && crds.unread.length > 0)
    warnings.push(
      `could not read ${crds.unread.join(', ')} (forbidden): the API server checks the KEDA objects only when they are applied`,
    );

  return {
    stack: desired.settings.stack,
    changes,
    grants: grantsOf(desired),
    widensPermissions: widen,
    warnings,
    blockers,
    unresolved: desired.unresolved,
    ...(desired.credentials ? { credentials: desired.credentials } : {}),
  };
}

export function hasWork(p: Plan): boolean {
  return p.changes.some((c) => c.action !== 'unchanged');
}
