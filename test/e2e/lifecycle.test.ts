// The whole product as a new user runs it (issue: init, status, teardown as one product), against a
// real moto server and a real kube-apiserver. helm is a STATEFUL RECORDING STUB (no chart can be
// downloaded here): test/fixtures/helm-stateful-stub/helm.
import { DEFAULT_KEDA_VERSION } from '../../src/core/keda/versions.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startKubeRig, type KubeRig } from '../support/kube-rig.ts';
import { kedaCrdsDir } from '../support/kube-test-rig.ts';
import { motoCliEnv } from '../support/aws.ts';
import { uniqueStack, MOTO_ACCOUNT } from '../support/moto.ts';
import { awsState, createEksCluster, kubectlGet, STACK_KINDS } from '../support/stack-state.ts';
import { kedaOperatorUp, namespaceController } from '../support/controllers.ts';
import { runBin, runCli } from '../support/run-cli.ts';
import { CreateQueueCommand, SQSClient } from '@aws-sdk/client-sqs';

const STUB = fileURLToPath(new URL('../fixtures/helm-stateful-stub', import.meta.url));
let rig: KubeRig;

// KEDA lives in one namespace per cluster, so this file has a cluster of its own
beforeAll(async () => {
  rig = await startKubeRig({ crdsDir: kedaCrdsDir(), log: () => {} });
});
afterAll(async () => rig?.stop());

function userEnv() {
  const dir = mkdtempSync(join(tmpdir(), 'kedactl-life-'));
  return {
    dir,
    helmLog: join(dir, 'helm-calls'),
    env: motoCliEnv({
      KUBECONFIG: rig.kubeconfigPath,
      PATH: `${STUB}:${process.env.PATH}`,
      HELM_STUB_STATE: join(dir, 'helm'),
      HELM_STUB_LOG: join(dir, 'helm-calls'),
    }),
  };
}

const helmCalls = (log: string): string[][] =>
  existsSync(log)
    ? readFileSync(log, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l))
    : [];

describe("resources that are not the stack's", () => {
  it("a queue with the stack's name but without its tags is refused by name, and nothing is created", async () => {
    const stack = uniqueStack('foreign');
    const { env } = userEnv();
    const sqs = new SQSClient({
      region: 'us-east-1',
      endpoint: env.AWS_ENDPOINT_URL,
      credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
    });
    await sqs.send(new CreateQueueCommand({ QueueName: `${stack}-queue` }));
    const r = await runBin(['init', '--stack', stack, '--auth', 'static', '--skip', 'keda', '--no-wait', '--yes'], { env });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`SQS queue "${stack}-queue" already exists and is not part of stack "${stack}"`);
    expect(r.stderr).toMatch(/not part of stack/);
    expect(kubectlGet(rig.kubeconfigPath, STACK_KINDS, stack)).toEqual([]);
  });
});

describe('a stack from nothing to nothing (moto + kube-apiserver + helm stub)', () => {
  const stack = uniqueStack('life');
  const cluster = `eks-${stack}`;
  let env: NodeJS.ProcessEnv;
  let helmLog: string;
  beforeAll(() => {
    ({ env, helmLog } = userEnv());
  });
  const flags = ['--stack', stack, '--cluster', cluster, '--no-wait'];

  it('without a terminal and without --yes, init shows the plan, names --yes, and changes nothing', async () => {
    await createEksCluster(cluster);
    const r = await runBin(['init', ...flags, '--create-oidc-provider'], { env });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('pass --yes');
    expect(r.stderr).toContain(`+ create    SQS queue ${stack}-queue`);
    expect(await awsState(stack)).toEqual({ queues: {}, roles: {}, oidcProviders: expect.any(Array) });
    expect(kubectlGet(rig.kubeconfigPath, STACK_KINDS, stack)).toEqual([]);
    expect(helmCalls(helmLog).filter((c) => c[0] === 'upgrade')).toEqual([]);
  });

  it('refuses a missing OIDC provider unless --create-oidc-provider is given', async () => {
    const r = await runBin(['init', ...flags, '--yes'], { env });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/IAM OIDC provider .* does not exist/);
    expect(r.stderr).toContain('--create-oidc-provider');
    expect(Object.keys((await awsState(stack)).queues)).toEqual([]);
  });

  it('init --yes creates exactly the plan: queue, roles, OIDC provider, KEDA, every object', async () => {
    const r = await runBin(['init', ...flags, '--yes', '--create-oidc-provider'], { env });
    expect(r.stderr).not.toMatch(/error/i);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`stack "${stack}" is ready`);
    expect(r.stdout).toContain('kedactl produce');

    const aws = await awsState(stack);
    expect(Object.keys(aws.queues)).toEqual([`${stack}-queue`]);
    expect(aws.queues[`${stack}-queue`]!.attributes.VisibilityTimeout).toBe('90');
    expect(Object.keys(aws.roles).sort()).toEqual([
      `kedactl-${stack}-consumer`,
      `kedactl-${stack}-keda-operator`,
      `kedactl-${stack}-scaler`,
    ]);
    const consumer = aws.roles[`kedactl-${stack}-consumer`]!;
    const trust = (consumer.trust as any).Statement[0];
    const issuerHost = Object.keys(trust.Condition.StringEquals)[0]!.replace(/:(sub|aud)$/, '');
    expect(trust.Condition.StringEquals).toEqual({
      [`${issuerHost}:sub`]: `system:serviceaccount:${stack}:${stack}-consumer`,
      [`${issuerHost}:aud`]: 'sts.amazonaws.com',
    });
    expect(aws.oidcProviders).toContain(`arn:aws:iam::${MOTO_ACCOUNT}:oidc-provider/${issuerHost}`);
    const scalerPolicy = Object.values(aws.roles[`kedactl-${stack}-scaler`]!.policies)[0] as any;
    expect(scalerPolicy.Statement[0]).toMatchObject({
      Action: 'sqs:GetQueueAttributes',
      Resource: `arn:aws:sqs:us-east-1:${MOTO_ACCOUNT}:${stack}-queue`,
    });

    // kubectl, a client nobody here wrote, sees every object with the stack's labels
    const objects = kubectlGet(rig.kubeconfigPath, STACK_KINDS, stack);
    expect(objects.map((o) => `${o.kind}/${o.name}`).sort()).toEqual(
      ['ConfigMap', 'Deployment', 'Namespace', 'ScaledJob', 'Service', 'ServiceAccount', 'TriggerAuthentication']
        .map(
          (k) =>
            `${k}/${k === 'Namespace' ? stack : k === 'ConfigMap' ? `${stack}-consumer-script` : k === 'Deployment' || k === 'Service' ? `${stack}-result-analyzer` : k === 'ScaledJob' ? `${stack}-processor` : k === 'ServiceAccount' ? `${stack}-consumer` : `${stack}-aws`}`,
        )
        .concat(`ConfigMap/${stack}-settings`)
        .sort(),
    );
    for (const o of objects) expect(o.labels).toMatchObject({ 'app.kubernetes.io/managed-by': 'kedactl', 'kedactl.io/stack': stack });

    const upgrade = helmCalls(helmLog).find((c) => c[0] === 'upgrade')!;
    expect(upgrade.slice(0, 9)).toEqual([
      'upgrade',
      '--install',
      'keda',
      'kedacore/keda',
      '--version',
      DEFAULT_KEDA_VERSION,
      '--namespace',
      'keda',
      '--create-namespace',
    ]);
    expect(upgrade).toContain(`podIdentity.aws.irsa.roleArn=arn:aws:iam::${MOTO_ACCOUNT}:role/kedactl-${stack}-keda-operator`);
  });

  it('running init again changes nothing', async () => {
    await kedaOperatorUp(rig);
    const before = helmCalls(helmLog).length;
    const r = await runBin(['init', ...flags, '--yes'], { env });
    expect(r.stderr).not.toMatch(/error/i);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`stack "${stack}" is up to date: nothing to do`);
    expect(
      helmCalls(helmLog)
        .slice(before)
        .map((c) => c[0]),
    ).not.toContain('upgrade');
    const plan = await runCli(['plan', '--stack', stack, '--cluster', cluster, '-o', 'json'], { env });
    expect(plan.code).toBe(0);
    const p = JSON.parse(plan.stdout);
    expect(p.notRead).toEqual([]);
    expect(p.changes.filter((c: any) => c.action !== 'unchanged')).toEqual([]);
    expect(p.changes).toHaveLength(13);

    // different settings on an existing stack are a plan of updates, never a silent overwrite
    const changed = JSON.parse(
      (
        await runCli(['plan', '--stack', stack, '--cluster', cluster, '--max-replicas', '5', '--visibility-timeout', '120', '-o', 'json'], {
          env,
        })
      ).stdout,
    );
    expect(changed.changes.filter((c: any) => c.action !== 'unchanged').map((c: any) => `${c.action} ${c.kind} ${c.name}`)).toEqual([
      `update SQS queue ${stack}-queue`,
      `update ScaledJob ${stack}-processor`,
      `update ConfigMap ${stack}-settings`,
    ]);
    expect(changed.changes.find((c: any) => c.kind === 'SQS queue').details).toEqual(['VisibilityTimeout: 90 -> 120']);
    expect(changed.changes.find((c: any) => c.kind === 'ScaledJob').details.join('\n')).toMatch(/maxReplicaCount/);
  });

  it('status names what is not healthy (no KEDA condition yet, no analyzer pod) and exits 1', async () => {
    const r = await runCli(['status', '--stack', stack, '--cluster', cluster], { env });
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(`✓ queue ${stack}-queue: 0 waiting, 0 in flight, 0 delayed`);
    expect(r.stdout).toContain(`✓ IAM role kedactl-${stack}-scaler: as planned`);
    expect(r.stdout).toContain(`✓ KEDA ${DEFAULT_KEDA_VERSION}, operator ready`);
    expect(r.stdout).toMatch(/ScaledJob .* is not ready \(Ready: not reported by KEDA yet\)/);
    expect(r.stdout).toMatch(/results unavailable/);
    const json = JSON.parse((await runCli(['status', '--stack', stack, '--cluster', cluster, '-o', 'json'], { env })).stdout);
    expect(json).toMatchObject({ stack, healthy: false, keda: { installed: true, ready: true }, objects: { drifted: [], missing: [] } });
  });

  it('teardown --yes removes everything (Kubernetes, KEDA, queue, roles, OIDC provider); a second run finds nothing', async () => {
    const stopController = namespaceController(rig);
    const r = await runBin(['teardown', '--stack', stack, '--yes'], { env }).finally(stopController);
    expect(r.stderr).not.toMatch(/error/i);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`stack "${stack}" torn down`);
    const aws = await awsState(stack);
    expect(aws.queues).toEqual({});
    expect(aws.roles).toEqual({});
    expect(kubectlGet(rig.kubeconfigPath, STACK_KINDS.replace('namespaces,', ''), stack)).toEqual([]);
    expect(helmCalls(helmLog).some((c) => c[0] === 'uninstall')).toBe(true);
    const again = await runBin(['teardown', '--stack', stack, '--yes'], { env });
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/nothing left of stack/);
  });
});
