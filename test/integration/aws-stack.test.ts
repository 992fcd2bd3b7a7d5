// The AWS half of a stack against a real moto server: create, read back, re-run, drift, adopt vs
// refuse, teardown by tags.
import { describe, expect, it } from 'vitest';
import { CreateClusterCommand, EKSClient } from '@aws-sdk/client-eks';
import { CreateQueueCommand, SQSClient } from '@aws-sdk/client-sqs';
import { CreateRoleCommand, IAMClient, PutRolePolicyCommand, UpdateAssumeRolePolicyCommand } from '@aws-sdk/client-iam';
import { applyAws, discoverAws, observeAws, teardownAws } from '../../src/core/aws/stack.ts';
import { awsState } from '../support/stack-state.ts';
import { desiredStack } from '../../src/core/stack/desired.ts';
import { UsageError } from '../../src/core/errors.ts';
import { plan } from '../../src/core/stack/plan.ts';
import { recordingProgress } from '../../src/core/progress.ts';
import { stackTags } from '../../src/core/stack/names.ts';
import { MOTO_ACCOUNT, MOTO_ENV, motoEndpoint, uniqueStack } from '../support/moto.ts';
import { REGION, testAws, testSettings, WRITE } from '../support/aws.ts';

const sdk = () => {
  const base = {
    region: REGION,
    endpoint: motoEndpoint(),
    credentials: { accessKeyId: MOTO_ENV.AWS_ACCESS_KEY_ID, secretAccessKey: MOTO_ENV.AWS_SECRET_ACCESS_KEY },
  };
  return { eks: new EKSClient(base), sqs: new SQSClient({ ...base, useQueueUrlAsEndpoint: false }), iam: new IAMClient(base) };
};

async function eksCluster(name: string): Promise<string> {
  const r = await sdk().eks.send(
    new CreateClusterCommand({ name, roleArn: `arn:aws:iam::${MOTO_ACCOUNT}:role/eks`, resourcesVpcConfig: { subnetIds: [] } }),
  );
  return r.cluster!.identity!.oidc!.issuer!;
}

const awsChanges = (p: ReturnType<typeof plan>) => p.changes.filter((c) => c.group === 'aws');

/** what is still tagged with the stack, read with the plain SDK (tolerates other files' deletes meanwhile) */
async function taggedLeft(stack: string) {
  const left = await awsState(stack);
  return { queues: Object.keys(left.queues), roles: Object.keys(left.roles) };
}

describe('AWS stack against moto (IRSA)', () => {
  it('creates exactly the planned queue, roles and policies, re-runs without writes, fixes drift, tears down by tags', async () => {
    const stack = uniqueStack('life');
    const issuer = await eksCluster(`${stack}-eks`);
    const settings = testSettings({ stack, cluster: `${stack}-eks`, deadLetterQueue: true });
    const calls: string[] = [];
    const aws = testAws({ calls });

    const known = await discoverAws(settings, aws);
    expect(known).toEqual({ accountId: MOTO_ACCOUNT, oidcIssuer: issuer });
    const desired = await desiredStack(settings, known);
    const observed = await observeAws(desired, aws);
    expect(observed.conflicts).toEqual([]);
    expect(observed.oidcProvider).toMatchObject({ exists: false });
    const p1 = plan(desired, observed);
    expect(awsChanges(p1).map((c) => `${c.action} ${c.name}`)).toEqual([
      `create ${stack}-queue-dlq`,
      `create ${stack}-queue`,
      `create kedactl-${stack}-keda-operator`,
      `create kedactl-${stack}-scaler`,
      `create kedactl-${stack}-consumer`,
    ]);

    // without consent to create the OIDC provider: refuse before creating anything
    calls.length = 0;
    await expect(applyAws(desired, p1, aws, recordingProgress(), { createOidcProvider: false, observed })).rejects.toThrow(
      /--create-oidc-provider/,
    );
    expect(calls.filter((c) => WRITE.test(c))).toEqual([]);

    const progress = recordingProgress();
    const result = await applyAws(desired, p1, aws, progress, { createOidcProvider: true, observed });
    expect(result.queueUrl).toBe(`${motoEndpoint()}/${MOTO_ACCOUNT}/${stack}-queue`);
    expect(progress.steps.map((s) => s.title)).toContain(`create IAM role kedactl-${stack}-consumer`);

    // read everything back with plain reads
    const queue = await aws.sqs.getQueueAttributes(result.queueUrl);
    expect(queue.VisibilityTimeout).toBe(String(settings.visibilityTimeout));
    expect(JSON.parse(queue.RedrivePolicy!)).toEqual({ deadLetterTargetArn: desired.arns.deadLetterQueue, maxReceiveCount: 5 });
    expect(await aws.sqs.listQueueTags(result.queueUrl)).toEqual(stackTags(stack));
    const host = issuer.replace('https://', '');
    const consumer = (await aws.iam.getRole(`kedactl-${stack}-consumer`))!;
    expect(consumer.tags).toEqual(stackTags(stack));
    const web = consumer.trust.Statement.find(
      (s) => s.Action === 'sts:AssumeRoleWithWebIdentity' || (s.Action as string[]).includes?.('sts:AssumeRoleWithWebIdentity'),
    )!;
    expect(web.Principal).toEqual({ Federated: `arn:aws:iam::${MOTO_ACCOUNT}:oidc-provider/${host}` });
    expect(web.Condition!.StringEquals).toEqual({
      [`${host}:sub`]: `system:serviceaccount:${stack}:${stack}-consumer`,
      [`${host}:aud`]: 'sts.amazonaws.com',
    });
    expect(await aws.iam.listInlinePolicies(`kedactl-${stack}-consumer`)).toEqual([`kedactl-${stack}-consumer-policy`]);
    const consumerPolicy = (await aws.iam.getInlinePolicy(`kedactl-${stack}-consumer`, `kedactl-${stack}-consumer-policy`))!;
    expect(consumerPolicy).toEqual(
      desired.roles.find((r) => r.name === `kedactl-${stack}-consumer`)!.policies[`kedactl-${stack}-consumer-policy`],
    );
    for (const s of consumerPolicy.Statement)
      expect([s.Resource].flat().every((r) => r === desired.arns.queue || r === desired.arns.deadLetterQueue)).toBe(true);
    const provider = await aws.iam.getOidcProvider(`arn:aws:iam::${MOTO_ACCOUNT}:oidc-provider/${host}`);
    expect(provider?.tags).toEqual(stackTags(stack));

    // idempotent: everything unchanged, and apply sends no write request
    const again = await observeAws(desired, aws);
    const p2 = plan(desired, again);
    expect(awsChanges(p2).map((c) => c.action)).toEqual(['unchanged', 'unchanged', 'unchanged', 'unchanged', 'unchanged']);
    expect(p2.widensPermissions).toBe(false);
    calls.length = 0;
    await applyAws(desired, p2, aws, recordingProgress(), { createOidcProvider: true, observed: again });
    expect(calls.filter((c) => WRITE.test(c))).toEqual([]);

    // drift: someone widens the scaler's policy; the plan shows it, apply puts it back
    const scaler = `kedactl-${stack}-scaler`;
    await sdk().iam.send(
      new PutRolePolicyCommand({
        RoleName: scaler,
        PolicyName: `${scaler}-policy`,
        PolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'sqs:*', Resource: '*' }] }),
      }),
    );
    await sdk().iam.send(
      new PutRolePolicyCommand({
        RoleName: scaler,
        PolicyName: 'extra',
        PolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: '*' }] }),
      }),
    );
    // and someone lets any role in the account assume the consumer role
    const consumerName = `kedactl-${stack}-consumer`;
    await sdk().iam.send(
      new UpdateAssumeRolePolicyCommand({
        RoleName: consumerName,
        PolicyDocument: JSON.stringify({
          Version: '2012-10-17',
          Statement: [{ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${MOTO_ACCOUNT}:root` }, Action: 'sts:AssumeRole' }],
        }),
      }),
    );
    const drifted = await observeAws(desired, aws);
    const p3 = plan(desired, drifted);
    const change = awsChanges(p3).find((c) => c.name === scaler)!;
    expect(change.action).toBe('update');
    expect(change.details).toEqual([
      `policy ${scaler}-policy differs from the plan`,
      'policy extra is not in the plan and will be removed',
    ]);
    expect(awsChanges(p3).find((c) => c.name === consumerName)).toMatchObject({
      action: 'update',
      details: ['trust policy differs from the plan'],
    });
    calls.length = 0;
    await applyAws(desired, p3, aws, recordingProgress(), { createOidcProvider: false, observed: drifted });
    expect(calls.filter((c) => WRITE.test(c)).sort()).toEqual([
      'DeleteRolePolicyCommand',
      'PutRolePolicyCommand',
      'UpdateAssumeRolePolicyCommand',
    ]);
    expect((await aws.iam.getRole(consumerName))!.trust).toEqual(desired.roles.find((r) => r.name === consumerName)!.trust);
    expect(awsChanges(plan(desired, await observeAws(desired, aws))).every((c) => c.action === 'unchanged')).toBe(true);

    // teardown: nothing tagged with the stack is left, the provider kedactl created is gone
    const down = await teardownAws(stack, aws, recordingProgress());
    expect(down.deleted.sort()).toEqual([
      `IAM OIDC provider arn:aws:iam::${MOTO_ACCOUNT}:oidc-provider/${host}`,
      `IAM role kedactl-${stack}-consumer`,
      `IAM role kedactl-${stack}-keda-operator`,
      `IAM role kedactl-${stack}-scaler`,
      `SQS queue ${stack}-queue`,
      `SQS queue ${stack}-queue-dlq`,
    ]);
    expect(await taggedLeft(stack)).toEqual({ queues: [], roles: [] });
    expect(await aws.iam.getOidcProvider(`arn:aws:iam::${MOTO_ACCOUNT}:oidc-provider/${host}`)).toBeUndefined();
    // already gone is success
    expect((await teardownAws(stack, aws, recordingProgress())).deleted).toEqual([]);
  });

  it("refuses a queue or role with the stack's name that the stack does not own, and creates nothing", async () => {
    const stack = uniqueStack('ref');
    const settings = testSettings({ stack, oidcIssuer: `https://oidc.example.com/${stack}` });
    const aws = testAws();
    await sdk().sqs.send(new CreateQueueCommand({ QueueName: `${stack}-queue`, tags: { owner: 'someone-else' } }));
    await sdk().iam.send(
      new CreateRoleCommand({
        RoleName: `kedactl-${stack}-scaler`,
        AssumeRolePolicyDocument: JSON.stringify({
          Version: '2012-10-17',
          Statement: [{ Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole' }],
        }),
        Tags: [
          { Key: 'kedactl.io/stack', Value: 'other' },
          { Key: 'app.kubernetes.io/managed-by', Value: 'kedactl' },
        ],
      }),
    );
    const desired = await desiredStack(settings, await discoverAws(settings, aws));
    const observed = await observeAws(desired, aws);
    expect(observed.conflicts).toEqual([
      `SQS queue "${stack}-queue" already exists and is not part of stack "${stack}" (it is not tagged by kedactl)`,
      `IAM role "kedactl-${stack}-scaler" already exists and is not part of stack "${stack}" (it belongs to kedactl stack "other")`,
    ]);
    const err = await applyAws(desired, plan(desired, observed), aws, recordingProgress(), { createOidcProvider: true, observed }).catch(
      (e) => e,
    );
    expect(err).toBeInstanceOf(UsageError);
    expect(err.message).toMatch(/refusing to change resources that are not part of stack/);
    expect(await aws.iam.getRole(`kedactl-${stack}-consumer`)).toBeUndefined();
    expect(await aws.iam.getOidcProvider(desired.arns.oidcProvider)).toBeUndefined();
    // teardown leaves the foreign resources alone
    await teardownAws(stack, aws, recordingProgress());
    expect(await aws.sqs.getQueueUrl(`${stack}-queue`)).toBeDefined();
    expect(await aws.iam.getRole(`kedactl-${stack}-scaler`)).toBeDefined();
  });

  it("adopts a queue that carries the stack's tags and only updates the attributes that differ", async () => {
    const stack = uniqueStack('adopt');
    const settings = testSettings({ stack, auth: 'static' });
    const calls: string[] = [];
    const aws = testAws({ calls });
    await sdk().sqs.send(
      new CreateQueueCommand({ QueueName: `${stack}-queue`, Attributes: { VisibilityTimeout: '5' }, tags: stackTags(stack) }),
    );
    const known = await discoverAws(settings, aws);
    expect(known.credentials).toEqual({ accessKeyId: 'testing', secretAccessKey: 'testing' });
    const desired = await desiredStack(settings, known);
    const observed = await observeAws(desired, aws);
    expect(observed.conflicts).toEqual([]);
    const p = plan(desired, observed);
    expect(awsChanges(p)).toEqual([
      expect.objectContaining({
        name: `${stack}-queue`,
        action: 'update',
        details: ['VisibilityTimeout: 5 -> 90', 'ReceiveMessageWaitTimeSeconds: 0 -> 20'],
      }),
    ]);
    calls.length = 0;
    await applyAws(desired, p, aws, recordingProgress(), { createOidcProvider: false, observed });
    expect(calls.filter((c) => WRITE.test(c))).toEqual(['SetQueueAttributesCommand']);
    const url = (await aws.sqs.getQueueUrl(`${stack}-queue`))!;
    expect((await aws.sqs.getQueueAttributes(url)).VisibilityTimeout).toBe('90');
    expect((await teardownAws(stack, aws, recordingProgress())).deleted).toEqual([`SQS queue ${stack}-queue`]);
  });

  it('retries a role whose trust names a role IAM does not show yet, and names the permission on AccessDenied', async () => {
    const stack = uniqueStack('iamf');
    const settings = testSettings({ stack, oidcIssuer: `https://oidc.example.com/${stack}` });
    const scaler = `kedactl-${stack}-scaler`;
    let refusals = 0;
    const aws = testAws({
      fault: (cmd, input) => {
        if (cmd === 'CreateRoleCommand' && input.RoleName === scaler && refusals < 2) {
          refusals++;
          return {
            throw: Object.assign(
              new Error(`Invalid principal in policy: "AWS":"arn:aws:iam::${MOTO_ACCOUNT}:role/kedactl-${stack}-keda-operator"`),
              { name: 'MalformedPolicyDocument', $metadata: { httpStatusCode: 400 } },
            ),
          };
        }
        return undefined;
      },
    });
    const desired = await desiredStack(settings, await discoverAws(settings, aws));
    const observed = await observeAws(desired, aws);
    await applyAws(desired, plan(desired, observed), aws, recordingProgress(), {
      createOidcProvider: true,
      observed,
      wait: { sleep: async () => {} },
    });
    expect(refusals).toBe(2);
    expect((await aws.iam.getRole(scaler))?.tags).toEqual(stackTags(stack));
    await teardownAws(stack, aws, recordingProgress());

    const denied = testAws({
      fault: (cmd) =>
        cmd === 'CreateRoleCommand'
          ? {
              throw: Object.assign(new Error('User: arn:aws:iam::123456789012:user/ci is not authorized to perform: iam:CreateRole'), {
                name: 'AccessDenied',
                $metadata: { httpStatusCode: 403 },
              }),
            }
          : undefined,
    });
    const stack2 = uniqueStack('deny');
    const settings2 = testSettings({ stack: stack2, oidcIssuer: `https://oidc.example.com/${stack2}` });
    const desired2 = await desiredStack(settings2, await discoverAws(settings2, denied));
    const observed2 = await observeAws(desired2, denied);
    const err = await applyAws(desired2, plan(desired2, observed2), denied, recordingProgress(), {
      createOidcProvider: true,
      observed: observed2,
    }).catch((e) => e);
    expect(err.message).toBe(
      `IAM CreateRole: access denied on kedactl-${stack2}-keda-operator: User: arn:aws:iam::123456789012:user/ci is not authorized to perform: iam:CreateRole`,
    );
    expect(err.next).toContain(`grant iam:CreateRole on kedactl-${stack2}-keda-operator`);
    expect(err.exitCode).toBe(1);
    await teardownAws(stack2, testAws(), recordingProgress());
  });

  it('deletes the OIDC provider kedactl created only when no other stack still trusts it, and never one it did not create', async () => {
    const aws = testAws();
    const issuer = `https://oidc.example.com/${uniqueStack('shared')}`;
    const providerArn = `arn:aws:iam::${MOTO_ACCOUNT}:oidc-provider/${issuer.replace('https://', '')}`;
    const up = async (stack: string, create: boolean) => {
      const settings = testSettings({ stack, oidcIssuer: issuer });
      const desired = await desiredStack(settings, await discoverAws(settings, aws));
      const observed = await observeAws(desired, aws);
      await applyAws(desired, plan(desired, observed), aws, recordingProgress(), { createOidcProvider: create, observed });
    };
    const [a, b] = [uniqueStack('oa'), uniqueStack('ob')];
    await up(a, true); // creates the provider, tagged with stack a
    await up(b, false); // finds it and only trusts it
    const downA = await teardownAws(a, aws, recordingProgress());
    expect(downA.deleted).not.toContain(`IAM OIDC provider ${providerArn}`);
    expect(downA.kept).toEqual([`IAM OIDC provider ${providerArn} (other roles still trust it)`]);
    expect(await aws.iam.getOidcProvider(providerArn)).toBeDefined();
    const downB = await teardownAws(b, aws, recordingProgress());
    expect(downB.deleted).toContain(`IAM OIDC provider ${providerArn}`);
    expect(await aws.iam.getOidcProvider(providerArn)).toBeUndefined();

    // a provider someone else made (no kedactl tags) stays
    const theirs = `https://oidc.example.com/${uniqueStack('theirs')}`;
    await aws.iam.createOidcProvider(theirs, ['sts.amazonaws.com'], { owner: 'platform-team' });
    const c = uniqueStack('oc');
    const settings = testSettings({ stack: c, oidcIssuer: theirs });
    const desired = await desiredStack(settings, await discoverAws(settings, aws));
    const observed = await observeAws(desired, aws);
    expect(observed.oidcProvider).toMatchObject({ exists: true, createdByKedactl: false });
    await applyAws(desired, plan(desired, observed), aws, recordingProgress(), { createOidcProvider: false, observed });
    const downC = await teardownAws(c, aws, recordingProgress());
    expect(downC.kept).toEqual([`IAM OIDC provider ${desired.arns.oidcProvider} (not created by kedactl)`]);
    expect(await aws.iam.getOidcProvider(desired.arns.oidcProvider)).toBeDefined();
  });

  it('names a cluster that does not exist as an input error', async () => {
    const settings = testSettings({ stack: uniqueStack('nocl'), cluster: 'no-such-cluster' });
    const err = await discoverAws(settings, testAws()).catch((e) => e);
    expect(err).toBeInstanceOf(UsageError);
    expect(err.message).toBe(`EKS cluster "no-such-cluster" does not exist in ${REGION}`);
  });
});
