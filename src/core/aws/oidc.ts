// The cluster's IAM OIDC identity provider: IRSA trust policies name it. kedactl creates it only when
// asked (--create-oidc-provider) and deletes it only if kedactl created it and no other role uses it.
import type { IamPort } from './ports.js';
import { managedByKedactl, orUnreadable, ownedBy, type Discovered, type Unreadable } from './tags.js';
import type { DesiredStack } from '../stack/desired.js';
import { UsageError } from '../errors.js';
import { federatedPrincipals } from './validate-iam.js';
import type { Progress } from '../progress.js';
import { stackTags, UNKNOWN_ISSUER } from '../stack/names.js';

export interface ObservedOidcProvider {
  arn: string;
  exists: boolean;
  /** tagged by kedactl when it was created */
  createdByKedactl: boolean;
}

export async function observeOidcProvider(desired: DesiredStack, iam: IamPort): Promise<ObservedOidcProvider | undefined> {
  if (desired.settings.auth !== 'irsa' || desired.arns.oidcIssuer === UNKNOWN_ISSUER) return undefined;
  const p = await iam.getOidcProvider(desired.arns.oidcProvider);
  return { arn: desired.arns.oidcProvider, exists: Boolean(p), createdByKedactl: managedByKedactl(p?.tags) };
}

/** Make sure the provider exists before any role names it; create it only with consent. */
export async function ensureOidcProvider(
  desired: DesiredStack,
  seen: ObservedOidcProvider | undefined,
  iam: IamPort,
  progress: Progress,
  create: boolean,
): Promise<void> {
  if (!seen || seen.exists) return;
  const issuer = desired.arns.oidcIssuer;
  if (!create)
    throw new UsageError(
      `the IAM OIDC provider for ${issuer} does not exist (without it the IRSA roles cannot be assumed), and kedactl creates it only with --create-oidc-provider`,
      `pass --create-oidc-provider, or create it yourself ("eksctl utils associate-iam-oidc-provider --cluster ${desired.settings.cluster ?? '<cluster>'} --approve"); nothing was changed`,
    );
  await progress.step(`create IAM OIDC provider ${desired.arns.oidcIssuerHost}`, () =>
    iam.createOidcProvider(issuer, ['sts.amazonaws.com'], stackTags(desired.settings.stack)),
  );
}

/** OIDC providers tagged with the stack (kedactl created them for it); one that cannot be read is unreadable, not "not ours". */
export async function findStackOidcProviders(stack: string, iam: IamPort): Promise<Discovered<string>> {
  const unreadable: Unreadable[] = [];
  const found: string[] = [];
  for (const arn of await iam.listOidcProviders()) {
    const p = await orUnreadable('IAM OIDC provider', arn, unreadable, () => iam.getOidcProvider(arn));
    if (p && ownedBy(p.tags, stack)) found.push(arn);
  }
  return { found, unreadable };
}

/**
 * After the stack's roles are gone: delete each candidate provider that kedactl created and that no
 * remaining role trusts. Returns what was deleted, what was kept (with why), and what could not be
 * read or deleted (the others are still done).
 */
export async function teardownOidcProviders(
  candidates: string[],
  iam: IamPort,
  progress: Progress,
): Promise<{ deleted: string[]; kept: string[]; failed: Unreadable[] }> {
  const deleted: string[] = [];
  const kept: string[] = [];
  const failed: Unreadable[] = [];
  const unique = [...new Set(candidates)].sort();
  if (unique.length === 0) return { deleted, kept, failed };
  const stillUsed = new Set((await iam.listRoles()).flatMap((r) => federatedPrincipals(r.trust)));
  for (const arn of unique) {
    await orUnreadable('IAM OIDC provider', arn, failed, async () => {
      const p = await iam.getOidcProvider(arn);
      if (!p) return;
      if (!managedByKedactl(p.tags)) kept.push(`IAM OIDC provider ${arn} (not created by kedactl)`);
      else if (stillUsed.has(arn)) kept.push(`IAM OIDC provider ${arn} (other roles still trust it)`);
      else {
        await progress.step(`delete IAM OIDC provider ${arn.split('oidc-provider/')[1] ?? arn}`, () => iam.deleteOidcProvider(arn));
        deleted.push(`IAM OIDC provider ${arn}`);
      }
    });
  }
  return { deleted, kept, failed };
}

/**
 * The providers tagged with the stack that its teardown would delete: those no role outside
 * `stackRoles` trusts (one another stack still uses is kept, so it is not "left of" this stack).
 */
export async function leftOidcProviders(stack: string, iam: IamPort, stackRoles: ReadonlySet<string>): Promise<Discovered<string>> {
  const tagged = await findStackOidcProviders(stack, iam);
  if (tagged.found.length === 0) return tagged;
  const usedByOthers = new Set((await iam.listRoles()).filter((r) => !stackRoles.has(r.name)).flatMap((r) => federatedPrincipals(r.trust)));
  return { found: tagged.found.filter((arn) => !usedByOthers.has(arn)), unreadable: tagged.unreadable };
}
