// `kedactl init` as a user runs it, with the real helm 4 on PATH and KEDA's real chart (--keda-chart), against
// moto and a cluster of this file's own (no KEDA CRDs: the chart brings them), on a cluster where
// `eksctl create iamserviceaccount` made KEDA's service account first: init stops at the plan, before AWS,
// naming the ServiceAccount and the fix; after the fix it creates the stack, the operator's service account
// carries the stack's role, and teardown removes everything, KEDA included.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { motoCliEnv } from '../support/aws.ts';
import { MOTO_ACCOUNT, uniqueStack } from '../support/moto.ts';
import { startKubeRig, type KubeRig } from '../support/kube-rig.ts';
import { admin } from '../support/kube-test-rig.ts';
import { awsState, createEksCluster } from '../support/stack-state.ts';
import { ensureHelm, helmHome, KEDA_CHART_DIR, KEDA_CHART_VERSION } from '../support/helm.ts';
import { runBin } from '../support/run-cli.ts';
import { namespaceController } from '../support/controllers.ts';

let rig: KubeRig;
let home: ReturnType<typeof helmHome>;
let stopController: () => void;
const cwd = mkdtempSync(join(tmpdir(), 'kedactl-init-helm-'));
beforeAll(async () => {
  home = helmHome(await ensureHelm('4.3.2'));
  rig = await startKubeRig({ log: () => {} });
  stopController = namespaceController(rig); // teardown waits for the stack's namespace to go
});
afterAll(async () => {
  stopController?.();
  await rig?.stop();
  home?.cleanup();
  rmSync(cwd, { recursive: true, force: true });
});

describe("init with the real helm and KEDA's chart on a cluster where eksctl made KEDA's service account", () => {
  const stack = uniqueStack('realhelm');
  const cluster = `eks-${stack}`;
  const flags = ['--stack', stack, '--cluster', cluster, '--keda-chart', KEDA_CHART_DIR, '--no-wait', '--yes', '--create-oidc-provider'];
  const env = () => motoCliEnv({ ...home.env, KUBECONFIG: rig.kubeconfigPath });

  it("stops before any change naming the ServiceAccount; after the fix, creates the stack with KEDA as the stack's role; teardown removes it", async () => {
    await createEksCluster(cluster);
    await admin(rig, 'POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'keda' } });
    await admin(rig, 'POST', '/api/v1/namespaces/keda/serviceaccounts', {
      apiVersion: 'v1',
      kind: 'ServiceAccount',
      metadata: {
        name: 'keda-operator',
        labels: { 'app.kubernetes.io/managed-by': 'eksctl' },
        annotations: { 'eks.amazonaws.com/role-arn': `arn:aws:iam::${MOTO_ACCOUNT}:role/eksctl-keda` },
      },
    });

    const plan = await runBin(['plan', '--stack', stack, '--cluster', cluster, '--keda-chart', KEDA_CHART_DIR], {
      env: env(),
      cwd,
      timeoutMs: 120_000,
    });
    expect(plan.code, plan.stderr).toBe(0);
    expect(plan.stdout).toContain(`chart ${KEDA_CHART_DIR} ${KEDA_CHART_VERSION}`);
    expect(plan.stdout).toContain('blocked: ServiceAccount keda/keda-operator already exists, made by eksctl');
    const blocked = await runBin(['init', ...flags], { env: env(), cwd, timeoutMs: 120_000 });
    expect(blocked.code, blocked.stderr).toBe(1);
    expect(blocked.stderr).toContain('ServiceAccount keda/keda-operator already exists, made by eksctl (app.kubernetes.io/managed-by)');
    expect(blocked.stderr).toContain('nothing was changed');
    const before = await awsState(stack);
    expect([before.queues, before.roles]).toEqual([{}, {}]);

    // the fix the message names (kubectl label / annotate), done through the API
    await admin(
      rig,
      'PATCH',
      '/api/v1/namespaces/keda/serviceaccounts/keda-operator',
      {
        metadata: {
          labels: { 'app.kubernetes.io/managed-by': 'Helm' },
          annotations: {
            'meta.helm.sh/release-name': 'keda',
            'meta.helm.sh/release-namespace': 'keda',
            'eks.amazonaws.com/role-arn': null,
          },
        },
      },
      'application/merge-patch+json',
    );
    const created = await runBin(['init', ...flags], { env: env(), cwd, timeoutMs: 180_000 });
    expect(created.code, created.stderr).toBe(0);
    const sa = (await admin(rig, 'GET', '/api/v1/namespaces/keda/serviceaccounts/keda-operator')).json();
    expect(sa.metadata.annotations['eks.amazonaws.com/role-arn']).toBe(`arn:aws:iam::${MOTO_ACCOUNT}:role/kedactl-${stack}-keda-operator`);
    expect((await admin(rig, 'GET', `/apis/keda.sh/v1alpha1/namespaces/${stack}/scaledjobs/${stack}-processor`)).status).toBe(200);
    const record = (await admin(rig, 'GET', `/api/v1/namespaces/${stack}/configmaps/${stack}-settings`)).json();
    expect(record.data.kedaChart).toBe(KEDA_CHART_DIR);

    // KEDA was not kedactl's namespace to create, but its release is kedactl's: teardown uninstalls it
    const gone = await runBin(['teardown', '--stack', stack, '--yes'], { env: env(), cwd, timeoutMs: 180_000 });
    expect(gone.code, gone.stderr).toBe(0);
    const after = await awsState(stack);
    expect([after.queues, after.roles]).toEqual([{}, {}]);
    expect((await admin(rig, 'GET', '/apis/apps/v1/namespaces/keda/deployments/keda-operator')).status).toBe(404);
  });
});
