// kedactl doctor on a real stack: made by `kedactl init` in irsa mode against moto (an EKS cluster, its
// OIDC provider, the roles) and a real kube-apiserver, then broken one thing at a time; doctor must
// name that cause, with its fix, and nothing else. helm is a STATEFUL RECORDING STUB; what the chart,
// the EKS pod identity webhook, KEDA and the kubelet would leave in the cluster is written by the test.
// KEDA's identity lives in one namespace per cluster, so this file has a cluster of its own.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DeleteOpenIDConnectProviderCommand, IAMClient, UpdateAssumeRolePolicyCommand } from '@aws-sdk/client-iam';
import { SetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { startKubeRig, kubeRequest, type KubeRig } from '../support/kube-rig.ts';
import { kedaCrdsDir } from '../support/kube-test-rig.ts';
import { motoCliEnv, REGION } from '../support/aws.ts';
import { MOTO_ACCOUNT, MOTO_ENV, uniqueStack } from '../support/moto.ts';
import { createEksCluster } from '../support/stack-state.ts';
import { liveAnalyzer, scaledJobReady } from '../support/controllers.ts';
import type { NetnsBackend } from '../support/netns-backend.ts';
import { runCli } from '../support/run-cli.ts';
import { DEFAULT_KEDA_VERSION } from '../../src/core/keda-versions.ts';

const STUB = fileURLToPath(new URL('../fixtures/helm-stateful-stub', import.meta.url));
const stack = uniqueStack('doc');
const cluster = `eks-${stack}`;
const operatorRole = `arn:aws:iam::${MOTO_ACCOUNT}:role/kedactl-${stack}-keda-operator`;
let rig: KubeRig;
let backend: NetnsBackend | undefined;
let env: NodeJS.ProcessEnv;
let cwd: string;
let host: string;

const base = () => ({ region: REGION, endpoint: env.AWS_ENDPOINT_URL, credentials: { accessKeyId: MOTO_ENV.AWS_ACCESS_KEY_ID, secretAccessKey: MOTO_ENV.AWS_SECRET_ACCESS_KEY } });
const admin = async (method: string, path: string, body?: unknown, contentType?: string) => {
  const r = await kubeRequest(rig, method, path, { body, contentType: contentType ?? (method === 'PATCH' ? 'application/merge-patch+json' : undefined) });
  if (r.status >= 300 && !(method === 'POST' && r.status === 409)) throw new Error(`${method} ${path}: ${r.status} ${r.body}`);
  return r;
};
const sjPath = () => `/apis/keda.sh/v1alpha1/namespaces/${stack}/scaledjobs/${stack}-processor`;
const taPath = () => `/apis/keda.sh/v1alpha1/namespaces/${stack}/triggerauthentications/${stack}-aws`;

/** What the KEDA chart (irsa values) and EKS's pod identity webhook leave: the annotated service account and an operator pod with the role in its env. */
async function kedaWithIrsa(roleArn: string): Promise<void> {
  await admin('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'keda' } });
  await admin('POST', '/api/v1/namespaces/keda/serviceaccounts', { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'keda-operator', annotations: { 'eks.amazonaws.com/role-arn': roleArn } } });
  const labels = { app: 'keda-operator', 'app.kubernetes.io/version': DEFAULT_KEDA_VERSION };
  const container = { name: 'keda-operator', image: `ghcr.io/kedacore/keda:${DEFAULT_KEDA_VERSION}` };
  await admin('POST', '/apis/apps/v1/namespaces/keda/deployments', {
    apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'keda-operator', labels },
    spec: { replicas: 1, selector: { matchLabels: { app: 'keda-operator' } }, template: { metadata: { labels }, spec: { serviceAccountName: 'keda-operator', containers: [container] } } },
  });
  const dep = (await admin('GET', '/apis/apps/v1/namespaces/keda/deployments/keda-operator')).json();
  await admin('PATCH', '/apis/apps/v1/namespaces/keda/deployments/keda-operator/status', { status: { observedGeneration: dep.metadata.generation, replicas: 1, updatedReplicas: 1, readyReplicas: 1, availableReplicas: 1, conditions: [{ type: 'Available', status: 'True', reason: 'MinimumReplicasAvailable' }] } });
  await admin('POST', '/api/v1/namespaces/keda/pods', {
    apiVersion: 'v1', kind: 'Pod', metadata: { name: 'keda-operator-7d9f-abcde', labels },
    spec: { serviceAccountName: 'keda-operator', containers: [{ ...container, env: [{ name: 'AWS_ROLE_ARN', value: roleArn }, { name: 'AWS_WEB_IDENTITY_TOKEN_FILE', value: '/var/run/secrets/eks.amazonaws.com/serviceaccount/token' }] }] },
  });
}

beforeAll(async () => {
  rig = await startKubeRig({ crdsDir: kedaCrdsDir(), log: () => {} });
  env = motoCliEnv({ KUBECONFIG: rig.kubeconfigPath, PATH: `${STUB}:${process.env.PATH}`, HELM_STUB_STATE: mkdtempSync(join(tmpdir(), 'doc-helm-')) });
  cwd = mkdtempSync(join(tmpdir(), 'doc-'));
  host = (await createEksCluster(cluster)).replace('https://', '');
  const r = await runCli(['init', '--stack', stack, '--cluster', cluster, '--create-oidc-provider', '--no-wait', '--yes'], { env, cwd });
  if (r.code !== 0) throw new Error(r.stderr);
  await kedaWithIrsa(operatorRole);
  await scaledJobReady(rig, stack);
  backend = await liveAnalyzer(rig, stack);
}, 600_000);
afterAll(async () => {
  await backend?.stop();
  await rig?.stop();
});

/** doctor as the user runs it in the stack's folder (settings from kedactl.yaml); the failing and warning findings */
async function doctor(extra: string[] = []) {
  const r = await runCli(['doctor', '-o', 'json', ...extra], { env, cwd });
  const report = JSON.parse(r.stdout);
  const problems = report.findings.filter((f: any) => f.verdict === 'fail' || f.verdict === 'warn');
  return { ...r, report, problems };
}

/** the text report, as the user reads it */
async function doctorText(extra: string[] = []): Promise<string> {
  return (await runCli(['doctor', ...extra], { env, cwd })).stdout;
}

describe('kedactl doctor', () => {
  it('a healthy stack: exit 0, no warning, no failure', async () => {
    const r = await doctor();
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.problems).toEqual([]);
    expect(r.report).toMatchObject({ healthy: true, stack, scaledJob: `${stack}-processor`, namespace: stack, counts: { fail: 0, warn: 0 } });
    // every check had something to judge: only the Jobs' failed-pod log has nothing to read
    expect(r.report.findings.filter((f: any) => f.verdict === 'skipped')).toEqual([]);
    expect([...new Set(r.report.findings.map((f: any) => f.check))]).toEqual(expect.arrayContaining([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14]));
    const text = await doctorText();
    expect(text).toContain('0 failed, 0 warnings');
  });

  it("a consumer role whose trust names another service account: check 3, with the statement to put", async () => {
    const iam = new IAMClient(base());
    const wrong = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Federated: `arn:aws:iam::${MOTO_ACCOUNT}:oidc-provider/${host}` }, Action: 'sts:AssumeRoleWithWebIdentity', Condition: { StringEquals: { [`${host}:sub`]: `system:serviceaccount:${stack}:default`, [`${host}:aud`]: 'sts.amazonaws.com' } } }] };
    await iam.send(new UpdateAssumeRolePolicyCommand({ RoleName: `kedactl-${stack}-consumer`, PolicyDocument: JSON.stringify(wrong) }));
    const r = await doctor();
    expect(r.code).toBe(1);
    expect(r.problems.map((f: any) => `${f.check} ${f.verdict}`)).toEqual(['3 fail']);
    expect(r.problems[0].summary).toBe(`trust policy of kedactl-${stack}-consumer (the Jobs) does not let system:serviceaccount:${stack}:${stack}-consumer assume it: ${host}:sub is "system:serviceaccount:${stack}:default", not "system:serviceaccount:${stack}:${stack}-consumer"`);
    expect(r.problems[0].fix).toContain(`"${host}:sub": "system:serviceaccount:${stack}:${stack}-consumer"`);
    expect(r.stderr).toContain('error: doctor found 1 failing check');
    expect(await doctorText()).toContain('✗ fail [3] trust policy of');
    // the fix it names works
    const fixed = await runCli(['init', '--no-wait', '--yes'], { env, cwd });
    expect(fixed.code, fixed.stderr).toBe(0);
    expect((await doctor()).problems).toEqual([]);
  });

  it('the deprecated aws-eks provider: check 1 alone (the checks that depend on it wait)', async () => {
    await admin('PATCH', taPath(), { spec: { podIdentity: { provider: 'aws-eks', roleArn: null } } });
    const r = await doctor();
    expect(r.code).toBe(1);
    expect(r.problems.map((f: any) => `${f.check} ${f.verdict}`)).toEqual(['1 fail']);
    expect(r.problems[0].summary).toContain(`TriggerAuthentication ${stack}/${stack}-aws uses podIdentity provider aws-eks, deprecated`);
    expect(r.problems[0].fix).toContain(`provider: aws\n    roleArn: arn:aws:iam::<account>:role/kedactl-${stack}-scaler`);
    await admin('PATCH', taPath(), { spec: { podIdentity: { provider: 'aws', roleArn: `arn:aws:iam::${MOTO_ACCOUNT}:role/kedactl-${stack}-scaler` } } });
    expect((await doctor()).problems).toEqual([]);
  });

  it("awsRegion other than the queue's region: check 7, naming where the queue is", async () => {
    await admin('PATCH', sjPath(), [{ op: 'replace', path: '/spec/triggers/0/metadata/awsRegion', value: 'eu-west-1' }], 'application/json-patch+json');
    const r = await doctor();
    expect(r.code).toBe(1);
    expect(r.problems.map((f: any) => `${f.check} ${f.verdict}`)).toEqual(['7 fail']);
    expect(r.problems[0].summary).toBe("the queue is not in eu-west-1 (the trigger's awsRegion, where KEDA asks) but in us-east-1");
    expect(r.problems[0].fix).toContain('set triggers[0].metadata.awsRegion: us-east-1');
    await admin('PATCH', sjPath(), [{ op: 'replace', path: '/spec/triggers/0/metadata/awsRegion', value: REGION }], 'application/json-patch+json');
  });

  it("the cluster's OIDC provider missing: check 2", async () => {
    await new IAMClient(base()).send(new DeleteOpenIDConnectProviderCommand({ OpenIDConnectProviderArn: `arn:aws:iam::${MOTO_ACCOUNT}:oidc-provider/${host}` }));
    const r = await doctor();
    expect(r.code).toBe(1);
    expect(r.problems.map((f: any) => `${f.check} ${f.verdict}`)).toEqual(['2 fail']);
    expect(r.problems[0].fix).toContain('kedactl init --create-oidc-provider');
    const fixed = await runCli(['init', '--create-oidc-provider', '--no-wait', '--yes'], { env, cwd });
    expect(fixed.code, fixed.stderr).toBe(0);
    expect((await doctor()).problems).toEqual([]);
  });

  it('a visibility timeout shorter than the processing time: check 8', async () => {
    const sqs = new SQSClient({ ...base(), useQueueUrlAsEndpoint: false });
    const url = `${env.AWS_ENDPOINT_URL}/${MOTO_ACCOUNT}/${stack}-queue`;
    await sqs.send(new SetQueueAttributesCommand({ QueueUrl: url, Attributes: { VisibilityTimeout: '20' } }));
    const r = await doctor();
    expect(r.code).toBe(1);
    expect(r.problems.map((f: any) => `${f.check} ${f.verdict}`)).toEqual(['8 fail']);
    expect(r.problems[0].summary).toContain("the queue's VisibilityTimeout (20s) is not longer than the processing time (30s)");
    expect(r.problems[0].fix).toContain('kedactl init --visibility-timeout 90');
    await sqs.send(new SetQueueAttributesCommand({ QueueUrl: url, Attributes: { VisibilityTimeout: '90' } }));
  });

  it('strategy accurate with scaleOnInFlight: check 9 warns, exit 0', async () => {
    await admin('PATCH', sjPath(), { spec: { scalingStrategy: { strategy: 'accurate' } } });
    const r = await doctor();
    expect(r.code).toBe(0);
    expect(r.problems.map((f: any) => `${f.check} ${f.verdict}`)).toEqual(['9 warn']);
    expect(r.problems[0].fix).toBe('kedactl init --strategy default');
    await admin('PATCH', sjPath(), { spec: { scalingStrategy: null } });
  });

  it('a read RBAC refuses is skipped, naming the permission, not failed', async () => {
    // the rig's "restricted" user may read everything doctor reads except service accounts outside the stack's namespace
    const rules = [
      { apiGroups: [''], resources: ['namespaces', 'configmaps', 'pods', 'pods/log', 'events', 'services', 'services/proxy', 'endpoints'], verbs: ['get', 'list'] },
      { apiGroups: ['apps'], resources: ['deployments'], verbs: ['get', 'list'] },
      { apiGroups: ['batch'], resources: ['jobs'], verbs: ['get', 'list'] },
      { apiGroups: ['keda.sh'], resources: ['*'], verbs: ['get', 'list'] },
      { apiGroups: ['apiextensions.k8s.io'], resources: ['customresourcedefinitions'], verbs: ['get', 'list'] },
    ];
    await admin('POST', '/apis/rbac.authorization.k8s.io/v1/clusterroles', { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name: `${stack}-doctor` }, rules });
    await admin('POST', '/apis/rbac.authorization.k8s.io/v1/clusterrolebindings', { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRoleBinding', metadata: { name: `${stack}-doctor` }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: `${stack}-doctor` }, subjects: [{ kind: 'User', name: 'restricted', apiGroup: 'rbac.authorization.k8s.io' }] });
    await admin('POST', `/apis/rbac.authorization.k8s.io/v1/namespaces/${stack}/roles`, { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: { name: 'sa-read' }, rules: [{ apiGroups: [''], resources: ['serviceaccounts'], verbs: ['get'] }] });
    await admin('POST', `/apis/rbac.authorization.k8s.io/v1/namespaces/${stack}/rolebindings`, { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', metadata: { name: 'sa-read' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'sa-read' }, subjects: [{ kind: 'User', name: 'restricted', apiGroup: 'rbac.authorization.k8s.io' }] });
    const r = await doctor(['--kubeconfig', rig.restrictedKubeconfigPath]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.problems).toEqual([]);
    expect(r.report.findings.find((f: any) => f.check === 4)).toMatchObject({ verdict: 'skipped', summary: 'forbidden (needs get serviceaccounts in namespace keda) to read service account keda/keda-operator' });
    expect(await doctorText(['--kubeconfig', rig.restrictedKubeconfigPath])).toContain('- skip [4] forbidden (needs get serviceaccounts in namespace keda)');
  });

  it('status points to doctor when unhealthy; bad usage exits 2', async () => {
    await admin('PATCH', sjPath(), { spec: { maxReplicaCount: 3 } });
    const s = await runCli(['status'], { env, cwd });
    expect(s.code).toBe(1);
    expect(s.stderr).toContain('next: kedactl doctor says why, with the evidence and the fix');
    await admin('PATCH', sjPath(), { spec: { maxReplicaCount: 100 } });
    const bad = await runCli(['doctor', '--scaled-job', 'Not_A_Name', '-n', stack], { env, cwd });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--scaled-job = "Not_A_Name": must be a Kubernetes object name');
  });

  it('--scaled-job without -n takes the namespace from the settings (kedactl.yaml here, KEDACTL_NAMESPACE elsewhere)', async () => {
    const here = await runCli(['doctor', '--scaled-job', `${stack}-processor`, '-o', 'json'], { env, cwd });
    expect(here.code, here.stderr).toBe(0);
    expect(JSON.parse(here.stdout)).toMatchObject({ namespace: stack, scaledJob: `${stack}-processor`, healthy: true });
    const empty = mkdtempSync(join(tmpdir(), 'doc-ns-'));
    const byEnv = await runCli(['doctor', '--scaled-job', `${stack}-processor`, '--cluster', cluster, '-o', 'json'], { env: { ...env, KEDACTL_NAMESPACE: stack }, cwd: empty });
    expect(byEnv.code, byEnv.stderr).toBe(0);
    expect(JSON.parse(byEnv.stdout)).toMatchObject({ namespace: stack, healthy: true });
    // no settings at all: the default namespace (the default stack's), where this ScaledJob is not
    const none = await runCli(['doctor', '--scaled-job', `${stack}-processor`, '--cluster', cluster, '-o', 'json'], { env, cwd: empty });
    expect(none.code).toBe(1);
    expect(JSON.parse(none.stdout).findings.find((f: any) => f.check === 11).summary).toMatch(/^ScaledJob \S+\/[^ ]+-processor does not exist/);
  });

  it('--scaled-job NAME -n NS works on any ScaledJob, without the stack\'s settings', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'doc-any-'));
    const r = await runCli(['doctor', '--scaled-job', `${stack}-processor`, '-n', stack, '--cluster', cluster, '-o', 'json'], { env, cwd: empty });
    const report = JSON.parse(r.stdout);
    expect(r.code, r.stderr).toBe(0);
    expect(report.stack).toBeUndefined();
    expect(report.findings.filter((f: any) => f.verdict === 'fail' || f.verdict === 'warn')).toEqual([]);
    // without the stack, no analyzer check; the trust, chain and permission checks still run from what the cluster names
    expect(report.findings.filter((f: any) => f.verdict === 'ok').map((f: any) => f.check)).toEqual(expect.arrayContaining([1, 2, 3, 4, 5, 6, 7, 8]));
  });
});
