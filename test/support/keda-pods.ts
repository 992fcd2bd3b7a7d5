// KEDA'S OWN CHART ON THE TEST NODE: the Pods of keda-operator, keda-operator-metrics-apiserver and
// keda-admission-webhooks, as KEDA's helm chart writes them, run as the real binaries of their image's
// version (test/rig/keda-operator.sh VERSION operator adapter webhooks). The chart's Pod spec decides: its
// command picks the binary, its args and env are used as written, its Secret volume (the certificates the
// operator makes) is the node's synced folder, its service account is the identity (a TokenRequest token
// where a kubelet mounts it), its readinessProbe is what makes the Pod Ready.
//
// What a container runtime gives a Pod, played for a local process:
// - its own IP: an address 10.244.x.y added to the loopback interface for the Pod (loopback addresses are
//   refused in Endpoints, so the API server could not reach the webhooks and the metrics server otherwise);
//   the listen addresses the chart leaves open (":8080") are pinned to that IP, so two Pods' ports do not
//   clash the way they would not in their own network namespaces;
// - its own mount namespace (`unshare --mount`), in which /etc/hosts is cluster DNS (each Service's name ->
//   a ready endpoint's IP, kubernetes.default.svc -> the API server) and /run/secrets/kubernetes.io/
//   serviceaccount holds the token, ca.crt and namespace, so the binaries use their in-cluster config.
// Paths under the container's mounts (the chart's /certs) are rewritten to the node's folders for them.
//
// Not played: kube-proxy. A name resolves to a Pod's IP, so a Service whose port differs from its target
// port is reachable by name only on the target port (the chart's keda-operator:9666 is the same on both).
// The metrics server's Prometheus port (`--port`, which binds every address) moves to a free port.
import { execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { request as httpRequest } from 'node:http';
import * as path from 'node:path';
import { kubeRequest, type KubeRig } from './kube-rig.ts';
import { freePort } from './ports.ts';
import type { PodContext, Runner } from './node-agent.ts';

/** image repository of each chart Deployment -> the binary the chart's command names */
export const KEDA_CHART_IMAGES = {
  'ghcr.io/kedacore/keda:': { command: '/keda', binary: 'keda-operator' },
  'ghcr.io/kedacore/keda-metrics-apiserver:': { command: '/keda-adapter', binary: 'keda-adapter' },
  'ghcr.io/kedacore/keda-admission-webhooks:': { command: '/keda-admission-webhooks', binary: 'keda-admission-webhooks' },
} as const;

/** the listen flags each binary has and their defaults (":port" = every address), pinned to the Pod's IP */
const BIND_FLAGS: Record<string, Record<string, string>> = {
  'keda-operator': { 'metrics-bind-address': ':8080', 'health-probe-bind-address': ':8081', 'metrics-service-bind-address': ':9666' },
  'keda-admission-webhooks': { 'metrics-bind-address': ':8080', 'health-probe-bind-address': ':8081' },
  // the generic API server's --secure-port listens on --bind-address (default every address)
  'keda-adapter': { 'bind-address': '0.0.0.0' },
};

export interface KedaChartRunnerOptions {
  rig: Pick<KubeRig, 'server' | 'caPem' | 'adminToken'>;
  /** the folder with the binaries of a KEDA version (built by test/rig/keda-operator.sh) */
  binDir: (version: string) => string;
  /** the node's "network" (AWS_ENDPOINT_URL of moto in irsa mode), as for every Pod of the node */
  nodeEnv?: Record<string, string>;
  /** a process was started (its log), for the cluster's operatorLog() */
  onStart?: (image: string, log: string) => void;
}

const ipAddrs = (): string => execFileSync('ip', ['-o', 'addr', 'show', 'dev', 'lo'], { encoding: 'utf8' });

/** Pod IPs on lo now; removed when their process ends, or when this test process exits before that */
const assigned = new Set<string>();
const releaseIp = (ip: string) => {
  assigned.delete(ip);
  try {
    execFileSync('ip', ['addr', 'del', `${ip}/32`, 'dev', 'lo'], { stdio: 'ignore' });
  } catch {
    /* gone */
  }
};
let exitHook = false;
const assignIp = (ip: string) => {
  if (!exitHook) {
    exitHook = true;
    process.on('exit', () => [...assigned].forEach(releaseIp));
  }
  execFileSync('ip', ['addr', 'add', `${ip}/32`, 'dev', 'lo']);
  assigned.add(ip);
};

/** the Pod's IP: stable across its container's restarts, distinct from every address on the machine */
function podIp(uid: string): string {
  const taken = ipAddrs();
  const h = createHash('sha256').update(uid).digest();
  for (let i = 0; i < 200; i++) {
    const ip = `10.244.${(h[0]! + i) % 256}.${1 + ((h[1]! + i * 7) % 253)}`;
    if (!taken.includes(` ${ip}/`)) return ip;
  }
  throw new Error('no free Pod IP in 10.244.0.0/16');
}

/** /etc/hosts of the cluster as a Pod sees it: Service names -> a ready endpoint, the API server's names */
async function clusterHosts(rig: KedaChartRunnerOptions['rig']): Promise<string> {
  const lines = [
    '127.0.0.1 localhost',
    '127.0.0.1 kubernetes kubernetes.default kubernetes.default.svc kubernetes.default.svc.cluster.local',
  ];
  const eps = await kubeRequest(rig, 'GET', '/api/v1/endpoints');
  for (const ep of eps.status === 200 ? (eps.json().items ?? []) : []) {
    const ip = ep.subsets?.flatMap((s: any) => s.addresses ?? [])[0]?.ip;
    const { name, namespace } = ep.metadata;
    if (ip && !(namespace === 'default' && name === 'kubernetes'))
      lines.push(`${ip} ${name}.${namespace}.svc.cluster.local ${name}.${namespace}.svc ${name}.${namespace}`);
  }
  return lines.join('\n') + '\n';
}

function probe(url: string): Promise<boolean> {
  return new Promise((resolve) => {
    const get = url.startsWith('https:') ? httpsRequest : httpRequest;
    // the kubelet's HTTPS probe does not verify the certificate
    const r = get(url, { method: 'GET', timeout: 1000, rejectUnauthorized: false }, (res) => {
      res.resume();
      resolve((res.statusCode ?? 500) >= 200 && (res.statusCode ?? 500) < 400);
    });
    r.on('error', () => resolve(false));
    r.on('timeout', () => r.destroy());
    r.end();
  });
}

/** The test node's runners for the three images of KEDA's chart. */
export function kedaChartRunners(o: KedaChartRunnerOptions): Record<string, Runner> {
  const runners: Record<string, Runner> = {};
  for (const [prefix, { command, binary }] of Object.entries(KEDA_CHART_IMAGES)) {
    runners[prefix] = (ctx) => runKedaPod(o, prefix, command, binary, ctx);
  }
  return runners;
}

async function runKedaPod(o: KedaChartRunnerOptions, prefix: string, command: string, binary: string, { pod, env, dir, log }: PodContext) {
  const c = pod.spec.containers[0];
  const version = String(c.image).slice(prefix.length).replace(/^v/, '');
  if ((c.command ?? [])[0] !== command)
    throw new Error(`${c.image}: the test node runs ${command} of this image, not ${JSON.stringify(c.command)}`);
  const bin = path.join(o.binDir(version), binary);
  const ip = podIp(pod.metadata.uid);

  // the mounts: the chart's volume paths -> the node's folders for them
  const mounts: Array<[string, string]> = (c.volumeMounts ?? [])
    .map((m: any): [string, string] => [m.mountPath.replace(/\/+$/, ''), path.join(dir, 'volumes', m.name)])
    .sort((a: [string, string], b: [string, string]) => b[0].length - a[0].length);
  const mapPath = (a: string) =>
    a.replace(/^(--[\w-]+=)?(\/.*)$/, (all, flag = '', p: string) => {
      for (const [from, to] of mounts) if (p === from || p.startsWith(from + '/')) return flag + to + p.slice(from.length);
      return all;
    });
  const args: string[] = (c.args ?? []).map(mapPath);
  // listen addresses: ":port" -> "<pod IP>:port"; flags left at their defaults are given the same way
  const binds = BIND_FLAGS[binary] ?? {};
  for (const [flag, def] of Object.entries(binds)) {
    const i = args.findIndex((a) => a.startsWith(`--${flag}=`));
    const value = i >= 0 ? args[i]!.slice(flag.length + 3) : def;
    const pinned = flag === 'bind-address' ? ip : value.replace(/^(0\.0\.0\.0)?:/, `${ip}:`);
    if (i >= 0) args[i] = `--${flag}=${pinned}`;
    else args.push(`--${flag}=${pinned}`);
  }
  if (binary === 'keda-adapter') {
    const i = args.findIndex((a) => a.startsWith('--port='));
    const moved = `--port=${await freePort()}`;
    if (i >= 0) args[i] = moved;
    else args.push(moved);
  }

  // the service account, where a kubelet mounts it (automountServiceAccountToken: true in the chart)
  const run = path.join(dir, 'run');
  const saDir = path.join(run, 'secrets', 'kubernetes.io', 'serviceaccount');
  mkdirSync(saDir, { recursive: true });
  const sa = pod.spec.serviceAccountName ?? 'default';
  if (pod.spec.automountServiceAccountToken !== false) {
    const tr = await kubeRequest(o.rig, 'POST', `/api/v1/namespaces/${pod.metadata.namespace}/serviceaccounts/${sa}/token`, {
      body: {
        apiVersion: 'authentication.k8s.io/v1',
        kind: 'TokenRequest',
        spec: {
          expirationSeconds: 86400,
          boundObjectRef: { apiVersion: 'v1', kind: 'Pod', name: pod.metadata.name, uid: pod.metadata.uid },
        },
      },
    });
    if (tr.status !== 201) throw new Error(`token for service account ${pod.metadata.namespace}/${sa}: ${tr.status} ${tr.body}`);
    writeFileSync(path.join(saDir, 'token'), tr.json().status.token, { mode: 0o600 });
    writeFileSync(path.join(saDir, 'ca.crt'), o.rig.caPem);
    writeFileSync(path.join(saDir, 'namespace'), pod.metadata.namespace);
  }
  const hosts = path.join(dir, 'hosts');
  writeFileSync(hosts, await clusterHosts(o.rig));

  assignIp(ip);
  const release = () => releaseIp(ip);
  const apiPort = new URL(o.rig.server).port;
  const fd = openSync(log, 'a');
  writeFileSync(fd, `node agent: ${c.image} -> ${bin} ${args.join(' ')} (pod IP ${ip})\n`);
  // setpriv: killed with the test process; unshare: the Pod's own mounts; sh mounts them, then execs the binary
  const child = spawn(
    'setpriv',
    [
      '--pdeathsig',
      'KILL',
      '--',
      'unshare',
      '--mount',
      '--propagation',
      'private',
      '--',
      'sh',
      '-c',
      'mount --bind "$1" /etc/hosts && mount --bind "$2" /run && shift 2 && exec "$@"',
      'pod',
      hosts,
      run,
      bin,
      ...args,
    ],
    {
      cwd: dir,
      env: {
        PATH: process.env.PATH,
        HOME: dir,
        HOSTNAME: pod.metadata.name,
        KUBERNETES_SERVICE_HOST: '127.0.0.1',
        KUBERNETES_SERVICE_PORT: apiPort,
        AWS_EC2_METADATA_DISABLED: 'true',
        ...o.nodeEnv,
        ...env,
      },
      stdio: ['ignore', fd, fd],
      detached: true,
    },
  );
  closeSync(fd);
  o.onStart?.(c.image, log);
  const pid = child.pid!;
  let done = false;
  const exited = new Promise<number>((resolve) => {
    child.once('exit', (code, signal) => {
      done = true;
      release();
      resolve(code ?? 128 + (signal === 'SIGKILL' ? 9 : signal === 'SIGTERM' ? 15 : 1));
    });
    child.once('error', () => ((done = true), release(), resolve(127)));
  });

  // cluster DNS follows the Endpoints (written in place: the bind mount holds the file, not its name)
  void (async () => {
    while (!done) {
      await new Promise((r) => setTimeout(r, 1000));
      try {
        const text = await clusterHosts(o.rig);
        if (!done && text !== readFileSync(hosts, 'utf8')) writeFileSync(hosts, text);
      } catch {
        /* the API server is stopping */
      }
    }
  })();

  // Ready: the container's readinessProbe (httpGet) against the Pod's IP
  const rp = c.readinessProbe?.httpGet;
  const ready = rp
    ? (async () => {
        const port = typeof rp.port === 'number' ? rp.port : (c.ports ?? []).find((p: any) => p.name === rp.port)?.containerPort;
        const url = `${String(rp.scheme ?? 'HTTP').toLowerCase()}://${ip}:${port}${rp.path ?? '/'}`;
        while (!done) {
          if (await probe(url)) return;
          await new Promise((r) => setTimeout(r, 500));
        }
        throw new Error('exited before it was ready');
      })()
    : undefined;
  ready?.catch(() => undefined);

  return {
    ip,
    exited,
    ready,
    term: () => {
      try {
        process.kill(pid, 'SIGTERM');
      } catch {
        /* gone */
      }
    },
    kill: () => {
      try {
        process.kill(-pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    },
  };
}
