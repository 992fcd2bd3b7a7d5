// kedactl status against a stack that really is healthy (KEDA's operator available, the ScaledJob
// Ready, the analyzer answering through the API server), and then broken in two ways. Real moto, real
// kube-apiserver; helm is a STATEFUL RECORDING STUB; KEDA's and the kubelet's reports are written by
// the test (test/support/analyzer.ts).
import { DEFAULT_KEDA_VERSION } from '../../src/core/keda/versions.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execFileSync } from 'node:child_process';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { startKubeRig, kubeRequest, type KubeRig } from '../support/kube-rig.ts';
import { kedaCrdsDir } from '../support/kube-test-rig.ts';
import { motoCliEnv } from '../support/aws.ts';
import { uniqueStack } from '../support/moto.ts';
import { kedaOperatorUp, liveAnalyzer, scaledJobReady } from '../support/controllers.ts';
import type { NetnsBackend } from '../support/netns-backend.ts';
import { runBin, runCli } from '../support/run-cli.ts';

const STUB = fileURLToPath(new URL('../fixtures/helm-stateful-stub', import.meta.url));
let rig: KubeRig;
let backend: NetnsBackend | undefined;
const stack = uniqueStack('st');
let env: NodeJS.ProcessEnv;
let cwd: string;

beforeAll(async () => {
  rig = await startKubeRig({ crdsDir: kedaCrdsDir(), log: () => {} });
  env = motoCliEnv({
    KUBECONFIG: rig.kubeconfigPath,
    PATH: `${STUB}:${process.env.PATH}`,
    HELM_STUB_STATE: mkdtempSync(join(tmpdir(), 'st-helm-')),
  });
  // the stack's settings live in kedactl.yaml, as the wizard leaves them: later commands need no flags
  cwd = mkdtempSync(join(tmpdir(), 'st-'));
  writeFileSync(join(cwd, 'kedactl.yaml'), `stack: ${stack}\nauth: static\ndeadLetterQueue: true\n`);
  const r = await runBin(['init', '--no-wait', '--yes'], { env, cwd });
  if (r.code !== 0) throw new Error(r.stderr);
  await kedaOperatorUp(rig);
  await scaledJobReady(rig, stack);
  backend = await liveAnalyzer(rig, stack);
});
afterAll(async () => {
  await backend?.stop();
  await rig?.stop();
});

describe('kedactl status', () => {
  it('healthy: exit 0, one line per part, queue depth and results counted', async () => {
    const sqs = new SQSClient({
      region: 'us-east-1',
      endpoint: env.AWS_ENDPOINT_URL,
      credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
      useQueueUrlAsEndpoint: false,
    });
    for (let i = 0; i < 3; i++)
      await sqs.send(new SendMessageCommand({ QueueUrl: `${env.AWS_ENDPOINT_URL}/123456789012/${stack}-queue`, MessageBody: `m${i}` }));
    const r = await runCli(['status'], { env, cwd });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`Stack "${stack}": healthy`);
    expect(r.stdout).toContain(`✓ queue ${stack}-queue: 3 waiting, 0 in flight, 0 delayed`);
    expect(r.stdout).toContain(`✓ dead-letter queue ${stack}-queue-dlq: 0`);
    expect(r.stdout).toContain(`✓ KEDA ${DEFAULT_KEDA_VERSION}, operator ready`);
    expect(r.stdout).toContain('✓ Kubernetes objects: 9 as planned');
    expect(r.stdout).toMatch(/✓ ScaledJob .*-processor: ready True \(ScaledJobReady/);
    expect(r.stdout).toContain('✓ results: 0 processed, 0 killed');
    const json = JSON.parse((await runCli(['status', '-o', 'json'], { env, cwd })).stdout);
    expect(json).toMatchObject({ healthy: true, problems: [], queue: { visible: 3 }, jobs: { active: 0, succeeded: 0, failed: 0 } });
  });

  it('a ScaledJob edited by hand is drift: exit 1, named, with what to run', async () => {
    execFileSync('kubectl', [
      '--kubeconfig',
      rig.kubeconfigPath,
      '-n',
      stack,
      'patch',
      'scaledjob',
      `${stack}-processor`,
      '--type=merge',
      '-p',
      '{"spec":{"maxReplicaCount":3}}',
    ]);
    const r = await runCli(['status'], { env, cwd });
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(
      `changed since kedactl applied them: ScaledJob ${stack}-processor: kedactl plan shows how; kedactl init restores them`,
    );
    expect(r.stderr).toContain(`error: stack "${stack}" is not healthy (1 problem)`);
    const refused = await runBin(['init', '--no-wait', '--yes', '--skip', 'keda'], { env, cwd });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('.spec.maxReplicaCount: owned by "kubectl-patch"');
    expect(refused.stderr).toContain('--force-conflicts');
    const fix = await runBin(['init', '--no-wait', '--yes', '--skip', 'keda', '--force-conflicts'], { env, cwd });
    expect(fix.code, fix.stderr).toBe(0);
    expect((await runCli(['status'], { env, cwd })).code).toBe(0);
  });

  it('the analyzer gone (no endpoints): results unavailable, exit 1', async () => {
    await kubeRequest(rig, 'DELETE', `/api/v1/namespaces/${stack}/endpoints/${stack}-result-analyzer`);
    const r = await runCli(['status', '-o', 'json'], { env, cwd });
    expect(r.code).toBe(1);
    const s = JSON.parse(r.stdout);
    expect(s.healthy).toBe(false);
    expect(s.problems).toEqual([expect.stringMatching(/^results unavailable: the result analyzer .* is not ready/)]);
  });
});
