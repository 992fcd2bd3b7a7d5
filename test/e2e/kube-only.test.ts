// The Kubernetes half alone, as a user with no AWS credentials at all would run it: settings as flags,
// `init --skip aws --skip keda --yes` against the real API server, kubectl reads the result, a re-run
// changes nothing, `teardown --skip aws --yes` leaves nothing with the stack's label.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kubeRigForTests, type RigInfo } from '../support/kube-test-rig.ts';
import { uniqueStack } from '../support/moto.ts';
import { kubectlGet, STACK_KINDS } from '../support/stack-state.ts';
import { namespaceController } from '../support/controllers.ts';
import { runBin } from '../support/run-cli.ts';

let rig: RigInfo;
let stopRig: () => Promise<void>;
let stopController: () => void;
const stack = uniqueStack('kube');
beforeAll(async () => {
  ({ rig, stop: stopRig } = await kubeRigForTests());
  // the shared API server has no namespace controller: finalize this stack's namespace only, never another
  // file's (kube-teardown's test of a namespace that stays terminating runs beside this one)
  stopController = namespaceController(rig, stack);
});
afterAll(async () => {
  stopController?.();
  await stopRig?.();
});

describe('init and teardown of the Kubernetes half only', () => {
  const settings = () => [
    '--stack',
    stack,
    '--region',
    'eu-west-1',
    '--account-id',
    '123456789012',
    '--oidc-issuer',
    'https://oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLE',
    '--kubeconfig',
    rig.kubeconfigPath,
  ];

  it('applies every planned object; the server accepts each; kubectl sees them labelled; a re-run changes nothing', async () => {
    const r = await runBin(['init', ...settings(), '--skip', 'aws', '--skip', 'keda', '--no-wait', '--yes']);
    expect(r.stderr).not.toMatch(/error/);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`stack "${stack}" is ready (skipped: aws, keda)`);
    const objects = kubectlGet(rig.kubeconfigPath, STACK_KINDS, stack);
    expect(objects.map((o) => o.kind).sort()).toEqual([
      'ConfigMap',
      'ConfigMap',
      'Deployment',
      'Namespace',
      'ScaledJob',
      'Service',
      'ServiceAccount',
      'TriggerAuthentication',
    ]);
    for (const o of objects) expect(o.labels).toMatchObject({ 'app.kubernetes.io/managed-by': 'kedactl', 'kedactl.io/stack': stack });

    const again = await runBin(['init', ...settings(), '--skip', 'aws', '--skip', 'keda', '--no-wait', '--yes']);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain(`stack "${stack}" is up to date: nothing to do`);
    expect(again.stderr).not.toMatch(/Applying/);
  });

  it("teardown --skip aws --yes leaves no object with the stack's label", async () => {
    const r = await runBin(['teardown', ...settings(), '--skip', 'aws', '--yes']);
    expect(r.stderr).not.toMatch(/error/);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Kubernetes: deleted 1 ScaledJob, .*1 Namespace/);
    expect(kubectlGet(rig.kubeconfigPath, STACK_KINDS, stack)).toEqual([]);
    const again = await runBin(['teardown', ...settings(), '--skip', 'aws', '--yes']);
    expect(again.stdout).toContain(`nothing left of stack "${stack}" (not looked at: aws)`);
  });
});
