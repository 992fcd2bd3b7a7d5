// IAM policy evaluation, as far as doctor needs it (moto has no SimulatePrincipalPolicy): does a set of
// identity policies allow an action on a resource (an explicit Deny wins), and does a trust policy
// let a principal assume the role. Conditions on an Allow are not evaluated: such a grant counts, and
// is said to be conditional.
import type { PolicyDocument, Statement } from '../aws/validate-iam.js';

const list = (v: string | string[] | undefined): string[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

/** IAM's wildcards: * any run, ? one character */
export function wildcardMatch(pattern: string, value: string, ignoreCase = false): boolean {
  const re = new RegExp(
    `^${pattern
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '.*')
      .replace(/\?/g, '.')}$`,
    ignoreCase ? 'i' : '',
  );
  return re.test(value);
}

type AnyStatement = Statement & { NotAction?: string | string[]; NotResource?: string | string[]; NotPrincipal?: unknown };

function actionMatches(s: AnyStatement, action: string): boolean {
  if (s.NotAction !== undefined) return !list(s.NotAction).some((a) => wildcardMatch(a, action, true));
  return list(s.Action).some((a) => wildcardMatch(a, action, true));
}

function resourceMatches(s: AnyStatement, resource: string): boolean {
  if (s.NotResource !== undefined) return !list(s.NotResource).some((r) => wildcardMatch(r, resource));
  return list(s.Resource).some((r) => wildcardMatch(r, resource));
}

export interface Decision {
  allowed: boolean;
  /** the statement that decided, "policy-name Statement[i]" */
  by?: string;
  /** the allowing statement has conditions doctor did not evaluate */
  conditional?: boolean;
}

export function allows(policies: Record<string, PolicyDocument>, action: string, resource: string): Decision {
  let allow: Decision | undefined;
  for (const [name, doc] of Object.entries(policies))
    for (const [i, s] of (doc.Statement ?? []).entries()) {
      const st = s as AnyStatement;
      if (!actionMatches(st, action) || !resourceMatches(st, resource)) continue;
      if (st.Effect === 'Deny' && !st.Condition) return { allowed: false, by: `${name} Statement[${i}] (Deny)` };
      if (st.Effect === 'Allow' && (!allow || (allow.conditional && !st.Condition)))
        allow = { allowed: true, by: `${name} Statement[${i}]`, conditional: Boolean(st.Condition) };
    }
  return allow ?? { allowed: false };
}

/** the account id of a role ARN */
export const accountOf = (arn: string) => arn.split(':')[4] ?? '';

/** Does the trust policy let the role `principalArn` call sts:AssumeRole? */
export function trustsRole(trust: PolicyDocument, principalArn: string): Decision {
  const account = accountOf(principalArn);
  const partition = principalArn.split(':')[1] ?? 'aws';
  for (const [i, s] of (trust.Statement ?? []).entries()) {
    if (s.Effect !== 'Allow' || !actionMatches(s as AnyStatement, 'sts:AssumeRole')) continue;
    const aws = list(s.Principal?.AWS as string | string[] | undefined);
    if (aws.some((p) => p === '*' || p === principalArn || p === account || p === `arn:${partition}:iam::${account}:root`))
      return { allowed: true, by: `Statement[${i}]`, conditional: Boolean(s.Condition) };
  }
  return { allowed: false };
}

export interface WebIdentityMatch {
  /** a statement lets this service account in through this provider */
  admits: boolean;
  by?: string;
  /** what is wrong with the closest statement, one line each */
  problems: string[];
  /** :aud not pinned to sts.amazonaws.com (admits, but too wide) */
  audNotPinned?: boolean;
  /** :sub matched with StringLike wildcards (admits, but too wide) */
  subWildcard?: boolean;
}

/**
 * Does the trust policy let `subject` (system:serviceaccount:ns:name) assume the role with a web
 * identity token from `providerArn` (undefined: any provider the statement names)?
 */
export function webIdentityTrust(trust: PolicyDocument, subjectName: string, providerArn: string | undefined): WebIdentityMatch {
  const candidates = (trust.Statement ?? [])
    .map((s, i) => ({ s, i }))
    .filter(({ s }) => s.Effect === 'Allow' && actionMatches(s as AnyStatement, 'sts:AssumeRoleWithWebIdentity'));
  if (candidates.length === 0) return { admits: false, problems: ['no statement allows sts:AssumeRoleWithWebIdentity'] };
  let best: WebIdentityMatch | undefined;
  for (const { s, i } of candidates) {
    const problems: string[] = [];
    const federated = list(s.Principal?.Federated as string | string[] | undefined);
    if (providerArn && !federated.includes(providerArn))
      problems.push(`Principal.Federated is ${federated.join(', ') || '(none)'}, not this cluster's provider ${providerArn}`);
    const host = (providerArn ?? federated[0] ?? '').split(':oidc-provider/')[1] ?? '';
    const eq = s.Condition?.StringEquals ?? {};
    const like = s.Condition?.StringLike ?? {};
    const subKey = `${host}:sub`;
    const audKey = `${host}:aud`;
    const subEq = list(eq[subKey]);
    const subLike = list(like[subKey]);
    let subWildcard = false;
    if (subEq.length === 0 && subLike.length === 0) {
      const other = Object.keys({ ...eq, ...like }).find((k) => k.endsWith(':sub'));
      // a condition on another issuer's key never matches this token; no condition at all lets anyone in
      if (other) problems.push(`the condition names ${other}, not ${subKey}`);
      else subWildcard = true;
    } else if (!subEq.includes(subjectName)) {
      if (subLike.some((p) => wildcardMatch(p, subjectName))) subWildcard = true;
      else problems.push(`${subKey} is ${[...subEq, ...subLike].map((v) => JSON.stringify(v)).join(', ')}, not "${subjectName}"`);
    }
    const aud = [...list(eq[audKey]), ...list(like[audKey])];
    const audNotPinned = aud.length === 0;
    if (aud.length && !aud.includes('sts.amazonaws.com'))
      problems.push(`${audKey} is ${aud.map((v) => JSON.stringify(v)).join(', ')}, not "sts.amazonaws.com"`);
    const m: WebIdentityMatch = { admits: problems.length === 0, by: `Statement[${i}]`, problems, audNotPinned, subWildcard };
    if (m.admits && !m.audNotPinned && !m.subWildcard) return m;
    if (!best || (m.admits && !best.admits) || (m.admits === best.admits && m.problems.length < best.problems.length)) best = m;
  }
  return best!;
}
