// The kube-apiserver rig for Kubernetes tests.
//
// test/support/global-setup.ts starts one rig per run and exports KEDACTL_TEST_KUBE_RIG (JSON: server,
// caPem, adminToken, kubeconfigPath, restrictedKubeconfigPath, expiredKubeconfigPath); a test file run
// without it (e.g. a script) starts its own rig in beforeAll.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { startKubeRig, kubeRequest, type KubeRig, type KubeResponse } from './kube-rig.ts';
import { DEFAULT_KEDA_VERSION } from '../../src/core/keda/versions.ts';

export type RigInfo = Pick<
  KubeRig,
  'server' | 'caPem' | 'adminToken' | 'kubeconfigPath' | 'restrictedKubeconfigPath' | 'expiredKubeconfigPath'
>;

const KEDA_CRDS_SCRIPT = fileURLToPath(new URL('../rig/keda-crds.sh', import.meta.url));

/**
 * A directory with every CRD of one KEDA release (default: the one kedactl installs), from the KEDA Go
 * module at that version (test/rig/keda-crds.sh, cached in ~/.cache/kedactl-rig/keda-crds). Throws
 * when it cannot be had: Kubernetes tests never run against CRDs of another KEDA.
 */
export function kedaCrdsDir(version: string = DEFAULT_KEDA_VERSION): string {
  const out = execFileSync('bash', [KEDA_CRDS_SCRIPT, version], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  const dir = out.trim().split('\n').pop()!;
  if (!existsSync(dir)) throw new Error(`KEDA ${version}'s CRDs: ${KEDA_CRDS_SCRIPT} printed ${dir}, which does not exist`);
  return dir;
}

export async function kubeRigForTests(): Promise<{ rig: RigInfo; stop: () => Promise<void> }> {
  const shared = process.env.KEDACTL_TEST_KUBE_RIG;
  if (shared) return { rig: JSON.parse(shared) as RigInfo, stop: async () => {} };
  const rig = await startKubeRig({ crdsDir: kedaCrdsDir(), log: () => {} });
  return { rig, stop: () => rig.stop() };
}

/** admin request to the rig (what a controller or kubectl would do), not through kedactl's adapter */
export function admin(rig: RigInfo, method: string, path: string, body?: unknown, contentType?: string): Promise<KubeResponse> {
  return kubeRequest(rig, method, path, { body, contentType });
}

/** stack names this test file made up, for cleanupStacks() (test/support/kube-file-rig.ts) */
export const madeStacks: string[] = [];

export function uniqueStack(prefix: string): string {
  const name = `${prefix}-${Math.random().toString(36).slice(2, 7)}`;
  madeStacks.push(name);
  return name;
}

/** The namespace controller's part (the rig runs none): finish a terminating namespace once it is marked. */
/** n finished Jobs and one Pod each, labelled like KEDA's (the ScaledJob's pod template carries the stack labels) */
export async function createFinishedJobs(r: RigInfo, ns: string, stack: string, n: number, concurrency = 16): Promise<void> {
  // the stack's labels (src/core/stack/names.ts); spelled out so plain `node bench/*.ts` can load this file
  const labels = { 'app.kubernetes.io/managed-by': 'kedactl', 'kedactl.io/stack': stack };
  const one = async (i: number) => {
    const name = `${stack}-processor-${i.toString(36).padStart(5, '0')}`;
    const job = await admin(r, 'POST', `/apis/batch/v1/namespaces/${ns}/jobs`, {
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: { name, labels },
      spec: {
        backoffLimit: 0,
        template: {
          metadata: { labels },
          spec: { restartPolicy: 'Never', containers: [{ name: 'consumer', image: 'amazon/aws-cli:2.15.23' }] },
        },
      },
    });
    if (job.status !== 201) throw new Error(`job ${job.status} ${job.body}`);
    const uid = job.json().metadata.uid;
    const pod = await admin(r, 'POST', `/api/v1/namespaces/${ns}/pods`, {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name: `${name}-x`,
        labels: { ...labels, 'batch.kubernetes.io/job-name': name },
        ownerReferences: [{ apiVersion: 'batch/v1', kind: 'Job', name, uid, controller: true }],
      },
      spec: { restartPolicy: 'Never', containers: [{ name: 'consumer', image: 'amazon/aws-cli:2.15.23' }] },
    });
    if (pod.status !== 201) throw new Error(`pod ${pod.status} ${pod.body}`);
  };
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < n) await one(next++);
    }),
  );
}
