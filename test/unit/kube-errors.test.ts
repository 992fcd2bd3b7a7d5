// What the API server answered -> kedactl's errors (src/adapters/kube-errors.ts), without a server: the
// bodies are the API server's Status forms (RBAC, admission, conflicts, validation) and a proxy's page.
import { describe, expect, it } from 'vitest';
import { KubeApiError, KubeConflictError, isAuthorizationDenied } from '../../src/core/kube/ports.ts';
import { KubeConfig } from '@kubernetes/client-node';
import { UsageError } from '../../src/core/errors.ts';
import { createKube } from '../../src/adapters/kube.ts';
import { kubeWatchTransport } from '../../src/adapters/kube-watch.ts';
import {
  kubeError,
  notServed,
  proxyRefused,
  refreshHint,
  statusLine,
  unreachable,
  verbOf,
  type KubePeer,
} from '../../src/adapters/kube-errors.ts';

const peer: KubePeer = { server: 'https://127.0.0.1:6443', context: 'dev', refreshHint: 'refresh them' };
const status = (o: object) => JSON.stringify({ kind: 'Status', apiVersion: 'v1', status: 'Failure', ...o });
const answer = (s: number, body: string, method = 'GET', path = '/apis/batch/v1/namespaces/video/jobs') => ({
  op: 'list Job',
  method,
  path,
  status: s,
  body,
  what: 'Job list',
});

describe('kube errors', () => {
  it('401: the credentials of the context were refused; next is how to refresh them', () => {
    const e = kubeError(peer, answer(401, status({ reason: 'Unauthorized', code: 401 })));
    expect(e).toBeInstanceOf(KubeApiError);
    expect(e.status).toBe(401);
    expect(e.message).toContain('rejected the credentials of context "dev"');
    expect(e.next).toBe('refresh them');
  });

  it('403 from RBAC names the verb, the resource and the namespace, and is an authorization denial', () => {
    const body = status({
      reason: 'Forbidden',
      code: 403,
      message: 'jobs.batch "j1" is forbidden: User "u" cannot delete resource "jobs" in API group "batch" in the namespace "video"',
    });
    const e = kubeError(peer, answer(403, body, 'DELETE', '/apis/batch/v1/namespaces/video/jobs/j1'));
    expect(e.forbiddenBy).toBe('authorization');
    expect(isAuthorizationDenied(e)).toBe(true);
    expect(e.message).toMatch(
      /^Kubernetes list Job: forbidden: context "dev" may not delete jobs\.batch "j1" in namespace "video": jobs\.batch "j1" is forbidden/,
    );
    // the grant is for the kind in the namespace, not for one object
    expect(e.next).toBe(
      'ask a cluster admin for RBAC permission to delete jobs.batch in namespace "video", or use a context that has it (--context)',
    );
  });

  it('403 on a list (no object name) keeps the namespace in the grant it asks for', () => {
    const body = status({
      reason: 'Forbidden',
      code: 403,
      message: 'jobs.batch is forbidden: User "u" cannot deletecollection resource "jobs" in API group "batch" in the namespace "video"',
    });
    const e = kubeError(peer, answer(403, body, 'DELETE', '/apis/batch/v1/namespaces/video/jobs?labelSelector=a%3Db'));
    expect(e.next).toBe(
      'ask a cluster admin for RBAC permission to deletecollection jobs.batch in namespace "video", or use a context that has it (--context)',
    );
  });

  it('403 from admission is a policy, not a permission; a terminating namespace says to wait', () => {
    const e = kubeError(peer, {
      ...answer(
        403,
        status({ reason: 'Forbidden', message: 'unable to create new content in namespace video because it is being terminated' }),
        'PATCH',
        '/api/v1/namespaces/video/configmaps/x',
      ),
      what: 'ConfigMap video/x',
    });
    expect(e.forbiddenBy).toBe('admission');
    expect(isAuthorizationDenied(e)).toBe(false);
    expect(e.message).toContain('refused to patch ConfigMap video/x (a policy of the cluster, not a missing permission)');
    expect(e.next).toMatch(/namespace is still being deleted/);
  });

  it('403 that is not a Status came from something in front of the API server', () => {
    const e = kubeError(peer, answer(403, '<html>blocked by the gateway</html>'));
    expect(e.forbiddenBy).toBe('not-kubernetes');
    expect(e.message).toContain('came from something between kedactl and the API server https://127.0.0.1:6443');
    expect(
      proxyRefused({ op: 'proxy GET /', path: '/api/v1/namespaces/v/services/a:http/proxy/', body: 'denied', what: 'service v/a' }).message,
    ).toContain('which is not Kubernetes RBAC');
  });

  it('409 FieldManagerConflict becomes a conflict naming each field and its manager', () => {
    const body = status({
      reason: 'Conflict',
      code: 409,
      details: { causes: [{ reason: 'FieldManagerConflict', message: 'conflict with "kubectl-edit" using v1', field: '.data.x' }] },
    });
    const e = kubeError(peer, { ...answer(409, body, 'PATCH'), what: 'ConfigMap v/c' });
    expect(e).toBeInstanceOf(KubeConflictError);
    expect((e as KubeConflictError).conflicts).toEqual([
      { field: '.data.x', manager: 'kubectl-edit', message: 'conflict with "kubectl-edit" using v1' },
    ]);
  });

  it('422 lists the causes by field; anything else keeps the server words and the HTTP status', () => {
    const e = kubeError(peer, {
      ...answer(
        422,
        status({
          reason: 'Invalid',
          message: 'ScaledJob "x" is invalid',
          details: { causes: [{ field: 'spec.maxReplicaCount', message: 'must be >= 0' }] },
        }),
        'PATCH',
      ),
      what: 'ScaledJob v/x',
    });
    expect(e.message).toBe(
      'Kubernetes list Job: the API server rejected ScaledJob v/x: ScaledJob "x" is invalid\n  - spec.maxReplicaCount: must be >= 0',
    );
    expect(kubeError(peer, answer(500, 'etcd down')).message).toBe('Kubernetes list Job: Job list: etcd down (HTTP 500)');
    expect(statusLine(410, status({ message: 'too old resource version' }))).toBe('HTTP 410: too old resource version');
    expect(statusLine(502, '')).toBe('HTTP 502');
  });

  it('names kinds not served, unreachable servers, verbs and the EKS refresh command', () => {
    expect(notServed({ apiVersion: 'keda.sh/v1alpha1', kind: 'ScaledJob' }).next).toMatch(/install KEDA first/);
    expect(unreachable(peer, 'get Namespace', Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' })).message).toBe(
      'Kubernetes get Namespace: cannot reach the API server https://127.0.0.1:6443 (context "dev"): ECONNREFUSED connect ECONNREFUSED',
    );
    expect([
      verbOf('GET', '/api/v1/namespaces/a'),
      verbOf('GET', '/api/v1/namespaces'),
      verbOf('DELETE', '/apis/batch/v1/namespaces/a/jobs'),
      verbOf('PATCH', '/api/v1/namespaces/a'),
    ]).toEqual(['get', 'list', 'deletecollection', 'patch']);
    expect(refreshHint(['eks', 'get-token', '--cluster-name', 'demo', '--region', 'eu-west-1'])).toContain(
      'aws eks update-kubeconfig --name demo --region eu-west-1',
    );
    expect(refreshHint([])).toMatch(/pick another with --context/);
  });

  it('a context without a cluster is a usage error for the REST adapter and the watch streams alike', () => {
    const kc = new KubeConfig();
    kc.loadFromOptions({
      clusters: [],
      users: [{ name: 'u' }],
      contexts: [{ name: 'orphan', cluster: 'gone', user: 'u' }],
      currentContext: 'orphan',
    });
    for (const build of [() => createKube(kc), () => kubeWatchTransport(kc)]) {
      const e = (() => {
        try {
          build();
        } catch (x) {
          return x;
        }
      })();
      expect(e).toBeInstanceOf(UsageError);
      expect((e as UsageError).message).toBe('kube context "orphan" has no cluster');
    }
  });
});
