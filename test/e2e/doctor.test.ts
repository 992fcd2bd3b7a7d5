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
import {
  DeleteOpenIDConnectProviderCommand,
  GetRolePolicyCommand,
  IAMClient,
  ListRolePoliciesCommand,
  PutRolePolicyCommand,
  UpdateAssumeRolePolicyCommand,
} from '@aws-sdk/client-iam';
import { PurgeQueueCommand, SendMessageBatchCommand, SetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { startKubeRig, kubeRequest, type KubeRig } from '../support/kube-rig.ts';
import { kedaCrdsDir } from '../support/kube-test-rig.ts';
import { motoCliEnv, REGION } from '../support/aws.ts';
import { MOTO_ACCOUNT, MOTO_ENV, uniqueStack } from '../support/moto.ts';
import { createEksCluster } from '../support/stack-state.ts';
import { liveAnalyzer, scaledJobReady } from '../support/controllers.ts';
import type { NetnsBackend } from '../support/netns-backend.ts';
import { runCli } from '../support/run-cli.ts';
import { DEFAULT_KEDA_VERSION } from '../../src/core/keda/versions.ts';

const STUB = fileURLToPath(new URL('../fixtures/helm-stateful-stub', import.meta.url));
const stack = uniqueStack('doc');
const cluster = `eks-${stack}`;
const operatorRole = `arn:aws:iam::${MOTO_ACCOUNT}:role/kedactl-${stack}-keda-operator`;
let rig: KubeRig;
let backend: NetnsBackend | undefined;
let env: NodeJS.ProcessEnv;
let cwd: string;
let host: string;

const base = () => ({
  region: REGION,
  endpoint: env.AWS_ENDPOINT_URL,
  credentials: { accessKeyId: MOTO_ENV.AWS_ACCESS_KEY_ID, secretAccessKey: MOTO_ENV.AWS_SECRET_ACCESS_KEY },
});
const admin = async (method: string, path: string, body?: unknown, contentType?: string) => {
  const r = await kubeRequest(rig, method, path, {
    body,
    contentType: contentType ?? (method === 'PATCH' ? 'application/merge-patch+json' : undefined),
  });
  if (r.status >= 300 && !(method === 'POST' && r.status === 409)) throw new Error(`${method} ${path}: ${r.status} ${r.body}`);
  return r;
};
const sjPath = () => `/apis/keda.sh/v1alpha1/namespaces/${stack}/scaledjobs/${stack}-processor`;
const taPath = () => `/apis/keda.sh/v1alpha1/namespaces/${stack}/triggerauthentications/${stack}-aws`;

/** What the KEDA chart (irsa values) and EKS's pod identity webhook leave: the annotated service account and an operator pod with the role in its env. */
async function kedaWithIrsa(roleArn: string): Promise<void> {
  await admin('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'keda' } });
  await admin('POST', '/api/v1/namespaces/keda/serviceaccounts', {
    apiVersion: 'v1',
    kind: 'ServiceAccount',
    metadata: { name: 'keda-operator', annotations: { 'eks.amazonaws.com/role-arn': roleArn } },
  });
  const labels = { app: 'keda-operator', 'app.kubernetes.io/version': DEFAULT_KEDA_VERSION };
  const container = { name: 'keda-operator', image: `ghcr.io/kedacore/keda:${DEFAULT_KEDA_VERSION}` };
  await admin('POST', '/apis/apps/v1/namespaces/keda/deployments', {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'keda-operator', labels },
    spec: {
      replicas: 1,
      selector: { matchLabels: { app: 'keda-operator' } },
      template: { metadata: { labels }, spec: { serviceAccountName: 'keda-operator', containers: [container] } },
    },
  });
  const dep = (await admin('GET', '/apis/apps/v1/namespaces/keda/deployments/keda-operator')).json();
  await admin('PATCH', '/apis/apps/v1/namespaces/keda/deployments/keda-operator/status', {
    status: {
      observedGeneration: dep.metadata.generation,
      replicas: 1,
      updatedReplicas: 1,
      readyReplicas: 1,
      availableReplicas: 1,
      conditions: [{ type: 'Available', status: 'True', reason: 'MinimumReplicasAvailable' }],
    },
  });
  await admin('POST', '/api/v1/namespaces/keda/pods', {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'keda-operator-7d9f-abcde', labels },
    spec: {
      serviceAccountName: 'keda-operator',
      containers: [
        {
          ...container,
          env: [
            { name: 'AWS_ROLE_ARN', value: roleArn },
            { name: 'AWS_WEB_IDENTITY_TOKEN_FILE', value: '/var/run/secrets/eks.amazonaws.com/serviceaccount/token' },
          ],
        },
      ],
    },
  });
}

beforeAll(async () => {
  rig = await startKubeRig({ crdsDir: kedaCrdsDir(), log: () => {} });
  env = motoCliEnv({
    KUBECONFIG: rig.kubeconfigPath,
    PATH: `${STUB}:${process.env.PATH}`,
    HELM_STUB_STATE: mkdtempSync(join(tmpdir(), 'doc-helm-')),
  });
  cwd = mkdtempSync(join(tmpdir(), 'doc-'));
  host = (await createEksCluster(cluster)).replace('https://', '');
  const r = await runCli(['init', '--stack', stack, '--cluster', cluster, '--create-oidc-provider', '--no-wait', '--yes'], { env, cwd });
  if (r.code !== 0) throw new Error(r.stderr);
  await kedaWithIrsa(operatorRole);
  // the cluster's one Node, as its kubelet reports it (no kubelet runs here: nothing is scheduled on it)
  await admin('POST', '/api/v1/nodes', { apiVersion: 'v1', kind: 'Node', metadata: { name: `${stack}-node` } });
  await admin('PATCH', `/api/v1/nodes/${stack}-node/status`, {
    status: {
      allocatable: { cpu: '8', memory: '32Gi', pods: '110' },
      capacity: { cpu: '8', memory: '32Gi', pods: '110' },
      conditions: [
        {
          type: 'Ready',
          status: 'True',
          reason: 'KubeletReady',
          message: 'stand-in',
          lastHeartbeatTime: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
          lastTransitionTime: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
        },
      ],
    },
  });
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
    expect(r.report).toMatchObject({
      healthy: true,
      stack,
      scaledJob: `${stack}-processor`,
      namespace: stack,
      counts: { fail: 0, warn: 0 },
    });
    // every check had something to judge (only the Jobs' failed-pod log has nothing to read), but the metrics
    // APIService, which a ScaledJob does not use
    expect(r.report.findings.filter((f: any) => f.verdict === 'skipped').map((f: any) => f.id)).toEqual(['metrics-api']);
    expect([...new Set(r.report.findings.map((f: any) => f.check))]).toEqual(
      expect.arrayContaining([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14]),
    );
    // the sub-checks with something to read here judged it: retention, the Nodes, the history, the operator's log
    expect(r.report.findings.map((f: any) => f.id)).toEqual(expect.arrayContaining(['retention', 'capacity', 'history']));
    expect(r.report.findings.find((f: any) => f.summary.startsWith("KEDA's operator logged no lasting error"))).toMatchObject({
      check: 11,
      verdict: 'ok',
    });
    const text = await doctorText();
    expect(text).toContain('0 failed, 0 warnings');
  });

  it('a consumer role whose trust names another service account: check 3, with the statement to put', async () => {
    const iam = new IAMClient(base());
    const wrong = {
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Principal: { Federated: `arn:aws:iam::${MOTO_ACCOUNT}:oidc-provider/${host}` },
          Action: 'sts:AssumeRoleWithWebIdentity',
          Condition: { StringEquals: { [`${host}:sub`]: `system:serviceaccount:${stack}:default`, [`${host}:aud`]: 'sts.amazonaws.com' } },
        },
      ],
    };
    await iam.send(new UpdateAssumeRolePolicyCommand({ RoleName: `kedactl-${stack}-consumer`, PolicyDocument: JSON.stringify(wrong) }));
    const r = await doctor();
    expect(r.code).toBe(1);
    expect(r.problems.map((f: any) => `${f.check} ${f.verdict}`)).toEqual(['3 fail']);
    expect(r.problems[0].summary).toBe(
      `trust policy of kedactl-${stack}-consumer (the Jobs) does not let system:serviceaccount:${stack}:${stack}-consumer assume it: ${host}:sub is "system:serviceaccount:${stack}:default", not "system:serviceaccount:${stack}:${stack}-consumer"`,
    );
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
    await admin('PATCH', taPath(), {
      spec: { podIdentity: { provider: 'aws', roleArn: `arn:aws:iam::${MOTO_ACCOUNT}:role/kedactl-${stack}-scaler` } },
    });
    expect((await doctor()).problems).toEqual([]);
  });

  it("awsRegion other than the queue's region: check 7, naming where the queue is", async () => {
    await admin(
      'PATCH',
      sjPath(),
      [{ op: 'replace', path: '/spec/triggers/0/metadata/awsRegion', value: 'eu-west-1' }],
      'application/json-patch+json',
    );
    const r = await doctor();
    expect(r.code).toBe(1);
    expect(r.problems.map((f: any) => `${f.check} ${f.verdict}`)).toEqual(['7 fail']);
    expect(r.problems[0].summary).toBe("the queue is not in eu-west-1 (the trigger's awsRegion, where KEDA asks) but in us-east-1");
    expect(r.problems[0].fix).toContain('set triggers[0].metadata.awsRegion: us-east-1');
    await admin(
      'PATCH',
      sjPath(),
      [{ op: 'replace', path: '/spec/triggers/0/metadata/awsRegion', value: REGION }],
      'application/json-patch+json',
    );
  });

  it("the cluster's OIDC provider missing: check 2", async () => {
    await new IAMClient(base()).send(
      new DeleteOpenIDConnectProviderCommand({ OpenIDConnectProviderArn: `arn:aws:iam::${MOTO_ACCOUNT}:oidc-provider/${host}` }),
    );
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
      {
        apiGroups: [''],
        resources: ['namespaces', 'configmaps', 'pods', 'pods/log', 'events', 'services', 'services/proxy', 'endpoints'],
        verbs: ['get', 'list'],
      },
      { apiGroups: ['apps'], resources: ['deployments'], verbs: ['get', 'list'] },
      { apiGroups: ['batch'], resources: ['jobs'], verbs: ['get', 'list'] },
      { apiGroups: ['keda.sh'], resources: ['*'], verbs: ['get', 'list'] },
      { apiGroups: ['apiextensions.k8s.io'], resources: ['customresourcedefinitions'], verbs: ['get', 'list'] },
    ];
    await admin('POST', '/apis/rbac.authorization.k8s.io/v1/clusterroles', {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name: `${stack}-doctor` },
      rules,
    });
    await admin('POST', '/apis/rbac.authorization.k8s.io/v1/clusterrolebindings', {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: { name: `${stack}-doctor` },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: `${stack}-doctor` },
      subjects: [{ kind: 'User', name: 'restricted', apiGroup: 'rbac.authorization.k8s.io' }],
    });
    await admin('POST', `/apis/rbac.authorization.k8s.io/v1/namespaces/${stack}/roles`, {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'Role',
      metadata: { name: 'sa-read' },
      rules: [{ apiGroups: [''], resources: ['serviceaccounts'], verbs: ['get'] }],
    });
    await admin('POST', `/apis/rbac.authorization.k8s.io/v1/namespaces/${stack}/rolebindings`, {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: { name: 'sa-read' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'sa-read' },
      subjects: [{ kind: 'User', name: 'restricted', apiGroup: 'rbac.authorization.k8s.io' }],
    });
    const r = await doctor(['--kubeconfig', rig.restrictedKubeconfigPath]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.problems).toEqual([]);
    expect(r.report.findings.find((f: any) => f.check === 4)).toMatchObject({
      verdict: 'skipped',
      summary: 'forbidden (needs get serviceaccounts in namespace keda) to read service account keda/keda-operator',
    });
    expect(await doctorText(['--kubeconfig', rig.restrictedKubeconfigPath])).toContain(
      '- skip [4] forbidden (needs get serviceaccounts in namespace keda)',
    );
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
    const byEnv = await runCli(['doctor', '--scaled-job', `${stack}-processor`, '--cluster', cluster, '-o', 'json'], {
      env: { ...env, KEDACTL_NAMESPACE: stack },
      cwd: empty,
    });
    expect(byEnv.code, byEnv.stderr).toBe(0);
    expect(JSON.parse(byEnv.stdout)).toMatchObject({ namespace: stack, healthy: true });
    // no settings at all: the default namespace (the default stack's), where this ScaledJob is not
    const none = await runCli(['doctor', '--scaled-job', `${stack}-processor`, '--cluster', cluster, '-o', 'json'], { env, cwd: empty });
    expect(none.code).toBe(1);
    expect(JSON.parse(none.stdout).findings.find((f: any) => f.check === 11).summary).toMatch(
      /^ScaledJob \S+\/[^ ]+-processor does not exist/,
    );
  });

  it("--scaled-job NAME -n NS works on any ScaledJob, without the stack's settings", async () => {
    const empty = mkdtempSync(join(tmpdir(), 'doc-any-'));
    const r = await runCli(['doctor', '--scaled-job', `${stack}-processor`, '-n', stack, '--cluster', cluster, '-o', 'json'], {
      env,
      cwd: empty,
    });
    const report = JSON.parse(r.stdout);
    expect(r.code, r.stderr).toBe(0);
    expect(report.stack).toBeUndefined();
    expect(report.findings.filter((f: any) => f.verdict === 'fail' || f.verdict === 'warn')).toEqual([]);
    // without the stack, no analyzer check; the trust, chain and permission checks still run from what the cluster names
    expect(report.findings.filter((f: any) => f.verdict === 'ok').map((f: any) => f.check)).toEqual(
      expect.arrayContaining([1, 2, 3, 4, 5, 6, 7, 8]),
    );
  });
});

// --- more breaks, one at a time: each names exactly its cause, with its fix; each test puts back what it broke
const iam = () => new IAMClient(base());
const sqs = () => new SQSClient({ ...base(), useQueueUrlAsEndpoint: false });
const queueUrl = () => `${env.AWS_ENDPOINT_URL}/${MOTO_ACCOUNT}/${stack}-queue`;
const kinds = (r: { problems: any[] }) => r.problems.map((f: any) => `${f.check} ${f.verdict}`);
const jobLabels = () => ({ 'scaledjob.keda.sh/name': `${stack}-processor` });
/** the time as the API server writes it (whole seconds) */
const iso = (msAgo = 0) => new Date(Date.now() - msAgo).toISOString().replace(/\.\d+Z$/, 'Z');

/** a role's one inline policy: its name and document, to break and put back */
async function inlinePolicy(role: string): Promise<{ name: string; doc: any }> {
  const [name] = (await iam().send(new ListRolePoliciesCommand({ RoleName: role }))).PolicyNames!;
  return {
    name: name!,
    doc: JSON.parse(
      decodeURIComponent((await iam().send(new GetRolePolicyCommand({ RoleName: role, PolicyName: name! }))).PolicyDocument!),
    ),
  };
}
const putPolicy = (role: string, name: string, doc: unknown) =>
  iam().send(new PutRolePolicyCommand({ RoleName: role, PolicyName: name, PolicyDocument: JSON.stringify(doc) }));

/** the fake keda-operator pod (what the EKS webhook would leave), with or without the role in its env */
async function operatorPod(withRole: boolean): Promise<void> {
  await kubeRequest(rig, 'DELETE', '/api/v1/namespaces/keda/pods/keda-operator-7d9f-abcde', {
    body: { apiVersion: 'v1', kind: 'DeleteOptions', gracePeriodSeconds: 0 },
  });
  const labels = { app: 'keda-operator', 'app.kubernetes.io/version': DEFAULT_KEDA_VERSION };
  const env_ = withRole
    ? [
        { name: 'AWS_ROLE_ARN', value: operatorRole },
        { name: 'AWS_WEB_IDENTITY_TOKEN_FILE', value: '/var/run/secrets/eks.amazonaws.com/serviceaccount/token' },
      ]
    : [];
  await admin('POST', '/api/v1/namespaces/keda/pods', {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'keda-operator-7d9f-abcde', labels },
    spec: {
      serviceAccountName: 'keda-operator',
      containers: [{ name: 'keda-operator', image: `ghcr.io/kedacore/keda:${DEFAULT_KEDA_VERSION}`, env: env_ }],
    },
  });
}

/** a Job of the ScaledJob and its Pod, with the status the Job controller and a kubelet would write */
async function failedJob(name: string, podStatus: unknown, jobStatus?: unknown): Promise<void> {
  const template = {
    metadata: { labels: jobLabels() },
    spec: { restartPolicy: 'Never', containers: [{ name: 'consumer', image: 'amazon/aws-cli:2.15.23' }] },
  };
  await admin('POST', `/apis/batch/v1/namespaces/${stack}/jobs`, {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name, labels: jobLabels() },
    spec: { backoffLimit: 0, suspend: true, template },
  });
  if (jobStatus) await admin('PATCH', `/apis/batch/v1/namespaces/${stack}/jobs/${name}/status`, { status: jobStatus });
  if (podStatus) {
    await admin('POST', `/api/v1/namespaces/${stack}/pods`, {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: `${name}-x1`, labels: { ...jobLabels(), 'job-name': name } },
      spec: { ...template.spec, nodeName: `${stack}-node` },
    });
    await admin('PATCH', `/api/v1/namespaces/${stack}/pods/${name}-x1/status`, { status: podStatus });
  }
}
async function removeJobs(): Promise<void> {
  await admin('DELETE', `/apis/batch/v1/namespaces/${stack}/jobs?labelSelector=scaledjob.keda.sh/name=${stack}-processor`, {
    apiVersion: 'v1',
    kind: 'DeleteOptions',
    propagationPolicy: 'Background',
  });
  await admin('DELETE', `/api/v1/namespaces/${stack}/pods?labelSelector=scaledjob.keda.sh/name=${stack}-processor`, {
    apiVersion: 'v1',
    kind: 'DeleteOptions',
    gracePeriodSeconds: 0,
  });
}

describe('kedactl doctor: one more thing broken at a time', () => {
  it("4: KEDA's service account without the role annotation: IMDS fallback, with the helm values to set", async () => {
    await admin('PATCH', '/api/v1/namespaces/keda/serviceaccounts/keda-operator', {
      metadata: { annotations: { 'eks.amazonaws.com/role-arn': null } },
    });
    try {
      const r = await doctor();
      expect(r.code).toBe(1);
      expect(kinds(r)).toEqual(['4 fail']);
      expect(r.problems[0].summary).toBe(
        "KEDA's service account keda/keda-operator has no eks.amazonaws.com/role-arn annotation: KEDA has no AWS identity and falls back to the instance metadata service (IMDS), which hangs or fails on clusters not on EC2",
      );
      expect(r.problems[0].fix).toContain(`--set podIdentity.aws.irsa.roleArn=arn:aws:iam::<account>:role/kedactl-${stack}-keda-operator`);
    } finally {
      await admin('PATCH', '/api/v1/namespaces/keda/serviceaccounts/keda-operator', {
        metadata: { annotations: { 'eks.amazonaws.com/role-arn': operatorRole } },
      });
    }
    expect((await doctor()).problems).toEqual([]);
  });

  it('4: an operator pod started before the annotation (no AWS_ROLE_ARN): the restart command', async () => {
    await operatorPod(false);
    try {
      const r = await doctor();
      expect(r.code).toBe(1);
      expect(kinds(r)).toEqual(['4 fail']);
      expect(r.problems[0].summary).toContain(
        'the running KEDA operator pod keda-operator-7d9f-abcde does not carry the role its service account names',
      );
      expect(r.problems[0].evidence[0]).toContain(`eks.amazonaws.com/role-arn: ${operatorRole}`);
      expect(r.problems[0].evidence.join('\n')).toMatch(/AWS_ROLE_ARN=\(unset\), AWS_WEB_IDENTITY_TOKEN_FILE=\(unset\)/);
      expect(r.problems[0].fix).toBe('kubectl -n keda rollout restart deployment keda-operator');
    } finally {
      await operatorPod(true);
    }
    expect((await doctor()).problems).toEqual([]);
  });

  it("5: the scaler role's trust does not name KEDA's role: the statement to add", async () => {
    const role = `kedactl-${stack}-scaler`;
    const trust = {
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${MOTO_ACCOUNT}:role/someone-else` }, Action: 'sts:AssumeRole' }],
    };
    await iam().send(new UpdateAssumeRolePolicyCommand({ RoleName: role, PolicyDocument: JSON.stringify(trust) }));
    const r = await doctor();
    expect(r.code).toBe(1);
    expect(kinds(r)).toEqual(['5 fail']);
    expect(r.problems[0].summary).toBe(`KEDA cannot assume ${role}: ${role}'s trust policy does not name ${operatorRole}`);
    expect(r.problems[0].fix).toContain(`"AWS": "${operatorRole}"`);
    // the fix it names first: init restores the trust policy
    const fixed = await runCli(['init', '--no-wait', '--yes'], { env, cwd });
    expect(fixed.code, fixed.stderr).toBe(0);
    expect((await doctor()).problems).toEqual([]);
  });

  it("6: the scaler role's policy without sqs:GetQueueAttributes on this queue", async () => {
    const role = `kedactl-${stack}-scaler`;
    const p = await inlinePolicy(role);
    await putPolicy(role, p.name, { ...p.doc, Statement: p.doc.Statement.map((st: any) => ({ ...st, Action: 'sqs:ListQueueTags' })) });
    try {
      const r = await doctor();
      expect(r.code).toBe(1);
      expect(kinds(r)).toEqual(['6 fail']);
      expect(r.problems[0].summary).toBe(`KEDA cannot sqs:GetQueueAttributes on ${stack}-queue: ${role}'s policies do not allow it`);
      expect(r.problems[0].fix).toContain(`"Action": "sqs:GetQueueAttributes"`);
    } finally {
      await putPolicy(role, p.name, p.doc);
    }
    expect((await doctor()).problems).toEqual([]);
  });

  it('6: the consumer role without sqs:DeleteMessage: messages come back and are processed again', async () => {
    const role = `kedactl-${stack}-consumer`;
    const p = await inlinePolicy(role);
    const without = (a: unknown) => (Array.isArray(a) ? a.filter((x) => x !== 'sqs:DeleteMessage') : a);
    await putPolicy(role, p.name, { ...p.doc, Statement: p.doc.Statement.map((st: any) => ({ ...st, Action: without(st.Action) })) });
    try {
      const r = await doctor();
      expect(r.code).toBe(1);
      expect(kinds(r)).toEqual(['6 fail']);
      expect(r.problems[0].summary).toBe(`the Jobs cannot sqs:DeleteMessage on ${stack}-queue: ${role}'s policies do not allow it`);
    } finally {
      await putPolicy(role, p.name, p.doc);
    }
    expect((await doctor()).problems).toEqual([]);
  });

  it('8: a backlog the Jobs cannot take before the queue drops it (retention)', async () => {
    await sqs().send(new SetQueueAttributesCommand({ QueueUrl: queueUrl(), Attributes: { MessageRetentionPeriod: '60' } }));
    await admin('PATCH', sjPath(), { spec: { maxReplicaCount: 1 } });
    await sqs().send(
      new SendMessageBatchCommand({ QueueUrl: queueUrl(), Entries: [1, 2, 3].map((i) => ({ Id: `m${i}`, MessageBody: `{"n":${i}}` })) }),
    );
    try {
      const r = await doctor();
      expect(r.code).toBe(0);
      expect(kinds(r)).toEqual(['8 warn']);
      expect(r.problems[0].summary).toBe(
        `3 message(s) wait in ${stack}-queue; at most 1 Jobs of 30s take them in 1m30s at best, longer than the queue keeps a message (1m00s): the last ones are deleted unprocessed`,
      );
      // 2 Jobs at once take the 3 in two rounds of 30 s: within the minute
      expect(r.problems[0].fix).toContain('kedactl init --max-replicas 2 (more Jobs at once)');
    } finally {
      await sqs().send(new PurgeQueueCommand({ QueueUrl: queueUrl() }));
      await sqs().send(new SetQueueAttributesCommand({ QueueUrl: queueUrl(), Attributes: { MessageRetentionPeriod: '345600' } }));
      await admin('PATCH', sjPath(), { spec: { maxReplicaCount: 100 } });
    }
    expect((await doctor()).problems).toEqual([]);
  });

  it('9: Pods Pending longer than pollingInterval with strategy accurate: over-scaling while they start', async () => {
    await admin(
      'PATCH',
      sjPath(),
      [
        { op: 'add', path: '/spec/scalingStrategy', value: { strategy: 'accurate' } },
        { op: 'replace', path: '/spec/triggers/0/metadata/scaleOnInFlight', value: 'false' },
        { op: 'replace', path: '/spec/pollingInterval', value: 1 },
      ],
      'application/json-patch+json',
    );
    await admin('POST', `/api/v1/namespaces/${stack}/pods`, {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: `${stack}-processor-pending`, labels: jobLabels() },
      spec: { containers: [{ name: 'consumer', image: 'amazon/aws-cli:2.15.23' }] },
    });
    // the Pod's age is what is judged: let it outgrow the 1 s polling interval (creation times are whole seconds)
    await new Promise((r) => setTimeout(r, 2100));
    try {
      const r = await doctor();
      expect(r.code).toBe(0);
      expect(kinds(r)).toEqual(['9 warn']);
      expect(r.problems[0].id).toBe('start-up');
      expect(r.problems[0].summary).toMatch(
        /^1 Pod\(s\) have sat Pending longer than pollingInterval \(1s\), the longest \d+s: start-up outlasts KEDA's polls, and with strategy accurate every poll/,
      );
      expect(r.problems[0].fix).toMatch(/^kedactl init --strategy default \(counts every unfinished Job\), or --polling-interval \d+$/);
    } finally {
      await admin('DELETE', `/api/v1/namespaces/${stack}/pods/${stack}-processor-pending`, {
        apiVersion: 'v1',
        kind: 'DeleteOptions',
        gracePeriodSeconds: 0,
      });
      await admin(
        'PATCH',
        sjPath(),
        [
          { op: 'remove', path: '/spec/scalingStrategy' },
          { op: 'replace', path: '/spec/triggers/0/metadata/scaleOnInFlight', value: 'true' },
          { op: 'replace', path: '/spec/pollingInterval', value: 10 },
        ],
        'application/json-patch+json',
      );
    }
    expect((await doctor()).problems).toEqual([]);
  });

  it('9: maxReplicaCount above what the Nodes can hold', async () => {
    await admin('PATCH', sjPath(), { spec: { maxReplicaCount: 1000 } });
    try {
      const r = await doctor();
      expect(r.code).toBe(0);
      expect(kinds(r)).toEqual(['9 warn']);
      // 8 cores / 50m = 160, 32Gi / 64Mi = 512, 110 pods: 110
      expect(r.problems[0].summary).toMatch(
        /^maxReplicaCount 1000 is more than the Nodes can hold \(at most 110 Job Pods, on empty Nodes\)/,
      );
      expect(r.problems[0].fix).toBe('kedactl init --max-replicas 110, or add Nodes');
    } finally {
      await admin('PATCH', sjPath(), { spec: { maxReplicaCount: 100 } });
    }
    expect((await doctor()).problems).toEqual([]);
  });

  it('10: a Pod that cannot pull its image', async () => {
    await failedJob(`${stack}-processor-pull`, {
      phase: 'Pending',
      containerStatuses: [
        {
          name: 'consumer',
          image: 'nope/nothing:1',
          imageID: '',
          ready: false,
          restartCount: 0,
          state: { waiting: { reason: 'ImagePullBackOff', message: 'Back-off pulling image "nope/nothing:1"' } },
        },
      ],
    });
    try {
      const r = await doctor();
      expect(r.code).toBe(1);
      expect(kinds(r)).toEqual(['10 fail']);
      expect(r.problems[0].summary).toBe('1 Pod(s) cannot pull the image nope/nothing:1');
      expect(r.problems[0].fix).toContain('kedactl init --image <an image the nodes can pull>');
    } finally {
      await removeJobs();
    }
    expect((await doctor()).problems).toEqual([]);
  });

  it('10: a Pod OOMKilled: the memory limit to raise', async () => {
    const t = iso();
    await failedJob(`${stack}-processor-oom`, {
      phase: 'Failed',
      containerStatuses: [
        {
          name: 'consumer',
          image: 'amazon/aws-cli:2.15.23',
          imageID: '',
          ready: false,
          restartCount: 0,
          state: { terminated: { reason: 'OOMKilled', exitCode: 137, startedAt: t, finishedAt: t } },
        },
      ],
    });
    try {
      const r = await doctor();
      expect(r.code).toBe(1);
      expect(kinds(r)).toEqual(['10 fail']);
      expect(r.problems[0].summary).toBe('1 Pod(s) were OOMKilled: the memory limit 256Mi is too small for one message');
      expect(r.problems[0].fix).toContain('resources.limits.memory');
    } finally {
      await removeJobs();
    }
    expect((await doctor()).problems).toEqual([]);
  });

  it('10: a Job whose backoffLimit is exhausted, its Pods gone', async () => {
    const t = iso();
    await failedJob(`${stack}-processor-backoff`, undefined, {
      startTime: t,
      failed: 1,
      conditions: [
        {
          type: 'FailureTarget',
          status: 'True',
          reason: 'BackoffLimitExceeded',
          message: 'Job has reached the specified backoff limit',
          lastProbeTime: t,
          lastTransitionTime: t,
        },
        {
          type: 'Failed',
          status: 'True',
          reason: 'BackoffLimitExceeded',
          message: 'Job has reached the specified backoff limit',
          lastProbeTime: t,
          lastTransitionTime: t,
        },
      ],
    });
    try {
      const r = await doctor();
      expect(r.code).toBe(0);
      expect(kinds(r)).toEqual(['10 warn']);
      expect(r.problems[0].summary).toBe('1 Job(s) failed (backoffLimit exhausted), and their Pods are gone');
      expect(r.problems[0].evidence).toContain(
        `job ${stack}-processor-backoff: BackoffLimitExceeded Job has reached the specified backoff limit; BackoffLimitExceeded Job has reached the specified backoff limit`,
      );
      expect(r.problems[0].fix).toBe(`kubectl -n ${stack} describe job ${stack}-processor-backoff`);
    } finally {
      await removeJobs();
    }
    expect((await doctor()).problems).toEqual([]);
  });

  it('10: finished Jobs KEDA should have deleted long ago (history limit)', async () => {
    await admin('PATCH', sjPath(), { spec: { successfulJobsHistoryLimit: 1 } });
    const done = (ago: number) => {
      const start = iso(ago + 60_000),
        end = iso(ago);
      return {
        startTime: start,
        completionTime: end,
        succeeded: 1,
        conditions: [
          {
            type: 'SuccessCriteriaMet',
            status: 'True',
            reason: 'CompletionsReached',
            message: 'Reached expected number of succeeded pods',
            lastProbeTime: end,
            lastTransitionTime: end,
          },
          {
            type: 'Complete',
            status: 'True',
            reason: 'CompletionsReached',
            message: 'Reached expected number of succeeded pods',
            lastProbeTime: end,
            lastTransitionTime: end,
          },
        ],
      };
    };
    await failedJob(`${stack}-processor-old1`, undefined, done(3600_000));
    await failedJob(`${stack}-processor-old2`, undefined, done(3000_000));
    try {
      const r = await doctor();
      expect(r.code).toBe(0);
      expect(kinds(r)).toEqual(['10 warn']);
      expect(r.problems[0].id).toBe('history');
      expect(r.problems[0].summary).toMatch(
        /^2 succeeded Jobs are kept, 1 more than successfulJobsHistoryLimit \(1\), the oldest finished 1h00m ago: KEDA deletes them at every poll \(10s\), so its clean-up is not running/,
      );
      expect(r.problems[0].fix).toContain(`kubectl -n ${stack} delete job ${stack}-processor-old1`);
    } finally {
      await removeJobs();
      await admin('PATCH', sjPath(), { spec: { successfulJobsHistoryLimit: 100 } });
    }
    expect((await doctor()).problems).toEqual([]);
  });

  it('12: an operator of another KEDA version than kedactl renders for', async () => {
    await admin('PATCH', '/apis/apps/v1/namespaces/keda/deployments/keda-operator', {
      metadata: { labels: { 'app.kubernetes.io/version': '2.12.1' } },
    });
    try {
      const r = await doctor();
      // the version gate fails (2.12 does not know the provider aws the stack's TriggerAuthentication names)
      expect(r.code).toBe(1);
      expect(kinds(r)).toEqual(['24 fail', '12 warn']);
      expect(r.problems[0].summary).toBe(
        'podIdentity provider aws needs KEDA 2.13.0 or later; KEDA 2.12.1 does not know the provider and gives the trigger no AWS credentials',
      );
      expect(r.problems[1].summary).toMatch(/^KEDA 2\.12\.1 is not a release kedactl renders for/);
      expect(r.problems[1].fix).toContain(`--version ${DEFAULT_KEDA_VERSION}`);
    } finally {
      await admin('PATCH', '/apis/apps/v1/namespaces/keda/deployments/keda-operator', {
        metadata: { labels: { 'app.kubernetes.io/version': DEFAULT_KEDA_VERSION } },
      });
    }
    expect((await doctor()).problems).toEqual([]);
  });

  it('12: installed CRDs of a KEDA that does not know a field kedactl renders', async () => {
    // an older KEDA's ScaledJob schema: no spec.rollout (what kedactl renders for gradual roll-outs)
    const crdPath = '/apis/apiextensions.k8s.io/v1/customresourcedefinitions/scaledjobs.keda.sh';
    const crd = (await admin('GET', crdPath)).json();
    const version = crd.spec.versions.findIndex((v: any) => v.name === 'v1alpha1');
    const at = `/spec/versions/${version}/schema/openAPIV3Schema/properties/spec/properties/rollout`;
    const rollout = crd.spec.versions[version].schema.openAPIV3Schema.properties.spec.properties.rollout;
    await admin('PATCH', crdPath, [{ op: 'remove', path: at }], 'application/json-patch+json');
    try {
      const r = await doctor();
      expect(r.code).toBe(1);
      expect(kinds(r)).toEqual(['12 fail']);
      expect(r.problems[0].summary).toBe('the installed KEDA CRDs refuse what kedactl renders for this stack');
      expect(r.problems[0].evidence.join('\n')).toContain('rollout');
    } finally {
      await admin('PATCH', crdPath, [{ op: 'add', path: at, value: rollout }], 'application/json-patch+json');
    }
    expect((await doctor()).problems).toEqual([]);
  });

  it('14: the result analyzer not reachable through the API server', async () => {
    const epPath = `/api/v1/namespaces/${stack}/endpoints/${stack}-result-analyzer`;
    const ep = (await admin('GET', epPath)).json();
    await admin('DELETE', epPath);
    try {
      const r = await doctor();
      expect(r.code).toBe(1);
      expect(kinds(r)).toEqual(['14 fail']);
      expect(r.problems[0].summary).toMatch(/^the result analyzer does not answer through the API server's proxy: /);
      expect(r.problems[0].fix).toContain(`kubectl -n ${stack} get pods,endpoints -l app.kubernetes.io/name=result-analyzer`);
    } finally {
      await admin('POST', `/api/v1/namespaces/${stack}/endpoints`, {
        apiVersion: 'v1',
        kind: 'Endpoints',
        metadata: { name: ep.metadata.name, labels: ep.metadata.labels },
        subsets: ep.subsets,
      });
    }
    expect((await doctor()).problems).toEqual([]);
  });

  it('13: a ScaledJob deleted while no KEDA operator runs to clear its finalizer (last: it deletes the ScaledJob)', async () => {
    const dep = '/apis/apps/v1/namespaces/keda/deployments/keda-operator/status';
    await admin('PATCH', dep, {
      status: {
        readyReplicas: 0,
        availableReplicas: 0,
        unavailableReplicas: 1,
        conditions: [{ type: 'Available', status: 'False', reason: 'MinimumReplicasUnavailable' }],
      },
    });
    await admin('PATCH', sjPath(), { metadata: { finalizers: ['finalizer.keda.sh'] } });
    await admin('DELETE', sjPath());
    const r = await doctor();
    expect(r.code).toBe(1);
    // the operator being down is the other half of this cause: check 12 says so, check 13 names the stuck object
    expect(kinds(r)).toEqual(['12 fail', '13 fail']);
    const stuck = r.problems.find((f: any) => f.check === 13);
    expect(stuck.summary).toMatch(
      new RegExp(
        `^ScaledJob ${stack}/${stack}-processor is being deleted since \\S+, held by finalizer\\(s\\) finalizer.keda.sh and no KEDA operator runs to clear them$`,
      ),
    );
    expect(stuck.fix).toBe(`kubectl -n ${stack} patch scaledjob ${stack}-processor --type=merge -p '{"metadata":{"finalizers":null}}'`);
    expect(r.problems.find((f: any) => f.check === 12).summary).toMatch(/^KEDA's operator is not available \(0 of 1 replicas\)/);
    // its fix, then the operator back: the ScaledJob is gone, as deleted
    await admin('PATCH', sjPath(), { metadata: { finalizers: null } });
    await admin('PATCH', dep, {
      status: {
        readyReplicas: 1,
        availableReplicas: 1,
        unavailableReplicas: 0,
        conditions: [{ type: 'Available', status: 'True', reason: 'MinimumReplicasAvailable' }],
      },
    });
    expect((await kubeRequest(rig, 'GET', sjPath())).status).toBe(404);
  });
});
