// Test rig: a real kube-apiserver + etcd on 127.0.0.1 (envtest style).
//
// No controller-manager, scheduler or kubelet run: objects are only stored.
// Jobs never start Pods by themselves; tests create Pods and set statuses
// through the API (e.g. PATCH .../pods/NAME/status).
//
// Node builtins only. Binaries come from test/rig/kube-binaries.sh (built from
// the Go module proxy and cached outside the repo, or KUBEBUILDER_ASSETS).

import { spawn, execFileSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { generateKeyPairSync, randomBytes, X509Certificate } from 'node:crypto';
import { closeSync, existsSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, writeFile, mkdir } from 'node:fs/promises';
import * as https from 'node:https';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from './ports.ts';

export interface KubeRig {
  /** https://127.0.0.1:PORT */
  server: string;
  /** Admin kubeconfig (context "rig-admin", token in group system:masters). */
  kubeconfigPath: string;
  /** User "restricted": authenticated, but no RBAC grants beyond the defaults (403 on most calls). */
  restrictedKubeconfigPath: string;
  /** A token the server does not know (401). */
  expiredKubeconfigPath: string;
  /** Temp dir with certs, etcd data, kubeconfigs and logs. */
  dir: string;
  /** PEM of the CA that signed the serving certificate. */
  caPem: string;
  adminToken: string;
  restrictedToken: string;
  expiredToken: string;
  /** Log file paths (appended across restarts). */
  apiServerLogPath: string;
  etcdLogPath: string;
  /** Kill and restart kube-apiserver only (same port, same etcd); resolves when /readyz is ok. */
  restartApiServer(): Promise<void>;
  /** Kill both processes and remove dir. Safe to call twice. */
  stop(): Promise<void>;
}

export interface StartKubeRigOptions {
  /** Apply every *.yaml / *.yml / *.json file in this dir (CRDs) and wait until Established. */
  crdsDir?: string;
  /** Progress sink. Default: lines to stderr prefixed "[kube-rig]". */
  log?: (s: string) => void;
  /** Keep dir on stop() (for debugging). Also enabled by KEDACTL_RIG_KEEP=1. */
  keepDir?: boolean;
  /** Max time to wait for etcd / apiserver readiness, ms. Default 120000. */
  readyTimeoutMs?: number;
  /** Extra environment for kube-apiserver only (e.g. HTTP_PROXY, which its service proxy honours). */
  apiServerEnv?: NodeJS.ProcessEnv;
  /** Extra kube-apiserver flags (the whole demo's aggregation layer: front-proxy certificates, endpoint routing). */
  apiServerArgs?: string[];
}

export interface KubeResponse {
  status: number;
  body: string;
  json(): any;
}

/** Minimal HTTPS client for the rig (verifies TLS against rig.caPem). */
export function kubeRequest(
  rig: Pick<KubeRig, 'server' | 'caPem' | 'adminToken'>,
  method: string,
  apiPath: string,
  opts: { body?: unknown; token?: string | null; contentType?: string; timeoutMs?: number } = {},
): Promise<KubeResponse> {
  return httpsRequest(rig.server, rig.caPem, method, apiPath, {
    ...opts,
    token: opts.token === undefined ? rig.adminToken : opts.token,
  });
}

// ---------------------------------------------------------------------------

const RIG_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'rig');
const BINARIES_SCRIPT = path.join(RIG_DIR, 'kube-binaries.sh');

const liveProcesses = new Set<ChildProcess>();
const liveDirs = new Set<string>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const p of liveProcesses) {
      try {
        if (p.pid !== undefined && p.exitCode === null && p.signalCode === null) process.kill(p.pid, 'SIGKILL');
      } catch {
        /* already gone */
      }
    }
    for (const d of liveDirs) {
      try {
        rmSync(d, { recursive: true, force: true });
      } catch {
        /* ignore */
      }
    }
  });
}

function defaultLog(s: string): void {
  process.stderr.write(`[kube-rig] ${s}\n`);
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

function tailFile(file: string, lines = 40): string {
  try {
    const text = readFileSync(file, 'utf8');
    const all = text.split('\n');
    if (all.length && all[all.length - 1] === '') all.pop();
    return all.slice(-lines).join('\n');
  } catch (e) {
    return `(could not read ${file}: ${(e as Error).message})`;
  }
}

/** Run kube-binaries.sh; resolve to the directory holding kube-apiserver and etcd. */
export async function ensureKubeBinaries(log: (s: string) => void = defaultLog): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', [BINARIES_SCRIPT], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    const errLines: string[] = [];
    let downloads = 0;
    let partial = '';
    child.stdout.setEncoding('utf8');
    child.stderr.setEncoding('utf8');
    child.stdout.on('data', (d: string) => (out += d));
    child.stderr.on('data', (d: string) => {
      partial += d;
      const lines = partial.split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) {
        errLines.push(line);
        if (errLines.length > 200) errLines.shift();
        if (line.startsWith('go: downloading')) {
          downloads++;
          if (downloads % 100 === 0) log(`go: ${downloads} modules downloaded so far`);
          continue;
        }
        if (line.trim()) log(line);
      }
    });
    child.on('error', reject);
    child.on('close', (code) => {
      if (partial) errLines.push(partial);
      const lines = out.trim().split('\n');
      const dir = lines[lines.length - 1]?.trim() ?? '';
      if (code === 0 && dir && existsSync(path.join(dir, 'kube-apiserver')) && existsSync(path.join(dir, 'etcd'))) {
        resolve(dir);
      } else {
        reject(new Error(`kube-binaries.sh failed (exit ${code}); last output:\n${errLines.slice(-40).join('\n')}`));
      }
    });
  });
}

function httpsRequest(
  server: string,
  caPem: string,
  method: string,
  apiPath: string,
  opts: { body?: unknown; token?: string | null; contentType?: string; timeoutMs?: number } = {},
): Promise<KubeResponse> {
  return new Promise((resolve, reject) => {
    const url = new URL(apiPath, server);
    let payload: Buffer | undefined;
    let contentType = opts.contentType;
    if (opts.body !== undefined) {
      if (typeof opts.body === 'string' || Buffer.isBuffer(opts.body)) {
        payload = Buffer.from(opts.body as string);
        contentType ??= 'application/yaml';
      } else {
        payload = Buffer.from(JSON.stringify(opts.body));
        contentType ??= method === 'PATCH' ? 'application/merge-patch+json' : 'application/json';
      }
    }
    const headers: Record<string, string> = { Accept: 'application/json' };
    if (opts.token) headers.Authorization = `Bearer ${opts.token}`;
    if (payload) {
      headers['Content-Type'] = contentType!;
      headers['Content-Length'] = String(payload.length);
    }
    const req = https.request(
      {
        method,
        hostname: url.hostname,
        port: url.port,
        path: url.pathname + url.search,
        ca: caPem,
        headers,
        agent: false,
        timeout: opts.timeoutMs ?? 30_000,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const body = Buffer.concat(chunks).toString('utf8');
          resolve({ status: res.statusCode ?? 0, body, json: () => JSON.parse(body) });
        });
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`timeout: ${method} ${apiPath}`)));
    req.on('error', reject);
    if (payload) req.write(payload);
    req.end();
  });
}

function httpGet(url: string, timeoutMs = 5000): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { timeout: timeoutMs, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
  });
}

function hasSetpriv(): boolean {
  try {
    execFileSync('setpriv', ['--help'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

interface Proc {
  child: ChildProcess;
  exited: Promise<void>;
}

function startProcess(bin: string, args: string[], logPath: string, usePdeathsig: boolean, env: NodeJS.ProcessEnv = {}): Proc {
  const fd = openSync(logPath, 'a');
  writeSync(fd, `\n===== ${new Date().toISOString()} starting ${path.basename(bin)} =====\n`);
  // setpriv --pdeathsig: the child is SIGKILLed by the kernel if this Node
  // process dies without running its 'exit' hook (SIGKILL, uncaught signal).
  const [cmd, argv] = usePdeathsig ? ['setpriv', ['--pdeathsig', 'KILL', '--', bin, ...args]] : [bin, args];
  const child = spawn(cmd, argv, { stdio: ['ignore', fd, fd], env: { ...process.env, ...env } });
  closeSync(fd);
  liveProcesses.add(child);
  const exited = new Promise<void>((resolve) => {
    child.on('exit', () => {
      liveProcesses.delete(child);
      resolve();
    });
    child.on('error', () => {
      liveProcesses.delete(child);
      resolve();
    });
  });
  return { child, exited };
}

async function killProcess(p: Proc | undefined, graceMs = 10_000): Promise<void> {
  if (!p) return;
  const { child } = p;
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await p.exited;
  clearTimeout(timer);
}

function isRunning(p: Proc): boolean {
  return p.child.exitCode === null && p.child.signalCode === null;
}

/** Poll fn until it returns true; fail early if proc died. */
async function waitFor(what: string, proc: Proc, logPath: string, timeoutMs: number, fn: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastErr = '';
  let delay = 100;
  while (Date.now() < deadline) {
    if (!isRunning(proc)) {
      throw new Error(
        `${what}: process exited (code ${proc.child.exitCode}, signal ${proc.child.signalCode}) before it was ready. ` +
          `Last 40 lines of ${logRef(logPath)}:\n${tailFile(logPath)}`,
      );
    }
    try {
      if (await fn()) return;
    } catch (e) {
      lastErr = (e as Error).message;
    }
    await sleep(delay);
    delay = Math.min(delay * 2, 500);
  }
  throw new Error(
    `${what}: not ready after ${timeoutMs} ms${lastErr ? ` (last error: ${lastErr})` : ''}. ` +
      `Last 40 lines of ${logRef(logPath)}:\n${tailFile(logPath)}`,
  );
}

function logRef(logPath: string): string {
  return process.env.KEDACTL_RIG_KEEP === '1' ? logPath : `${path.basename(logPath)} (rig dir is removed; KEDACTL_RIG_KEEP=1 keeps it)`;
}

function kubeconfigYaml(server: string, caPem: string, context: string, user: string, token: string): string {
  const ca = Buffer.from(caPem).toString('base64');
  return [
    'apiVersion: v1',
    'kind: Config',
    'clusters:',
    '- name: rig',
    '  cluster:',
    `    server: ${server}`,
    `    certificate-authority-data: ${ca}`,
    'users:',
    `- name: ${user}`,
    '  user:',
    `    token: ${token}`,
    'contexts:',
    `- name: ${context}`,
    '  context:',
    '    cluster: rig',
    `    user: ${user}`,
    '    namespace: default',
    `current-context: ${context}`,
    '',
  ].join('\n');
}

/** Split a kube-apiserver self-signed cert bundle into PEM blocks. */
function pemBlocks(pem: string): string[] {
  return pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
}

/** Pick the CA from the serving bundle: a self-signed block (subject == issuer), else the last block. */
function caFromServingBundle(bundle: string): string {
  const blocks = pemBlocks(bundle);
  if (blocks.length === 0) throw new Error('serving certificate file has no PEM certificate');
  for (const b of blocks) {
    const c = new X509Certificate(b);
    if (c.ca && c.subject === c.issuer) return b + '\n';
  }
  return blocks[blocks.length - 1] + '\n';
}

function splitYamlDocs(text: string): string[] {
  return text
    .split(/^---[ \t]*$/m)
    .map((d) => d.trim())
    .filter((d) => d.split('\n').some((l) => l.trim() !== '' && !l.trim().startsWith('#')));
}

// ---------------------------------------------------------------------------

export async function startKubeRig(opts: StartKubeRigOptions = {}): Promise<KubeRig> {
  const log = opts.log ?? defaultLog;
  const readyTimeoutMs = opts.readyTimeoutMs ?? 120_000;
  const keepDir = opts.keepDir ?? process.env.KEDACTL_RIG_KEEP === '1';
  installExitHook();

  const t0 = Date.now();
  const binDir = await ensureKubeBinaries(log);
  const tBins = Date.now();

  const dir = await mkdtemp(path.join(os.tmpdir(), 'kedactl-rig-'));
  if (!keepDir) liveDirs.add(dir);
  const certDir = path.join(dir, 'certs');
  const etcdData = path.join(dir, 'etcd-data');
  await mkdir(certDir, { recursive: true, mode: 0o700 });

  const etcdLogPath = path.join(dir, 'etcd.log');
  const apiServerLogPath = path.join(dir, 'kube-apiserver.log');
  const usePdeathsig = hasSetpriv();

  let etcd: Proc | undefined;
  let apiserver: Proc | undefined;
  let stopped = false;

  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    await killProcess(apiserver);
    await killProcess(etcd);
    if (!keepDir) {
      await rm(dir, { recursive: true, force: true });
      liveDirs.delete(dir);
    } else {
      log(`kept rig dir ${dir}`);
    }
  };

  try {
    // --- credentials -------------------------------------------------------
    const adminToken = randomBytes(24).toString('hex');
    const restrictedToken = randomBytes(24).toString('hex');
    const expiredToken = randomBytes(24).toString('hex'); // never put in the token file -> 401
    const tokenFile = path.join(dir, 'tokens.csv');
    await writeFile(tokenFile, `${adminToken},rig-admin,rig-admin-uid,"system:masters"\n${restrictedToken},restricted,restricted-uid\n`, {
      mode: 0o600,
    });
    const sa = generateKeyPairSync('rsa', {
      modulusLength: 2048,
      publicKeyEncoding: { type: 'spki', format: 'pem' },
      privateKeyEncoding: { type: 'pkcs1', format: 'pem' },
    });
    const saKey = path.join(dir, 'sa.key');
    const saPub = path.join(dir, 'sa.pub');
    await writeFile(saKey, sa.privateKey, { mode: 0o600 });
    await writeFile(saPub, sa.publicKey);

    // --- etcd --------------------------------------------------------------
    let etcdUrl = '';
    for (let attempt = 1; ; attempt++) {
      const clientPort = await freePort();
      let peerPort = await freePort();
      while (peerPort === clientPort) peerPort = await freePort();
      etcdUrl = `http://127.0.0.1:${clientPort}`;
      const peerUrl = `http://127.0.0.1:${peerPort}`;
      await rm(etcdData, { recursive: true, force: true });
      etcd = startProcess(
        path.join(binDir, 'etcd'),
        [
          '--name=rig',
          `--data-dir=${etcdData}`,
          `--listen-client-urls=${etcdUrl}`,
          `--advertise-client-urls=${etcdUrl}`,
          `--listen-peer-urls=${peerUrl}`,
          `--initial-advertise-peer-urls=${peerUrl}`,
          `--initial-cluster=rig=${peerUrl}`,
          '--initial-cluster-state=new',
          '--unsafe-no-fsync=true',
          '--log-level=warn',
        ],
        etcdLogPath,
        usePdeathsig,
      );
      try {
        await waitFor('etcd', etcd, etcdLogPath, readyTimeoutMs, async () => {
          const r = await httpGet(`${etcdUrl}/health`);
          return r.status === 200 && /"health"\s*:\s*"true"/.test(r.body);
        });
        break;
      } catch (e) {
        const inUse = /address already in use/i.test(tailFile(etcdLogPath, 200));
        await killProcess(etcd);
        if (inUse && attempt < 3) {
          log(`etcd port clash, retrying (${attempt})`);
          continue;
        }
        throw e;
      }
    }
    log(`etcd ready at ${etcdUrl}`);

    // --- kube-apiserver ----------------------------------------------------
    let port = 0;
    let apiArgs: string[] = [];
    const buildArgs = (p: number): string[] => [
      `--etcd-servers=${etcdUrl}`,
      `--cert-dir=${certDir}`, // self-signed CA + serving cert (SANs incl. 127.0.0.1, localhost), reused on restart
      '--bind-address=127.0.0.1',
      '--advertise-address=127.0.0.1',
      `--secure-port=${p}`,
      `--token-auth-file=${tokenFile}`,
      '--authorization-mode=RBAC',
      `--service-account-key-file=${saPub}`,
      `--service-account-signing-key-file=${saKey}`,
      '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
      '--service-cluster-ip-range=10.0.0.0/24',
      // No token controller runs; the ServiceAccount admission plugin would reject Pods.
      '--disable-admission-plugins=ServiceAccount',
      '--allow-privileged=true',
      // The Endpoints of service/kubernetes cannot hold a loopback IP; skip that reconciler (log noise only).
      '--endpoint-reconciler-type=none',
      '--enable-priority-and-fairness=false',
      '--profiling=false',
      '--v=1',
      ...(opts.apiServerArgs ?? []),
    ];
    const startApiServer = (): Proc =>
      startProcess(path.join(binDir, 'kube-apiserver'), apiArgs, apiServerLogPath, usePdeathsig, opts.apiServerEnv);

    let caPem = '';
    const waitApiReady = async (proc: Proc): Promise<void> => {
      await waitFor('kube-apiserver', proc, apiServerLogPath, readyTimeoutMs, async () => {
        if (!caPem) {
          const crt = path.join(certDir, 'apiserver.crt');
          if (!existsSync(crt)) return false;
          const bundle = await readFile(crt, 'utf8');
          if (pemBlocks(bundle).length === 0) return false;
          caPem = caFromServingBundle(bundle);
        }
        const r = await httpsRequest(`https://127.0.0.1:${port}`, caPem, 'GET', '/readyz', {
          token: adminToken,
          timeoutMs: 5000,
        });
        return r.status === 200;
      });
    };

    for (let attempt = 1; ; attempt++) {
      port = await freePort();
      apiArgs = buildArgs(port);
      apiserver = startApiServer();
      try {
        await waitApiReady(apiserver);
        break;
      } catch (e) {
        const inUse = /address already in use/i.test(tailFile(apiServerLogPath, 200));
        await killProcess(apiserver);
        if (inUse && attempt < 3) {
          log(`kube-apiserver port clash, retrying (${attempt})`);
          continue;
        }
        throw e;
      }
    }
    const server = `https://127.0.0.1:${port}`;
    log(`kube-apiserver ready at ${server}`);

    const rigForRequests = { server, caPem, adminToken };
    const req = (method: string, p: string, body?: unknown) => kubeRequest(rigForRequests, method, p, { body });

    // --- default namespace ---------------------------------------------------
    {
      const r = await req('GET', '/api/v1/namespaces/default');
      if (r.status === 404) {
        const c = await req('POST', '/api/v1/namespaces', {
          apiVersion: 'v1',
          kind: 'Namespace',
          metadata: { name: 'default' },
        });
        if (c.status !== 201 && c.status !== 409) throw new Error(`creating namespace default: ${c.status} ${c.body}`);
      } else if (r.status !== 200) {
        throw new Error(`GET namespace default: ${r.status} ${r.body}`);
      }
    }

    // --- kubeconfigs ----------------------------------------------------------
    const kubeconfigPath = path.join(dir, 'admin.kubeconfig');
    const restrictedKubeconfigPath = path.join(dir, 'restricted.kubeconfig');
    const expiredKubeconfigPath = path.join(dir, 'expired.kubeconfig');
    await writeFile(kubeconfigPath, kubeconfigYaml(server, caPem, 'rig-admin', 'rig-admin', adminToken), { mode: 0o600 });
    await writeFile(restrictedKubeconfigPath, kubeconfigYaml(server, caPem, 'rig-restricted', 'restricted', restrictedToken), {
      mode: 0o600,
    });
    await writeFile(expiredKubeconfigPath, kubeconfigYaml(server, caPem, 'rig-expired', 'expired', expiredToken), {
      mode: 0o600,
    });
    await writeFile(path.join(dir, 'ca.crt'), caPem);

    // --- CRDs ------------------------------------------------------------------
    if (opts.crdsDir) {
      await applyCrds(opts.crdsDir, req, readyTimeoutMs, log);
    }

    const rig: KubeRig = {
      server,
      kubeconfigPath,
      restrictedKubeconfigPath,
      expiredKubeconfigPath,
      dir,
      caPem,
      adminToken,
      restrictedToken,
      expiredToken,
      apiServerLogPath,
      etcdLogPath,
      async restartApiServer() {
        if (stopped) throw new Error('rig is stopped');
        await killProcess(apiserver);
        if (etcd && !isRunning(etcd)) {
          throw new Error(`etcd is not running. Last 40 lines of ${etcdLogPath}:\n${tailFile(etcdLogPath)}`);
        }
        // The port is the same; Go listeners set SO_REUSEADDR, but retry briefly if the bind still fails.
        for (let attempt = 1; ; attempt++) {
          apiserver = startApiServer();
          try {
            await waitApiReady(apiserver);
            return;
          } catch (e) {
            const inUse = /address already in use/i.test(tailFile(apiServerLogPath, 50));
            await killProcess(apiserver);
            if (inUse && attempt < 5) {
              await sleep(500 * attempt);
              continue;
            }
            throw e;
          }
        }
      },
      stop,
    };
    log(`rig up in ${((Date.now() - t0) / 1000).toFixed(1)}s (binaries ${((tBins - t0) / 1000).toFixed(1)}s); dir ${dir}`);
    return rig;
  } catch (e) {
    await stop().catch(() => undefined);
    throw e;
  }
}

async function applyCrds(
  crdsDir: string,
  req: (method: string, p: string, body?: unknown) => Promise<KubeResponse>,
  timeoutMs: number,
  log: (s: string) => void,
): Promise<void> {
  const base = '/apis/apiextensions.k8s.io/v1/customresourcedefinitions';
  const files = (await readdir(crdsDir)).filter((f) => /\.(ya?ml|json)$/i.test(f)).sort();
  const names: string[] = [];
  for (const f of files) {
    const text = await readFile(path.join(crdsDir, f), 'utf8');
    // kube-apiserver decodes application/yaml request bodies itself (JSON is valid YAML too),
    // so no YAML parser is needed here.
    const docs = f.toLowerCase().endsWith('.json') ? [text] : splitYamlDocs(text);
    for (const doc of docs) {
      if (!/^kind:\s*CustomResourceDefinition\s*$/m.test(doc) && !/"kind"\s*:\s*"CustomResourceDefinition"/.test(doc)) {
        log(`skipping a non-CRD document in ${f}`);
        continue;
      }
      const r = await req('POST', base, Buffer.from(doc)).catch((e: Error) => {
        throw new Error(`POST CRD from ${f}: ${e.message}`);
      });
      let name: string;
      if (r.status === 201) {
        name = r.json().metadata.name;
      } else if (r.status === 409) {
        if (doc.trimStart().startsWith('{')) {
          names.push(JSON.parse(doc).metadata.name);
          continue;
        }
        const m = /^metadata:\s*\n(?:[ \t]+.*\n)*?[ \t]+name:\s*['"]?([^'"\s]+)/m.exec(doc + '\n');
        if (!m) throw new Error(`CRD from ${f} already exists and its name could not be read`);
        name = m[1]!;
      } else {
        throw new Error(`creating CRD from ${f}: HTTP ${r.status} ${r.body.slice(0, 2000)}`);
      }
      names.push(name);
    }
  }
  const deadline = Date.now() + timeoutMs;
  for (const name of names) {
    for (;;) {
      const r = await req('GET', `${base}/${name}`);
      if (r.status === 200) {
        const conds: Array<{ type: string; status: string; message?: string }> = r.json().status?.conditions ?? [];
        if (conds.some((c) => c.type === 'Established' && c.status === 'True')) break;
        const bad = conds.find((c) => c.type === 'NamesAccepted' && c.status === 'False');
        if (bad) throw new Error(`CRD ${name}: names not accepted: ${bad.message}`);
      }
      if (Date.now() > deadline) throw new Error(`CRD ${name} not Established after ${timeoutMs} ms`);
      await sleep(100);
    }
  }
  log(`applied ${names.length} CRD(s) from ${crdsDir}: ${names.join(', ')}`);
}
