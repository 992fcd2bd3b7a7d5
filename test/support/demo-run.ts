// What the end-to-end demo tests read from a demo cluster (test/support/demo-cluster.ts) after a real run:
// the consumers' own logs (what each processed), the analyzer's counts held against them, KEDA's chart as
// installed and as left after teardown; and the KEDA-chart rig those files start (startKedaChartRig).
// Shared by test/e2e/demo-real.test.ts, workloads-real.test.ts and doctor-scaledobject-real.test.ts.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import { motoCliEnv } from './aws.ts';
import { KEDA_CHART_DIR, KEDA_CHART_VERSION, startDemoCluster, type DemoCluster } from './demo-cluster.ts';
import { ensureHelm, HELM_VERSIONS, helmHome } from './helm.ts';
import { kubeRequest } from './kube-rig.ts';
import type { Moto } from './moto.ts';
import { startMotoWithIam } from './moto-iam.ts';
import { podLogTail } from './node-agent.ts';
import { pollUntil } from './poll.ts';
import { kubectlGet, STACK_KINDS } from './stack-state.ts';

const MINUTE = 60_000;

/** what the node ran for a stack, for failure messages */
export const podsSeen = (cluster: DemoCluster, stack: string) =>
  [...cluster.node.pods.values()]
    .filter((p) => p.namespace === stack)
    .slice(-5)
    .map((p) => `--- ${p.name} (exit ${p.exitCode ?? 'running'}):\n${podLogTail(p, 8)}`)
    .join('\n');

/** One message a consumer of the stack processed and deleted, from its Pod's log (consume.sh says both). */
export interface ConsumerRun {
  pod: string;
  messageId: string;
  videoId: string;
}
export function consumerRuns(cluster: DemoCluster, stack: string): ConsumerRun[] {
  const runs: ConsumerRun[] = [];
  for (const r of cluster.node.pods.values()) {
    if (r.namespace !== stack) continue;
    let text = '';
    try {
      text = readFileSync(r.log, 'utf8');
    } catch {
      continue;
    }
    const bodies = new Map<string, string>();
    for (const m of text.matchAll(/^processing message ([^\s:]+): (.*)$/gm)) bodies.set(m[1]!, m[2]!);
    for (const m of text.matchAll(/^message (\S+) processed and deleted$/gm)) {
      const body = bodies.get(m[1]!);
      runs.push({ pod: r.name, messageId: m[1]!, videoId: body ? String(JSON.parse(body).videoId) : '(no body in the log)' });
    }
  }
  return runs;
}
export const runKey = (r: ConsumerRun) => `${r.pod}/${r.messageId}`;
/** a consumer Pod of the stack still running: its log and its report to the analyzer are not final yet */
export const consumersRunning = (cluster: DemoCluster, stack: string) =>
  [...cluster.node.pods.values()].some(
    (p) => p.namespace === stack && p.name.startsWith(`${stack}-processor-`) && p.exitCode === undefined,
  );

/**
 * SQS delivers each message at least once, not exactly once (a standard queue may hand a message out again;
 * a send retried after an answer was lost leaves two copies), and moto does the same under load: one run
 * in the repeated suite had 51 processed for 50 produced. So the exact checks are on what nothing excuses:
 * the analyzer counted each consumer's report once (its count is the number of messages the consumers
 * processed and deleted, not more, not fewer), and every one of the `produced` messages of the produce run
 * is among them. A message processed twice is named on stderr; more than one in ten would be a pipeline
 * that re-processes (a consumer that does not delete, a visibility timeout shorter than the work): fail.
 */
export function expectEveryMessageProcessed(runs: ConsumerRun[], produced: number, analyzerCount: number): void {
  expect(analyzerCount, `the analyzer's count vs the consumers' logs: ${JSON.stringify(runs)}`).toBe(runs.length);
  const ids = new Set(runs.map((r) => r.videoId));
  const runIds = new Set([...ids].map((v) => v.replace(/-\d+$/, '')));
  expect(runIds.size, `one produce run's messages: ${[...ids].join(' ')}`).toBe(1);
  const indices = [...ids].map((v) => Number(/-(\d+)$/.exec(v)?.[1])).sort((a, b) => a - b);
  expect(indices).toEqual(Array.from({ length: produced }, (_, i) => i + 1));
  const twice = runs.length - produced;
  if (twice > 0) {
    const seen = new Map<string, ConsumerRun[]>();
    for (const r of runs) seen.set(r.videoId, [...(seen.get(r.videoId) ?? []), r]);
    const dup = [...seen.values()]
      .filter((v) => v.length > 1)
      .map((v) => `${v[0]!.videoId}: ${v.map((r) => `${r.pod} got message ${r.messageId}`).join(', ')}`);
    process.stderr.write(`[demo-real] ${twice} of ${produced} messages processed twice (at-least-once delivery): ${dup.join('; ')}\n`);
  }
  expect(twice, 'messages processed more than once').toBeLessThanOrEqual(Math.ceil(produced / 10));
}

/** the chart's objects (label app.kubernetes.io/part-of=keda-operator) and KEDA's CRDs still in the cluster */
export async function kedaLeftovers(cluster: DemoCluster): Promise<string[]> {
  const left: string[] = [];
  const selector = 'labelSelector=app.kubernetes.io%2Fpart-of%3Dkeda-operator';
  const lists: Array<[string, string]> = [
    ['CustomResourceDefinition', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions'],
    ['ClusterRole', '/apis/rbac.authorization.k8s.io/v1/clusterroles'],
    ['ClusterRoleBinding', '/apis/rbac.authorization.k8s.io/v1/clusterrolebindings'],
    ['APIService', '/apis/apiregistration.k8s.io/v1/apiservices'],
    ['ValidatingWebhookConfiguration', '/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations'],
    ['RoleBinding', '/apis/rbac.authorization.k8s.io/v1/rolebindings'],
    ['Role', '/apis/rbac.authorization.k8s.io/v1/roles'],
    ['ServiceAccount', '/api/v1/serviceaccounts'],
    ['Service', '/api/v1/services'],
    ['Deployment', '/apis/apps/v1/deployments'],
    ['Secret', '/api/v1/secrets'],
  ];
  for (const [kind, path] of lists) {
    const r = await kubeRequest(cluster.rig, 'GET', `${path}?${selector}`);
    expect(r.status, `${kind}: ${r.body}`).toBe(200);
    for (const o of r.json().items ?? []) left.push(`${kind} ${o.metadata.namespace ? `${o.metadata.namespace}/` : ''}${o.metadata.name}`);
  }
  // by name too: KEDA's CRDs and the objects the chart names, whatever their labels
  const crds = (await kubeRequest(cluster.rig, 'GET', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions')).json().items ?? [];
  for (const c of crds)
    if (/\.keda\.sh$/.test(c.metadata.name) && !left.includes(`CustomResourceDefinition ${c.metadata.name}`))
      left.push(`CustomResourceDefinition ${c.metadata.name}`);
  if (
    (await kubeRequest(cluster.rig, 'GET', '/apis/apiregistration.k8s.io/v1/apiservices/v1beta1.external.metrics.k8s.io')).status !== 404 &&
    !left.includes('APIService v1beta1.external.metrics.k8s.io')
  )
    left.push('APIService v1beta1.external.metrics.k8s.io');
  if ((await kubeRequest(cluster.rig, 'GET', '/api/v1/namespaces/keda')).status !== 404) left.push('Namespace keda');
  return left.sort();
}

/** every KEDA object gone (the keda namespace kedactl deletes without waiting, CRDs finalize): bounded wait */
export async function expectNoKedaLeft(cluster: DemoCluster): Promise<void> {
  let left: string[] = [];
  await pollUntil(
    'no KEDA object left',
    async () => ((left = await kedaLeftovers(cluster)).length === 0 ? true : undefined),
    2 * MINUTE,
    () => left.join(', '),
  );
  expect(left).toEqual([]);
}

/** Once KEDA is installed: what its chart made, read back from the cluster */
export async function expectChartInstalled(cluster: DemoCluster): Promise<void> {
  // the three Deployments of the chart, each Available with its Pod run by the node as the real binary
  for (const name of ['keda-operator', 'keda-operator-metrics-apiserver', 'keda-admission-webhooks']) {
    await pollUntil(
      `Deployment keda/${name} available`,
      async () => {
        const d = (await kubeRequest(cluster.rig, 'GET', `/apis/apps/v1/namespaces/keda/deployments/${name}`)).json();
        return d.status?.conditions?.find((c: any) => c.type === 'Available' && c.status === 'True') ? d : undefined;
      },
      3 * MINUTE,
      () => cluster.operatorLog().split('\n').slice(-20).join('\n'),
    );
  }
  const op = (await kubeRequest(cluster.rig, 'GET', '/apis/apps/v1/namespaces/keda/deployments/keda-operator')).json();
  expect(op.metadata.labels['helm.sh/chart']).toBe(`keda-${KEDA_CHART_VERSION}`);
  expect(op.spec.template.spec.containers[0].image).toBe(`ghcr.io/kedacore/keda:${KEDA_CHART_VERSION}`);
  // KEDA's metrics server answers through the API server's aggregation layer: the APIService is Available
  const api = await pollUntil(
    'APIService v1beta1.external.metrics.k8s.io Available',
    async () => {
      const a = (
        await kubeRequest(cluster.rig, 'GET', '/apis/apiregistration.k8s.io/v1/apiservices/v1beta1.external.metrics.k8s.io')
      ).json();
      return a.status?.conditions?.find((c: any) => c.type === 'Available' && c.status === 'True') ? a : undefined;
    },
    3 * MINUTE,
  );
  expect(api.spec.caBundle, "the operator patched its CA into the chart's APIService").toBeTruthy();
  let last = '';
  await pollUntil(
    'external.metrics.k8s.io/v1beta1 served',
    async () => {
      const r = await kubeRequest(cluster.rig, 'GET', '/apis/external.metrics.k8s.io/v1beta1');
      last = `${r.status} ${r.body}`;
      return r.status === 200 && r.json().resources?.some((x: any) => x.name === 'externalmetrics') ? true : undefined;
    },
    MINUTE,
    () => last,
  );
}

/**
 * The stack's objects left after teardown, once KEDA's are all gone: helm uninstall deleted KEDA's CRDs, so
 * no ScaledJob or TriggerAuthentication can be left (nor asked for: the types are gone with them)
 */
export async function stackLeftAfterKeda(cluster: DemoCluster, stack: string) {
  await expectNoKedaLeft(cluster);
  return kubectlGet(
    cluster.rig.kubeconfigPath,
    STACK_KINDS.split(',')
      .filter((k) => !k.endsWith('.keda.sh'))
      .join(','),
    stack,
  );
}

/** A demo cluster running KEDA's chart, and the CLI's environment for it: moto, a helm of its own, the kubeconfig. */
export interface KedaChartRig {
  cluster: DemoCluster;
  env: NodeJS.ProcessEnv;
  /** stops the cluster and removes the helm home */
  stop(): Promise<void>;
}

/** Starts the cluster (KEDA's chart KEDA_CHART_VERSION) while the helm binary is fetched; for a file's beforeAll. */
export async function startKedaChartRig(helmVersion: string = HELM_VERSIONS[0]): Promise<KedaChartRig> {
  const [bin, cluster] = await Promise.all([ensureHelm(helmVersion), startDemoCluster({ kedaChart: { version: KEDA_CHART_VERSION } })]);
  const home = helmHome(bin);
  return {
    cluster,
    env: { ...motoCliEnv(), ...home.env, KUBECONFIG: cluster.rig.kubeconfigPath },
    stop: async () => {
      await cluster.stop();
      home.cleanup();
    },
  };
}

/**
 * The irsa rig for KEDA releases whose chart is not here (2.21.0): moto with IAM enforced (no keys but the
 * admin's), a demo cluster with the chart stand-in that follows the stateful helm stub, the node's network
 * pointed at moto (STS too) and the EKS pod identity webhook stand-in; the CLI's env with the admin's keys.
 */
export interface IrsaRig {
  moto: Moto;
  admin: { accessKeyId: string; secretAccessKey: string };
  cluster: DemoCluster;
  env: NodeJS.ProcessEnv;
  stop(): Promise<void>;
}

const HELM_STATEFUL_STUB = fileURLToPath(new URL('../fixtures/helm-stateful-stub', import.meta.url));

export async function startIrsaRig(eksCluster: string): Promise<IrsaRig> {
  const dir = mkdtempSync(join(tmpdir(), 'kedactl-irsa-rig-'));
  const { moto, admin } = await startMotoWithIam(eksCluster);
  const helmState = join(dir, 'helm');
  const stop = async (cluster?: DemoCluster) => {
    await cluster?.stop();
    await moto.stop();
    rmSync(dir, { recursive: true, force: true });
  };
  let cluster: DemoCluster;
  try {
    // the node's network: AWS is moto (AWS_ENDPOINT_URL_STS too: see demo-real.test.ts); no keys anywhere
    cluster = await startDemoCluster({
      helmState,
      nodeEnv: { AWS_ENDPOINT_URL: moto.endpoint, AWS_ENDPOINT_URL_STS: moto.endpoint },
      podIdentityWebhook: true,
    });
  } catch (e) {
    await stop();
    throw e;
  }
  return {
    moto,
    admin,
    cluster,
    env: {
      ...motoCliEnv(),
      AWS_ACCESS_KEY_ID: admin.accessKeyId,
      AWS_SECRET_ACCESS_KEY: admin.secretAccessKey,
      AWS_ENDPOINT_URL: moto.endpoint,
      KUBECONFIG: cluster.rig.kubeconfigPath,
      PATH: `${HELM_STATEFUL_STUB}:${process.env.PATH}`,
      HELM_STUB_STATE: helmState,
    },
    stop: () => stop(cluster),
  };
}

/**
 * The irsa rig with KEDA's real chart (2.20.2), installed by the real helm that `init` runs: moto with IAM
 * enforced, the demo cluster in kedaChart mode (the node plays EKS's pod identity webhook for the Pods), the
 * node's network pointed at moto (STS too); the CLI's env with the admin's keys and helm's home. Pass
 * KEDA_CHART_FLAGS to init.
 */
export async function startIrsaChartRig(eksCluster: string, helmVersion: string = HELM_VERSIONS[0]): Promise<IrsaRig> {
  const { moto, admin } = await startMotoWithIam(eksCluster);
  let bin: string;
  let cluster: DemoCluster;
  try {
    [bin, cluster] = await Promise.all([
      ensureHelm(helmVersion),
      startDemoCluster({
        kedaChart: { version: KEDA_CHART_VERSION },
        nodeEnv: { AWS_ENDPOINT_URL: moto.endpoint, AWS_ENDPOINT_URL_STS: moto.endpoint },
      }),
    ]);
  } catch (e) {
    await moto.stop();
    throw e;
  }
  const home = helmHome(bin);
  return {
    moto,
    admin,
    cluster,
    env: {
      ...motoCliEnv(),
      AWS_ACCESS_KEY_ID: admin.accessKeyId,
      AWS_SECRET_ACCESS_KEY: admin.secretAccessKey,
      AWS_ENDPOINT_URL: moto.endpoint,
      ...home.env,
      KUBECONFIG: cluster.rig.kubeconfigPath,
    },
    stop: async () => {
      await cluster.stop();
      home.cleanup();
      await moto.stop();
    },
  };
}

/** init's flags for KEDA's chart beside the repository, as a user with the chart on disk passes them */
export const KEDA_CHART_FLAGS = ['--keda-chart', KEDA_CHART_DIR, '--keda-version', KEDA_CHART_VERSION];
