// The Kubernetes adapter: the few API calls kedactl makes (get, list, server-side apply, dry-run,
// delete / deletecollection by label, the service proxy), from an injected KubeConfig.
// Raw REST requests rather than the generated clients: apply-patch, deletecollection and the proxy are
// generic over kinds (incl. KEDA's CRDs), and every request passes one place that counts and maps errors.
import { KubeConfig } from '@kubernetes/client-node';
import { UsageError } from '../core/errors.js';
import { FIELD_MANAGER, type Kube, type KubeObject } from '../core/kube/ports.js';
import { labelOf, objectLabel } from '../core/kube/state.js';
import { kubeconfigFiles, type KubeConfigOptions } from './kubeconfig-files.js';
import { kubeConnection, query } from './kube-connection.js';
import { discovery } from './kube-discovery.js';
import { forbiddenBy, kubeError, proxyRefused } from './kube-errors.js';

// the pure pieces, where callers and tests have always found them
export { forbiddenBy, forbiddenResource, verbOf } from './kube-errors.js';

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
      throw new UsageError(
        `kubeconfig ${f} does not parse: ${(e as Error).message.split('\n')[0]}`,
        'fix the file (`kubectl config view` shows what kubectl makes of it), or pass another with --kubeconfig',
      );
    }
    if (i === 0) {
      kc.loadFromOptions({ clusters: one.clusters, users: one.users, contexts: one.contexts, currentContext: one.currentContext });
    } else kc.mergeConfig(one, true);
  }
  const contexts = kc.getContexts().map((c) => c.name);
  const wanted = opts.context ?? kc.getCurrentContext();
  if (!wanted)
    throw new UsageError(
      `kubeconfig ${present.join(', ')} has no current context`,
      contexts.length ? `pass --context (one of: ${contexts.join(', ')})` : 'add a context to the kubeconfig',
    );
  if (!contexts.includes(wanted))
    throw new UsageError(
      `kube context "${wanted}" not found in ${present.join(', ')}`,
      contexts.length
        ? `pass --context with one of: ${contexts.join(', ')}`
        : 'the kubeconfig has no contexts; for EKS run `aws eks update-kubeconfig --name <cluster>`',
    );
  kc.setCurrentContext(wanted);
  const ctx = kc.getContextObject(wanted)!;
  if (!kc.getCluster(ctx.cluster))
    throw new UsageError(
      `kube context "${wanted}" names cluster "${ctx.cluster}", which the kubeconfig does not define`,
      'fix the kubeconfig or pick another --context',
    );
  return kc;
}

export interface CreateKubeOptions {
  /** called once per HTTP request (tests and the benchmark count them) */
  onRequest?: (method: string, path: string) => void;
  /** debug log */
  log?: (text: string) => void;
  timeoutMs?: number;
}

/** The real adapter: the port's calls over one connection, with discovery for kinds it does not know. */
export function createKube(kc: KubeConfig, opts: CreateKubeOptions = {}): Kube {
  const conn = kubeConnection(kc, opts);
  const { peer } = conn;
  const kinds = discovery(conn);
  const fail = (op: string, method: string, path: string, res: { status: number; body: string }, what: string): never => {
    throw kubeError(peer, { op, method, path, status: res.status, body: res.body, what });
  };

  return {
    context: peer.context,
    server: peer.server,
    async get(ref) {
      const path = await kinds.pathFor(ref, ref.namespace, ref.name);
      const res = await conn.request('GET', path, { op: `get ${ref.kind}` });
      if (res.status === 404) return undefined;
      if (res.status !== 200) fail(`get ${ref.kind}`, 'GET', path, res, objectLabel(ref));
      return JSON.parse(res.body) as KubeObject;
    },
    async list(type, o = {}) {
      const path = await kinds.pathFor(type, o.namespace);
      const accept = o.metadataOnly ? 'application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json' : undefined;
      const items: KubeObject[] = [];
      let cont: string | undefined;
      do {
        const p = path + query({ labelSelector: o.labelSelector, fieldSelector: o.fieldSelector, limit: o.limit, continue: cont });
        const res = await conn.request('GET', p, { op: `list ${type.kind}`, accept });
        if (res.status === 404 && !(await kinds.resource(type))) return [];
        if (res.status !== 200) fail(`list ${type.kind}`, 'GET', p, res, `${type.kind} list`);
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
      const path =
        (await kinds.pathFor(obj, ns, obj.metadata.name)) +
        query({ fieldManager: FIELD_MANAGER, force: o.force ? 'true' : 'false', dryRun: o.dryRun ? 'All' : undefined });
      const op = `${o.dryRun ? 'dry-run apply' : 'apply'} ${obj.kind}`;
      const res = await conn.request('PATCH', path, { op, body: JSON.stringify(obj), contentType: 'application/apply-patch+yaml' });
      if (res.status !== 200 && res.status !== 201) fail(op, 'PATCH', path, res, labelOf(obj));
      return JSON.parse(res.body) as KubeObject;
    },
    async deleteCollection(type, o) {
      const path = (await kinds.pathFor(type, o.namespace)) + query({ labelSelector: o.labelSelector, propagationPolicy: o.propagation });
      const res = await conn.request('DELETE', path, { op: `delete ${type.kind} collection` });
      if (res.status === 404) return;
      if (res.status !== 200 && res.status !== 202)
        fail(`delete ${type.kind} collection`, 'DELETE', path, res, `${type.kind} objects${o.namespace ? ` in ${o.namespace}` : ''}`);
    },
    async delete(ref, o = {}) {
      const path = (await kinds.pathFor(ref, ref.namespace, ref.name)) + query({ propagationPolicy: o.propagation });
      const res = await conn.request('DELETE', path, { op: `delete ${ref.kind}` });
      if (res.status === 404) return false;
      if (res.status !== 200 && res.status !== 202) fail(`delete ${ref.kind}`, 'DELETE', path, res, objectLabel(ref));
      return true;
    },
    async served(type) {
      return (await kinds.resource(type)) !== null;
    },
    async podLog(r) {
      const path =
        `/api/v1/namespaces/${encodeURIComponent(r.namespace)}/pods/${encodeURIComponent(r.pod)}/log` +
        query({ container: r.container, tailLines: r.tailLines });
      const res = await conn.request('GET', path, { op: 'get Pod log', accept: '*/*' });
      if (res.status === 404) return undefined;
      // a Pod on no node yet: the API server has nowhere to ask, and says so with No Content
      if (res.status === 204) return '';
      if (res.status !== 200) fail('get Pod log', 'GET', path, res, `the log of Pod ${r.namespace}/${r.pod}`);
      return res.body;
    },
    async proxy(r) {
      const method = r.method ?? 'GET';
      const path = `/api/v1/namespaces/${encodeURIComponent(r.namespace)}/services/${encodeURIComponent(`${r.service}:${r.port}`)}/proxy${r.path.startsWith('/') ? r.path : `/${r.path}`}`;
      const op = `proxy ${method} ${r.path}`;
      const res = await conn.request(method, path, { op, body: r.body, contentType: 'application/json' });
      const what = `service ${r.namespace}/${r.service}`;
      // the authorizer (services/proxy) and admission answer in Status form; a 403 in any other form came
      // from the far side of the API server's proxy: an egress proxy that refuses pod IPs, or the pod
      if (res.status === 401 || (res.status === 403 && forbiddenBy(res.body) !== 'not-kubernetes')) fail(op, method, path, res, what);
      if (res.status === 403) throw proxyRefused({ op, path, body: res.body, what });
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
  const data = {
    ...(rest.data ?? {}),
    ...Object.fromEntries(Object.entries(stringData).map(([k, v]) => [k, Buffer.from(String(v), 'utf8').toString('base64')])),
  };
  return { ...rest, data } as KubeObject;
}

/** The adapter for --kubeconfig / --context (and KUBECONFIG), as commands build it. */
export function connectKube(o: KubeConfigOptions & CreateKubeOptions): Kube {
  return createKube(loadKubeConfig(o), o);
}
