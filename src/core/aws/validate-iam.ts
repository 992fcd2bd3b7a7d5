// The IAM policy grammar kedactl needs, checked before a document is written or sent, plus the
// least-privilege rules every kedactl document must keep.
export type PolicyDocument = { Version: string; Statement: Statement[] };
export interface Statement {
  Sid?: string;
  Effect: 'Allow' | 'Deny';
  Principal?: Record<string, string | string[]>;
  Action: string | string[];
  Resource?: string | string[];
  Condition?: Record<string, Record<string, string | string[]>>;
}

const ACTION = /^[a-z0-9-]+:[A-Za-z0-9*]+$/;
// <region> and <account-id> are the plan's placeholders for values not known yet
const ARN = /^arn:aws(-cn|-us-gov)?:[a-z0-9-]+:([a-z0-9-]*|<region>):(\d{12}|<account-id>)?:.+$/;
const CONDITION_OPS = new Set(['StringEquals', 'StringLike', 'StringNotEquals', 'ArnEquals', 'ArnLike', 'Bool']);
const PRINCIPAL_KINDS = new Set(['AWS', 'Federated', 'Service']);

const list = (v: string | string[] | undefined): string[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

/** Grammar problems of a policy (kind "permissions") or trust policy (kind "trust"). */
export function iamProblems(doc: unknown, kind: 'permissions' | 'trust'): string[] {
  const p: string[] = [];
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) return ['must be a JSON object'];
  const d = doc as Record<string, unknown>;
  for (const k of Object.keys(d)) if (k !== 'Version' && k !== 'Statement' && k !== 'Id') p.push(`unknown top-level key "${k}"`);
  if (d.Version !== '2012-10-17') p.push('Version must be "2012-10-17"');
  if (!Array.isArray(d.Statement) || d.Statement.length === 0) return [...p, 'Statement must be a non-empty list'];
  d.Statement.forEach((raw, i) => {
    const at = `Statement[${i}]`;
    if (typeof raw !== 'object' || raw === null) {
      p.push(`${at} must be an object`);
      return;
    }
    const s = raw as Record<string, unknown>;
    for (const k of Object.keys(s))
      if (!['Sid', 'Effect', 'Principal', 'Action', 'Resource', 'Condition'].includes(k)) p.push(`${at}: unknown key "${k}"`);
    if (s.Sid !== undefined && (typeof s.Sid !== 'string' || !/^[A-Za-z0-9]*$/.test(s.Sid))) p.push(`${at}.Sid must be letters and digits`);
    if (s.Effect !== 'Allow' && s.Effect !== 'Deny') p.push(`${at}.Effect must be Allow or Deny`);
    const actions = strings(s.Action);
    if (!actions || actions.length === 0) p.push(`${at}.Action must be a string or a non-empty list of strings`);
    else for (const a of actions) if (!ACTION.test(a)) p.push(`${at}.Action "${a}" is not service:Action`);
    if (kind === 'trust') {
      if (s.Resource !== undefined) p.push(`${at}: a trust policy has no Resource`);
      const pr = s.Principal;
      if (typeof pr !== 'object' || pr === null || Array.isArray(pr)) p.push(`${at}.Principal must be an object`);
      else
        for (const [k, v] of Object.entries(pr)) {
          if (!PRINCIPAL_KINDS.has(k)) p.push(`${at}.Principal has unknown kind "${k}"`);
          const vs = strings(v);
          if (!vs) p.push(`${at}.Principal.${k} must be a string or list of strings`);
          else if (k !== 'Service') for (const x of vs) if (!ARN.test(x)) p.push(`${at}.Principal.${k} "${x}" is not an ARN`);
        }
    } else {
      if (s.Principal !== undefined) p.push(`${at}: a permissions policy has no Principal`);
      const rs = strings(s.Resource);
      if (!rs || rs.length === 0) p.push(`${at}.Resource must be a string or a non-empty list of strings`);
      else for (const r of rs) if (r !== '*' && !ARN.test(r)) p.push(`${at}.Resource "${r}" is not an ARN`);
    }
    if (s.Condition !== undefined) {
      if (typeof s.Condition !== 'object' || s.Condition === null) p.push(`${at}.Condition must be an object`);
      else
        for (const [op, body] of Object.entries(s.Condition as Record<string, unknown>)) {
          if (!CONDITION_OPS.has(op)) p.push(`${at}.Condition operator "${op}" is not one kedactl uses`);
          if (typeof body !== 'object' || body === null) p.push(`${at}.Condition.${op} must be an object`);
          else
            for (const [k, v] of Object.entries(body))
              if (!strings(v)) p.push(`${at}.Condition.${op}["${k}"] must be a string or list of strings`);
        }
    }
  });
  return p;
}

function strings(v: unknown): string[] | undefined {
  if (typeof v === 'string') return [v];
  if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return v as string[];
  return undefined;
}

/** Least-privilege rules: no wildcards, web identity pinned to one service account and audience. */
export function privilegeProblems(doc: PolicyDocument, kind: 'permissions' | 'trust'): string[] {
  const p: string[] = [];
  doc.Statement.forEach((s, i) => {
    const at = `Statement[${i}]`;
    for (const a of list(s.Action)) if (a.includes('*')) p.push(`${at} grants the wildcard action "${a}"`);
    for (const r of list(s.Resource)) if (r.includes('*')) p.push(`${at} applies to the wildcard resource "${r}"`);
    if (kind === 'trust' && list(s.Action).includes('sts:AssumeRoleWithWebIdentity')) {
      const eq = s.Condition?.StringEquals ?? {};
      const keys = Object.keys(eq);
      const sub = keys.find((k) => k.endsWith(':sub'));
      const aud = keys.find((k) => k.endsWith(':aud'));
      if (!sub || list(eq[sub]).some((v) => !/^system:serviceaccount:[^:*]+:[^:*]+$/.test(v)))
        p.push(`${at} must pin ":sub" to one service account (system:serviceaccount:NAMESPACE:NAME) with StringEquals`);
      if (!aud || list(eq[aud]).join() !== 'sts.amazonaws.com') p.push(`${at} must pin ":aud" to sts.amazonaws.com with StringEquals`);
    }
  });
  return p;
}

/** the identity providers a trust policy lets assume the role (its Federated principals) */
export function federatedPrincipals(trust: PolicyDocument): string[] {
  const out: string[] = [];
  for (const s of trust.Statement ?? []) {
    const f = s.Principal?.Federated;
    if (f) out.push(...(Array.isArray(f) ? f : [f]));
  }
  return out;
}
