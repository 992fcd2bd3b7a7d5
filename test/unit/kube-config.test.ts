// Loading the kubeconfig: every way it can be wrong says what to do.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { forbiddenResource, loadKubeConfig } from '../../src/adapters/kube.ts';
import { UsageError } from '../../src/core/errors.ts';

const dir = mkdtempSync(join(tmpdir(), 'kc-'));
const good = join(dir, 'good');
writeFileSync(
  good,
  `apiVersion: v1
kind: Config
clusters:
- name: c1
  cluster: { server: "https://127.0.0.1:6443" }
users:
- name: u1
  user:
    exec:
      apiVersion: client.authentication.k8s.io/v1beta1
      command: aws
      args: [eks, get-token, --cluster-name, demo, --region, eu-west-1]
contexts:
- name: one
  context: { cluster: c1, user: u1 }
- name: two
  context: { cluster: c1, user: u1 }
current-context: one
`,
);

describe('loadKubeConfig', () => {
  it('uses the current context, or --context', () => {
    expect(loadKubeConfig({ kubeconfig: good, env: {} }).getCurrentContext()).toBe('one');
    expect(loadKubeConfig({ kubeconfig: good, context: 'two', env: {} }).getCurrentContext()).toBe('two');
    expect(loadKubeConfig({ env: { KUBECONFIG: `/nope:${good}` } }).getCurrentContext()).toBe('one');
  });

  it('a context that does not exist: exit 2, naming the ones that do', () => {
    const e = (() => {
      try {
        loadKubeConfig({ kubeconfig: good, context: 'three', env: {} });
      } catch (x) {
        return x as UsageError;
      }
    })()!;
    expect(e).toBeInstanceOf(UsageError);
    expect(e.exitCode).toBe(2);
    expect(e.message).toBe(`kube context "three" not found in ${good}`);
    expect(e.next).toBe('pass --context with one of: one, two');
  });

  it('no kubeconfig at all', () => {
    const f = () => loadKubeConfig({ env: { HOME: dir } });
    expect(f).toThrow(UsageError);
    expect(f).toThrow(/no kubeconfig: .*\.kube\/config does not exist \(from the default location\)/);
  });

  it('a kubeconfig that does not parse', () => {
    const bad = join(dir, 'bad');
    writeFileSync(bad, 'clusters: [\n  - {name: x\n');
    expect(() => loadKubeConfig({ kubeconfig: bad, env: {} })).toThrow(/kubeconfig .*bad does not parse/);
  });
});

describe('forbiddenResource', () => {
  it('names the resource, group and namespace', () => {
    expect(forbiddenResource('/apis/batch/v1/namespaces/demo/jobs?labelSelector=x')).toBe('jobs.batch in namespace "demo"');
    expect(forbiddenResource('/api/v1/namespaces/demo')).toBe('namespaces "demo" (cluster-wide)');
    expect(forbiddenResource('/apis/keda.sh/v1alpha1/namespaces/d/scaledjobs/x')).toBe('scaledjobs.keda.sh "x" in namespace "d"');
    expect(forbiddenResource('/api/v1/namespaces/d/services/a:http/proxy/get/count')).toBe('services/proxy "a:http" in namespace "d"');
  });
});

describe('verbOf', () => {
  it('tells get from list and delete from deletecollection', async () => {
    const { verbOf } = await import('../../src/adapters/kube.ts');
    expect(verbOf('GET', '/apis/batch/v1/namespaces/d/jobs?labelSelector=a')).toBe('list');
    expect(verbOf('GET', '/apis/batch/v1/jobs')).toBe('list');
    expect(verbOf('GET', '/apis/batch/v1/namespaces/d/jobs/x')).toBe('get');
    expect(verbOf('GET', '/api/v1/namespaces/d')).toBe('get');
    expect(verbOf('GET', '/api/v1/namespaces')).toBe('list');
    expect(verbOf('DELETE', '/api/v1/namespaces/d/pods?labelSelector=a')).toBe('deletecollection');
    expect(verbOf('DELETE', '/api/v1/namespaces/d/pods/p')).toBe('delete');
    expect(verbOf('PATCH', '/api/v1/namespaces/d/pods/p')).toBe('patch');
  });
});
