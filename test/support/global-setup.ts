// Starts the real servers integration tests talk to, once per run: moto (AWS) and kube-apiserver + etcd.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { checkPrerequisites } from './prerequisites.ts';
import { beginRun } from './run-scope.ts';
import { startMoto } from './moto.ts';
import { startKubeRig } from './kube-rig.ts';
import { kedaCrdsDir } from './kube-test-rig.ts';
import { ensureAwsCli, ensureControllerManager, ensureKedaChartBinaries, ensureKedaOperator } from './demo-cluster.ts';
import { ensureHelms } from './helm.ts';
import { ensureOciRegistry } from './oci-registry.ts';

// init writes kedactl.yaml where it runs; a test that runs it in the repo would change every later run
const REPO_CONFIG = fileURLToPath(new URL('../../kedactl.yaml', import.meta.url));

export default async function setup(): Promise<() => Promise<void>> {
  // stops at once, naming everything the machine lacks, before anything is built or started
  checkPrerequisites();
  // the run's temporary folder (TMPDIR), network namespaces and processes: removed at its end, also when
  // interrupted; what a killed run left is removed here
  const run = beginRun((s) => process.stderr.write(`[test-run] ${s}\n`));
  const stops: Array<() => Promise<void>> = [];
  stops.push(async () => run.end());
  const configBefore = existsSync(REPO_CONFIG);

  // --- the end-to-end demo's binaries (test/e2e/demo-real.test.ts): kube-controller-manager and the real KEDA
  // operator, built once from the Go module proxy (the operator takes 7+ minutes on 2 cores), and PyPI's aws
  // CLI for the test node; the real helm 4 and helm 3 (test/support/helm.ts) and the OCI registry that serves
  // KEDA's chart to them (test/support/oci-registry.ts); and KEDA 2.20.2's operator, metrics server and
  // admission webhooks (one go build), which the demo runs from KEDA's real chart. Built here, before any test
  // file runs, so no test's timeout covers a build; a failure stops the run with the build's own output.
  const e2eBinaries = Promise.all([
    ensureControllerManager(),
    ensureKedaOperator(),
    ensureKedaChartBinaries(),
    ensureAwsCli(),
    ensureHelms(),
    ensureOciRegistry(),
  ]);
  e2eBinaries.catch(() => undefined); // awaited below, after moto and the shared rig started

  // --- moto (AWS): one server per run; tests read KEDACTL_TEST_MOTO_ENDPOINT (forked workers inherit it)
  const moto = await startMoto();
  stops.push(() => moto.stop());
  process.env.KEDACTL_TEST_MOTO_ENDPOINT = moto.endpoint;
  // --- end moto

  // --- kube-apiserver + etcd: one shared rig (tests that restart the API server start their own);
  // builds the binaries from the Go module proxy on first use. Fails loudly when it cannot start.
  // the CRDs of the KEDA release kedactl installs, from the KEDA Go module (cached); throws when they cannot be had
  const rig = await startKubeRig({ crdsDir: kedaCrdsDir(), log: (s) => process.stderr.write(`[kube-rig] ${s}\n`) });
  stops.push(() => rig.stop());
  const { server, caPem, adminToken, kubeconfigPath, restrictedKubeconfigPath, expiredKubeconfigPath } = rig;
  process.env.KEDACTL_TEST_KUBE_RIG = JSON.stringify({
    server,
    caPem,
    adminToken,
    kubeconfigPath,
    restrictedKubeconfigPath,
    expiredKubeconfigPath,
  });
  // --- end kube-apiserver

  try {
    await e2eBinaries;
  } catch (e) {
    for (const stop of stops.reverse()) await stop();
    throw e;
  }

  return async () => {
    for (const stop of stops.reverse()) await stop();
    if (!configBefore && existsSync(REPO_CONFIG))
      throw new Error(`a test ran kedactl in the repo and left ${REPO_CONFIG}: give it a folder of its own (cwd), then delete the file`);
  };
}
