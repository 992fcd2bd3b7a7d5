// IAM through SDK v3: roles, their inline policies and tags, and the cluster's OIDC provider.
import {
  IAMClient,
  CreateOpenIDConnectProviderCommand,
  CreateRoleCommand,
  DeleteOpenIDConnectProviderCommand,
  DeleteRoleCommand,
  DeleteRolePolicyCommand,
  DetachRolePolicyCommand,
  GetOpenIDConnectProviderCommand,
  GetPolicyCommand,
  GetPolicyVersionCommand,
  GetRoleCommand,
  GetRolePolicyCommand,
  ListAttachedRolePoliciesCommand,
  ListOpenIDConnectProvidersCommand,
  ListRolePoliciesCommand,
  ListRolesCommand,
  ListRoleTagsCommand,
  PutRolePolicyCommand,
  UpdateAssumeRolePolicyCommand,
} from '@aws-sdk/client-iam';
import { NotVisibleYetError, type IamPort, type Tags } from '../core/aws/ports.js';
import type { PolicyDocument } from '../core/aws/validate-iam.js';
import { awsCall, isAwsError, toKedactlError, type ClientBase } from './aws.js';

const awsErrorFor = (e: unknown, op: string, resource: string) => toKedactlError(e, 'iam', op, resource);

/** A trust policy naming a role IAM does not see yet is refused as malformed for a few seconds. */
function principalNotVisible(e: unknown): boolean {
  return (
    isAwsError(e, 'MalformedPolicyDocument', 'MalformedPolicyDocumentException') && /invalid principal/i.test(String((e as Error).message))
  );
}

const GONE = ['NoSuchEntity', 'NoSuchEntityException'];

/** IAM returns documents URL-encoded (real AWS) or plain (some emulators). */
export function parsePolicy(text: string | undefined): PolicyDocument {
  if (!text) return { Version: '2012-10-17', Statement: [] };
  try {
    return JSON.parse(text) as PolicyDocument;
  } catch {
    return JSON.parse(decodeURIComponent(text)) as PolicyDocument;
  }
}

const toTags = (t: Tags) => Object.entries(t).map(([Key, Value]) => ({ Key, Value }));
const fromTags = (t: Array<{ Key?: string; Value?: string }> | undefined): Tags =>
  Object.fromEntries((t ?? []).map((x) => [x.Key ?? '', x.Value ?? '']));

export function iamAdapter(base: ClientBase, decorate: (c: IAMClient) => void): IamPort {
  // IAM is global: region only picks the signing region; the endpoint override still applies
  const client = new IAMClient(base);
  decorate(client);
  const call = <T>(op: string, resource: string, fn: () => Promise<T>, quiet: string[] = []) => awsCall('iam', op, resource, fn, quiet);
  const orGone = async <T>(p: Promise<T>, gone: T): Promise<T> => {
    try {
      return await p;
    } catch (e) {
      if (isAwsError(e, ...GONE)) return gone;
      throw e;
    }
  };

  /** undefined when the role is gone */
  const listRoleTags = async (name: string): Promise<Tags | undefined> => {
    const out: Tags = {};
    let Marker: string | undefined;
    do {
      const r = await orGone(
        call('ListRoleTags', name, () => client.send(new ListRoleTagsCommand({ RoleName: name, Marker })), GONE),
        undefined,
      );
      if (!r) return undefined;
      Object.assign(out, fromTags(r.Tags));
      Marker = r.IsTruncated ? r.Marker : undefined;
    } while (Marker);
    return out;
  };

  return {
    async getRole(name) {
      const r = await orGone(
        call('GetRole', name, () => client.send(new GetRoleCommand({ RoleName: name })), GONE),
        undefined,
      );
      if (!r?.Role) return undefined;
      // GetRole's tags are complete for kedactl's few tags; ListRoleTags pages when there are many
      const tags = r.Role.Tags && r.Role.Tags.length < 50 ? fromTags(r.Role.Tags) : await listRoleTags(name);
      if (!tags) return undefined;
      return { name, arn: r.Role.Arn!, trust: parsePolicy(r.Role.AssumeRolePolicyDocument), tags };
    },
    async listRoles(namePrefix) {
      const out: Array<{ name: string; arn: string; trust: PolicyDocument }> = [];
      let Marker: string | undefined;
      do {
        const r = await call('ListRoles', namePrefix ? `${namePrefix}*` : '*', () =>
          client.send(new ListRolesCommand({ Marker, MaxItems: 1000 })),
        );
        for (const role of r.Roles ?? [])
          if (!namePrefix || role.RoleName!.startsWith(namePrefix))
            out.push({ name: role.RoleName!, arn: role.Arn!, trust: parsePolicy(role.AssumeRolePolicyDocument) });
        Marker = r.IsTruncated ? r.Marker : undefined;
      } while (Marker);
      return out;
    },
    listRoleTags,
    async createRole(name, trust, tags, description) {
      try {
        const r = await call(
          'CreateRole',
          name,
          () =>
            client.send(
              new CreateRoleCommand({
                RoleName: name,
                AssumeRolePolicyDocument: JSON.stringify(trust),
                Tags: toTags(tags),
                Description: description.slice(0, 1000),
              }),
            ),
          ['MalformedPolicyDocument', 'MalformedPolicyDocumentException'],
        );
        return r.Role!.Arn!;
      } catch (e) {
        if (principalNotVisible(e)) throw new NotVisibleYetError(`IAM CreateRole ${name}: ${(e as Error).message}`);
        throw awsErrorFor(e, 'CreateRole', name);
      }
    },
    async updateTrust(name, trust) {
      try {
        await call(
          'UpdateAssumeRolePolicy',
          name,
          () => client.send(new UpdateAssumeRolePolicyCommand({ RoleName: name, PolicyDocument: JSON.stringify(trust) })),
          ['MalformedPolicyDocument', 'MalformedPolicyDocumentException'],
        );
      } catch (e) {
        if (principalNotVisible(e)) throw new NotVisibleYetError(`IAM UpdateAssumeRolePolicy ${name}: ${(e as Error).message}`);
        throw awsErrorFor(e, 'UpdateAssumeRolePolicy', name);
      }
    },
    async listInlinePolicies(role) {
      const out: string[] = [];
      let Marker: string | undefined;
      do {
        // a role that is gone has no policies; any other error is the caller's to see
        const r = await orGone(
          call('ListRolePolicies', role, () => client.send(new ListRolePoliciesCommand({ RoleName: role, Marker })), GONE),
          undefined,
        );
        out.push(...(r?.PolicyNames ?? []));
        Marker = r?.IsTruncated ? r.Marker : undefined;
      } while (Marker);
      return out;
    },
    async getInlinePolicy(role, policy) {
      const r = await orGone(
        call(
          'GetRolePolicy',
          `${role}/${policy}`,
          () => client.send(new GetRolePolicyCommand({ RoleName: role, PolicyName: policy })),
          GONE,
        ),
        undefined,
      );
      return r ? parsePolicy(r.PolicyDocument) : undefined;
    },
    async putInlinePolicy(role, policy, doc) {
      await call('PutRolePolicy', `${role}/${policy}`, () =>
        client.send(new PutRolePolicyCommand({ RoleName: role, PolicyName: policy, PolicyDocument: JSON.stringify(doc) })),
      );
    },
    async deleteInlinePolicy(role, policy) {
      await orGone(
        call(
          'DeleteRolePolicy',
          `${role}/${policy}`,
          () => client.send(new DeleteRolePolicyCommand({ RoleName: role, PolicyName: policy })),
          GONE,
        ),
        undefined,
      );
    },
    async listAttachedPolicies(role) {
      const out: string[] = [];
      let Marker: string | undefined;
      do {
        const r = await orGone(
          call('ListAttachedRolePolicies', role, () => client.send(new ListAttachedRolePoliciesCommand({ RoleName: role, Marker })), GONE),
          undefined,
        );
        out.push(...(r?.AttachedPolicies ?? []).map((p) => p.PolicyArn!));
        Marker = r?.IsTruncated ? r.Marker : undefined;
      } while (Marker);
      return out;
    },
    async getManagedPolicy(arn) {
      const p = await orGone(
        call('GetPolicy', arn, () => client.send(new GetPolicyCommand({ PolicyArn: arn })), GONE),
        undefined,
      );
      const version = p?.Policy?.DefaultVersionId;
      if (!version) return undefined;
      const v = await orGone(
        call('GetPolicyVersion', arn, () => client.send(new GetPolicyVersionCommand({ PolicyArn: arn, VersionId: version })), GONE),
        undefined,
      );
      return v?.PolicyVersion?.Document ? parsePolicy(v.PolicyVersion.Document) : undefined;
    },
    async detachPolicy(role, policyArn) {
      await orGone(
        call(
          'DetachRolePolicy',
          `${role} / ${policyArn}`,
          () => client.send(new DetachRolePolicyCommand({ RoleName: role, PolicyArn: policyArn })),
          GONE,
        ),
        undefined,
      );
    },
    async deleteRole(name) {
      return orGone(
        call('DeleteRole', name, () => client.send(new DeleteRoleCommand({ RoleName: name })).then(() => true), GONE),
        false,
      );
    },
    async listOidcProviders() {
      const r = await call('ListOpenIDConnectProviders', '*', () => client.send(new ListOpenIDConnectProvidersCommand({})));
      return (r.OpenIDConnectProviderList ?? []).map((p) => p.Arn!);
    },
    async getOidcProvider(arn) {
      const r = await orGone(
        call(
          'GetOpenIDConnectProvider',
          arn,
          () => client.send(new GetOpenIDConnectProviderCommand({ OpenIDConnectProviderArn: arn })),
          GONE,
        ),
        undefined,
      );
      return r ? { url: r.Url ?? '', clientIds: r.ClientIDList ?? [], tags: fromTags(r.Tags) } : undefined;
    },
    async createOidcProvider(issuerUrl, clientIds, tags) {
      const r = await call('CreateOpenIDConnectProvider', issuerUrl, () =>
        client.send(new CreateOpenIDConnectProviderCommand({ Url: issuerUrl, ClientIDList: clientIds, Tags: toTags(tags) })),
      );
      return r.OpenIDConnectProviderArn!;
    },
    async deleteOidcProvider(arn) {
      return orGone(
        call(
          'DeleteOpenIDConnectProvider',
          arn,
          () => client.send(new DeleteOpenIDConnectProviderCommand({ OpenIDConnectProviderArn: arn })).then(() => true),
          GONE,
        ),
        false,
      );
    },
  };
}
