// status and watch of a deployment workload's stack, as a user runs them (main(argv)), against the real
// kube-apiserver and moto: init renders the consumer Deployment and the ScaledObject; KEDA's, the HPA
// controller's and the Deployment controller's parts (the HPA, statuses, Pods) are written by the test.
// Server-side apply is real here: the replicas the HPA set are the HPA's, not drift.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PurgeQueueCommand } from '@aws-sdk/client-sqs';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../support/run-cli.ts';
import { kubeRigForTests, type RigInfo } from '../support/kube-test-rig.ts';
import { motoCliEnv, testAws } from '../support/aws.ts';
import { kedaOperatorUp } from '../support/controllers.ts';
import { motoSqs } from '../support/sqs.ts';
import { deploymentActor, kubeActor } from '../support/watch-fixtures.ts';

let rig: RigInfo;
let stopRig: () => Promise<void>;
const stack = `od-${Math.random().toString(36).slice(2, 7)}`;
const name = `${stack}-processor`;
let env: NodeJS.ProcessEnv;
let cwd: string;

beforeAll(async () => {
  ({ rig, stop: stopRig } = await kubeRigForTests());
  env = motoCliEnv({ KUBECONFIG: rig.kubeconfigPath });
  cwd = mkdtempSync(join(tmpdir(), 'od-'));
  writeFileSync(join(cwd, 'kedactl.yaml'), `stack: ${stack}\nworkload: deployment\nauth: static\nmaxReplicas: 8\n`);
  const r = await runCli(['init', '--no-wait', '--yes', '--skip', 'keda'], { env, cwd });
  if (r.code !== 0) throw new Error(`init: ${r.stderr}`);
  await kedaOperatorUp(rig);
});
afterAll(async () => {
  await runCli(['teardown', '--yes', '--skip', 'keda'], { env, cwd }).catch(() => undefined);
  await stopRig?.();
});

describe('status and watch of a deployment stack (real API server, moto)', () => {
  it('read the ScaledObject, the Deployment and the HPA KEDA made; no Jobs', async () => {
    const d = deploymentActor(rig, stack, name);
    await d.scaledObjectReady(true);
    await d.hpa(8);
    await d.hpaStatus(2, 3, [
      { type: 'AbleToScale', status: 'True', reason: 'ReadyForNewScale', message: 'recommended size matches current size' },
      {
        type: 'ScalingActive',
        status: 'True',
        reason: 'ValidMetricFound',
        message: 'the HPA was able to successfully calculate a replica count',
      },
      {
        type: 'ScalingLimited',
        status: 'False',
        reason: 'DesiredWithinRange',
        message: 'the desired count is within the acceptable range',
      },
    ]);
    await d.replicas(3, 2);
    for (const p of ['a', 'b', 'c']) await d.pod(`${name}-5c8f-${p}`);
    const k = kubeActor(rig, stack, name);
    await k.podPhase(`${name}-5c8f-a`, 'Running');
    await k.podPhase(`${name}-5c8f-b`, 'Running');
    await k.event(
      'hpa-ev',
      { kind: 'HorizontalPodAutoscaler', name: `keda-hpa-${name}` },
      'SuccessfulRescale',
      'New size: 3; reason: external metric above target',
    );
    const aws = testAws();
    const url = (await aws.sqs.getQueueUrl(`${stack}-queue`))!;
    await aws.sqs.sendMessageBatch(
      url,
      [1, 2, 3, 4, 5].map((i) => ({ id: `m${i}`, body: `video ${i}` })),
    );

    const st = await runCli(['status', '-o', 'json'], { env, cwd });
    const s = JSON.parse(st.stdout);
    // the analyzer has no Pod answering here: the one problem
    expect(s.problems).toEqual([expect.stringMatching(/^results unavailable: /)]);
    expect(s.objects).toMatchObject({ drifted: [], missing: [] }); // the HPA's replicas are not drift
    expect(s).toMatchObject({
      queue: { visible: 5, inFlight: 0 },
      scaledObject: { name, exists: true, ready: 'True (ScaledObjectReady)', active: 'True (ScalerActive)' },
      deployment: { name, exists: true, desired: 3, current: 3, ready: 2 },
      hpa: { name: `keda-hpa-${name}`, exists: true, current: 2, desired: 3, min: 1, max: 8 },
    });
    expect(s.jobs).toBeUndefined();
    expect(s.scaledJob).toBeUndefined();
    const text = await runCli(['status'], { env, cwd });
    expect(text.stdout).toContain(`✓ Deployment ${name}: 3 desired, 3 existing, 2 ready`);
    expect(text.stdout).toContain(`✓ HPA keda-hpa-${name}: 2 current, 3 desired (min 1, max 8)`);

    const w = await runCli(['watch', '--once', '-o', 'ndjson'], { env, cwd });
    expect(w.stderr).toBe('');
    expect(w.code).toBe(0);
    const x = JSON.parse(w.stdout.trim());
    expect(x).toMatchObject({
      queue: { visible: 5, inFlight: 0, stale: false },
      deployment: { exists: true, desired: 3, ready: 2 },
      hpa: { exists: true, current: 2, desired: 3, max: 8 },
      pods: { pending: 1, running: 2 },
      scaledObject: { exists: true, ready: true, active: true },
      connection: 'live',
    });
    expect(x.jobs).toBeUndefined();
    const screen = await runCli(['watch', '--once', '-o', 'text'], { env, cwd });
    expect(screen.stdout).toMatch(/deployment\s+3 desired\s+2 ready/);
    expect(screen.stdout).toMatch(/hpa\s+2 current\s+3 desired\s+\(max 8\)/);
    expect(screen.stdout).toContain('scaledobject ready, active');
    expect(screen.stdout).toMatch(/SuccessfulRescale HorizontalPodAutoscaler\/keda-hpa-[\w-]+ New size: 3/);

    // the consumers took every message; the Pods stay up until the cooldown: drained all the same
    await motoSqs().send(new PurgeQueueCommand({ QueueUrl: url }));
    const started = Date.now();
    const u = await runCli(['watch', '--until-empty', '--timeout', '30s', '--interval', '0.3', '-o', 'ndjson'], { env, cwd });
    expect(u.code).toBe(0);
    expect(u.stderr).toContain(`queue ${stack}-queue is empty and no message was visible, in flight or delayed on two reads in a row`);
    const last = JSON.parse(u.stdout.trim().split('\n').at(-1)!);
    expect(last).toMatchObject({ queue: { visible: 0, inFlight: 0, delayed: 0 }, pods: { running: 2 } });
    expect(Date.now() - started).toBeLessThan(30_000);
  }, 120_000);
});
