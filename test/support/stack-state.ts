// Reads what a stack left in moto and in the API server, with clients kedactl does not use for the
// job (the plain SDK and kubectl), so tests compare a stack's real state, not kedactl's view of it.
import { execFileSync } from 'node:child_process';
import {
  GetRolePolicyCommand,
  GetRoleCommand,
  IAMClient,
  ListRolePoliciesCommand,
  ListRolesCommand,
  ListRoleTagsCommand,
  ListOpenIDConnectProvidersCommand,
} from '@aws-sdk/client-iam';
import { GetQueueAttributesCommand, ListQueuesCommand, ListQueueTagsCommand, SQSClient } from '@aws-sdk/client-sqs';
import { CreateClusterCommand, EKSClient } from '@aws-sdk/client-eks';
import { MOTO_ENV, MOTO_ACCOUNT, motoEndpoint } from './moto.ts';
import { which } from '../../src/adapters/which.ts';

const base = () => ({
  region: MOTO_ENV.AWS_REGION,
  endpoint: motoEndpoint(),
  credentials: { accessKeyId: MOTO_ENV.AWS_ACCESS_KEY_ID, secretAccessKey: MOTO_ENV.AWS_SECRET_ACCESS_KEY },
});

export async function createEksCluster(name: string): Promise<string> {
  const r = await new EKSClient(base()).send(
    new CreateClusterCommand({ name, roleArn: `arn:aws:iam::${MOTO_ACCOUNT}:role/eks`, resourcesVpcConfig: { subnetIds: [] } }),
  );
  return r.cluster!.identity!.oidc!.issuer!;
}

export interface AwsState {
  queues: Record<string, { tags: Record<string, string>; attributes: Record<string, string> }>;
  roles: Record<string, { trust: unknown; policies: Record<string, unknown>; tags: Record<string, string> }>;
  oidcProviders: string[];
}

const GONE = new Set(['QueueDoesNotExist', 'AWS.SimpleQueueService.NonExistentQueue', 'NoSuchEntity', 'NoSuchEntityException']);

/** undefined when the resource went away while it was being read; any other error is thrown */
async function goneIsUndefined<T>(read: () => Promise<T | undefined>): Promise<T | undefined> {
  try {
    return await read();
  } catch (e) {
    if (GONE.has((e as { name?: string }).name ?? '') || GONE.has((e as { Code?: string }).Code ?? '')) return undefined;
    throw e;
  }
}

/** Every queue and kedactl role tagged with the stack, read with the plain SDK. */
export async function awsState(stack: string): Promise<AwsState> {
  const sqs = new SQSClient({ ...base(), useQueueUrlAsEndpoint: false });
  const iam = new IAMClient(base());
  const out: AwsState = { queues: {}, roles: {}, oidcProviders: [] };
  // other test files create and delete their own queues and roles on the same moto server at the same
  // time: one that goes between the listing and the reads is simply not there (never this stack's)
  for (const url of (await sqs.send(new ListQueuesCommand({}))).QueueUrls ?? []) {
    const q = await goneIsUndefined(async () => {
      const tags = (await sqs.send(new ListQueueTagsCommand({ QueueUrl: url }))).Tags ?? {};
      if (tags['kedactl.io/stack'] !== stack) return undefined;
      const a =
        (
          await sqs.send(
            new GetQueueAttributesCommand({
              QueueUrl: url,
              AttributeNames: ['VisibilityTimeout', 'MessageRetentionPeriod', 'ReceiveMessageWaitTimeSeconds', 'RedrivePolicy'],
            }),
          )
        ).Attributes ?? {};
      return { tags, attributes: a };
    });
    if (q) out.queues[url.split('/').pop()!] = q;
  }
  for (const r of (await iam.send(new ListRolesCommand({ MaxItems: 1000 }))).Roles ?? []) {
    const read = await goneIsUndefined(async () => {
      const tags = Object.fromEntries(
        ((await iam.send(new ListRoleTagsCommand({ RoleName: r.RoleName! }))).Tags ?? []).map((t) => [t.Key!, t.Value!]),
      );
      if (tags['kedactl.io/stack'] !== stack) return undefined;
      const role = (await iam.send(new GetRoleCommand({ RoleName: r.RoleName! }))).Role!;
      const policies: Record<string, unknown> = {};
      for (const p of (await iam.send(new ListRolePoliciesCommand({ RoleName: r.RoleName! }))).PolicyNames ?? [])
        policies[p] = JSON.parse(
          decodeURIComponent((await iam.send(new GetRolePolicyCommand({ RoleName: r.RoleName!, PolicyName: p }))).PolicyDocument!),
        );
      return { trust: JSON.parse(decodeURIComponent(role.AssumeRolePolicyDocument!)), policies, tags };
    });
    if (read) out.roles[r.RoleName!] = read;
  }
  out.oidcProviders = ((await iam.send(new ListOpenIDConnectProvidersCommand({}))).OpenIDConnectProviderList ?? []).map((p) => p.Arn!);
  return out;
}

/** `kubectl get KIND -A -l kedactl.io/stack=STACK`: name, namespace and labels of each object. */
export function kubectlGet(
  kubeconfig: string,
  kinds: string,
  stack: string,
): Array<{ kind: string; name: string; namespace?: string; labels: Record<string, string> }> {
  if (!which('kubectl', process.env))
    throw new Error('kubectl is not on PATH: the lifecycle tests read the cluster with it (it is part of the machine image)');
  const out = execFileSync('kubectl', ['--kubeconfig', kubeconfig, 'get', kinds, '-A', '-l', `kedactl.io/stack=${stack}`, '-o', 'json'], {
    encoding: 'utf8',
  });
  return (JSON.parse(out).items as any[]).map((o) => ({
    kind: o.kind,
    name: o.metadata.name,
    namespace: o.metadata.namespace,
    labels: o.metadata.labels ?? {},
  }));
}

export const STACK_KINDS =
  'namespaces,serviceaccounts,secrets,configmaps,deployments,services,scaledjobs.keda.sh,triggerauthentications.keda.sh,jobs,pods';

/** Every object of the stack as kubectl prints it, without what the server adds (uid, times, managedFields). */
export function kubectlObjects(kubeconfig: string, kinds: string, stack: string): Array<Record<string, unknown>> {
  const out = execFileSync('kubectl', ['--kubeconfig', kubeconfig, 'get', kinds, '-A', '-l', `kedactl.io/stack=${stack}`, '-o', 'json'], {
    encoding: 'utf8',
  });
  return (JSON.parse(out).items as any[]).map((o) => {
    const { uid, resourceVersion, creationTimestamp, managedFields, generation, ...metadata } = o.metadata;
    const { status, ...rest } = o;
    if (rest.spec?.clusterIP) {
      // assigned by the server from its range, different for every Service
      const { clusterIP, clusterIPs, ...spec } = rest.spec;
      rest.spec = spec;
    }
    return { ...rest, metadata };
  });
}
