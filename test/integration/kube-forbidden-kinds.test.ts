// Three ways to get HTTP 403 from a cluster, told apart: RBAC (grant a permission), admission (a policy:
// no permission helps) and a refusal that is not Kubernetes at all, here an egress proxy on the way from
// the API server's service proxy to a pod (`resolve_deny: denied destination`, as when pod IPs are not
// routable from the control plane). A real kube-apiserver started with HTTP_PROXY, which its proxy
// transport honours, pointing at a DENY-ALL FORWARD PROXY (a real HTTP proxy that refuses every
// destination; no real egress proxy can run here).
import { createServer, type Server } from 'node:http';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectKube } from '../../src/adapters/kube.ts';
import { KubeApiError } from '../../src/core/kube/ports.ts';
import { startKubeRig, kubeRequest, type KubeRig } from '../support/kube-rig.ts';
import { runCli } from '../support/run-cli.ts';

let rig: KubeRig;
let proxy: Server;
/** absolute-form request targets the proxy was asked for */
const proxied: string[] = [];
const stack = `fbd-${Math.random().toString(36).slice(2, 7)}`;
const POD_IP = '10.255.0.7';

const admin = (method: string, path: string, body?: unknown, contentType?: string) => kubeRequest(rig, method, path, { body, contentType });

beforeAll(async () => {
  proxy = createServer((req, res) => {
    proxied.push(req.url ?? '');
    res.writeHead(403, { 'Content-Type': 'text/plain' });
    res.end('resolve_deny: denied destination\n');
  });
  await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
  const port = (proxy.address() as AddressInfo).port;
  rig = await startKubeRig({
    apiServerEnv: { HTTP_PROXY: `http://127.0.0.1:${port}`, http_proxy: `http://127.0.0.1:${port}`, NO_PROXY: '', no_proxy: '' },
    log: () => {},
  });

  // what init, the kubelet and the endpoints controller would leave: the analyzer's Service, a running
  // pod with an IP the control plane cannot reach, and Endpoints pointing at it
  const name = `${stack}-result-analyzer`;
  const steps: Array<[string, string, unknown, string?]> = [
    ['POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: stack } }],
    [
      'POST',
      `/api/v1/namespaces/${stack}/services`,
      { apiVersion: 'v1', kind: 'Service', metadata: { name }, spec: { ports: [{ name: 'http', port: 8080 }], selector: { app: name } } },
    ],
    [
      'POST',
      `/api/v1/namespaces/${stack}/pods`,
      {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: `${name}-abc12`, labels: { app: name } },
        spec: { containers: [{ name: 'a', image: 'x', ports: [{ name: 'http', containerPort: 8080 }] }] },
      },
    ],
    [
      'PATCH',
      `/api/v1/namespaces/${stack}/pods/${name}-abc12/status`,
      { status: { phase: 'Running', podIP: POD_IP, podIPs: [{ ip: POD_IP }] } },
      'application/merge-patch+json',
    ],
    [
      'POST',
      `/api/v1/namespaces/${stack}/endpoints`,
      {
        apiVersion: 'v1',
        kind: 'Endpoints',
        metadata: { name },
        subsets: [
          {
            addresses: [{ ip: POD_IP, targetRef: { kind: 'Pod', namespace: stack, name: `${name}-abc12` } }],
            ports: [{ name: 'http', port: 8080 }],
          },
        ],
      },
    ],
  ];
  for (const [method, path, body, type] of steps) {
    const r = await admin(method, path, body, type);
    if (r.status >= 300) throw new Error(`${method} ${path}: ${r.status} ${r.body}`);
  }
}, 600_000);

afterAll(async () => {
  await rig?.stop();
  await new Promise((r) => proxy?.close(r));
});

describe('403 from a cluster, by who said it', () => {
  it('a proxy refusing the pod IP behind the service proxy is named as such, not as missing RBAC', async () => {
    const r = await runCli(['results', '--stack', stack, '--kubeconfig', rig.kubeconfigPath]);
    expect(r.code).toBe(1);
    // the API server really went through the proxy (Go names the request's Host in the proxy request
    // line, which is the API server's own, so the proxy never even sees the pod IP)
    expect(proxied.filter((u) => u.endsWith('/get/count'))).toHaveLength(1);
    expect(r.stderr).toContain(`the API server could not reach service ${stack}/${stack}-result-analyzer through its service proxy`);
    expect(r.stderr).toContain('which is not Kubernetes RBAC (no permission is missing): resolve_deny: denied destination');
    expect(r.stderr).toContain("add the pod network to the API server's NO_PROXY");
    expect(r.stderr).not.toMatch(/RBAC permission|may not/);
  });

  it('RBAC refusing services/proxy is still missing RBAC, naming the verb and resource', async () => {
    const r = await runCli(['results', '--stack', stack, '--kubeconfig', rig.restrictedKubeconfigPath]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      `forbidden: context "rig-restricted" may not get services/proxy "${stack}-result-analyzer:http" in namespace "${stack}"`,
    );
    expect(r.stderr).toContain('next: ask a cluster admin for RBAC permission to get services/proxy in namespace');
  });

  it('admission refusing (a namespace being deleted) says no permission would help, and what to wait for', async () => {
    const ns = `${stack}-gone`;
    expect((await admin('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } })).status).toBe(201);
    // no namespace controller runs in the rig: the namespace stays Terminating
    expect((await admin('DELETE', `/api/v1/namespaces/${ns}`)).status).toBe(200);
    const kube = connectKube({ kubeconfig: rig.kubeconfigPath, env: {} });
    const err = await kube
      .apply({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', namespace: ns }, data: { a: 'b' } })
      .catch((e) => e);
    expect(err).toBeInstanceOf(KubeApiError);
    expect(err.status).toBe(403);
    expect(err.forbiddenBy).toBe('admission');
    expect(err.message).toContain(`the API server refused to patch ConfigMap ${ns}/c (a policy of the cluster, not a missing permission)`);
    expect(err.message).toContain('because it is being terminated');
    expect(err.next).toContain('the namespace is still being deleted');
  });

  it('a 403 from a gateway in front of the API server is not called RBAC either', async () => {
    const kc = join(mkdtempSync(join(tmpdir(), 'fbd-')), 'gateway');
    writeFileSync(
      kc,
      readFileSync(rig.kubeconfigPath, 'utf8')
        .replace(/server: .*/, `server: http://127.0.0.1:${(proxy.address() as AddressInfo).port}`)
        .replace(/certificate-authority-data: .*/, 'insecure-skip-tls-verify: true'),
    );
    const err = await connectKube({ kubeconfig: kc, env: {} })
      .get({ apiVersion: 'v1', kind: 'Namespace', name: stack })
      .catch((e) => e);
    expect(err).toBeInstanceOf(KubeApiError);
    expect(err.forbiddenBy).toBe('not-kubernetes');
    expect(err.message).toMatch(
      /^Kubernetes get Namespace: HTTP 403 to get namespaces ".*" \(cluster-wide\) came from something between kedactl and the API server http:\/\/127\.0\.0\.1:\d+, not from Kubernetes \(no permission is missing\): resolve_deny: denied destination$/,
    );
    expect(err.next).toContain('kubectl --context rig-admin get --raw /version');
  });
});
