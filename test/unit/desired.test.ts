// The rendered stack fixes every flaw of the published example (see shared/reference/README.md).
import { describe, expect, it } from 'vitest';
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { desiredStack } from '../../src/core/stack/desired.ts';
import { plan } from '../../src/core/stack/plan.ts';
import { planText } from '../../src/ui/plan-text.ts';
import { loadSettings } from '../../src/core/stack/load-settings.ts';
import { iamProblems, privilegeProblems } from '../../src/core/aws/validate-iam.ts';
import { renderYaml, TemplateError } from '../../src/core/stack/templates.ts';

const ISSUER = 'https://oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLE';
const settings = (flags: Record<string, unknown> = {}) =>
  loadSettings({
    flags: { stack: 'demo', region: 'eu-west-1', accountId: '123456789012', oidcIssuer: ISSUER, ...flags },
    env: {},
    cwd: tmpdir(),
  }).settings;

const byKind = async (flags: Record<string, unknown> = {}) => {
  const d = await desiredStack(settings(flags));
  const get = (kind: string) => d.objects.map((o) => o.object).find((o) => o.kind === kind) as any;
  return { d, get };
};

describe('desired stack (irsa)', () => {
  it('TriggerAuthentication authenticates with the scaler role, not the operator role', async () => {
    const { get } = await byKind();
    const ta = get('TriggerAuthentication');
    expect(ta.spec.podIdentity).toEqual({ provider: 'aws', roleArn: 'arn:aws:iam::123456789012:role/kedactl-demo-scaler' });
    expect(get('ScaledJob').spec.triggers[0].authenticationRef.name).toBe(ta.metadata.name);
  });

  it('scopes every policy to the queue ARN with only the actions each party needs', async () => {
    const { d } = await byKind();
    const queueArn = 'arn:aws:sqs:eu-west-1:123456789012:demo-queue';
    const policy = (role: string) => Object.values(d.roles.find((r) => r.name === role)!.policies)[0]!.Statement;
    expect(policy('kedactl-demo-consumer')).toEqual([
      expect.objectContaining({
        Effect: 'Allow',
        Resource: queueArn,
        Action: ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:ChangeMessageVisibility', 'sqs:GetQueueAttributes'],
      }),
    ]);
    expect(policy('kedactl-demo-scaler')).toEqual([expect.objectContaining({ Action: 'sqs:GetQueueAttributes', Resource: queueArn })]);
    expect(policy('kedactl-demo-keda-operator')).toEqual([
      expect.objectContaining({ Action: 'sts:AssumeRole', Resource: 'arn:aws:iam::123456789012:role/kedactl-demo-scaler' }),
    ]);
    const producer = d.documents.find((x) => x.file === 'producer-policy.json')!;
    expect(producer.created).toBe(false);
    expect(producer.document.Statement[0]).toMatchObject({ Action: ['sqs:SendMessage', 'sqs:GetQueueAttributes'], Resource: queueArn });
    for (const doc of d.documents) {
      expect(JSON.stringify(doc.document)).not.toContain('*');
      expect(privilegeProblems(doc.document, doc.kind)).toEqual([]);
    }
  });

  it('pins web-identity trust to the exact service account and audience', async () => {
    const { d } = await byKind();
    const host = 'oidc.eks.eu-west-1.amazonaws.com/id/EXAMPLE';
    const trust = (role: string) => d.roles.find((r) => r.name === role)!.trust.Statement[0]!;
    expect(trust('kedactl-demo-consumer')).toMatchObject({
      Principal: { Federated: `arn:aws:iam::123456789012:oidc-provider/${host}` },
      Action: 'sts:AssumeRoleWithWebIdentity',
      Condition: { StringEquals: { [`${host}:sub`]: 'system:serviceaccount:demo:demo-consumer', [`${host}:aud`]: 'sts.amazonaws.com' } },
    });
    expect(trust('kedactl-demo-keda-operator').Condition!.StringEquals).toEqual({
      [`${host}:sub`]: 'system:serviceaccount:keda:keda-operator',
      [`${host}:aud`]: 'sts.amazonaws.com',
    });
    expect(trust('kedactl-demo-scaler')).toMatchObject({
      Principal: { AWS: 'arn:aws:iam::123456789012:role/kedactl-demo-keda-operator' },
      Action: 'sts:AssumeRole',
    });
  });

  it('wires the service account to the consumer role and KEDA to the operator role', async () => {
    const { d, get } = await byKind();
    expect(get('ServiceAccount').metadata.annotations).toEqual({
      'eks.amazonaws.com/role-arn': 'arn:aws:iam::123456789012:role/kedactl-demo-consumer',
    });
    expect(get('ScaledJob').spec.jobTargetRef.template.spec.serviceAccountName).toBe(get('ServiceAccount').metadata.name);
    expect(d.keda.values).toEqual({
      'podIdentity.aws.irsa.enabled': 'true',
      'podIdentity.aws.irsa.roleArn': 'arn:aws:iam::123456789012:role/kedactl-demo-keda-operator',
    });
  });

  it('ScaledJob keeps the example defaults and rolls out gradually', async () => {
    const { get } = await byKind();
    const sj = get('ScaledJob');
    expect(sj.spec).toMatchObject({
      pollingInterval: 10,
      maxReplicaCount: 100,
      successfulJobsHistoryLimit: 100,
      failedJobsHistoryLimit: 100,
      rollout: { strategy: 'gradual' },
    });
    // KEDA's default strategy is left out, so the object is valid for CRDs whose enum has no "default" (2.20.0)
    expect(sj.spec).not.toHaveProperty('scalingStrategy');
    expect(sj.spec.triggers[0]).toMatchObject({
      type: 'aws-sqs-queue',
      metadata: { queueURL: 'https://sqs.eu-west-1.amazonaws.com/123456789012/demo-queue', awsRegion: 'eu-west-1', queueLength: '1' },
    });
    expect(sj.spec.triggers[0].metadata).not.toHaveProperty('awsEndpoint');
    const env = Object.fromEntries(sj.spec.jobTargetRef.template.spec.containers[0].env.map((e: any) => [e.name, e.value]));
    expect(env).toMatchObject({
      PROCESSING_SECONDS: '30',
      VISIBILITY_TIMEOUT: '90',
      RESULT_ANALYZER_URL: 'http://demo-result-analyzer.demo.svc:8080',
    });
    expect(sj.spec.jobTargetRef.template.spec.containers[0]).not.toHaveProperty('envFrom');
  });

  it('consumer installs nothing at run time, exits 0 without a message, and reports kills', async () => {
    const { get } = await byKind();
    const script: string = get('ConfigMap').data['consume.sh'];
    expect(script).not.toMatch(/apk|apt-get|yum|pip install/);
    expect(script).toMatch(/--wait-time-seconds 20/);
    expect(script).toMatch(/no message arrived[^\n]*\n\s*exit 0/);
    expect(script).toMatch(/trap on_term TERM/);
    expect(script).toMatch(/change-message-visibility[^\n]*--visibility-timeout 0/);
    expect(script).toMatch(/report kill\/count/);
  });

  it('labels every object and the pod templates with the stack', async () => {
    const { d, get } = await byKind();
    for (const { object } of d.objects)
      expect(object.metadata.labels).toMatchObject({ 'app.kubernetes.io/managed-by': 'kedactl', 'kedactl.io/stack': 'demo' });
    expect(get('ScaledJob').spec.jobTargetRef.template.metadata.labels['kedactl.io/stack']).toBe('demo');
    for (const q of d.queues) expect(q.tags).toEqual({ 'app.kubernetes.io/managed-by': 'kedactl', 'kedactl.io/stack': 'demo' });
    for (const r of d.roles) expect(r.tags['kedactl.io/stack']).toBe('demo');
  });

  it('adds a dead-letter queue with a redrive policy when asked', async () => {
    const { d } = await byKind({ deadLetterQueue: true, maxReceiveCount: '3' });
    expect(d.queues.map((q) => q.name)).toEqual(['demo-queue-dlq', 'demo-queue']);
    expect(JSON.parse(d.queues[1]!.attributes.RedrivePolicy!)).toEqual({
      deadLetterTargetArn: 'arn:aws:sqs:eu-west-1:123456789012:demo-queue-dlq',
      maxReceiveCount: 3,
    });
  });

  it('warns that accurate with in-flight counting over-scales', async () => {
    const { d } = await byKind({ strategy: 'accurate' });
    expect(d.warnings.join()).toMatch(/accurate.*too many Jobs/);
  });
});

describe('desired stack (static)', () => {
  it('uses a Secret for KEDA and the consumer, an endpoint on the trigger, and no IAM roles', async () => {
    const { d, get } = await byKind({ auth: 'static', endpointUrl: 'http://127.0.0.1:5000', oidcIssuer: undefined });
    expect(d.roles).toEqual([]);
    expect(d.unresolved).toEqual([]);
    const secret = get('Secret');
    expect(secret.stringData.AWS_ACCESS_KEY_ID).toMatch(/filled from your AWS credentials/);
    expect(secret.stringData.AWS_ENDPOINT_URL).toBe('http://127.0.0.1:5000');
    // KEDA's aws scalers take awsSessionToken (pkg/scalers/aws/aws_common.go, v2.20 and v2.21); a missing key reads as empty
    expect(get('TriggerAuthentication').spec.secretTargetRef.map((r: any) => [r.parameter, r.key])).toEqual([
      ['awsAccessKeyID', 'AWS_ACCESS_KEY_ID'],
      ['awsSecretAccessKey', 'AWS_SECRET_ACCESS_KEY'],
      ['awsSessionToken', 'AWS_SESSION_TOKEN'],
    ]);
    expect(secret.stringData.AWS_SESSION_TOKEN).toMatch(/^<filled from your AWS credentials at apply time when they are temporary/);
    expect(secret.metadata).not.toHaveProperty('annotations');
    expect(d.credentials).toBeUndefined();
    const sj = get('ScaledJob');
    expect(sj.spec.triggers[0].metadata.awsEndpoint).toBe('http://127.0.0.1:5000');
    expect(sj.spec.triggers[0].metadata.queueURL).toBe('http://127.0.0.1:5000/123456789012/demo-queue');
    expect(sj.spec.jobTargetRef.template.spec.containers[0].envFrom).toEqual([{ secretRef: { name: secret.metadata.name } }]);
    expect(get('ServiceAccount').metadata).not.toHaveProperty('annotations');
    expect(d.keda.values).toEqual({});
  });

  it('fills real keys only when given at apply time', async () => {
    const d = await desiredStack(settings({ auth: 'static' }), { credentials: { accessKeyId: 'AKIAEXAMPLE', secretAccessKey: 's3cr3t' } });
    const secret = d.objects.find((o) => o.object.kind === 'Secret')!.object as any;
    expect(secret.stringData.AWS_SECRET_ACCESS_KEY).toBe('s3cr3t');
    // long-term keys: no session token, no expiry, nothing that says otherwise
    expect(Object.keys(secret.stringData)).toEqual(['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_REGION']);
    expect(secret.metadata).not.toHaveProperty('annotations');
    expect(d.credentials).toEqual({ temporary: false });
  });

  it('temporary credentials: the session token and the expiry go into the Secret; the plan says when they expire', async () => {
    const expiration = new Date('2031-05-06T07:08:09Z');
    const d = await desiredStack(settings({ auth: 'static' }), {
      credentials: { accessKeyId: 'ASIAEXAMPLE', secretAccessKey: 's3cr3t', sessionToken: 'tok3n', expiration },
    });
    const secret = d.objects.find((o) => o.object.kind === 'Secret')!.object as any;
    expect(secret.stringData).toMatchObject({ AWS_SESSION_TOKEN: 'tok3n', AWS_CREDENTIAL_EXPIRATION: '2031-05-06T07:08:09.000Z' });
    expect(secret.metadata.annotations).toEqual({ 'kedactl.io/credentials-expire-at': '2031-05-06T07:08:09.000Z' });
    expect(d.credentials).toEqual({ temporary: true, expiresAt: '2031-05-06T07:08:09.000Z' });
    const p = plan(d, {});
    expect(p.credentials).toEqual({ temporary: true, expiresAt: '2031-05-06T07:08:09.000Z' });
    const text = planText(p, false);
    expect(text).toContain(
      "The stack's Secret gets temporary AWS credentials (a session token); they expire at 2031-05-06T07:08:09.000Z (in ",
    );
    expect(text).toContain('run kedactl init again, which rewrites the Secret');
    expect(JSON.stringify(p) + text).not.toMatch(/tok3n|s3cr3t/);
  });
});

describe('template overrides', () => {
  const dir = () => {
    const d = mkdtempSync(join(tmpdir(), 'kedactl-tpl-'));
    mkdirSync(join(d, 'kubernetes'));
    mkdirSync(join(d, 'iam'));
    return d;
  };

  it('uses an override file and keeps the stack labels', async () => {
    const d = dir();
    writeFileSync(
      join(d, 'kubernetes/namespace.yaml'),
      'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ${namespace}\n  labels:\n    team: media\n',
    );
    const desired = await desiredStack(settings({ templates: d }));
    const ns = desired.objects[0]!.object;
    expect(ns.metadata.labels).toEqual({ team: 'media', 'app.kubernetes.io/managed-by': 'kedactl', 'kedactl.io/stack': 'demo' });
  });

  it('cannot inject structure through a value', () => {
    const evil = 'x\nkind: Secret\nstringData: {a: b}';
    const src = {
      read: () => ({
        text: 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\ndata:\n  note: "prefix ${name}"\n',
        path: 't.yaml',
      }),
    };
    const [obj] = renderYaml(src, 't.yaml', { name: evil });
    expect(obj).toEqual({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: evil }, data: { note: `prefix ${evil}` } });
  });

  it('keeps quoted placeholders as text and unquoted ones typed', () => {
    const src = { read: () => ({ text: 'a: ${n}\nb: "${n}"\nc: ${gone}\nd:\n  - e: ${gone}\n', path: 't.yaml' }) };
    expect(renderYaml(src, 't.yaml', { n: 5, gone: undefined })).toEqual([{ a: 5, b: '5' }]);
  });

  it('names the file and placeholder of an unknown placeholder', async () => {
    const d = dir();
    writeFileSync(join(d, 'kubernetes/namespace.yaml'), 'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ${nameSpace}\n');
    await expect(desiredStack(settings({ templates: d }))).rejects.toThrow(/namespace\.yaml: unknown placeholder \$\{nameSpace\}/);
  });

  it('refuses an override that does not parse', async () => {
    const d = dir();
    writeFileSync(join(d, 'kubernetes/scaled-job.yaml'), 'spec: [unclosed\n');
    await expect(desiredStack(settings({ templates: d }))).rejects.toThrow(/scaled-job\.yaml does not parse as YAML/);
  });

  it('refuses an object that breaks its schema, naming object, template and path', async () => {
    const d = dir();
    writeFileSync(
      join(d, 'kubernetes/scaled-job.yaml'),
      'apiVersion: keda.sh/v1alpha1\nkind: ScaledJob\nmetadata:\n  name: x\n  namespace: ${namespace}\nspec:\n  pollingInterval: "${pollingInterval}"\n  jobTargetRef:\n    template: {}\n  triggers: []\n',
    );
    await expect(desiredStack(settings({ templates: d }))).rejects.toThrow(
      /ScaledJob\/x \(from kubernetes\/scaled-job\.yaml\): \/spec\/pollingInterval must be integer/,
    );
  });

  it('refuses a wildcard policy override', async () => {
    const d = dir();
    writeFileSync(
      join(d, 'iam/consumer-policy.json'),
      JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'sqs:*', Resource: '*' }] }),
    );
    await expect(desiredStack(settings({ templates: d }))).rejects.toThrow(TemplateError);
    await expect(desiredStack(settings({ templates: d }))).rejects.toThrow(/wildcard action "sqs:\*"/);
  });

  it('refuses a trust policy that does not pin :aud', async () => {
    const d = dir();
    writeFileSync(
      join(d, 'iam/consumer-trust.json'),
      JSON.stringify({
        Version: '2012-10-17',
        Statement: [
          {
            Effect: 'Allow',
            Principal: { Federated: '${oidcProviderArn}' },
            Action: 'sts:AssumeRoleWithWebIdentity',
            Condition: { StringEquals: { '${oidcIssuerHost}:sub': 'system:serviceaccount:${namespace}:${serviceAccount}' } },
          },
        ],
      }),
    );
    await expect(desiredStack(settings({ templates: d }))).rejects.toThrow(/must pin ":aud"/);
  });

  it('refuses a templates directory that does not exist', async () => {
    await expect(desiredStack(settings({ templates: '/nonexistent/kedactl' }))).rejects.toThrow(/no such directory/);
  });
});

describe('IAM grammar', () => {
  it('accepts a minimal valid policy and rejects broken ones', () => {
    expect(
      iamProblems(
        {
          Version: '2012-10-17',
          Statement: [{ Effect: 'Allow', Action: 'sqs:SendMessage', Resource: 'arn:aws:sqs:eu-west-1:123456789012:q' }],
        },
        'permissions',
      ),
    ).toEqual([]);
    expect(iamProblems({ Version: '2008-10-17', Statement: [] }, 'permissions')).toEqual([
      'Version must be "2012-10-17"',
      'Statement must be a non-empty list',
    ]);
    expect(
      iamProblems({ Version: '2012-10-17', Statement: [{ Effect: 'Maybe', Action: 'send', Resource: 'queue' }] }, 'permissions'),
    ).toEqual([
      'Statement[0].Effect must be Allow or Deny',
      'Statement[0].Action "send" is not service:Action',
      'Statement[0].Resource "queue" is not an ARN',
    ]);
    expect(
      iamProblems(
        { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'sts:AssumeRole', Resource: 'arn:aws:iam::123456789012:role/x' }] },
        'trust',
      ),
    ).toContain('Statement[0]: a trust policy has no Resource');
  });
});

describe('desired stack (deployment workload)', () => {
  const deployment = () => byKind({ workload: 'deployment' });
  const consumer = (d: Awaited<ReturnType<typeof deployment>>['d']) =>
    d.objects.map((o) => o.object as any).find((o) => o.kind === 'Deployment' && o.metadata.name === 'demo-processor');

  it('renders a consumer Deployment and a ScaledObject with the same trigger and authentication, and no ScaledJob', async () => {
    const { d, get } = await deployment();
    const kinds = d.objects.map((o) => `${o.object.kind}/${o.object.metadata.name}`);
    expect(kinds).toContain('Deployment/demo-processor');
    expect(kinds).toContain('ScaledObject/demo-processor');
    expect(kinds).not.toContain('ScaledJob/demo-processor');
    const so = get('ScaledObject');
    const job = (await byKind()).get('ScaledJob');
    // the trigger is the ScaledJob's, word for word: the workload changes what scales, not what is read
    expect(so.spec.triggers).toEqual(job.spec.triggers);
    expect(so.spec).toMatchObject({
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'demo-processor' },
      minReplicaCount: 0,
      maxReplicaCount: 100,
      pollingInterval: 10,
      cooldownPeriod: 300,
    });
  });

  it("passes the HPA's scale-down behaviour through, with Kubernetes' own defaults written out and the settings' values when given", async () => {
    const defaults = (await deployment()).get('ScaledObject').spec.advanced.horizontalPodAutoscalerConfig.behavior;
    expect(defaults).toEqual({
      scaleDown: { stabilizationWindowSeconds: 300, policies: [{ type: 'Percent', value: 100, periodSeconds: 15 }] },
    });
    const { get } = await byKind({
      workload: 'deployment',
      scaleDownStabilization: 0,
      scaleDownPercent: 50,
      scaleDownPeriod: 30,
      cooldownPeriod: 20,
      maxReplicas: 8,
    });
    const so = get('ScaledObject');
    expect(so.spec.advanced.horizontalPodAutoscalerConfig.behavior.scaleDown).toEqual({
      stabilizationWindowSeconds: 0,
      policies: [{ type: 'Percent', value: 50, periodSeconds: 30 }],
    });
    expect(so.spec).toMatchObject({ cooldownPeriod: 20, maxReplicaCount: 8 });
  });

  it('leaves replicas to KEDA, selects its Pods by its own label, and gives them the grace period asked for', async () => {
    const { d } = await byKind({ workload: 'deployment', terminationGracePeriod: 45 });
    const dep = consumer(d);
    expect(dep.spec).not.toHaveProperty('replicas');
    expect(dep.spec.selector.matchLabels).toEqual({ 'kedactl.io/consumer': 'demo-processor' });
    expect(dep.spec.template.metadata.labels).toMatchObject({ 'kedactl.io/consumer': 'demo-processor', 'kedactl.io/stack': 'demo' });
    expect(dep.spec.template.spec).toMatchObject({ serviceAccountName: 'demo-consumer', terminationGracePeriodSeconds: 45 });
    const env = Object.fromEntries(dep.spec.template.spec.containers[0].env.map((e: any) => [e.name, e.value]));
    expect(env).toMatchObject({ PROCESSING_SECONDS: '30', RESULT_ANALYZER_URL: 'http://demo-result-analyzer.demo.svc:8080' });
  });

  it('the consumers loop, give back what they hold on SIGTERM and count a kill only for a message they were working on', async () => {
    const { get } = await deployment();
    const script: string = get('ConfigMap').data['consume.sh'];
    expect(script).toMatch(/while true; do/);
    expect(script).toMatch(/trap on_term TERM/);
    expect(script).toMatch(/SIGTERM while processing[\s\S]*give_back "\$receipt"[\s\S]*report kill\/count/);
    expect(script).toMatch(/SIGTERM while idle: stopping"\n\s*rm -rf "\$work"\n\s*exit 0/);
    expect(script).not.toMatch(/apk|apt-get|yum|pip install/);
  });

  it('the job workload renders its ScaledJob with the same grace period setting, 30 s by default as before', async () => {
    expect((await byKind()).get('ScaledJob').spec.jobTargetRef.template.spec.terminationGracePeriodSeconds).toBe(30);
    expect(
      (await byKind({ terminationGracePeriod: 60 })).get('ScaledJob').spec.jobTargetRef.template.spec.terminationGracePeriodSeconds,
    ).toBe(60);
  });

  it('warns about a ScaledJob-only strategy and a grace period shorter than a long poll', async () => {
    const { d } = await byKind({ workload: 'deployment', strategy: 'eager', terminationGracePeriod: 5 });
    expect(d.warnings.join('\n')).toMatch(/strategy "eager" is a ScaledJob setting: a ScaledObject ignores it/);
    expect(d.warnings.join('\n')).toMatch(/terminationGracePeriod 5s: a consumer stopped while it long-polls needs up to 15s/);
    expect((await deployment()).d.warnings).toEqual([]);
  });

  it("switching kinds is planned: the other kind's objects are deleted, named with what that does to work in progress", async () => {
    const { d } = await deployment();
    expect(d.retired.map((r) => `${r.kind}/${r.namespace}/${r.name}`)).toEqual(['ScaledJob/demo/demo-processor']);
    const p = plan(d, { objects: {}, retired: { 'ScaledJob/demo/demo-processor': true } });
    const del = p.changes.filter((c) => c.action === 'delete');
    expect(del).toEqual([expect.objectContaining({ group: 'kubernetes', kind: 'ScaledJob', name: 'demo-processor', namespace: 'demo' })]);
    expect(del[0]!.details.join(' ')).toMatch(/the job workload's; the stack now runs the deployment workload.*a kill/);
    const text = planText(p, false);
    expect(text).toMatch(/- delete +ScaledJob demo\/demo-processor/);
    expect(text).toMatch(/1 to delete/);
    // back to job: the ScaledObject and the consumer Deployment go
    const back = (await byKind()).d;
    expect(back.retired.map((r) => `${r.kind}/${r.name}`)).toEqual(['ScaledObject/demo-processor', 'Deployment/demo-processor']);
    // nothing observed of the other kind: nothing to delete, and the plan text says nothing of deleting
    expect(planText(plan(back, { objects: {} }), false)).not.toMatch(/to delete/);
  });
});
