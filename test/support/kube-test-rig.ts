// The kube-apiserver rig for Kubernetes tests.
//
// TEMPORARY (for the lead to switch): until test/support/global-setup.ts starts the rig once per run and
// exports KEDACTL_TEST_KUBE_RIG (JSON: server, caPem, adminToken, kubeconfigPath, restrictedKubeconfigPath,
// expiredKubeconfigPath), each test file that calls kubeRigForTests() starts its own rig in beforeAll.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { startKubeRig, kubeRequest, type KubeRig, type KubeResponse } from './kube-rig.ts';

export type RigInfo = Pick<KubeRig, 'server' | 'caPem' | 'adminToken' | 'kubeconfigPath' | 'restrictedKubeconfigPath' | 'expiredKubeconfigPath'>;

export const KEDA_CRDS_DIR = [process.env.KEDACTL_RIG_CRDS, fileURLToPath(new URL('../../../shared/reference/keda-crds', import.meta.url)), '/work/shared/reference/keda-crds'].find(
  (d): d is string => !!d && existsSync(d),
);

export async function kubeRigForTests(): Promise<{ rig: RigInfo; stop: () => Promise<void> }> {
  const shared = process.env.KEDACTL_TEST_KUBE_RIG;
  if (shared) return { rig: JSON.parse(shared) as RigInfo, stop: async () => {} };
  const rig = await startKubeRig({ crdsDir: KEDA_CRDS_DIR, log: () => {} });
  return { rig, stop: () => rig.stop() };
}

/** admin request to the rig (what a controller or kubectl would do), not through kedactl's adapter */
export function admin(rig: RigInfo, method: string, path: string, body?: unknown, contentType?: string): Promise<KubeResponse> {
  return kubeRequest(rig, method, path, { body, contentType });
}

export function uniqueStack(prefix: string): string {
  return `${prefix}-${Math.random().toString(36).slice(2, 7)}`;
}
