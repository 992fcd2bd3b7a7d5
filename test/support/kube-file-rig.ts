// A Kubernetes test file's rig: the shared one (or its own when run alone), set up before its tests, and
// left as it was found after them: every stack the file made up is torn down through kedactl's own teardown.
import { tmpdir } from 'node:os';
import { afterAll, beforeAll } from 'vitest';
import { createKube, loadKubeConfig } from '../../src/adapters/kube.ts';
import { loadSettings } from '../../src/core/stack/load-settings.ts';
import type { Settings } from '../../src/core/stack/settings.ts';
import { teardownKube } from '../../src/core/kube/teardown.ts';
import { recordingProgress } from '../../src/core/progress.ts';
import { kubeRigForTests, madeStacks, type RigInfo } from './kube-test-rig.ts';
import { namespaceController } from './controllers.ts';

export async function cleanupStacks(rig: RigInfo): Promise<void> {
  const kube = createKube(loadKubeConfig({ kubeconfig: rig.kubeconfigPath, env: {} }));
  for (const stack of madeStacks.splice(0)) {
    const stop = namespaceController(rig, stack);
    try {
      await teardownKube(stack, kube, undefined, recordingProgress(), { timeoutMs: 10_000, namespaceTimeoutMs: 5_000, intervalMs: 100 });
    } catch {
      /* a test left a finalizer on purpose, or the rig is gone: not this file's result */
    } finally {
      stop();
    }
  }
}

/** The file's rig, a live binding: set once useKubeRig()'s beforeAll has run. */
export let rig: RigInfo;

/** Call at the top of a test file: starts (or joins) the rig before its tests, cleans up after them. */
export function useKubeRig(): void {
  let stop: (() => Promise<void>) | undefined;
  beforeAll(async () => {
    ({ rig, stop } = await kubeRigForTests());
  });
  afterAll(async () => {
    if (rig) await cleanupStacks(rig);
    await stop?.();
  });
}

export const ISSUER = 'https://oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLE';

/** irsa settings with every id known, so nothing needs AWS */
export const settings = (flags: Record<string, unknown>): Settings =>
  loadSettings({ flags: { region: 'eu-west-1', accountId: '123456789012', oidcIssuer: ISSUER, ...flags }, env: {}, cwd: tmpdir() })
    .settings;
