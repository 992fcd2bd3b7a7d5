// The ways a cluster says no, as the user sees them, and `kedactl results` through the real API server's
// service proxy (to a live backend in a network namespace: the proxy refuses loopback endpoints).
import { mkdtempSync, readFileSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectKube } from '../../src/adapters/kube.ts';
import { KubeApiError, type Kube } from '../../src/core/kube/ports.ts';
import { desiredStack } from '../../src/core/stack/desired.ts';
import { ExternalError } from '../../src/core/errors.ts';
import { applyKube, observeKube, teardownKube } from '../../src/core/kube/stack.ts';
import { recordingProgress } from '../../src/core/progress.ts';
import { runCli } from '../support/run-cli.ts';
import { rig, settings, useKubeRig } from '../support/kube-file-rig.ts';
import { admin, uniqueStack } from '../support/kube-test-rig.ts';
import { FAKE_ANALYZER, NETNS_NEEDS, netnsAvailable, startNetnsBackend, type NetnsBackend } from '../support/netns-backend.ts';

useKubeRig();
const dir = mkdtempSync(join(tmpdir(), 'kube-err-'));

describe('error paths', () => {
  it('unreachable server: says which server and context, and how to check', async () => {
    const kc = join(dir, 'unreachable');
    writeFileSync(kc, readFileSync(rig.kubeconfigPath, 'utf8').replace(/server: .*/, 'server: https://127.0.0.1:1'));
    const kube = connectKube({ kubeconfig: kc, env: {} });
    const err = await observeKube(await desiredStack(settings({ stack: 'x' })), kube).catch((e) => e);
    expect(err).toBeInstanceOf(ExternalError);
    expect(err.message).toMatch(
      /^Kubernetes get Namespace: cannot reach the API server https:\/\/127.0.0.1:1 \(context "rig-admin"\): ECONNREFUSED/,
    );
    expect(err.next).toContain('kubectl --context rig-admin cluster-info');
  });

  it('forbidden: names the verb and the resource', async () => {
    const kube = connectKube({ kubeconfig: rig.restrictedKubeconfigPath, env: {} });
    const err = await observeKube(await desiredStack(settings({ stack: 'forbid' })), kube).catch((e) => e);
    expect(err).toBeInstanceOf(KubeApiError);
    expect(err.status).toBe(403);
    expect(err.message).toMatch(
      /^Kubernetes get Namespace: forbidden: context "rig-restricted" may not get namespaces "forbid" \(cluster-wide\): namespaces "forbid" is forbidden: User "restricted" cannot get resource "namespaces"/,
    );
    expect(err.next).toBe(
      'ask a cluster admin for RBAC permission to get namespaces (cluster-wide), or use a context that has it (--context)',
    );
    const td = await teardownKube('forbid', kube, undefined, recordingProgress()).catch((e) => e);
    expect(td.message).toMatch(/may not list scaledjobs.keda.sh \(cluster-wide\)/);
  });

  it('expired token: 401 with the command that refreshes it', async () => {
    const kube = connectKube({ kubeconfig: rig.expiredKubeconfigPath, env: {} });
    const err = await kube.get({ apiVersion: 'v1', kind: 'Namespace', name: 'default' }).catch((e) => e);
    expect(err).toBeInstanceOf(KubeApiError);
    expect(err.message).toBe(
      `Kubernetes get Namespace: the API server ${rig.server} rejected the credentials of context "rig-expired" (401 Unauthorized: expired or revoked)`,
    );
    expect(err.next).toMatch(/aws eks update-kubeconfig --name <cluster>/);
  });

  it('expired EKS credentials (exec plugin): names the cluster in the refresh command', async () => {
    const plugin = join(dir, 'fake-aws');
    writeFileSync(
      plugin,
      '#!/bin/sh\necho \'{"apiVersion":"client.authentication.k8s.io/v1beta1","kind":"ExecCredential","status":{"token":"k8s-aws-v1.expired"}}\'\n',
    );
    chmodSync(plugin, 0o755);
    const kc = join(dir, 'eks');
    const base = readFileSync(rig.kubeconfigPath, 'utf8').replace(
      /users:[\s\S]*?contexts:/,
      `users:
- name: rig-admin
  user:
    exec:
      apiVersion: client.authentication.k8s.io/v1beta1
      command: ${plugin}
      args: [eks, get-token, --cluster-name, demo, --region, eu-west-1]
contexts:`,
    );
    writeFileSync(kc, base);
    const err = await connectKube({ kubeconfig: kc, env: {} })
      .get({ apiVersion: 'v1', kind: 'Namespace', name: 'default' })
      .catch((e) => e);
    expect(err.status).toBe(401);
    expect(err.next).toBe(
      'refresh them with `aws eks update-kubeconfig --name demo --region eu-west-1` (and check your AWS credentials: `aws sts get-caller-identity`)',
    );
  });

  it('CLI: a context that does not exist exits 2; the namespace setting is checked first', async () => {
    const r = await runCli(['results', '--stack', 'demo', '--kubeconfig', rig.kubeconfigPath, '--context', 'nope']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`error: kube context "nope" not found in ${rig.kubeconfigPath}`);
    expect(r.stderr).toContain('next: pass --context with one of: rig-admin');
    const bad = await runCli(['results', '--stack', 'demo', '--kubeconfig', rig.kubeconfigPath, '-n', 'Not_DNS']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('namespace = "Not_DNS" (from --namespace): must be a DNS-1123 label');
  });

  it('CLI: a kubeconfig that does not parse exits 2', async () => {
    const kc = join(dir, 'garbage');
    writeFileSync(kc, 'clusters: [ {name: \n');
    const r = await runCli(['results', '--stack', 'demo', '--kubeconfig', kc]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`error: kubeconfig ${kc} does not parse`);
  });
});

describe('kedactl results', () => {
  it('the analyzer service does not exist: a clear message, exit 1', async () => {
    const r = await runCli(['results', '--stack', 'nothere', '--kubeconfig', rig.kubeconfigPath]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("error: the result analyzer's service nothere/nothere-result-analyzer does not exist");
    expect(r.stderr).toContain('next: is the stack installed (kedactl init)');
  });

  it('the service exists but nothing answers behind it: not ready', async () => {
    const stack = uniqueStack('res');
    await applyKube(
      await desiredStack(settings({ stack })),
      connectKube({ kubeconfig: rig.kubeconfigPath, env: {} }),
      recordingProgress(),
      { wait: false },
    );
    const r = await runCli(['results', '--stack', stack, '--kubeconfig', rig.kubeconfigPath]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      new RegExp(`error: the result analyzer \\(service ${stack}/${stack}-result-analyzer\\) is not ready: .*no endpoints available`),
    );
  });

  // needs root (ip netns); CI runs as root. Fails loudly elsewhere rather than skipping.
  describe('through the service proxy to a live analyzer (network namespace)', () => {
    let backend: NetnsBackend;
    const stack = uniqueStack('live');
    let kube: Kube;
    beforeAll(async () => {
      if (!netnsAvailable()) throw new Error(NETNS_NEEDS);
      backend = await startNetnsBackend(FAKE_ANALYZER);
      kube = connectKube({ kubeconfig: rig.kubeconfigPath, env: {} });
      await applyKube(await desiredStack(settings({ stack })), kube, recordingProgress(), { wait: false });
      // what the Deployment, the kubelet and the endpoints controller would leave: a running analyzer pod
      // whose IP is the backend's, and the Endpoints pointing at it (the proxy only dials addresses of pods)
      const name = `${stack}-result-analyzer`;
      const pod = await admin(rig, 'POST', `/api/v1/namespaces/${stack}/pods`, {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: `${name}-abc12`, labels: { 'app.kubernetes.io/name': 'result-analyzer', 'kedactl.io/stack': stack } },
        spec: {
          containers: [
            {
              name: 'result-analyzer',
              image: 'ghcr.io/kedify/blog05-result-analyzer-program:latest',
              ports: [{ name: 'http', containerPort: 8080 }],
            },
          ],
        },
      });
      expect(pod.status).toBe(201);
      const st = await admin(
        rig,
        'PATCH',
        `/api/v1/namespaces/${stack}/pods/${name}-abc12/status`,
        { status: { phase: 'Running', podIP: backend.ip, podIPs: [{ ip: backend.ip }] } },
        'application/merge-patch+json',
      );
      expect(st.status).toBe(200);
      const ep = await admin(rig, 'POST', `/api/v1/namespaces/${stack}/endpoints`, {
        apiVersion: 'v1',
        kind: 'Endpoints',
        metadata: { name },
        subsets: [
          {
            addresses: [{ ip: backend.ip, targetRef: { kind: 'Pod', namespace: stack, name: `${name}-abc12` } }],
            ports: [{ name: 'http', port: backend.port, protocol: 'TCP' }],
          },
        ],
      });
      expect(ep.status).toBe(201);
    });
    afterAll(async () => backend?.stop());

    it('reads, counts and resets', async () => {
      for (const p of ['/create/count', '/create/count', '/kill/count', '/create/count'])
        expect(
          (await kube.proxy({ namespace: stack, service: `${stack}-result-analyzer`, port: 'http', path: p, method: 'POST' })).status,
        ).toBe(200);
      const text = await runCli(['results', '--stack', stack, '--kubeconfig', rig.kubeconfigPath]);
      expect(text.stderr).toBe('');
      expect(text.code).toBe(0);
      expect(text.stdout).toMatch(
        new RegExp(
          `^Results of stack "${stack}"\\n  processed +3 \\((first \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d, last|at) .*\\n  killed +1 \\(at \\d{4}-`,
        ),
      );
      const json = JSON.parse((await runCli(['results', '--stack', stack, '--kubeconfig', rig.kubeconfigPath, '-o', 'json'])).stdout);
      expect(json).toMatchObject({
        stack,
        service: `${stack}/${stack}-result-analyzer`,
        processed: { count: 3 },
        killed: { count: 1 },
        unknown: [],
      });
      expect(json.events).toHaveLength(4);
      const reset = await runCli(['results', '--stack', stack, '--kubeconfig', rig.kubeconfigPath, '--reset']);
      expect(reset.stdout).toBe(`result analyzer counts reset (service ${stack}/${stack}-result-analyzer)\n`);
      const after = JSON.parse((await runCli(['results', '--stack', stack, '--kubeconfig', rig.kubeconfigPath, '-o', 'json'])).stdout);
      expect(after.processed).toEqual({ count: 0 });
    });
  });
});
