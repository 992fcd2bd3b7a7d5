// The "done when", AWS half only, as a new user runs it: init --skip kubernetes --skip keda
// against moto with an EKS cluster, read back with a plain AWS client, run again, produce, teardown.
import { describe, expect, it } from 'vitest';
import { CreateClusterCommand, EKSClient } from '@aws-sdk/client-eks';
import { GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { awsState } from '../support/stack-state.ts';
import { MOTO_ACCOUNT, MOTO_ENV, motoEndpoint, uniqueStack } from '../support/moto.ts';
import { motoCliEnv, REGION, testAws } from '../support/aws.ts';
import { runCli } from '../support/run-cli.ts';

const creds = { accessKeyId: MOTO_ENV.AWS_ACCESS_KEY_ID, secretAccessKey: MOTO_ENV.AWS_SECRET_ACCESS_KEY };

describe('kedactl init / produce / teardown, AWS only (moto)', () => {
  it('creates the planned queue, roles and policies, changes nothing on re-run, and leaves nothing tagged after teardown', async () => {
    const stack = uniqueStack('cli');
    const cluster = `${stack}-eks`;
    const eks = new EKSClient({ region: REGION, endpoint: motoEndpoint(), credentials: creds });
    const issuer = (
      await eks.send(
        new CreateClusterCommand({
          name: cluster,
          roleArn: `arn:aws:iam::${MOTO_ACCOUNT}:role/eks`,
          resourcesVpcConfig: { subnetIds: [] },
        }),
      )
    ).cluster!.identity!.oidc!.issuer!;
    const host = issuer.replace('https://', '');
    const env = motoCliEnv();
    const base = ['--stack', stack, '--cluster', cluster, '--skip', 'kubernetes', '--skip', 'keda'];

    // without --create-oidc-provider: exit 2, the flag named, nothing created
    const refused = await runCli(['init', ...base, '--yes'], { env });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('--create-oidc-provider');
    const aws = testAws();
    expect(await aws.sqs.getQueueUrl(`${stack}-queue`)).toBeUndefined();
    expect(await aws.iam.getRole(`kedactl-${stack}-consumer`)).toBeUndefined();

    const first = await runCli(['init', ...base, '--yes', '--create-oidc-provider'], { env });
    expect(first.stderr).not.toMatch(/error/);
    expect(first.code).toBe(0);

    // read back with any client: the trust conditions, actions and resources as planned
    const queueUrl = (await aws.sqs.getQueueUrl(`${stack}-queue`))!;
    expect(queueUrl).toBeDefined();
    const queueArn = `arn:aws:sqs:${REGION}:${MOTO_ACCOUNT}:${stack}-queue`;
    const keda = (await aws.iam.getRole(`kedactl-${stack}-keda-operator`))!;
    expect(keda.trust.Statement[0]!.Condition!.StringEquals).toEqual({
      [`${host}:sub`]: 'system:serviceaccount:keda:keda-operator',
      [`${host}:aud`]: 'sts.amazonaws.com',
    });
    const scalerPolicy = (await aws.iam.getInlinePolicy(`kedactl-${stack}-scaler`, `kedactl-${stack}-scaler-policy`))!;
    expect(scalerPolicy.Statement.map((s) => [[s.Action].flat(), s.Resource])).toEqual([[['sqs:GetQueueAttributes'], queueArn]]);
    const consumerPolicy = (await aws.iam.getInlinePolicy(`kedactl-${stack}-consumer`, `kedactl-${stack}-consumer-policy`))!;
    const consumerActions = consumerPolicy.Statement.flatMap((s) => [s.Action].flat());
    expect(consumerActions.sort()).toEqual([
      'sqs:ChangeMessageVisibility',
      'sqs:DeleteMessage',
      'sqs:GetQueueAttributes',
      'sqs:ReceiveMessage',
    ]);
    expect(consumerPolicy.Statement.flatMap((s) => [s.Resource].flat())).toEqual(consumerPolicy.Statement.map(() => queueArn));

    // again: the plan is all unchanged and nothing is written
    const plan = await runCli(['plan', ...base, '-o', 'json'], { env });
    expect(plan.code).toBe(0);
    const changes = JSON.parse(plan.stdout).changes as Array<{ group: string; action: string }>;
    expect(changes.filter((c) => c.group === 'aws').map((c) => c.action)).toEqual(['unchanged', 'unchanged', 'unchanged', 'unchanged']);
    const again = await runCli(['init', ...base, '--yes'], { env });
    expect(again.code).toBe(0);
    expect(again.stdout).toBe(`stack "${stack}" is up to date: nothing to do\n`);

    const produced = await runCli(['produce', '--stack', stack, '--count', '2000'], { env });
    expect(produced.code).toBe(0);
    const sqs = new SQSClient({ region: REGION, endpoint: motoEndpoint(), useQueueUrlAsEndpoint: false, credentials: creds });
    const attrs = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['ApproximateNumberOfMessages'] })))
      .Attributes!;
    expect(attrs.ApproximateNumberOfMessages).toBe('2000');

    const down = await runCli(['teardown', '--stack', stack, '--skip', 'kubernetes', '--skip', 'keda', '--yes'], { env });
    expect(down.code).toBe(0);
    // read with the plain SDK, which tolerates other files deleting their own queues meanwhile (and nothing else)
    const left = await awsState(stack);
    expect(Object.keys(left.queues)).toEqual([]);
    expect(Object.keys(left.roles)).toEqual([]);
    expect(await aws.iam.getOidcProvider(`arn:aws:iam::${MOTO_ACCOUNT}:oidc-provider/${host}`)).toBeUndefined();
  }, 120_000);

  it('bad input exits 2 with one clear message and creates nothing', async () => {
    const env = motoCliEnv();
    const stack = uniqueStack('badin');
    const notHttps = await runCli(
      ['init', '--stack', stack, '--oidc-issuer', 'http://oidc.example.com/x', '--skip', 'kubernetes', '--skip', 'keda', '--yes'],
      { env },
    );
    expect(notHttps.code).toBe(2);
    expect(notHttps.stderr).toContain('oidcIssuer = "http://oidc.example.com/x" (from --oidc-issuer): must use https');
    const noCluster = await runCli(
      ['init', '--stack', stack, '--cluster', 'no-such-cluster', '--skip', 'kubernetes', '--skip', 'keda', '--yes'],
      { env },
    );
    expect(noCluster.code).toBe(2);
    expect(noCluster.stderr).toContain(`error: EKS cluster "no-such-cluster" does not exist in ${REGION}`);
    expect(await testAws().sqs.getQueueUrl(`${stack}-queue`)).toBeUndefined();
  });
});
