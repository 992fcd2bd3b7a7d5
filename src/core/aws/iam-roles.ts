// The stack's IAM roles: trust policy, inline policies (they live and die with the role) and tags.
import { NotVisibleYetError, type IamPort } from './ports.js';
import { conflictMessage, mapLimit, orUnreadable, ownedBy, type Discovered, type Unreadable } from './tags.js';
import type { DesiredRole } from '../stack/desired.js';
import { ExternalError } from '../errors.js';
import { sameDocument, type Change, type Observed } from '../stack/plan.js';
import type { Progress } from '../progress.js';
import { federatedPrincipals, type PolicyDocument } from './validate-iam.js';

export type ObservedRoles = NonNullable<Observed['roles']>;

export const ROLE_PREFIX = 'kedactl-';

export async function observeRoles(roles: DesiredRole[], iam: IamPort, stack: string) {
  const observed: ObservedRoles = {};
  const conflicts: string[] = [];
  await mapLimit(roles, 4, async (r) => {
    const role = await iam.getRole(r.name);
    if (!role) {
      observed[r.name] = undefined;
      return;
    }
    const names = await iam.listInlinePolicies(r.name);
    const policies: Record<string, PolicyDocument> = {};
    for (const n of names) {
      const doc = await iam.getInlinePolicy(r.name, n);
      if (doc) policies[n] = doc;
    }
    observed[r.name] = { trust: role.trust, policies, tags: role.tags };
    if (!ownedBy(role.tags, stack)) conflicts.push(conflictMessage('IAM role', r.name, stack, role.tags));
  });
  return { observed, conflicts };
}

export interface WaitOptions {
  /** attempts of GetRole before giving up; default 12 (about 30 s with backoff) */
  attempts?: number;
  sleep?: (ms: number) => Promise<void>;
}

/** IAM is eventually consistent: a new role is usable once GetRole sees it. Poll with backoff, bounded. */
export async function waitForRole(iam: IamPort, name: string, opts: WaitOptions = {}): Promise<void> {
  const attempts = opts.attempts ?? 12;
  const sleep = opts.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
  for (let i = 0; i < attempts; i++) {
    if (await iam.getRole(name)) return;
    await sleep(Math.min(250 * 2 ** i, 5000));
  }
  throw new ExternalError(
    'IAM',
    'GetRole',
    `role ${name} was created but is still not visible after ${attempts} checks`,
    'IAM may be slow right now; run the same command again in a minute (it continues where it stopped)',
  );
}

/** Retry a call IAM refuses only because a principal it names is not visible yet; bounded. */
async function whenVisible<T>(fn: () => Promise<T>, opts: WaitOptions): Promise<T> {
  const attempts = opts.attempts ?? 12;
  const sleep = opts.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
  for (let i = 0; ; i++) {
    try {
      return await fn();
    } catch (e) {
      if (!(e instanceof NotVisibleYetError)) throw e;
      if (i + 1 >= attempts)
        throw new ExternalError(
          'IAM',
          'CreateRole',
          `${e.message} (still after ${attempts} tries)`,
          'IAM may be slow right now; run the same command again in a minute (it continues where it stopped)',
        );
      await sleep(Math.min(250 * 2 ** i, 5000));
    }
  }
}

export async function applyRoles(
  roles: DesiredRole[],
  changes: Change[],
  iam: IamPort,
  progress: Progress,
  observed: ObservedRoles,
  wait: WaitOptions = {},
): Promise<void> {
  // roles are in dependency order: a trust policy may name a role created just before it
  for (const r of roles) {
    const change = changes.find((c) => c.group === 'aws' && c.kind === 'IAM role' && c.name === r.name);
    const action = change?.action ?? 'unchanged';
    if (action === 'create') {
      await progress.step(`create IAM role ${r.name}`, async (update) => {
        await whenVisible(() => iam.createRole(r.name, r.trust, r.tags, r.purpose), wait);
        for (const [name, doc] of Object.entries(r.policies)) {
          await iam.putInlinePolicy(r.name, name, doc);
          update(`policy ${name}`);
        }
        await waitForRole(iam, r.name, wait);
      });
    } else if (action === 'update') {
      const seen: ObservedRoles[string] =
        observed[r.name] ?? (await iam.getRole(r.name).then((x) => (x ? { trust: x.trust, policies: {}, tags: x.tags } : undefined)));
      await progress.step(`update IAM role ${r.name}`, async (update) => {
        if (!seen || !sameDocument(seen.trust, r.trust)) {
          await whenVisible(() => iam.updateTrust(r.name, r.trust), wait);
          update('trust policy');
        }
        for (const [name, doc] of Object.entries(r.policies)) {
          if (seen && sameDocument(seen.policies[name], doc)) continue;
          await iam.putInlinePolicy(r.name, name, doc);
          update(`policy ${name}`);
        }
        for (const name of Object.keys(seen?.policies ?? {})) {
          if (name in r.policies) continue;
          await iam.deleteInlinePolicy(r.name, name);
          update(`removed policy ${name}`);
        }
      });
    }
  }
}

export interface StackRole {
  name: string;
  /** the OIDC providers its trust policy names */
  federated: string[];
}

/**
 * Roles tagged with the stack (candidates by kedactl's name prefix). A role whose tags cannot be read
 * is reported as unreadable, never as "not the stack's"; only a role that is gone is.
 */
export async function findStackRoles(stack: string, iam: IamPort): Promise<Discovered<StackRole>> {
  const candidates = await iam.listRoles(`${ROLE_PREFIX}${stack}-`);
  const unreadable: Unreadable[] = [];
  const found = await mapLimit(candidates, 8, async (r) => {
    const tags = await orUnreadable('IAM role', r.name, unreadable, () => iam.listRoleTags(r.name));
    return ownedBy(tags, stack) ? { name: r.name, federated: federatedPrincipals(r.trust) } : undefined;
  });
  return { found: found.filter((r): r is StackRole => r !== undefined).sort((a, b) => a.name.localeCompare(b.name)), unreadable };
}

/** Delete inline policies, detach managed ones (IAM refuses to delete a role that has either), then the role. */
export async function deleteRole(name: string, iam: IamPort, progress: Progress): Promise<void> {
  await progress.step(`delete IAM role ${name}`, async (update) => {
    // a role that is gone lists none; a refused list fails here, naming ListRolePolicies, not DeleteRole
    for (const p of await iam.listInlinePolicies(name)) {
      await iam.deleteInlinePolicy(name, p);
      update(`deleted policy ${p}`);
    }
    for (const arn of await iam.listAttachedPolicies(name)) {
      await iam.detachPolicy(name, arn);
      update(`detached ${arn}`);
    }
    if (!(await iam.deleteRole(name))) update('already gone');
  });
}
