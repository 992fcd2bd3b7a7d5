// Leave the shared rig as we found it: tear down every stack a test file made up, through kedactl's own teardown.
import { createKube, loadKubeConfig } from '../../src/adapters/kube.ts';
import { teardownKube } from '../../src/core/kube-teardown.ts';
import { recordingProgress } from '../../src/core/progress.ts';
import { madeStacks, type RigInfo } from './kube-test-rig.ts';
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
