// The whole demo's cluster for end-to-end tests: a kube-apiserver + etcd rig, the real kube-controller-manager
// (Job, garbage collector, namespace, Deployment, ReplicaSet, HPA, Endpoints and EndpointSlice controllers), a node
// agent standing in for a kubelet (test/support/node-agent.ts), and the real KEDA, which the node runs.
//
// Two ways KEDA gets there:
// - `kedaChart` (KEDA's real chart, installed by the real helm that the test puts on PATH): nothing of KEDA
//   is pre-installed; the chart's CRDs, service accounts, RBAC, webhook configuration, APIService and three
//   Deployments are what helm creates, and the node runs the chart's Pods as the real operator, metrics
//   server and admission webhooks of that version (test/support/keda-pods.ts). The API server gets the
//   aggregation layer a cluster has (front-proxy client certificates, routing to the Service's endpoints),
//   so the APIService and the webhooks are served for real.
// - otherwise the CHART STAND-IN, for KEDA versions whose chart is not here (2.21.0): helm stays a
//   STATEFUL RECORDING STUB (test/fixtures/helm-stateful-stub), every CRD of the release comes from its Go
//   module, and chartStandIn() plays what the chart would install for the operator (its ServiceAccount with
//   the IRSA annotation and its Deployment), following the stub's release. From the Deployment on
//   (ReplicaSet, Pod, the operator process, its readiness) everything is real.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { kubeRequest, startKubeRig, type KubeRig } from './kube-rig.ts';
import { freePort } from './ports.ts';
import { selfSignedCert } from './tls.ts';
import { ensureVenv } from './venv.ts';
import { kedaCrdsDir } from './kube-test-rig.ts';
import { DEFAULT_KEDA_VERSION } from '../../src/core/keda/versions.ts';
import { startNodeAgent, type NodeAgent, type Runner } from './node-agent.ts';
import { startPodIdentityWebhook } from './pod-identity-webhook.ts';
import { kedaChartRunners } from './keda-pods.ts';

const RIG_DIR = fileURLToPath(new URL('../rig/', import.meta.url));

/** The KEDA version the e2e rig runs: the one kedactl installs by default. */
export const E2E_KEDA_VERSION = DEFAULT_KEDA_VERSION;
export const KEDA_IMAGE = 'ghcr.io/kedacore/keda:';

export function runScript(script: string, args: string[], what: string, timeoutMs = 60 * 60_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', [path.join(RIG_DIR, script), ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => {
      err += d;
      if (process.env.KEDACTL_RIG_QUIET !== '1') process.stderr.write(d);
    });
    const t = setTimeout(() => child.kill('SIGTERM'), timeoutMs);
    // 'close', not 'exit': the directory is the last line of stdout, which may still be in the pipe at 'exit'
    child.once('close', (code) => {
      clearTimeout(t);
      const dir = out.trim().split('\n').pop() ?? '';
      if (code === 0 && dir) resolve(dir);
      else
        reject(
          new Error(
            `${what}: test/rig/${script} ${args.join(' ')} failed (exit ${code}); the end-to-end tests need it. Last output:\n${err.split('\n').slice(-30).join('\n')}`,
          ),
        );
    });
  });
}

/** kube-apiserver, etcd and kube-controller-manager (built once from the Go module proxy); their folder */
export const ensureControllerManager = () => runScript('kube-binaries.sh', ['kube-controller-manager'], 'building kube-controller-manager');

/** the real KEDA operator of a release (built once from the Go module proxy, ~7+ minutes); its folder */
export const ensureKedaOperator = (version = E2E_KEDA_VERSION) =>
  runScript('keda-operator.sh', [version], `building the KEDA ${version} operator`);

/** KEDA's chart of the one release whose chart is here (test data beside the repo, never copied into it) */
export const KEDA_CHART_VERSION = '2.20.2';
export const KEDA_CHART_DIR = findBesideRepo(path.join('shared', 'reference', `keda-chart-${KEDA_CHART_VERSION}`, 'chart'));

/** `rel` beside the repository (CI clones it with shared/ next to it) or beside a folder above it (a worktree) */
function findBesideRepo(rel: string): string {
  const repo = fileURLToPath(new URL('../../', import.meta.url));
  for (let d = path.dirname(path.resolve(repo)); ; d = path.dirname(d)) {
    if (existsSync(path.join(d, rel))) return path.join(d, rel);
    if (path.dirname(d) === d) return path.join(path.dirname(path.resolve(repo)), rel);
  }
}

/** the operator, metrics server and admission webhooks of a release, in one go build; their folder */
export const ensureKedaChartBinaries = (version = KEDA_CHART_VERSION) =>
  runScript(
    'keda-operator.sh',
    [version, 'operator', 'adapter', 'webhooks'],
    `building KEDA ${version} (operator, metrics server, admission webhooks)`,
  );

// --- the aws CLI for the node's Pods -------------------------------------------------------------------
export const AWSCLI_VERSION = '1.46.2';

/** PyPI's awscli (v1) in a venv under ~/.cache/kedactl-test, once; returns the `aws` executable */
export async function ensureAwsCli(): Promise<string> {
  const venv = await ensureVenv({
    name: 'awscli-venv',
    requirement: `awscli==${AWSCLI_VERSION}`,
    executable: 'aws',
    marker: `awscli-${AWSCLI_VERSION}`,
    log: (s) => process.stderr.write(`[node] ${s}\n`),
  });
  return path.join(venv, 'bin', 'aws');
}

// --- processes -------------------------------------------------------------------------------------------
const live = new Set<ChildProcess>();
let hooked = false;
export function spawnDaemon(bin: string, args: string[], logPath: string, env: NodeJS.ProcessEnv): ChildProcess {
  if (!hooked) {
    hooked = true;
    process.on('exit', () => {
      for (const c of live)
        try {
          c.kill('SIGKILL');
        } catch {
          /* gone */
        }
    });
  }
  const fd = openSync(logPath, 'a');
  // setpriv --pdeathsig: killed by the kernel if this process dies without its exit hook
  const child = spawn('setpriv', ['--pdeathsig', 'KILL', '--', bin, ...args], { stdio: ['ignore', fd, fd], env });
  closeSync(fd);
  live.add(child);
  child.once('exit', () => live.delete(child));
  return child;
}

export function stopChild(c: ChildProcess | undefined, graceMs = 10_000): Promise<void> {
  return new Promise((resolve) => {
    if (!c || c.exitCode !== null || c.signalCode !== null) return resolve();
    const t = setTimeout(() => c.kill('SIGKILL'), graceMs);
    c.once('exit', () => (clearTimeout(t), resolve()));
    c.kill('SIGTERM');
  });
}

const tail = (file: string, n = 40) => {
  try {
    return readFileSync(file, 'utf8').split('\n').slice(-n).join('\n');
  } catch {
    return '(no log)';
  }
};

// --- the cluster -----------------------------------------------------------------------------------------
export interface DemoCluster {
  rig: KubeRig;
  node: NodeAgent;
  kedaVersion: string;
  /** folder with kube-controller-manager.log (the operator's log is its Pod's, on the node: operatorLog()) */
  logDir: string;
  /** the KEDA operator's log so far (every operator process this cluster ran) */
  operatorLog(): string;
  stop(): Promise<void>;
}

export interface DemoClusterOptions {
  /** HELM_STUB_STATE of the stateful helm stub whose release the chart stand-in follows (not with kedaChart) */
  helmState?: string;
  /**
   * KEDA comes from its real chart, installed by the real helm: no stand-in, no CRDs before helm installs
   * them; the node runs the chart's Pods with the binaries of this version (KEDA_CHART_VERSION)
   */
  kedaChart?: { version: string };
  /** added to every Pod's environment by the node: the "network" (AWS_ENDPOINT_URL of moto) */
  nodeEnv?: Record<string, string>;
  /** extra environment for the operator process only */
  operatorEnv?: Record<string, string>;
  kedaVersion?: string;
  /** run a stand-in for EKS's pod identity webhook (the role in the Pods' spec, as EKS puts it there) */
  podIdentityWebhook?: boolean;
  log?: (s: string) => void;
}

export async function startDemoCluster(o: DemoClusterOptions): Promise<DemoCluster> {
  const version = o.kedaChart?.version ?? o.kedaVersion ?? E2E_KEDA_VERSION;
  const log = o.log ?? ((s: string) => process.stderr.write(`[demo-cluster] ${s}\n`));
  if (!o.kedaChart && !o.helmState) throw new Error('startDemoCluster: the chart stand-in needs helmState (or pass kedaChart)');
  if (o.kedaChart && !existsSync(path.join(KEDA_CHART_DIR, 'Chart.yaml')))
    throw new Error(
      `KEDA's chart ${KEDA_CHART_VERSION} is not at ${KEDA_CHART_DIR}: the end-to-end demo installs it (shared/reference/ beside the repository)`,
    );
  const [binDir, kedaDir, awsCli] = await Promise.all([
    ensureControllerManager(),
    o.kedaChart ? ensureKedaChartBinaries(version) : ensureKedaOperator(version),
    ensureAwsCli(),
  ]);
  // one cluster with KEDA's chart on this machine at a time: its admission webhooks bind port 9443 on every address
  const release = o.kedaChart ? await chartNodeLock(log) : async () => undefined;
  const logDir = mkdtempSync(path.join(os.tmpdir(), 'kedactl-demo-'));
  let rig: KubeRig;
  try {
    rig = o.kedaChart
      ? // helm installs the chart's CRDs; the API server gets the aggregation layer the chart's APIService needs
        await startKubeRig({ log, apiServerArgs: aggregationLayer(path.join(logDir, 'front-proxy')) })
      : // every CRD of the release (the eventing.keda.sh ones too: the operator waits for them)
        await startKubeRig({ crdsDir: kedaCrdsDir(version), log });
  } catch (e) {
    rmSync(logDir, { recursive: true, force: true });
    await release();
    throw e;
  }
  const stops: Array<() => Promise<void>> = [];
  const stop = async () => {
    for (const s of stops.reverse()) await s().catch(() => undefined);
    await rig.stop();
    await release();
    if (process.env.KEDACTL_RIG_KEEP !== '1') rmSync(logDir, { recursive: true, force: true });
    else log(`kept ${logDir}`);
  };
  try {
    // --- kube-controller-manager ---------------------------------------------------------------------
    const kcmLog = path.join(logDir, 'kube-controller-manager.log');
    const kcm = spawnDaemon(
      path.join(binDir, 'kube-controller-manager'),
      [
        `--kubeconfig=${rig.kubeconfigPath}`,
        '--leader-elect=false',
        '--secure-port=0',
        '--controllers=job-controller,garbage-collector-controller,namespace-controller,deployment-controller,replicaset-controller,endpoints-controller,endpointslice-controller,endpointslice-mirroring-controller,serviceaccount-controller,horizontal-pod-autoscaler-controller',
        // the HPA's own defaults (15 s sync, 10 % tolerance): simulate models exactly these
        '--horizontal-pod-autoscaler-sync-period=15s',
        '--kube-api-qps=200',
        '--kube-api-burst=400',
        '--concurrent-job-syncs=10',
        '--v=1',
      ],
      kcmLog,
      { ...process.env },
    );
    stops.push(() => stopChild(kcm));
    // ready when the namespace controller works: the ServiceAccount controller gives a new namespace "default"
    const probeNs = `kcm-probe-${Date.now().toString(36)}`;
    await kubeRequest(rig, 'POST', '/api/v1/namespaces', { body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: probeNs } } });
    const deadline = Date.now() + 120_000;
    for (;;) {
      if (kcm.exitCode !== null)
        throw new Error(`kube-controller-manager exited ${kcm.exitCode}. Last lines of ${kcmLog}:\n${tail(kcmLog)}`);
      if ((await kubeRequest(rig, 'GET', `/api/v1/namespaces/${probeNs}/serviceaccounts/default`)).status === 200) break;
      if (Date.now() > deadline)
        throw new Error(`kube-controller-manager did not start working in 120 s. Last lines of ${kcmLog}:\n${tail(kcmLog)}`);
      await new Promise((r) => setTimeout(r, 200));
    }
    await kubeRequest(rig, 'DELETE', `/api/v1/namespaces/${probeNs}`);
    log('kube-controller-manager running');

    // --- the KEDA operator, for the node to run as the keda-operator Pod -------------------------------
    const certDir = path.join(logDir, 'keda-certs');
    selfSignedCert(certDir, 'keda-operator.keda.svc', 'DNS:keda-operator.keda.svc,DNS:localhost,IP:127.0.0.1');
    writeFileSync(path.join(certDir, 'ca.crt'), readFileSync(path.join(certDir, 'tls.crt')));
    const operatorLogs: string[] = [];
    const runOperator: Runner = async ({ pod, env, log: podLog }) => {
      const [metrics, probe, grpc] = [await freePort(), await freePort(), await freePort()];
      // the Pod's own log, which the node serves to the API server (pods/log) like a kubelet
      const logPath = podLog;
      if (!operatorLogs.includes(logPath)) operatorLogs.push(logPath);
      const child = spawnDaemon(
        path.join(kedaDir, 'keda-operator'),
        [
          `--kubeconfig=${rig.kubeconfigPath}`,
          '--leader-elect=false',
          `--metrics-bind-address=127.0.0.1:${metrics}`,
          `--health-probe-bind-address=127.0.0.1:${probe}`,
          `--metrics-service-bind-address=127.0.0.1:${grpc}`,
          `--cert-dir=${certDir}`,
          `--ca-dir=${certDir}`,
          '--enable-cert-rotation=false',
          '--enable-webhook-patching=false',
          '--enable-apiservice-patching=false',
          '--zap-log-level=info',
          '--zap-encoder=console',
          // times to the nanosecond: test/e2e/simulate-vs-real.test.ts reads when each poll happened
          '--zap-time-encoding=rfc3339nano',
        ],
        logPath,
        {
          PATH: process.env.PATH,
          HOME: os.homedir(),
          AWS_EC2_METADATA_DISABLED: 'true',
          // the kubelet's part: the service account's namespace file becomes the cluster object namespace
          KEDA_CLUSTER_OBJECT_NAMESPACE: pod.metadata.namespace,
          POD_NAMESPACE: pod.metadata.namespace,
          ...o.nodeEnv,
          ...env,
          ...o.operatorEnv,
        },
      );
      const exited = new Promise<number>((r) => child.once('exit', (code, sig) => r(code ?? (sig === 'SIGKILL' ? 137 : 143))));
      const ready = (async () => {
        for (;;) {
          if (child.exitCode !== null) throw new Error('operator exited');
          try {
            if ((await fetch(`http://127.0.0.1:${probe}/readyz`, { signal: AbortSignal.timeout(1000) })).ok) return;
          } catch {
            /* not yet */
          }
          await new Promise((r) => setTimeout(r, 250));
        }
      })();
      return { ip: '127.0.0.1', exited, ready, term: () => child.kill('SIGTERM'), kill: () => child.kill('SIGKILL') };
    };

    if (o.podIdentityWebhook) {
      const webhook = await startPodIdentityWebhook(rig);
      stops.push(() => webhook.stop());
    }
    const runners = o.kedaChart
      ? kedaChartRunners({
          rig,
          nodeEnv: { ...o.nodeEnv, ...o.operatorEnv },
          binDir: (v) => {
            if (v !== version) throw new Error(`the test node has the KEDA ${version} binaries, not ${v}`);
            return kedaDir;
          },
          onStart: (image, podLog) => {
            if (image.startsWith(KEDA_IMAGE) && !operatorLogs.includes(podLog)) operatorLogs.push(podLog);
          },
        })
      : { [KEDA_IMAGE]: runOperator };
    const node = await startNodeAgent({ rig, awsCli, nodeEnv: o.nodeEnv, runners });
    stops.push(() => node.stop());
    if (!o.kedaChart) {
      const stopChart = chartStandIn(rig, o.helmState!, log);
      stops.splice(stops.length - 1, 0, async () => stopChart()); // stop following helm before the node stops
    }
    return {
      rig,
      node,
      kedaVersion: version,
      logDir,
      operatorLog: () => operatorLogs.map((f) => tail(f, 100_000)).join('\n'),
      stop,
    };
  } catch (e) {
    await stop();
    throw e;
  }
}

/**
 * The test node runs KEDA's chart for one cluster at a time on this machine (every test run, every worker):
 * KEDA's admission webhooks listen on port 9443 of every address and have no flag for the address, so a
 * second cluster's webhooks Pod could not bind it, as two such Pods on one host network could not. An
 * exclusive flock(1) held by a child process until the cluster stops (or this process dies).
 */
async function chartNodeLock(log: (s: string) => void): Promise<() => Promise<void>> {
  const file = path.join(os.tmpdir(), 'kedactl-keda-chart-node.lock');
  const started = Date.now();
  // the command holds nothing but its stdin: closing that pipe (or this process dying) ends it and frees the lock
  const holder = spawn(
    'setpriv',
    ['--pdeathsig', 'KILL', '--', 'flock', '--exclusive', '--close', file, 'sh', '-c', 'echo locked; exec cat >/dev/null'],
    { stdio: ['pipe', 'pipe', 'inherit'] },
  );
  await new Promise<void>((resolve, reject) => {
    holder.stdout!.once('data', () => resolve());
    holder.once('exit', (code) => reject(new Error(`flock ${file} exited ${code} before taking the lock`)));
  });
  const waited = Date.now() - started;
  if (waited > 1000) log(`waited ${Math.round(waited / 1000)} s for another cluster with KEDA's chart to stop (port 9443)`);
  return async () => {
    if (holder.exitCode !== null || holder.signalCode !== null) return;
    const gone = new Promise<void>((r) => holder.once('exit', () => r()));
    holder.stdin!.end();
    await gone;
  };
}

/**
 * kube-apiserver flags for the aggregation layer (what kubeadm sets): a front-proxy CA and the client
 * certificate the API server shows to aggregated servers (KEDA's metrics server), the request headers that
 * carry the user, and routing to a Service's endpoints (no kube-proxy makes its cluster IP reachable here).
 */
function aggregationLayer(dir: string): string[] {
  mkdirSync(dir, { recursive: true });
  const f = (n: string) => path.join(dir, n);
  const ssl = (args: string[]) => execFileSync('openssl', args, { stdio: 'ignore' });
  ssl([
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-days',
    '2',
    '-subj',
    '/CN=front-proxy-ca',
    '-keyout',
    f('ca.key'),
    '-out',
    f('ca.crt'),
  ]);
  ssl(['req', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=front-proxy-client', '-keyout', f('client.key'), '-out', f('client.csr')]);
  writeFileSync(f('client.ext'), 'extendedKeyUsage=clientAuth\n');
  ssl([
    'x509',
    '-req',
    '-in',
    f('client.csr'),
    '-CA',
    f('ca.crt'),
    '-CAkey',
    f('ca.key'),
    '-CAcreateserial',
    '-days',
    '2',
    '-extfile',
    f('client.ext'),
    '-out',
    f('client.crt'),
  ]);
  return [
    `--requestheader-client-ca-file=${f('ca.crt')}`,
    '--requestheader-allowed-names=front-proxy-client',
    '--requestheader-username-headers=X-Remote-User',
    '--requestheader-group-headers=X-Remote-Group',
    '--requestheader-extra-headers-prefix=X-Remote-Extra-',
    `--proxy-client-cert-file=${f('client.crt')}`,
    `--proxy-client-key-file=${f('client.key')}`,
    '--enable-aggregator-routing=true',
  ];
}

/**
 * THE CHART STAND-IN, for KEDA versions whose chart is not here (2.21.0; only 2.20.2's is, see kedaChart).
 * What `helm upgrade --install kedacore/keda` leaves in the cluster for the operator, following the stub's
 * recorded release: the keda-operator ServiceAccount (with the chart's IRSA annotation) and Deployment. The
 * Deployment controller, the node agent and the operator do the rest. `helm uninstall` removes them.
 */
export function chartStandIn(rig: KubeRig, helmState: string, log: (s: string) => void): () => void {
  const file = path.join(helmState, 'release.json');
  let on = true;
  let installed: string | undefined;
  const req = (m: string, p: string, body?: unknown, ct?: string) => kubeRequest(rig, m, p, { body, contentType: ct });
  const apply = async (release: any, values: Record<string, string>) => {
    const ns = release.namespace ?? 'keda';
    const version = String(release.app_version ?? '').replace(/^v/, '');
    await req('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
    const labels = {
      'app.kubernetes.io/name': 'keda-operator',
      'app.kubernetes.io/part-of': 'keda-operator',
      'app.kubernetes.io/managed-by': 'Helm',
      'app.kubernetes.io/version': version,
    };
    const annotations =
      values['podIdentity.aws.irsa.enabled'] === 'true' && values['podIdentity.aws.irsa.roleArn']
        ? { 'eks.amazonaws.com/role-arn': values['podIdentity.aws.irsa.roleArn'] }
        : {};
    const sa = { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'keda-operator', namespace: ns, labels, annotations } };
    const put = async (p: string, body: any) => {
      const r = await req('PATCH', `${p}?fieldManager=helm-stand-in&force=true`, body, 'application/apply-patch+yaml');
      if (r.status >= 300) throw new Error(`chart stand-in: ${p}: ${r.status} ${r.body}`);
    };
    await put(`/api/v1/namespaces/${ns}/serviceaccounts/keda-operator`, sa);
    await put(`/apis/apps/v1/namespaces/${ns}/deployments/keda-operator`, {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'keda-operator', namespace: ns, labels: { ...labels, app: 'keda-operator' } },
      spec: {
        replicas: 1,
        selector: { matchLabels: { app: 'keda-operator' } },
        template: {
          // a new role is a new pod (the chart's values change the pod template's annotations)
          metadata: {
            labels: { ...labels, app: 'keda-operator', name: 'keda-operator' },
            annotations: { 'kedactl.test/irsa-role': annotations['eks.amazonaws.com/role-arn'] ?? '' },
          },
          spec: {
            serviceAccountName: 'keda-operator',
            terminationGracePeriodSeconds: 10,
            containers: [
              {
                name: 'keda-operator',
                image: `${KEDA_IMAGE}${version}`,
                command: ['/keda'],
                args: ['--leader-elect'],
                env: [
                  { name: 'WATCH_NAMESPACE', value: '' },
                  { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
                  { name: 'POD_NAMESPACE', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
                  { name: 'OPERATOR_NAME', value: 'keda-operator' },
                  { name: 'KEDA_HTTP_DEFAULT_TIMEOUT', value: '3000' },
                ],
              },
            ],
          },
        },
      },
    });
  };
  const remove = async (ns: string) => {
    await req('DELETE', `/apis/apps/v1/namespaces/${ns}/deployments/keda-operator`, {
      apiVersion: 'v1',
      kind: 'DeleteOptions',
      propagationPolicy: 'Foreground',
    });
    await req('DELETE', `/api/v1/namespaces/${ns}/serviceaccounts/keda-operator`);
  };
  void (async () => {
    while (on) {
      try {
        const text = existsSync(file) ? readFileSync(file, 'utf8') : undefined;
        if (text !== installed) {
          if (text) {
            const s = JSON.parse(text);
            await apply(s.release, s.values ?? {});
            log(`chart stand-in: KEDA ${s.release.app_version} "installed" (revision ${s.release.revision})`);
          } else if (installed) {
            await remove(JSON.parse(installed).release.namespace ?? 'keda');
            log('chart stand-in: KEDA "uninstalled"');
          }
          installed = text;
        }
      } catch (e) {
        log(`chart stand-in: ${(e as Error).message}`);
      }
      await new Promise((r) => setTimeout(r, 300));
    }
  })();
  return () => {
    on = false;
  };
}
