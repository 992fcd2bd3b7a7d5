// From what the API server answered to kedactl's errors: pure (status, body, path in; a typed error out),
// so every mapping is tested without a server. The REST adapter and the watch transport both use it.
import { ExternalError } from '../core/errors.js';
import { KubeApiError, KubeConflictError, type ForbiddenBy, type KubeStatusDetails, type KubeType } from '../core/kube/ports.js';

/** The API server's error body (a Status), as far as kedactl reads it. */
export interface KubeStatus {
  kind?: string;
  status?: string;
  message?: string;
  reason?: string;
  code?: number;
  details?: KubeStatusDetails;
}

/** the Status in a body; {} when the body is not one */
export function parseStatus(body: string): KubeStatus {
  try {
    const st = JSON.parse(body) as unknown;
    return st && typeof st === 'object' ? (st as KubeStatus) : {};
  } catch {
    return {};
  }
}

/** Who kedactl talks to, for messages: the server, the context and how to refresh its credentials. */
export interface KubePeer {
  server: string;
  context: string;
  /** what to do when the credentials are refused (see refreshHint) */
  refreshHint: string;
}

/** How the user refreshes credentials for a context, from its user's exec plugin (EKS: update-kubeconfig). */
export function refreshHint(execArgs: readonly string[] = []): string {
  const at = execArgs.findIndex((a) => a === '--cluster-name' || a === '-i' || a === '--cluster-id');
  const cluster = at >= 0 ? execArgs[at + 1] : undefined;
  const regionAt = execArgs.indexOf('--region');
  const region = regionAt >= 0 ? ` --region ${execArgs[regionAt + 1]}` : '';
  if (cluster)
    return `refresh them with \`aws eks update-kubeconfig --name ${cluster}${region}\` (and check your AWS credentials: \`aws sts get-caller-identity\`)`;
  return 'refresh the credentials of this context (for EKS: `aws eks update-kubeconfig --name <cluster>`), or pick another with --context';
}

/**
 * Read a 403 body: the authorizer writes a Status saying `User "u" cannot <verb> resource "r" ...`
 * (or `path`); admission writes a Status with reason Forbidden and its own words; anything that is not
 * a Status came from outside Kubernetes.
 */
export function forbiddenBy(body: string): ForbiddenBy {
  const st = parseStatus(body);
  if (st.kind !== 'Status') return 'not-kubernetes';
  return /\bcannot \S+ (resource|path) "/.test(st.message ?? '') ? 'authorization' : 'admission';
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
export function parsePath(path: string): { group?: string; namespace?: string; plural: string; name?: string; sub?: string } | undefined {
  const clean = path.split('?')[0]!;
  const m = /^\/(?:api\/[^/]+|apis\/([^/]+)\/[^/]+)(?:\/namespaces\/([^/]+)(?=\/))?\/([^/]+)(?:\/([^/]+))?(?:\/(.+))?$/.exec(clean);
  if (!m) return undefined;
  const [, group, namespace, plural, name, sub] = m;
  return { group, namespace, plural: plural!, name, sub };
}

/**
 * `jobs.batch "j1" in namespace "x"` from a request path, for 403 messages; with `grant`, what an RBAC
 * rule grants (the kind in the namespace, without the object's name).
 */
export function forbiddenResource(path: string, grant = false): string {
  const p = parsePath(path);
  if (!p) return path.split('?')[0]!;
  const res = `${p.plural}${p.sub ? `/${p.sub.split('/')[0]}` : ''}${p.group ? `.${p.group}` : ''}`;
  const name = p.name && !grant ? ` "${decodeURIComponent(p.name)}"` : '';
  return `${res}${name}${p.namespace ? ` in namespace "${decodeURIComponent(p.namespace)}"` : ' (cluster-wide)'}`;
}

/** "HTTP 403: <the Status's message>", or the start of a body that is not a Status (the watch's errors) */
export function statusLine(status: number, body: string): string {
  const st = parseStatus(body);
  if (st.message) return `HTTP ${status}: ${st.message}`;
  return `HTTP ${status}${body.trim() ? `: ${body.trim().slice(0, 200)}` : ''}`;
}

export interface Answer {
  op: string;
  method: string;
  path: string;
  status: number;
  body: string;
  /** the object or list asked about, in words ("ScaledJob video/video-processor") */
  what: string;
}

/** A non-2xx answer as a typed error: who refused, in the server's words, and what to do next. */
export function kubeError(peer: KubePeer, a: Answer): KubeApiError {
  const { op, method, path, status, body, what } = a;
  const st = parseStatus(body);
  const message = st.message ?? (body.trim().slice(0, 500) || `HTTP ${status}`);
  const { server, context } = peer;
  if (status === 401)
    return new KubeApiError(
      op,
      401,
      `the API server ${server} rejected the credentials of context "${context}" (401 Unauthorized: expired or revoked)`,
      peer.refreshHint,
      { reason: st.reason },
    );
  if (status === 403) {
    const resource = forbiddenResource(path);
    const by = forbiddenBy(body);
    const verb = verbOf(method, path);
    if (by === 'authorization')
      return new KubeApiError(
        op,
        403,
        `forbidden: context "${context}" may not ${verb} ${resource}: ${message}`,
        `ask a cluster admin for RBAC permission to ${verb} ${forbiddenResource(path, true)}, or use a context that has it (--context)`,
        { reason: st.reason, details: st.details, forbiddenBy: by },
      );
    if (by === 'admission')
      return new KubeApiError(
        op,
        403,
        `the API server refused to ${verb} ${what} (a policy of the cluster, not a missing permission): ${message}`,
        /being terminated/.test(message)
          ? 'the namespace is still being deleted (a teardown not finished yet); wait until `kubectl get namespace` no longer shows it, then run again'
          : 'the message above names the admission policy or webhook that refused it; change the object (or the template override) to satisfy it, or ask the cluster admin',
        { reason: st.reason, details: st.details, forbiddenBy: by },
      );
    return new KubeApiError(
      op,
      403,
      `HTTP 403 to ${verb} ${resource} came from something between kedactl and the API server ${server}, not from Kubernetes (no permission is missing): ${message}`,
      `check the proxy or gateway in front of the API server for context "${context}" (\`kubectl --context ${context} get --raw /version\` goes the same way)`,
      { forbiddenBy: by },
    );
  }
  if (status === 409 && st.reason === 'Conflict' && st.details?.causes?.some((c) => c.reason === 'FieldManagerConflict')) {
    const conflicts = st.details.causes
      .filter((c) => c.reason === 'FieldManagerConflict')
      .map((c) => ({
        field: c.field ?? '',
        manager: /conflict with "([^"]+)"/.exec(c.message ?? '')?.[1] ?? '(unknown)',
        message: c.message ?? '',
      }));
    return new KubeConflictError(op, what, conflicts, st.details);
  }
  if (status === 422 || status === 400) {
    const causes = (st.details?.causes ?? []).map((c) => `  - ${c.field ? `${c.field}: ` : ''}${c.message ?? c.reason ?? ''}`);
    return new KubeApiError(
      op,
      status,
      `the API server rejected ${what}: ${message}${causes.length ? '\n' + causes.join('\n') : ''}`,
      'fix the template override (or the setting) that produces this object; nothing after it was applied',
      {
        reason: st.reason,
        details: st.details,
      },
    );
  }
  return new KubeApiError(op, status, `${what}: ${message} (HTTP ${status})`, undefined, { reason: st.reason, details: st.details });
}

/**
 * A 403 through the service proxy that is not in Status form came from the far side of the API server's
 * proxy (an egress proxy that refuses pod IPs, or the pod), not from RBAC.
 */
export function proxyRefused(a: Pick<Answer, 'op' | 'path' | 'body' | 'what'>): KubeApiError {
  return new KubeApiError(
    a.op,
    403,
    `the API server could not reach ${a.what} through its service proxy: the way to the pod answered HTTP 403, which is not Kubernetes RBAC (no permission is missing): ${a.body.trim().slice(0, 300) || '(empty body)'}`,
    `the API server must reach the pod's IP directly: if it runs with HTTP_PROXY / HTTPS_PROXY, that proxy refuses pod addresses (add the pod network to the API server's NO_PROXY), or pod IPs are not routable from the control plane; \`kubectl get --raw "${a.path}"\` shows the same answer`,
    { forbiddenBy: 'not-kubernetes' },
  );
}

/** the kind is not served (discovery has no such resource) */
export function notServed(type: KubeType): KubeApiError {
  return new KubeApiError(
    'discovery',
    404,
    `the cluster does not serve ${type.kind} (${type.apiVersion})`,
    type.apiVersion.startsWith('keda.sh/')
      ? 'install KEDA first (kedactl init without --skip keda, or helm install kedacore/keda)'
      : 'check the apiVersion and kind in the template override',
  );
}

/** no answer at all: the socket failed */
export function unreachable(peer: KubePeer, op: string, e: NodeJS.ErrnoException): ExternalError {
  return new ExternalError(
    'Kubernetes',
    op,
    `cannot reach the API server ${peer.server} (context "${peer.context}"): ${e.code ?? ''} ${e.message}`.replace(/\s+/g, ' ').trim(),
    'check that the cluster is running and that --context / --kubeconfig point at it (`kubectl --context ' +
      peer.context +
      ' cluster-info`)',
    { cause: e },
  );
}

/** the kubeconfig's credentials (an exec plugin, a token file) could not be had */
export function noCredentials(peer: KubePeer, op: string, e: unknown): ExternalError {
  return new ExternalError(
    'Kubernetes',
    op,
    `could not get credentials for context "${peer.context}": ${(e as Error).message}`,
    peer.refreshHint,
    { cause: e },
  );
}
