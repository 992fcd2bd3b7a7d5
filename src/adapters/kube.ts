// The Kubernetes adapter: the few API calls kedactl makes (get, list, server-side apply, dry-run,
// delete / deletecollection by label, the service proxy), from an injected KubeConfig.
// Raw REST requests rather than the generated clients: apply-patch, deletecollection and the proxy are
// generic over kinds (incl. KEDA's CRDs), and every request passes one place that counts and maps errors.
import * as http from 'node:http';
import * as https from 'node:https';
import { KubeConfig } from '@kubernetes/client-node';
import { ExternalError, UsageError } from '../core/errors.js';
import { kubeconfigFiles, type KubeConfigOptions } from './kubeconfig-files.js';
import { FIELD_MANAGER, KubeApiError, KubeConflictError, type FieldConflict, type ForbiddenBy, type Kube, type KubeObject, type KubeRef, type KubeStatusDetails, type KubeType } from '../core/kube-ports.js';

interface KubeStatus {
  kind?: string;
  status?: string;
  message?: string;
  reason?: string;
  code?: number;
  details?: KubeStatusDetails;
}

/**
 * Read a 403 body: the authorizer writes a Status saying `User "u" cannot <verb> resource "r" ...`
 * (or `path`); admission writes a Status with reason Forbidden and its own words; anything that is not
 * a Status came from outside Kubernetes.
 */
export function forbiddenBy(body: string): ForbiddenBy {
  let st: KubeStatus | undefined;
  try {
    st = JSON.parse(body) as KubeStatus;
  } catch {
    return 'not-kubernetes';
  }
  if (st?.kind !== 'Status') return 'not-kubernetes';
  return /\bcannot \S+ (resource|path) "/.test(st.message ?? '') ? 'authorization' : 'admission';
}

// ---------------------------------------------------------------------------------------------
// Loading the kubeconfig

export type { KubeConfigOptions };

/** Build the KubeConfig for --kubeconfig / KUBECONFIG / ~/.kube/config and --context. Throws UsageError. */
export function loadKubeConfig(opts: KubeConfigOptions): KubeConfig {
  const { files, present, from } = kubeconfigFiles(opts);
  const kc = new KubeConfig();
  if (present.length === 0) {
    if (!opts.kubeconfig && opts.env.KUBERNETES_SERVICE_HOST) {
      kc.loadFromCluster();
      return kc;
    }
    throw new UsageError(
      `no kubeconfig: ${files.join(', ')} ${files.length === 1 ? 'does' : 'do'} not exist (from ${from})`,
      'pass --kubeconfig <file>, set KUBECONFIG, or for EKS run `aws eks update-kubeconfig --name <cluster>`; use --skip kubernetes --skip keda to do only the AWS side',
    );
  }
  for (const [i, f] of present.entries()) {
    const one = new KubeConfig();
    try {
      one.loadFromFile(f);
    } catch (e) {
      throw new UsageError(`kubeconfig ${f} does not parse: ${(e as Error).message.split('\n')[0]}`, 'fix the file (`kubectl config view` shows what kubectl makes of it), or pass another with --kubeconfig');
    }
    if (i === 0) {
      kc.loadFromOptions({ clusters: one.clusters, users: one.users, contexts: one.contexts, currentContext: one.currentContext });
    } else kc.mergeConfig(one, true);
  }
  const contexts = kc.getContexts().map((c) => c.name);
  const wanted = opts.context ?? kc.getCurrentContext();
  if (!wanted)
    throw new UsageError(`kubeconfig ${present.join(', ')} has no current context`, contexts.length ? `pass --context (one of: ${contexts.join(', ')})` : 'add a context to the kubeconfig');
  if (!contexts.includes(wanted))
    throw new UsageError(
      `kube context "${wanted}" not found in ${present.join(', ')}`,
      contexts.length ? `pass --context with one of: ${contexts.join(', ')}` : 'the kubeconfig has no contexts; for EKS run `aws eks update-kubeconfig --name <cluster>`',
    );
  kc.setCurrentContext(wanted);
  const ctx = kc.getContextObject(wanted)!;
  if (!kc.getCluster(ctx.cluster)) throw new UsageError(`kube context "${wanted}" names cluster "${ctx.cluster}", which the kubeconfig does not define`, 'fix the kubeconfig or pick another --context');
  return kc;
}

/** How the user refreshes credentials for this context (EKS: update-kubeconfig). */
function refreshHint(kc: KubeConfig): string {
  const user = kc.getCurrentUser();
  const args = user?.exec?.args ?? [];
  const at = args.findIndex((a: string) => a === '--cluster-name' || a === '-i' || a === '--cluster-id');
  const cluster = at >= 0 ? args[at + 1] : undefined;
  const regionAt = args.indexOf('--region');
  const region = regionAt >= 0 ? ` --region ${args[regionAt + 1]}` : '';
  if (cluster) return `refresh them with \`aws eks update-kubeconfig --name ${cluster}${region}\` (and check your AWS credentials: \`aws sts get-caller-identity\`)`;
  return 'refresh the credentials of this context (for EKS: `aws eks update-kubeconfig --name <cluster>`), or pick another with --context';
}

// ---------------------------------------------------------------------------------------------
// Kinds -> REST paths

interface Resource {
  plural: string;
  namespaced: boolean;
}

/** built-in kinds every cluster serves; anything else (KEDA's CRDs) is asked of discovery, once per group */
const KNOWN: Record<string, Resource> = {
  'v1/Namespace': { plural: 'namespaces', namespaced: false },
  'v1/ServiceAccount': { plural: 'serviceaccounts', namespaced: true },
  'v1/Secret': { plural: 'secrets', namespaced: true },
  'v1/ConfigMap': { plural: 'configmaps', namespaced: true },
  'v1/Service': { plural: 'services', namespaced: true },
  'v1/Pod': { plural: 'pods', namespaced: true },
  'apps/v1/Deployment': { plural: 'deployments', namespaced: true },
  'apps/v1/ReplicaSet': { plural: 'replicasets', namespaced: true },
  'batch/v1/Job': { plural: 'jobs', namespaced: true },
  'apiextensions.k8s.io/v1/CustomResourceDefinition': { plural: 'customresourcedefinitions', namespaced: false },
};

const groupPath = (apiVersion: string) => (apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`);

const enc = encodeURIComponent;

export interface CreateKubeOptions {
  /** called once per HTTP request (tests and the benchmark count them) */
  onRequest?: (method: string, path: string) => void;
  /** debug log */
  log?: (text: string) => void;
  timeoutMs?: number;
}

const VERBS: Record<string, string> = { GET: 'get', POST: 'create', PUT: 'update', PATCH: 'patch', DELETE: 'delete' };

/** the RBAC verb of a request: get/list, delete/deletecollection, ... */
export function verbOf(method: string, path: string): string {
  const named = parsePath(path)?.name !== undefined;
  if (method === 'GET') return named ? 'get' : 'list';
  if (method === 'DELETE') return named ? 'delete' : 'deletecollection';
  return VERBS[method] ?? method.toLowerCase();
}

/** group, namespace, resource, name and subresource of an API path */
function parsePath(path: string): { group?: string; namespace?: string; plural: string; name?: string; sub?: string } | undefined {
  const clean = path.split('?')[0]!;
  const m = /^\/(?:api\/[^/]+|apis\/([^/]+)\/[^/]+)(?:\/namespaces\/([^/]+)(?=\/))?\/([^/]+)(?:\/([^/]+))?(?:\/(.+))?$/.exec(clean);
  if (!m) return undefined;
  const [, group, namespace, plural, name, sub] = m;
  return { group, namespace, plural: plural!, name, sub };
}

/** The real adapter. */
export function createKube(kc: KubeConfig, opts: CreateKubeOptions = {}): Kube {
  const cluster = kc.getCurrentCluster();
  if (!cluster) throw new UsageError(`kube context "${kc.getCurrentContext()}" has no cluster`, 'fix the kubeconfig or pick another --context');
  const server = cluster.server.replace(/\/+$/, '');
  const context = kc.getCurrentContext();
  const base = new URL(server);
  const secure = base.protocol === 'https:';
  let agent: http.Agent | undefined;

  /** one request; 429 (throttled, or storage still initializing) is retried as the server's Retry-After says */
  async function request(method: string, path: string, r: { body?: string; contentType?: string; accept?: string; op: string }): Promise<{ status: number; body: string }> {
    for (let attempt = 1; ; attempt++) {
      const res = await requestOnce(method, path, r);
      if (res.status !== 429 || attempt >= 6) return res;
      const after = Number(res.retryAfter);
      await new Promise((done) => setTimeout(done, Number.isFinite(after) && after > 0 ? Math.min(after, 5) * 1000 : 200 * attempt));
    }
  }

  async function requestOnce(method: string, path: string, r: { body?: string; contentType?: string; accept?: string; op: string }): Promise<{ status: number; body: string; retryAfter?: string }> {
    const o: https.RequestOptions = { headers: {} };
    try {
      await kc.applyToHTTPSOptions(o);
    } catch (e) {
      throw new ExternalError('Kubernetes', r.op, `could not get credentials for context "${context}": ${(e as Error).message}`, refreshHint(kc), { cause: e });
    }
    agent ??= secure
      ? new https.Agent({ keepAlive: true, maxSockets: 8, ca: o.ca, cert: o.cert, key: o.key, rejectUnauthorized: o.rejectUnauthorized, servername: o.servername })
      : new http.Agent({ keepAlive: true, maxSockets: 8 });
    const headers: Record<string, string> = { ...(o.headers as Record<string, string>), Accept: r.accept ?? 'application/json' };
    if (r.body !== undefined) {
      headers['Content-Type'] = r.contentType ?? 'application/json';
      headers['Content-Length'] = String(Buffer.byteLength(r.body));
    }
    opts.onRequest?.(method, path);
    opts.log?.(`${method} ${path}`);
    const prefix = base.pathname.replace(/\/+$/, '');
    return new Promise((resolve, reject) => {
      const req = (secure ? https : http).request(
        { method, hostname: base.hostname, port: base.port, path: prefix + path, headers, agent, auth: o.auth, timeout: opts.timeoutMs ?? 30_000 },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8'), retryAfter: res.headers['retry-after'] }));
          res.on('error', reject);
        },
      );
      req.on('timeout', () => req.destroy(Object.assign(new Error(`no answer within ${(opts.timeoutMs ?? 30_000) / 1000}s`), { code: 'ETIMEDOUT' })));
      req.on('error', (e: NodeJS.ErrnoException) =>
        reject(
          new ExternalError(
            'Kubernetes',
            r.op,
            `cannot reach the API server ${server} (context "${context}"): ${e.code ?? ''} ${e.message}`.replace(/\s+/g, ' ').trim(),
            'check that the cluster is running and that --context / --kubeconfig point at it (`kubectl --context ' + context + ' cluster-info`)',
            { cause: e },
          ),
        ),
      );
      if (r.body !== undefined) req.write(r.body);
      req.end();
    });
  }

  /** turn a non-2xx answer into a typed error */
  function fail(op: string, method: string, path: string, status: number, body: string, what: string): never {
    let st: KubeStatus = {};
    try {
      st = JSON.parse(body) as KubeStatus;
    } catch {
      /* not a Status */
    }
    const message = st.message ?? (body.trim().slice(0, 500) || `HTTP ${status}`);
    if (status === 401)
      throw new KubeApiError(op, 401, `the API server ${server} rejected the credentials of context "${context}" (401 Unauthorized: expired or revoked)`, refreshHint(kc), { reason: st.reason });
    if (status === 403) {
      const resource = forbiddenResource(path);
      const by = forbiddenBy(body);
      if (by === 'authorization')
        throw new KubeApiError(
          op,
          403,
          `forbidden: context "${context}" may not ${verbOf(method, path)} ${resource}: ${message}`,
          `ask a cluster admin for RBAC permission to ${verbOf(method, path)} ${resource.replace(/ "[^"]*"/, '')}, or use a context that has it (--context)`,
          { reason: st.reason, details: st.details, forbiddenBy: by },
        );
      if (by === 'admission')
        throw new KubeApiError(
          op,
          403,
          `the API server refused to ${verbOf(method, path)} ${what} (a policy of the cluster, not a missing permission): ${message}`,
          /being terminated/.test(message)
            ? 'the namespace is still being deleted (a teardown not finished yet); wait until `kubectl get namespace` no longer shows it, then run again'
            : 'the message above names the admission policy or webhook that refused it; change the object (or the template override) to satisfy it, or ask the cluster admin',
          { reason: st.reason, details: st.details, forbiddenBy: by },
        );
      throw new KubeApiError(
        op,
        403,
        `HTTP 403 to ${verbOf(method, path)} ${resource} came from something between kedactl and the API server ${server}, not from Kubernetes (no permission is missing): ${message}`,
        `check the proxy or gateway in front of the API server for context "${context}" (\`kubectl --context ${context} get --raw /version\` goes the same way)`,
        { forbiddenBy: by },
      );
    }
    if (status === 409 && st.reason === 'Conflict' && st.details?.causes?.some((c) => c.reason === 'FieldManagerConflict')) {
      const conflicts = st.details.causes
        .filter((c) => c.reason === 'FieldManagerConflict')
        .map((c) => ({ field: c.field ?? '', manager: /conflict with "([^"]+)"/.exec(c.message ?? '')?.[1] ?? '(unknown)', message: c.message ?? '' }));
      throw new KubeConflictError(op, what, conflicts, st.details);
    }
    if (status === 422 || status === 400) {
      const causes = (st.details?.causes ?? []).map((c) => `  - ${c.field ? `${c.field}: ` : ''}${c.message ?? c.reason ?? ''}`);
      throw new KubeApiError(op, status, `the API server rejected ${what}: ${message}${causes.length ? '\n' + causes.join('\n') : ''}`, 'fix the template override (or the setting) that produces this object; nothing after it was applied', {
        reason: st.reason,
        details: st.details,
      });
    }
    throw new KubeApiError(op, status, `${what}: ${message} (HTTP ${status})`, undefined, { reason: st.reason, details: st.details });
  }

  /** kind -> resource per apiVersion, from discovery (one request per group version, cached) */
  const groups = new Map<string, Promise<Map<string, Resource> | null>>();
  async function resource(type: KubeType): Promise<Resource | null> {
    const known = KNOWN[`${type.apiVersion}/${type.kind}`];
    if (known) return known;
    let g = groups.get(type.apiVersion);
    if (!g) {
      g = (async () => {
        const path = groupPath(type.apiVersion);
        const res = await request('GET', path, { op: 'discovery' });
        if (res.status === 404) return null;
        if (res.status !== 200) fail('discovery', 'GET', path, res.status, res.body, `API group ${type.apiVersion}`);
        const list = JSON.parse(res.body) as { resources: Array<{ name: string; kind: string; namespaced: boolean }> };
        return new Map(list.resources.filter((x) => !x.name.includes('/')).map((x) => [x.kind, { plural: x.name, namespaced: x.namespaced }]));
      })();
      groups.set(type.apiVersion, g);
      // only an answer with the group is kept: a group that is missing now (KEDA before install) may come
      g.then((m) => m || groups.delete(type.apiVersion), () => groups.delete(type.apiVersion));
    }
    return (await g)?.get(type.kind) ?? null;
  }


  async function pathFor(type: KubeType, namespace?: string, name?: string): Promise<string> {
    const r = await resource(type);
    if (!r)
      throw new KubeApiError(
        'discovery',
        404,
        `the cluster does not serve ${type.kind} (${type.apiVersion})`,
        type.apiVersion.startsWith('keda.sh/') ? 'install KEDA first (kedactl init without --skip keda, or helm install kedacore/keda)' : 'check the apiVersion and kind in the template override',
      );
    let p = groupPath(type.apiVersion);
    if (r.namespaced && namespace) p += `/namespaces/${enc(namespace)}`;
    p += `/${r.plural}`;
    if (name) p += `/${enc(name)}`;
    return p;
  }

  const describe = (ref: { kind: string; name?: string; namespace?: string }) => `${ref.kind} ${ref.namespace ? `${ref.namespace}/` : ''}${ref.name ?? ''}`.trim();

  function query(q: Record<string, string | number | undefined>): string {
    const parts = Object.entries(q).filter(([, v]) => v !== undefined && v !== '').map(([k, v]) => `${k}=${enc(String(v))}`);
    return parts.length ? `?${parts.join('&')}` : '';
  }

  return {
    context,
    server,
    async get(ref) {
      const path = await pathFor(ref, ref.namespace, ref.name);
      const res = await request('GET', path, { op: `get ${ref.kind}` });
      if (res.status === 404) return undefined;
      if (res.status !== 200) fail(`get ${ref.kind}`, 'GET', path, res.status, res.body, describe(ref));
      return JSON.parse(res.body) as KubeObject;
    },
    async list(type, o = {}) {
      const path = await pathFor(type, o.namespace);
      const accept = o.metadataOnly ? 'application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json' : undefined;
      const items: KubeObject[] = [];
      let cont: string | undefined;
      do {
        const p = path + query({ labelSelector: o.labelSelector, fieldSelector: o.fieldSelector, limit: o.limit, continue: cont });
        const res = await request('GET', p, { op: `list ${type.kind}`, accept });
        if (res.status === 404 && !(await resource(type))) return [];
        if (res.status !== 200) fail(`list ${type.kind}`, 'GET', p, res.status, res.body, `${type.kind} list`);
        const list = JSON.parse(res.body) as { items: KubeObject[] | null; metadata?: { continue?: string } };
        for (const it of list.items ?? []) items.push({ ...it, apiVersion: type.apiVersion, kind: type.kind });
        // a caller that sets limit wants one page (e.g. "is anything left?")
        cont = o.limit ? undefined : list.metadata?.continue || undefined;
      } while (cont);
      return items;
    },
    async apply(given, o = {}) {
      const obj = wireForm(given);
      const ns = obj.metadata.namespace;
      const path = (await pathFor(obj, ns, obj.metadata.name)) + query({ fieldManager: FIELD_MANAGER, force: o.force ? 'true' : 'false', dryRun: o.dryRun ? 'All' : undefined });
      const op = `${o.dryRun ? 'dry-run apply' : 'apply'} ${obj.kind}`;
      const res = await request('PATCH', path, { op, body: JSON.stringify(obj), contentType: 'application/apply-patch+yaml' });
      if (res.status !== 200 && res.status !== 201) fail(op, 'PATCH', path, res.status, res.body, describe({ kind: obj.kind, name: obj.metadata.name, namespace: ns }));
      return JSON.parse(res.body) as KubeObject;
    },
    async deleteCollection(type, o) {
      const path = (await pathFor(type, o.namespace)) + query({ labelSelector: o.labelSelector, propagationPolicy: o.propagation });
      const res = await request('DELETE', path, { op: `delete ${type.kind} collection` });
      if (res.status === 404) return;
      if (res.status !== 200 && res.status !== 202) fail(`delete ${type.kind} collection`, 'DELETE', path, res.status, res.body, `${type.kind} objects${o.namespace ? ` in ${o.namespace}` : ''}`);
    },
    async delete(ref, o = {}) {
      const path = (await pathFor(ref, ref.namespace, ref.name)) + query({ propagationPolicy: o.propagation });
      const res = await request('DELETE', path, { op: `delete ${ref.kind}` });
      if (res.status === 404) return false;
      if (res.status !== 200 && res.status !== 202) fail(`delete ${ref.kind}`, 'DELETE', path, res.status, res.body, describe(ref));
      return true;
    },
    async served(type) {
      return (await resource(type)) !== null;
    },
    async podLog(r) {
      const path = `/api/v1/namespaces/${enc(r.namespace)}/pods/${enc(r.pod)}/log` + query({ container: r.container, tailLines: r.tailLines });
      const res = await request('GET', path, { op: 'get Pod log', accept: '*/*' });
      if (res.status === 404) return undefined;
      // a Pod on no node yet: the API server has nowhere to ask, and says so with No Content
      if (res.status === 204) return '';
      if (res.status !== 200) fail('get Pod log', 'GET', path, res.status, res.body, `the log of Pod ${r.namespace}/${r.pod}`);
      return res.body;
    },
    async proxy(r) {
      const method = r.method ?? 'GET';
      const path = `/api/v1/namespaces/${enc(r.namespace)}/services/${enc(`${r.service}:${r.port}`)}/proxy${r.path.startsWith('/') ? r.path : `/${r.path}`}`;
      const res = await request(method, path, { op: `proxy ${method} ${r.path}`, body: r.body, contentType: 'application/json' });
      const op = `proxy ${method} ${r.path}`;
      const what = `service ${r.namespace}/${r.service}`;
      // the authorizer (services/proxy) and admission answer in Status form; a 403 in any other form came
      // from the far side of the API server's proxy: an egress proxy that refuses pod IPs, or the pod
      if (res.status === 401 || (res.status === 403 && forbiddenBy(res.body) !== 'not-kubernetes')) fail(op, method, path, res.status, res.body, what);
      if (res.status === 403)
        throw new KubeApiError(
          op,
          403,
          `the API server could not reach ${what} through its service proxy: the way to the pod answered HTTP 403, which is not Kubernetes RBAC (no permission is missing): ${res.body.trim().slice(0, 300) || '(empty body)'}`,
          `the API server must reach the pod's IP directly: if it runs with HTTP_PROXY / HTTPS_PROXY, that proxy refuses pod addresses (add the pod network to the API server's NO_PROXY), or pod IPs are not routable from the control plane; \`kubectl get --raw "${path}"\` shows the same answer`,
          { forbiddenBy: 'not-kubernetes' },
        );
      return res;
    },
  };
}

/**
 * A Secret's stringData as data: the API server turns stringData into data, so server-side apply never
 * owns those keys and a key left out later (a session token, once the credentials are long-term) would
 * stay for ever. Keys sent as data are owned, and removed when a later apply leaves them out.
 */
export function wireForm(obj: KubeObject): KubeObject {
  const stringData = (obj as { stringData?: Record<string, string> }).stringData;
  if (obj.kind !== 'Secret' || !stringData) return obj;
  const { stringData: _, ...rest } = obj as KubeObject & { stringData?: unknown; data?: Record<string, string> };
  const data = { ...(rest.data ?? {}), ...Object.fromEntries(Object.entries(stringData).map(([k, v]) => [k, Buffer.from(String(v), 'utf8').toString('base64')])) };
  return { ...rest, data } as KubeObject;
}

/** "jobs.batch in namespace x" from a request path, for 403 messages. */
export function forbiddenResource(path: string): string {
  const p = parsePath(path);
  if (!p) return path.split('?')[0]!;
  const res = `${p.plural}${p.sub ? `/${p.sub.split('/')[0]}` : ''}${p.group ? `.${p.group}` : ''}`;
  return `${res}${p.name ? ` "${decodeURIComponent(p.name)}"` : ''}${p.namespace ? ` in namespace "${decodeURIComponent(p.namespace)}"` : ' (cluster-wide)'}`;
}

/** The adapter for --kubeconfig / --context (and KUBECONFIG), as commands build it. */
export function connectKube(o: KubeConfigOptions & CreateKubeOptions): Kube {
  return createKube(loadKubeConfig(o), o);
}
