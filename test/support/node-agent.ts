// A NODE FOR THE TESTS: a small agent standing in for the kubelet of one Node object on the rig (which has
// no kubelet and no scheduler). It binds unscheduled Pods to its Node, runs each Pod as local processes and
// reports Pod phase, container state, exit code and podIP through the API like a kubelet, and serves their
// logs to the API server (pods/log) as a kubelet does. Deleting a Pod
// sends SIGTERM to its container, waits the grace period, then SIGKILLs whatever is left.
//
// What a Pod runs is chosen by its container image (the one thing a node really needs to know):
// - the result analyzer's image: a stand-in implementing the analyzer API of shared/reference/README.md,
//   in a network namespace whose address becomes the podIP (the API server's proxy refuses loopback);
// - any image with a `runners` entry (the rig maps KEDA's image to the real operator binary);
// - anything else: the container's command, run by the real programs of this machine (bash, curl, the aws
//   CLI through a shim that maps the CLI v2 variables AWS_REGION and AWS_ENDPOINT_URL for CLI v1), with its
//   env and envFrom (Secrets, ConfigMaps) resolved and its ConfigMap volumes materialised in a folder.
// Cluster DNS for `<service>.<namespace>.svc` names is played by a curlrc (`connect-to`) written per Pod
// from the namespace's Services and Endpoints, which is what kube-proxy and CoreDNS do for a Pod.
// In irsa mode the agent also plays the EKS pod identity webhook: a Pod whose service account has the
// annotation eks.amazonaws.com/role-arn gets AWS_ROLE_ARN and AWS_WEB_IDENTITY_TOKEN_FILE (a real token
// from the API server's TokenRequest, audience sts.amazonaws.com).
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import {
  chmodSync,
  closeSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { kubeRequest, type KubeRig } from './kube-rig.ts';
import { FAKE_ANALYZER, startNetnsBackend } from './netns-backend.ts';
import { selfSignedCert } from './tls.ts';

type Rig = Pick<KubeRig, 'server' | 'caPem' | 'adminToken'>;

export interface RunningContainer {
  /** the Pod's IP once it runs */
  ip: string;
  /** resolves with the exit code (128+signal when killed) */
  exited: Promise<number>;
  /** the SIGTERM a kubelet sends */
  term(): void;
  /** the SIGKILL after the grace period (every process of the container) */
  kill(): void;
  /** resolves when the container is ready (readiness probe); default: at once */
  ready?: Promise<void>;
}

export interface PodContext {
  pod: any;
  /** resolved environment of the first container (env + envFrom + the identity webhook's variables) */
  env: Record<string, string>;
  /** a folder of the Pod's own, removed when the Pod is gone */
  dir: string;
  log: string;
}

export type Runner = (ctx: PodContext) => Promise<RunningContainer>;

export interface NodeAgentOptions {
  rig: Rig;
  name?: string;
  /** image prefix -> runner (checked before the built-in ones) */
  runners?: Record<string, Runner>;
  /** the aws CLI v1 executable the shim calls */
  awsCli: string;
  /** variables the node's "network" adds to every Pod (for example AWS_ENDPOINT_URL of the emulator) */
  nodeEnv?: Record<string, string>;
  /** where Pod folders and logs go; default a temp dir */
  dir?: string;
  intervalMs?: number;
}

export interface PodRecord {
  namespace: string;
  name: string;
  uid: string;
  /** epoch ms: the container started (Pod Running) */
  startedAt?: number;
  /** epoch ms: the container exited */
  finishedAt?: number;
  exitCode?: number;
  log: string;
}

export interface NodeAgent {
  name: string;
  dir: string;
  /** every Pod this node ran, by uid */
  pods: Map<string, PodRecord>;
  /** every aws CLI call the Pods made so far, from the shim's log */
  awsCalls(): AwsCall[];
  stop(): Promise<void>;
}

interface Live {
  record: PodRecord;
  running?: RunningContainer;
  /** the container's restarts (restartPolicy Always / OnFailure) and how the last run ended */
  restarts: number;
  lastTerminated?: Record<string, unknown>;
  starting: boolean;
  terminating: boolean;
  finished: boolean;
  deleted: boolean;
  dir: string;
}

const now = () => new Date().toISOString().replace(/\.\d+Z$/, 'Z');

/** CLI v2 reads AWS_REGION and AWS_ENDPOINT_URL; CLI v1 (PyPI's awscli) does not: map them, then run v1. */
function awsShim(awsCli: string, callLog: string): string {
  return `#!/bin/bash
# aws CLI v2 -> v1 shim of the test node (written by test/support/node-agent.ts). Each call is logged with
# its start and end (epoch ms), the Pod (HOSTNAME) and the exit code, for tests that time the consumers.
if [ -z "\${AWS_DEFAULT_REGION:-}" ] && [ -n "\${AWS_REGION:-}" ]; then export AWS_DEFAULT_REGION="$AWS_REGION"; fi
start=$(date +%s%3N)
if [ -n "\${AWS_ENDPOINT_URL:-}" ]; then ${JSON.stringify(awsCli)} --endpoint-url "$AWS_ENDPOINT_URL" "$@"; else ${JSON.stringify(awsCli)} "$@"; fi
rc=$?
echo "$start $(date +%s%3N) \${HOSTNAME:-?} \${1:-} \${2:-} $rc" >> ${JSON.stringify(callLog)}
exit $rc
`;
}

/** metadata.annotations['k'] or metadata.labels['k'], as the kubelet's downward API reads them ('' otherwise) */
function metadataField(pod: any, path: string): string {
  const m = /^metadata\.(annotations|labels)\['(.+)'\]$/.exec(path);
  return m ? String(pod.metadata?.[m[1]!]?.[m[2]!] ?? '') : '';
}

/** One aws CLI call a Pod made on the test node. */
export interface AwsCall {
  /** the Pod's name */
  pod: string;
  /** e.g. "sqs receive-message" */
  op: string;
  /** epoch ms */
  start: number;
  end: number;
  code: number;
}

export async function startNodeAgent(o: NodeAgentOptions): Promise<NodeAgent> {
  const rig = o.rig;
  const name = o.name ?? 'kedactl-test-node';
  const dir = o.dir ?? mkdtempSync(join(tmpdir(), 'kedactl-node-'));
  const shimDir = join(dir, 'bin');
  mkdirSync(shimDir, { recursive: true });
  const callLog = join(dir, 'aws-calls.log');
  writeFileSync(callLog, '');
  writeFileSync(join(shimDir, 'aws'), awsShim(o.awsCli, callLog));
  chmodSync(join(shimDir, 'aws'), 0o755);

  const req = async (method: string, path: string, body?: unknown, contentType?: string) =>
    kubeRequest(rig, method, path, { body, contentType });

  // --- the Node object -------------------------------------------------------------------------------
  const nodeBody = {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name, labels: { 'kubernetes.io/hostname': name, 'kubernetes.io/os': 'linux' } },
  };
  const made = await req('POST', '/api/v1/nodes', nodeBody);
  if (made.status !== 201 && made.status !== 409) throw new Error(`node agent: creating Node ${name}: ${made.status} ${made.body}`);
  const pods = new Map<string, PodRecord>();
  // the kubelet's read-only part the API server uses: container logs (pods/log), over HTTPS
  const kubelet = await startKubeletLogs(dir, pods);
  const capacity = { cpu: '2', memory: '24Gi', pods: '1000' };
  const ns = await req(
    'PATCH',
    `/api/v1/nodes/${name}/status`,
    {
      status: {
        capacity,
        allocatable: capacity,
        // no Hostname address: the API server prefers it for reaching the kubelet, and this name resolves nowhere
        addresses: [{ type: 'InternalIP', address: '127.0.0.1' }],
        daemonEndpoints: { kubeletEndpoint: { Port: kubelet.port } },
        conditions: [
          {
            type: 'Ready',
            status: 'True',
            reason: 'KubeletReady',
            message: 'kedactl test node agent',
            lastHeartbeatTime: now(),
            lastTransitionTime: now(),
          },
        ],
        nodeInfo: {
          kubeletVersion: 'kedactl-test-node',
          operatingSystem: 'linux',
          architecture: 'amd64',
          containerRuntimeVersion: 'local-processes',
          kernelVersion: '',
          osImage: '',
          machineID: '',
          systemUUID: '',
          bootID: '',
          kubeProxyVersion: '',
        },
      },
    },
    'application/merge-patch+json',
  );
  if (ns.status >= 300) throw new Error(`node agent: Node status: ${ns.status} ${ns.body}`);

  const live = new Map<string, Live>();
  let on = true;

  const patchStatus = async (pod: any, status: unknown) => {
    const r = await req(
      'PATCH',
      `/api/v1/namespaces/${pod.metadata.namespace}/pods/${pod.metadata.name}/status`,
      { status },
      'application/strategic-merge-patch+json',
    );
    if (r.status >= 300 && r.status !== 404)
      throw new Error(`node agent: status of ${pod.metadata.namespace}/${pod.metadata.name}: ${r.status} ${r.body}`);
  };

  const containerId = (l: Live) => `kedactl-node://${l.record.uid}`;

  const secretOrConfigMap = async (
    kind: 'secrets' | 'configmaps',
    namespace: string,
    objName: string,
  ): Promise<Record<string, string> | undefined> => {
    const r = await req('GET', `/api/v1/namespaces/${namespace}/${kind}/${objName}`);
    if (r.status !== 200) return undefined;
    const o = r.json();
    if (kind === 'secrets')
      return Object.fromEntries(
        Object.entries((o.data ?? {}) as Record<string, string>).map(([k, v]) => [k, Buffer.from(v, 'base64').toString('utf8')]),
      );
    return o.data ?? {};
  };

  /** env and envFrom as a kubelet resolves them (envFrom first, env overrides), plus the webhook's part */
  const resolveEnv = async (pod: any, c: any, podDir: string): Promise<Record<string, string>> => {
    const nsName = pod.metadata.namespace;
    const env: Record<string, string> = {};
    for (const from of c.envFrom ?? []) {
      const ref = from.secretRef ?? from.configMapRef;
      const data = await secretOrConfigMap(from.secretRef ? 'secrets' : 'configmaps', nsName, ref.name);
      if (!data) {
        if (ref.optional) continue;
        throw new Error(`${from.secretRef ? 'secret' : 'configmap'} "${ref.name}" not found`);
      }
      for (const [k, v] of Object.entries(data)) env[`${from.prefix ?? ''}${k}`] = v;
    }
    for (const e of c.env ?? []) {
      if (e.value !== undefined) env[e.name] = String(e.value).replace(/\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g, (m, v) => env[v] ?? m);
      else if (e.valueFrom?.secretKeyRef || e.valueFrom?.configMapKeyRef) {
        const ref = e.valueFrom.secretKeyRef ?? e.valueFrom.configMapKeyRef;
        const data = await secretOrConfigMap(e.valueFrom.secretKeyRef ? 'secrets' : 'configmaps', nsName, ref.name);
        if (data?.[ref.key] !== undefined) env[e.name] = data[ref.key]!;
        else if (!ref.optional) throw new Error(`${ref.name}/${ref.key} not found`);
      } else if (e.valueFrom?.fieldRef) {
        const f = e.valueFrom.fieldRef.fieldPath as string;
        env[e.name] =
          f === 'metadata.name'
            ? pod.metadata.name
            : f === 'metadata.namespace'
              ? nsName
              : f === 'spec.nodeName'
                ? name
                : f === 'spec.serviceAccountName'
                  ? (pod.spec.serviceAccountName ?? 'default')
                  : // metadata.annotations['k'] / metadata.labels['k'] (an Indexed Job's JOB_COMPLETION_INDEX)
                    metadataField(pod, f);
      } else env[e.name] = '';
    }
    // a path in the Pod's spec (the identity webhook's token file, a folder a script reads) is where the node
    // mounted that volume
    const mounts = mountPaths(c, podDir);
    for (const [k, v] of Object.entries(env))
      for (const [from, to] of mounts)
        if (v === from || v.startsWith(`${from}/`)) {
          env[k] = to + v.slice(from.length);
          break;
        }
    // the EKS pod identity webhook, for a cluster that runs none (test/support/pod-identity-webhook.ts puts
    // it in the Pod's spec instead): the service account's role, a token for sts.amazonaws.com
    const saName = pod.spec.serviceAccountName ?? 'default';
    const sa = await req('GET', `/api/v1/namespaces/${nsName}/serviceaccounts/${saName}`);
    const role = sa.status === 200 ? sa.json().metadata.annotations?.['eks.amazonaws.com/role-arn'] : undefined;
    if (role) {
      const tr = await req('POST', `/api/v1/namespaces/${nsName}/serviceaccounts/${saName}/token`, {
        apiVersion: 'authentication.k8s.io/v1',
        kind: 'TokenRequest',
        spec: { audiences: ['sts.amazonaws.com'], expirationSeconds: 86400 },
      });
      if (tr.status !== 201) throw new Error(`token for service account ${nsName}/${saName}: ${tr.status} ${tr.body}`);
      const tokenFile = join(podDir, 'eks.amazonaws.com', 'serviceaccount', 'token');
      mkdirSync(dirname(tokenFile), { recursive: true });
      writeFileSync(tokenFile, tr.json().status.token, { mode: 0o600 });
      env.AWS_ROLE_ARN ??= role;
      env.AWS_WEB_IDENTITY_TOKEN_FILE ??= tokenFile;
      env.AWS_STS_REGIONAL_ENDPOINTS ??= 'regional';
    }
    return env;
  };

  /** cluster DNS + kube-proxy for curl: `<svc>.<ns>.svc:<port>` connects to a ready endpoint */
  const curlrc = async (namespace: string): Promise<string> => {
    const lines: string[] = [];
    const svcs = (await req('GET', `/api/v1/namespaces/${namespace}/services`)).json().items ?? [];
    for (const s of svcs) {
      const ep = await req('GET', `/api/v1/namespaces/${namespace}/endpoints/${s.metadata.name}`);
      const subsets = ep.status === 200 ? (ep.json().subsets ?? []) : [];
      for (const port of s.spec.ports ?? []) {
        for (const sub of subsets) {
          const target = (sub.ports ?? []).find((p: any) => (p.name ?? '') === (port.name ?? '')) ?? sub.ports?.[0];
          const addr = sub.addresses?.[0]?.ip;
          if (!target || !addr) continue;
          for (const host of [
            `${s.metadata.name}.${namespace}.svc.cluster.local`,
            `${s.metadata.name}.${namespace}.svc`,
            `${s.metadata.name}.${namespace}`,
            s.metadata.name,
          ])
            lines.push(`connect-to = "${host}:${port.port}:${addr}:${target.port}"`);
        }
      }
    }
    return lines.join('\n') + '\n';
  };

  const mountPaths = (c: any, podDir: string): Array<[string, string]> => {
    const out: Array<[string, string]> = [];
    for (const m of c.volumeMounts ?? []) out.push([m.mountPath.replace(/\/+$/, ''), join(podDir, 'volumes', m.name)]);
    return out.sort((a, b) => b[0].length - a[0].length);
  };

  const materialiseVolumes = async (pod: any, podDir: string) => {
    for (const v of pod.spec.volumes ?? []) {
      const target = join(podDir, 'volumes', v.name);
      mkdirSync(target, { recursive: true });
      if (v.projected) {
        // service account tokens, as the kubelet projects them (the identity webhook's sts.amazonaws.com token)
        for (const src of v.projected.sources ?? []) {
          const t = src.serviceAccountToken;
          if (!t) continue;
          const sa = pod.spec.serviceAccountName ?? 'default';
          const tr = await req('POST', `/api/v1/namespaces/${pod.metadata.namespace}/serviceaccounts/${sa}/token`, {
            apiVersion: 'authentication.k8s.io/v1',
            kind: 'TokenRequest',
            spec: { audiences: t.audience ? [t.audience] : [], expirationSeconds: t.expirationSeconds ?? 3600 },
          });
          if (tr.status !== 201)
            throw new Error(`volume ${v.name}: token for service account ${pod.metadata.namespace}/${sa}: ${tr.status} ${tr.body}`);
          writeFileSync(join(target, t.path), tr.json().status.token, { mode: 0o600 });
        }
        continue;
      }
      await syncVolume(pod, v, target, true);
    }
  };

  /**
   * A ConfigMap or Secret volume's files, as the kubelet keeps them: at start (a missing source fails the
   * start unless the volume is optional, then the folder is empty) and again while the Pod runs, so a Secret
   * written after the start (KEDA's operator makes its own certificates) reaches the files.
   */
  const syncVolume = async (pod: any, v: any, target: string, atStart: boolean) => {
    const ref = v.configMap ?? v.secret;
    if (!ref) return;
    const src = v.configMap
      ? await secretOrConfigMap('configmaps', pod.metadata.namespace, v.configMap.name)
      : await secretOrConfigMap('secrets', pod.metadata.namespace, v.secret.secretName);
    if (!src) {
      if (atStart && !ref.optional)
        throw new Error(
          `volume ${v.name}: ${v.configMap ? `configmap "${v.configMap.name}"` : `secret "${v.secret.secretName}"`} not found`,
        );
      return;
    }
    const items: Array<{ key: string; path: string }> = ref.items ?? Object.keys(src).map((k) => ({ key: k, path: k }));
    for (const it of items) {
      if (src[it.key] === undefined) continue;
      const file = join(target, it.path);
      if (existsSync(file) && readFileSync(file, 'utf8') === src[it.key]) continue;
      // write then rename: a reader never sees half a file (the kubelet swaps a symlink for the same reason)
      writeFileSync(`${file}.tmp`, src[it.key]!);
      renameSync(`${file}.tmp`, file);
    }
  };
  const syncVolumes = async (pod: any, podDir: string) => {
    for (const v of pod.spec.volumes ?? []) if (v.configMap || v.secret) await syncVolume(pod, v, join(podDir, 'volumes', v.name), false);
  };

  /** the default runner: the container's command as local processes, in a process group of its own */
  const runLocal: Runner = async ({ pod, env, dir: podDir, log }) => {
    const c = pod.spec.containers[0];
    const mounts = mountPaths(c, podDir);
    const map = (a: string) => {
      for (const [from, to] of mounts) if (a === from || a.startsWith(from + '/')) return to + a.slice(from.length);
      return a;
    };
    const argv = [...(c.command ?? []), ...(c.args ?? [])].map(map);
    if (argv.length === 0) throw new Error(`container ${c.name} has no command: the test node runs commands, not images`);
    writeFileSync(join(podDir, '.curlrc'), await curlrc(pod.metadata.namespace));
    const fd = openSync(log, 'a');
    const child: ChildProcess = spawn(argv[0]!, argv.slice(1), {
      cwd: c.workingDir ? map(c.workingDir) : podDir,
      env: {
        PATH: `${shimDir}:${process.env.PATH}`,
        HOME: podDir,
        CURL_HOME: podDir,
        HOSTNAME: pod.metadata.name,
        LANG: 'C.UTF-8',
        ...o.nodeEnv,
        ...env,
      },
      stdio: ['ignore', fd, fd],
      detached: true,
    });
    closeSync(fd);
    const pid = child.pid!;
    const exited = new Promise<number>((resolve) => {
      child.once('exit', (code, signal) => {
        // the container is gone with its first process: kill whatever it left behind (a background sleep)
        try {
          process.kill(-pid, 'SIGKILL');
        } catch {
          /* none left */
        }
        resolve(code ?? 128 + (signal ? (({ SIGKILL: 9, SIGTERM: 15, SIGINT: 2 } as Record<string, number>)[signal] ?? 1) : 1));
      });
      child.once('error', () => resolve(127));
    });
    return {
      ip: '127.0.0.1',
      exited,
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
  };

  /**
   * Work the node starts outside its loop (a Pod starting, a Pod's end, a delete). stop() waits for it, so
   * nothing of the node talks to the API server after stop() returns (the rig stops the API server next).
   * Its failures are the API server restarting or going away, as for the loop's own requests.
   */
  const background = new Set<Promise<void>>();
  const inBackground = (work: Promise<unknown>): void => {
    const settled: Promise<void> = work
      .then(
        () => undefined,
        () => undefined,
      )
      .finally(() => background.delete(settled));
    background.add(settled);
  };

  const runAnalyzer: Runner = async () => {
    const backend = await startNetnsBackend(FAKE_ANALYZER, 8080);
    let done!: (code: number) => void;
    const exited = new Promise<number>((r) => (done = r));
    const stop = (code: number) =>
      void backend.stop().then(
        () => done(code),
        () => done(code),
      );
    return { ip: backend.ip, exited, term: () => stop(143), kill: () => stop(137) };
  };

  const pickRunner = (image: string): Runner => {
    for (const [prefix, r] of Object.entries(o.runners ?? {})) if (image.startsWith(prefix)) return r;
    if (/result-analyzer/.test(image)) return runAnalyzer;
    return runLocal;
  };

  const deleteNow = async (l: Live) => {
    if (l.deleted) return;
    const r = await req('DELETE', `/api/v1/namespaces/${l.record.namespace}/pods/${l.record.name}`, {
      apiVersion: 'v1',
      kind: 'DeleteOptions',
      gracePeriodSeconds: 0,
      preconditions: { uid: l.record.uid },
    });
    if (r.status < 300 || r.status === 404 || r.status === 409) l.deleted = true;
  };

  const finish = async (pod: any, l: Live, code: number) => {
    l.finished = true;
    l.record.exitCode = code;
    l.record.finishedAt = Date.now();
    const c = pod.spec.containers[0];
    const terminated = {
      exitCode: code,
      reason: code === 0 ? 'Completed' : 'Error',
      startedAt: new Date(l.record.startedAt ?? Date.now()).toISOString().replace(/\.\d+Z$/, 'Z'),
      finishedAt: now(),
      containerID: containerId(l),
    };
    await patchStatus(pod, {
      phase: code === 0 ? 'Succeeded' : 'Failed',
      conditions: [
        { type: 'Ready', status: 'False', reason: 'PodCompleted', lastTransitionTime: now() },
        { type: 'ContainersReady', status: 'False', reason: 'PodCompleted', lastTransitionTime: now() },
      ],
      containerStatuses: [
        {
          name: c.name,
          image: c.image,
          imageID: '',
          containerID: containerId(l),
          ready: false,
          started: false,
          restartCount: l.restarts,
          state: { terminated },
        },
      ],
    }).catch(() => undefined);
    rmSync(l.dir, { recursive: true, force: true });
  };

  /** one run of the container; when it ends, the Pod's restartPolicy says whether the node runs it again */
  const launch = async (pod: any, l: Live) => {
    const c = pod.spec.containers[0];
    const env = await resolveEnv(pod, c, l.dir);
    const running = await pickRunner(c.image ?? '')({ pod, env, dir: l.dir, log: l.record.log });
    l.running = running;
    l.record.startedAt ??= Date.now();
    const startedAt = now();
    const status = (ready: boolean) => ({
      phase: 'Running',
      hostIP: '127.0.0.1',
      hostIPs: [{ ip: '127.0.0.1' }],
      podIP: running.ip,
      podIPs: [{ ip: running.ip }],
      startTime: new Date(l.record.startedAt!).toISOString().replace(/\.\d+Z$/, 'Z'),
      conditions: [
        { type: 'Initialized', status: 'True', lastTransitionTime: startedAt },
        { type: 'ContainersReady', status: ready ? 'True' : 'False', lastTransitionTime: now() },
        { type: 'Ready', status: ready ? 'True' : 'False', lastTransitionTime: now() },
      ],
      containerStatuses: [
        {
          name: c.name,
          image: c.image,
          imageID: '',
          containerID: containerId(l),
          ready,
          started: true,
          restartCount: l.restarts,
          state: { running: { startedAt } },
          ...(l.lastTerminated ? { lastState: { terminated: l.lastTerminated } } : {}),
        },
      ],
    });
    await patchStatus(pod, status(!running.ready));
    if (running.ready)
      inBackground(running.ready.then(() => (!l.finished && l.running === running ? patchStatus(pod, status(true)) : undefined)));
    inBackground(
      running.exited.then(async (code) => {
        const policy = pod.spec.restartPolicy ?? 'Always';
        if (on && !l.terminating && (policy === 'Always' || (policy === 'OnFailure' && code !== 0))) {
          // the kubelet's restart, with a back-off (its own starts at 10 s; 1 s here, doubling to 30 s)
          l.lastTerminated = {
            exitCode: code,
            reason: code === 0 ? 'Completed' : 'Error',
            startedAt,
            finishedAt: now(),
            containerID: containerId(l),
          };
          const backoffMs = Math.min(30_000, 1000 * 2 ** l.restarts);
          l.restarts++;
          writeFileSync(
            l.record.log,
            `node agent: container exited ${code}; restarting in ${backoffMs / 1000} s (restartPolicy ${policy})\n`,
            { flag: 'a' },
          );
          await patchStatus(pod, {
            containerStatuses: [
              {
                name: c.name,
                image: c.image,
                imageID: '',
                containerID: containerId(l),
                ready: false,
                started: false,
                restartCount: l.restarts,
                state: { waiting: { reason: 'CrashLoopBackOff', message: `back-off ${backoffMs / 1000}s restarting failed container` } },
                lastState: { terminated: l.lastTerminated },
              },
            ],
            conditions: [
              { type: 'Ready', status: 'False', lastTransitionTime: now() },
              { type: 'ContainersReady', status: 'False', lastTransitionTime: now() },
            ],
          }).catch(() => undefined);
          await new Promise((r) => setTimeout(r, backoffMs));
          if (on && !l.terminating) {
            try {
              await launch(pod, l);
              return;
            } catch (e) {
              writeFileSync(
                l.record.log,
                `node agent: cannot restart ${pod.metadata.namespace}/${pod.metadata.name}: ${(e as Error).message}\n`,
                { flag: 'a' },
              );
            }
          }
        }
        await finish(pod, l, code);
        if (l.terminating) await deleteNow(l);
      }),
    );
  };

  const start = async (pod: any, l: Live) => {
    const c = pod.spec.containers[0];
    try {
      mkdirSync(l.dir, { recursive: true });
      await materialiseVolumes(pod, l.dir);
      await launch(pod, l);
    } catch (e) {
      // what a kubelet reports when it cannot start a container (CreateContainerConfigError and friends)
      writeFileSync(l.record.log, `node agent: cannot start ${pod.metadata.namespace}/${pod.metadata.name}: ${(e as Error).message}\n`, {
        flag: 'a',
      });
      await patchStatus(pod, {
        phase: 'Pending',
        containerStatuses: [
          {
            name: c.name,
            image: c.image,
            imageID: '',
            ready: false,
            started: false,
            restartCount: 0,
            state: { waiting: { reason: 'CreateContainerConfigError', message: (e as Error).message } },
          },
        ],
      }).catch(() => undefined);
      l.starting = false;
      live.delete(l.record.uid);
      rmSync(l.dir, { recursive: true, force: true });
      return;
    }
    l.starting = false;
  };

  const terminate = (pod: any, l: Live) => {
    if (l.terminating) return;
    l.terminating = true;
    if (l.finished || !l.running) return inBackground(deleteNow(l));
    const grace = pod.metadata.deletionGracePeriodSeconds ?? pod.spec.terminationGracePeriodSeconds ?? 30;
    l.running.term();
    const t = setTimeout(() => l.running?.kill(), grace * 1000);
    void l.running.exited.then(() => clearTimeout(t));
  };

  let lastSync = 0;
  const tick = async () => {
    // the kubelet's periodic sync of Secret and ConfigMap volumes (its own is about a minute; 2 s here)
    const syncDue = Date.now() - lastSync > 2000;
    if (syncDue) lastSync = Date.now();
    const list = await req('GET', '/api/v1/pods');
    if (list.status !== 200) return;
    const seen = new Set<string>();
    for (const pod of list.json().items ?? []) {
      const uid = pod.metadata.uid as string;
      seen.add(uid);
      const phase = pod.status?.phase;
      if (!pod.spec.nodeName) {
        // the scheduler's part: every Pod goes to this one node
        if (!pod.metadata.deletionTimestamp && phase !== 'Succeeded' && phase !== 'Failed')
          await req('POST', `/api/v1/namespaces/${pod.metadata.namespace}/pods/${pod.metadata.name}/binding`, {
            apiVersion: 'v1',
            kind: 'Binding',
            metadata: { name: pod.metadata.name },
            target: { apiVersion: 'v1', kind: 'Node', name },
          });
        continue;
      }
      if (pod.spec.nodeName !== name) continue;
      let l = live.get(uid);
      if (!l) {
        if (phase === 'Succeeded' || phase === 'Failed') {
          if (pod.metadata.deletionTimestamp)
            await req('DELETE', `/api/v1/namespaces/${pod.metadata.namespace}/pods/${pod.metadata.name}`, {
              apiVersion: 'v1',
              kind: 'DeleteOptions',
              gracePeriodSeconds: 0,
            });
          continue;
        }
        const record: PodRecord = {
          namespace: pod.metadata.namespace,
          name: pod.metadata.name,
          uid,
          log: join(dir, 'logs', `${pod.metadata.namespace}_${pod.metadata.name}_${uid.slice(0, 8)}.log`),
        };
        mkdirSync(dirname(record.log), { recursive: true });
        pods.set(uid, record);
        l = { record, restarts: 0, starting: true, terminating: false, finished: false, deleted: false, dir: join(dir, 'pods', uid) };
        live.set(uid, l);
        if (pod.metadata.deletionTimestamp) {
          l.starting = false;
          await deleteNow(l);
          continue;
        }
        inBackground(start(pod, l));
        continue;
      }
      if (pod.metadata.deletionTimestamp && !l.starting) terminate(pod, l);
      else if (syncDue && !l.starting && !l.finished && !l.terminating) inBackground(syncVolumes(pod, l.dir));
    }
    for (const [uid, l] of live)
      if (!seen.has(uid) && !l.starting) {
        // deleted behind the node's back (force delete): stop what still runs
        if (l.running && !l.finished) l.running.kill();
        live.delete(uid);
      }
  };

  const loop = (async () => {
    while (on) {
      try {
        await tick();
      } catch {
        /* the API server is restarting or stopping */
      }
      await new Promise((r) => setTimeout(r, o.intervalMs ?? 250));
    }
  })();

  return {
    name,
    dir,
    pods,
    awsCalls() {
      const out: AwsCall[] = [];
      for (const line of readFileSync(callLog, 'utf8').split('\n')) {
        const m = /^(\d+) (\d+) (\S+) (\S*) (\S*) (\d+)$/.exec(line);
        if (m) out.push({ start: Number(m[1]), end: Number(m[2]), pod: m[3]!, op: `${m[4]} ${m[5]}`, code: Number(m[6]) });
      }
      return out;
    },
    async stop() {
      on = false;
      await loop;
      // Kill what runs and let each Pod's end reach the API server while it still runs; twice, for a Pod whose
      // start was under way the first time. A Pod not gone by the deadline ends later, quietly.
      let late = false;
      const deadline = new Promise<void>((r) => setTimeout(() => r(void (late = true)), 15_000).unref());
      for (let round = 0; round < 2; round++) {
        for (const l of live.values()) if (l.running && !l.finished) l.running.kill();
        while (background.size > 0 && !late) await Promise.race([Promise.all(background), deadline]);
      }
      await kubelet.stop();
      if (!o.dir && process.env.KEDACTL_RIG_KEEP !== '1') rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** the last lines of a Pod's log (for failure messages) */
export function podLogTail(r: PodRecord, lines = 20): string {
  try {
    return readFileSync(r.log, 'utf8').split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

/**
 * GET /containerLogs/<namespace>/<pod>/<container>?tailLines=N, as a kubelet serves it to the API server
 * (which does not verify the kubelet's certificate when it is given no --kubelet-certificate-authority):
 * the log of the newest Pod of that name this node ran (one container per Pod here).
 */
async function startKubeletLogs(dir: string, pods: Map<string, PodRecord>): Promise<{ port: number; stop(): Promise<void> }> {
  const tls = selfSignedCert(join(dir, 'kubelet-tls'), '127.0.0.1', 'IP:127.0.0.1');
  const server = createHttpsServer(tls, (req, res) => {
    const url = new URL(req.url ?? '/', 'https://127.0.0.1');
    const m = /^\/containerLogs\/([^/]+)\/([^/]+)\/[^/]+$/.exec(url.pathname);
    const record = m && [...pods.values()].filter((p) => p.namespace === m[1] && p.name === m[2]).pop();
    if (!record) {
      res.statusCode = 404;
      return res.end('not found');
    }
    let text = '';
    try {
      text = readFileSync(record.log, 'utf8');
    } catch {
      /* nothing logged yet */
    }
    const tail = Number(url.searchParams.get('tailLines') ?? NaN);
    if (Number.isFinite(tail) && tail >= 0) {
      const lines = text.split('\n');
      if (lines[lines.length - 1] === '') lines.pop();
      text = lines
        .slice(-tail)
        .map((l) => `${l}\n`)
        .join('');
    }
    res.setHeader('content-type', 'text/plain');
    res.end(text);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { port: (server.address() as AddressInfo).port, stop: () => new Promise<void>((r) => server.close(() => r())) };
}
