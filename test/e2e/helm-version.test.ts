// The helm a user has: helm 4 and helm 3 pass init's check; a real helm older than kedactl supports (3.7.2,
// built from the Go module proxy like the others) stops `kedactl init` with exit 2 before anything changes,
// in AWS (moto) or the cluster (the shared rig), naming the version found and the one needed.
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { motoCliEnv } from '../support/aws.ts';
import { uniqueStack } from '../support/moto.ts';
import { awsState } from '../support/stack-state.ts';
import { admin, kubeRigForTests, type RigInfo } from '../support/kube-test-rig.ts';
import { ensureHelm, HELM_VERSIONS, OLD_HELM_VERSION } from '../support/helm.ts';
import { runBin } from '../support/run-cli.ts';
import { createHelm } from '../../src/adapters/helm.ts';

let rig: RigInfo;
let stopRig: () => Promise<void>;
beforeAll(async () => {
  ({ rig, stop: stopRig } = await kubeRigForTests());
});
afterAll(async () => stopRig?.());

describe('which helm kedactl runs with', () => {
  it.each(HELM_VERSIONS)('helm %s: its version is read and accepted', async (v) => {
    expect(await createHelm({ bin: await ensureHelm(v) }).version()).toBe(v);
  });

  it(`helm ${OLD_HELM_VERSION} (older than 3.8.0): init exits 2 before any change, naming both versions`, async () => {
    const old = await ensureHelm(OLD_HELM_VERSION);
    const stack = uniqueStack('oldhelm');
    const r = await runBin(
      [
        'init',
        '--stack',
        stack,
        '--account-id',
        '123456789012',
        '--oidc-issuer',
        'https://oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLE',
        '--kubeconfig',
        rig.kubeconfigPath,
        '--no-wait',
        '--yes',
      ],
      { env: motoCliEnv({ PATH: `${path.dirname(old)}:${process.env.PATH}`, HELM_CONFIG_HOME: '/nonexistent/kedactl-test/helm' }) },
    );
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(
      `- helm: helm ${OLD_HELM_VERSION} (helm) is older than kedactl supports (helm 3.8.0 or newer, or helm 4) (install helm 3 or 4`,
    );
    expect(r.stderr).toContain('nothing was changed');
    // nothing was created: no queue in moto, no namespace in the cluster
    const aws = await awsState(stack);
    expect([aws.queues, aws.roles]).toEqual([{}, {}]);
    expect((await admin(rig, 'GET', `/api/v1/namespaces/${stack}`)).status).toBe(404);
  });
});
