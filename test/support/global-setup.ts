// Starts the real servers integration tests talk to, once per run: moto (AWS) and kube-apiserver + etcd.
import { startMoto } from './moto.ts';
import { startKubeRig } from './kube-rig.ts';
import { KEDA_CRDS_DIR } from './kube-test-rig.ts';
import { ensureAwsCli, ensureControllerManager, ensureKedaOperator } from './demo-cluster.ts';

export default async function setup(): Promise<() => Promise<void>> {
  const stops: Array<() => Promise<void>> = [];

  // --- the end-to-end demo's binaries (test/e2e/demo-real.test.ts): kube-controller-manager and the real KEDA
  // operator, built once from the Go module proxy (the operator takes 7+ minutes on 2 cores), and PyPI's aws
  // CLI for the test node. Built here, before any test file runs, so no test's timeout covers a build;
  // a failure stops the run with the build's own output.
  const e2eBinaries = Promise.all([ensureControllerManager(), ensureKedaOperator(), ensureAwsCli()]);
  e2eBinaries.catch(() => undefined); // awaited below, after moto and the shared rig started

  // --- moto (AWS): one server per run; tests read KEDACTL_TEST_MOTO_ENDPOINT (forked workers inherit it)
  const moto = await startMoto();
  stops.push(() => moto.stop());
  process.env.KEDACTL_TEST_MOTO_ENDPOINT = moto.endpoint;
  // --- end moto

  // --- kube-apiserver + etcd: one shared rig (tests that restart the API server start their own);
  // builds the binaries from the Go module proxy on first use. Fails loudly when it cannot start.
  if (!KEDA_CRDS_DIR) throw new Error("KEDA's CRDs not found: expected ../shared/reference/keda-crds beside the repo (or KEDACTL_RIG_CRDS)");
  const rig = await startKubeRig({ crdsDir: KEDA_CRDS_DIR, log: (s) => process.stderr.write(`[kube-rig] ${s}\n`) });
  stops.push(() => rig.stop());
  const { server, caPem, adminToken, kubeconfigPath, restrictedKubeconfigPath, expiredKubeconfigPath } = rig;
  process.env.KEDACTL_TEST_KUBE_RIG = JSON.stringify({ server, caPem, adminToken, kubeconfigPath, restrictedKubeconfigPath, expiredKubeconfigPath });
  // --- end kube-apiserver

  try {
    await e2eBinaries;
  } catch (e) {
    for (const stop of stops.reverse()) await stop();
    throw e;
  }

  return async () => {
    for (const stop of stops.reverse()) await stop();
  };
}
