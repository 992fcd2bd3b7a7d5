// kedactl init as a person runs it: under a real pseudo-terminal, pressing only Enter at every
// question and answering "y" at the plan. Real moto, real kube-apiserver; helm is a STATEFUL
// RECORDING STUB (test/fixtures/helm-stateful-stub).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { startKubeRig, kubeRequest, type KubeRig } from '../support/kube-rig.ts';
import { kedaCrdsDir } from '../support/kube-test-rig.ts';
import { motoCliEnv } from '../support/aws.ts';
import { uniqueStack } from '../support/moto.ts';
import { awsState, kubectlGet, STACK_KINDS } from '../support/stack-state.ts';
import { BIN, runBin, SAFE_ENV } from '../support/run-cli.ts';
import { HEADER, LEGACY_HEADER } from '../../src/core/stack/config-file.ts';
import { DEFAULT_KEDA_VERSION } from '../../src/core/keda/versions.ts';
import { KEY, startPty } from '../support/pty.ts';

const STUB = fileURLToPath(new URL('../fixtures/helm-stateful-stub', import.meta.url));
let rig: KubeRig;
beforeAll(async () => {
  rig = await startKubeRig({ crdsDir: kedaCrdsDir(), log: () => {} });
});
afterAll(async () => rig?.stop());

describe('init wizard under a pty', () => {
  it('Enter at every question and "y" at the plan gives a stack and a kedactl.yaml', async () => {
    const stack = uniqueStack('wiz');
    const cwd = mkdtempSync(join(tmpdir(), 'kedactl-wiz-'));
    const env = {
      ...SAFE_ENV,
      ...motoCliEnv({
        KUBECONFIG: rig.kubeconfigPath,
        PATH: `${STUB}:${process.env.PATH}`,
        HELM_STUB_STATE: join(cwd, '.helm'),
        KEDACTL_STACK: stack,
      }),
      NO_COLOR: '1',
    };
    const pty = startPty([process.execPath, BIN, 'init', '--no-wait'], { env, cwd });
    try {
      for (const question of [
        'Kubernetes namespace',
        'SQS queue name',
        'What KEDA scales',
        'Seconds each Job spends',
        'Most Jobs running at once',
        'Scaling strategy',
        'How KEDA and the Jobs authenticate',
        'Who sends the messages',
      ]) {
        await pty.waitFor(question);
        pty.send(KEY.enter);
      }
      await pty.waitFor('Apply this plan?');
      expect(pty.screen()).toContain(`+ create    SQS queue ${stack}-queue`);
      expect(pty.screen()).toContain(`+ create    Secret ${stack}/${stack}-aws-credentials`);
      expect(pty.screen()).not.toContain('testing'); // the access keys are never shown
      pty.send('y');
      pty.send(KEY.enter);
      await pty.waitFor(`stack "${stack}" is ready`, 60_000);
      expect(await pty.exited).toBe(0);
    } finally {
      pty.kill();
    }
    const screen = pty.screen();
    expect(screen).toMatch(/✓ Applying \d+ Kubernetes objects .*\(\d+\.\d+s\)/);
    expect(screen).toContain('kedactl produce --count 100'); // kedactl.yaml carries the settings now

    // the answers are saved: every later command needs no flags
    const config = parse(readFileSync(join(cwd, 'kedactl.yaml'), 'utf8'));
    expect(config).toMatchObject({ stack, region: 'us-east-1', auth: 'static' });
    const aws = await awsState(stack);
    expect(Object.keys(aws.queues)).toEqual([`${stack}-queue`]);
    const kinds = kubectlGet(rig.kubeconfigPath, STACK_KINDS, stack)
      .map((o) => o.kind)
      .sort();
    expect(kinds).toEqual([
      'ConfigMap',
      'ConfigMap',
      'Deployment',
      'Namespace',
      'ScaledJob',
      'Secret',
      'Service',
      'ServiceAccount',
      'TriggerAuthentication',
    ]);
    const secret = (await kubeRequest(rig, 'GET', `/api/v1/namespaces/${stack}/secrets/${stack}-aws-credentials`)).json();
    expect(Buffer.from(secret.data.AWS_ACCESS_KEY_ID, 'base64').toString()).toBe('testing');

    // a later command, no flags, from the same folder
    const plan = await runBin(['plan', '-o', 'json'], { env, cwd });
    expect(plan.code).toBe(0);
    expect(JSON.parse(plan.stdout).changes.filter((c: any) => c.group !== 'keda' && c.action !== 'unchanged')).toEqual([]);

    const down = await runBin(['teardown', '--yes', '--skip', 'kubernetes'], { env, cwd });
    expect(down.code).toBe(0);
    expect((await awsState(stack)).queues).toEqual({});
    expect(existsSync(join(cwd, 'kedactl.yaml'))).toBe(true);
  });

  it('kedactl.yaml holds the answers as given and nothing derived; a re-run without a terminal leaves it byte for byte', async () => {
    const stack = uniqueStack('wiza');
    const cwd = mkdtempSync(join(tmpdir(), 'kedactl-wiz-'));
    const env: NodeJS.ProcessEnv = { ...SAFE_ENV, ...motoCliEnv({ KUBECONFIG: rig.kubeconfigPath }), NO_COLOR: '1' };
    const pty = startPty([process.execPath, BIN, 'init', '--no-wait', '--skip', 'keda'], { env, cwd });
    // typed, or Enter for the offered default: an answer either way
    const answers: Array<[string, string]> = [
      ['Stack name', stack],
      ['Kubernetes namespace', `${stack}-ns`],
      ['SQS queue name', ''],
      ['What KEDA scales', ''],
      ['Seconds each Job spends', '45'],
      ['Most Jobs running at once', ''],
      ['Scaling strategy', ''],
      ['How KEDA and the Jobs authenticate', ''],
      ['Who sends the messages', ''],
    ];
    try {
      for (const [question, typed] of answers) {
        await pty.waitFor(question);
        pty.send(typed + KEY.enter);
      }
      await pty.waitFor('Apply this plan?');
      expect(pty.screen()).toContain(`+ create    SQS queue ${stack}-queue`);
      expect(pty.screen()).toContain(`+ create    Namespace ${stack}-ns`);
      pty.send('y');
      pty.send(KEY.enter);
      await pty.waitFor(`stack "${stack}" is ready`, 60_000);
      expect(await pty.exited).toBe(0);
    } finally {
      pty.kill();
    }
    // AWS_REGION and AWS_ENDPOINT_URL are variables the user set; visibilityTimeout (derived from the 45 s),
    // the images and the KEDA version are kedactl's
    const theirs = `${HEADER}\nstack: ${stack}\nregion: us-east-1\nendpointUrl: ${env.AWS_ENDPOINT_URL}\nnamespace: ${stack}-ns\nqueueName: ${stack}-queue\nmaxReplicas: 100\nstrategy: default\nprocessingTime: 45\nauth: static\nworkload: job\nproducer: local\n`;
    expect(readFileSync(join(cwd, 'kedactl.yaml'), 'utf8')).toBe(theirs);

    const again = await runBin(['init', '--yes', '--no-wait', '--skip', 'keda'], { env, cwd });
    expect(again.code).toBe(0);
    expect(again.stdout).toContain(`stack "${stack}" is up to date: nothing to do`);
    expect(readFileSync(join(cwd, 'kedactl.yaml'), 'utf8')).toBe(theirs);
    const plan = JSON.parse((await runBin(['plan', '--skip', 'keda', '-o', 'json'], { env, cwd })).stdout);
    expect(plan.changes.find((c: any) => c.kind === 'SQS queue')).toMatchObject({ name: `${stack}-queue`, action: 'unchanged' });
    expect(plan.changes.find((c: any) => c.kind === 'ScaledJob')).toMatchObject({ namespace: `${stack}-ns`, action: 'unchanged' });

    const down = await runBin(['teardown', '--yes', '--skip', 'kubernetes', '--skip', 'keda'], { env, cwd });
    expect(down.code).toBe(0);
    expect((await awsState(stack)).queues).toEqual({});
  });

  it('a file an older init pinned derived values in: init asks, and removes the lines the user did not choose', async () => {
    const stack = uniqueStack('wizo');
    const cwd = mkdtempSync(join(tmpdir(), 'kedactl-wiz-'));
    const env: NodeJS.ProcessEnv = { ...SAFE_ENV, ...motoCliEnv({ KUBECONFIG: rig.kubeconfigPath }), NO_COLOR: '1' };
    const keep = `auth: static\nregion: us-east-1\nstack: ${stack}\n`;
    writeFileSync(
      join(cwd, 'kedactl.yaml'),
      `${LEGACY_HEADER}\nnamespace: ${stack}\nqueueName: ${stack}-queue\nmaxReplicas: 100\nprocessingTime: 30\nstrategy: default\nkedaVersion: ${DEFAULT_KEDA_VERSION}\n${keep}`,
    );
    const pty = startPty([process.execPath, BIN, 'init', '--no-wait', '--skip', 'keda'], { env, cwd });
    try {
      // what the old file did not say: asked first (Enter takes the default)
      for (const question of ['What KEDA scales', 'Who sends the messages']) {
        await pty.waitFor(question);
        pty.send(KEY.enter);
      }
      await pty.waitFor('Remove namespace, queueName, maxReplicas, processingTime, strategy, kedaVersion from ');
      expect(pty.screen()).toContain(`:2  namespace: ${stack} (derived from stack)`);
      pty.send('y');
      pty.send(KEY.enter);
      await pty.waitFor('Apply this plan?');
      expect(pty.screen()).toContain(`+ create    SQS queue ${stack}-queue`);
      expect(pty.screen()).toContain(`+ create    Namespace ${stack}`);
      pty.send('y');
      pty.send(KEY.enter);
      await pty.waitFor(`stack "${stack}" is ready`, 60_000);
      expect(await pty.exited).toBe(0);
    } finally {
      pty.kill();
    }
    // the lines the user kept, under today's first line; AWS_ENDPOINT_URL is theirs too
    expect(readFileSync(join(cwd, 'kedactl.yaml'), 'utf8')).toBe(
      `${HEADER}\n${keep}endpointUrl: ${env.AWS_ENDPOINT_URL}\nworkload: job\nproducer: local\n`,
    );
    const quiet = await runBin(['plan', '--skip', 'keda', '-o', 'json'], { env, cwd });
    expect(quiet.stderr).not.toContain('older kedactl init');
    expect(JSON.parse(quiet.stdout).changes.filter((c: any) => c.action !== 'unchanged')).toEqual([]);

    const down = await runBin(['teardown', '--yes', '--skip', 'kubernetes', '--skip', 'keda'], { env, cwd });
    expect(down.code).toBe(0);
  });

  it('without a terminal, init without --yes fails naming --yes', async () => {
    const r = await runBin(['init', '--no-wait', '--stack', uniqueStack('nopty'), '--auth', 'static'], {
      env: motoCliEnv({
        KUBECONFIG: rig.kubeconfigPath,
        PATH: `${STUB}:${process.env.PATH}`,
        HELM_STUB_STATE: mkdtempSync(join(tmpdir(), 'h-')),
      }),
    });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/error: init would change your AWS account and cluster, and there is no terminal to ask\nnext: .*pass --yes/);
  });
});
