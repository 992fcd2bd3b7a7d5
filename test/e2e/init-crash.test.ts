// Crash safety: init killed with SIGKILL after every step (and once in the middle of a step), then
// run again, ends in exactly the state of a clean run; teardown then leaves nothing. Real moto, real
// kube-apiserver; helm is a STATEFUL RECORDING STUB (test/fixtures/helm-stateful-stub).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startKubeRig, type KubeRig } from '../support/kube-rig.ts';
import { kedaCrdsDir } from '../support/kube-test-rig.ts';
import { motoCliEnv } from '../support/aws.ts';
import { uniqueStack } from '../support/moto.ts';
import { awsState, createEksCluster, kubectlObjects, STACK_KINDS } from '../support/stack-state.ts';
import { namespaceController } from '../support/controllers.ts';
import { BIN, runBin, SAFE_ENV } from '../support/run-cli.ts';

const STUB = fileURLToPath(new URL('../fixtures/helm-stateful-stub', import.meta.url));
let rig: KubeRig;
let stopController: () => void;
let helmState: string;
beforeAll(async () => {
  rig = await startKubeRig({ crdsDir: kedaCrdsDir(), log: () => {} });
  stopController = namespaceController(rig);
  helmState = mkdtempSync(join(tmpdir(), 'kedactl-crash-helm-'));
});
afterAll(async () => {
  stopController?.();
  await rig?.stop();
});

const env = () => ({
  ...SAFE_ENV,
  ...motoCliEnv({ KUBECONFIG: rig.kubeconfigPath, PATH: `${STUB}:${process.env.PATH}`, HELM_STUB_STATE: helmState }),
});
// init writes kedactl.yaml where it runs: never in the repo
const runDir = mkdtempSync(join(tmpdir(), 'kedactl-crash-'));
const args = (stack: string) => ['init', '--stack', stack, '--cluster', `eks-${stack}`, '--create-oidc-provider', '--no-wait', '--yes'];

/** Runs init; kills it with SIGKILL when `when(stderrSoFar)` says so. Resolves with stderr and whether it was killed. */
function initUntil(stack: string, when: (stderr: string) => boolean): Promise<{ stderr: string; killed: boolean; code: number | null }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args(stack)], { env: env(), cwd: runDir });
    let stderr = '';
    let killed = false;
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      if (!killed && when(stderr)) {
        killed = true;
        child.kill('SIGKILL');
      }
    });
    child.on('exit', (code) => resolve({ stderr, killed, code }));
  });
}

const done = (s: string) => s.split('\n').filter((l) => l.startsWith('✓ ')).length;

/** the stack's whole state, with its name and the cluster's issuer id replaced so two stacks compare */
async function state(stack: string) {
  const aws = await awsState(stack);
  const issuers = aws.oidcProviders.map((a) => /\/id\/(\w+)$/.exec(a)?.[1]).filter(Boolean) as string[];
  let text = JSON.stringify({ queues: aws.queues, roles: aws.roles, kube: kubectlObjects(rig.kubeconfigPath, STACK_KINDS, stack) });
  for (const id of issuers) text = text.replaceAll(id, 'ISSUER');
  return JSON.parse(text.replaceAll(stack, 'STACK'));
}

async function teardownLeavesNothing(stack: string) {
  const r = await runBin(['teardown', '--stack', stack, '--yes'], { env: env(), timeoutMs: 120_000 });
  expect(r.code, r.stderr).toBe(0);
  const aws = await awsState(stack);
  expect(aws.queues).toEqual({});
  expect(aws.roles).toEqual({});
  expect(kubectlObjects(rig.kubeconfigPath, STACK_KINDS, stack)).toEqual([]);
}

describe('init killed at any point converges on the next run', () => {
  let reference: unknown;
  let steps = 0;

  it('a clean run: the reference state and the number of steps', async () => {
    const stack = uniqueStack('ref');
    await createEksCluster(`eks-${stack}`);
    const r = await initUntil(stack, () => false);
    expect(r.code, r.stderr).toBe(0);
    steps = done(r.stderr);
    expect(steps).toBeGreaterThanOrEqual(8);
    reference = await state(stack);
    expect(Object.keys((reference as any).roles)).toHaveLength(3);
    await teardownLeavesNothing(stack);
  });

  it('SIGKILL after each step, then init again: same state as the clean run; teardown leaves nothing', async () => {
    for (let k = 1; k < steps; k++) {
      const stack = uniqueStack(`k${k}`);
      await createEksCluster(`eks-${stack}`);
      const crashed = await initUntil(stack, (s) => done(s) >= k);
      expect(crashed.killed, `run ${k}: init ended before step ${k}:\n${crashed.stderr}`).toBe(true);
      const again = await initUntil(stack, () => false);
      expect(again.code, `after a kill at step ${k}:\n${again.stderr}`).toBe(0);
      expect(await state(stack), `state after a kill at step ${k}`).toEqual(reference);
      await teardownLeavesNothing(stack);
    }
  }, 900_000);

  it('SIGKILL in the middle of a step (applying the Kubernetes objects), then init again converges', async () => {
    const stack = uniqueStack('mid');
    await createEksCluster(`eks-${stack}`);
    const crashed = await initUntil(stack, (s) => /… Applying \d+ Kubernetes objects/.test(s));
    expect(crashed.killed).toBe(true);
    const again = await initUntil(stack, () => false);
    expect(again.code, again.stderr).toBe(0);
    expect(await state(stack)).toEqual(reference);
    await teardownLeavesNothing(stack);
  }, 120_000);

  it('teardown after a partial init removes what was created so far', async () => {
    const stack = uniqueStack('part');
    await createEksCluster(`eks-${stack}`);
    const crashed = await initUntil(stack, (s) => /✓ create IAM role/.test(s));
    expect(crashed.killed).toBe(true);
    expect(Object.keys((await awsState(stack)).queues)).toHaveLength(1);
    await teardownLeavesNothing(stack);
  }, 120_000);
});
