// doctor's checks are pure functions of the evidence: a healthy irsa stack as plain objects, then one
// thing broken at a time; each must be named by its check alone, with its fix.
import { describe, expect, it } from 'vitest';
import { diagnose } from '../../src/core/doctor/index.ts';
import { found, type Evidence, type RoleEvidence } from '../../src/core/doctor/evidence.ts';
import type { Finding } from '../../src/core/doctor/finding.ts';
import { allows, trustsRole, webIdentityTrust, wildcardMatch } from '../../src/core/doctor/policy.ts';
import { regionOfQueueUrl } from '../../src/core/doctor/model.ts';
import type { KubeObject } from '../../src/core/kube/ports.ts';

const ACCOUNT = '123456789012';
const HOST = 'oidc.eks.us-east-1.amazonaws.com/id/ABC';
const PROVIDER = `arn:aws:iam::${ACCOUNT}:oidc-provider/${HOST}`;
const role = (n: string) => `arn:aws:iam::${ACCOUNT}:role/${n}`;
const OPERATOR = role('kedactl-demo-keda-operator');
const SCALER = role('kedactl-demo-scaler');
const CONSUMER = role('kedactl-demo-consumer');
const QUEUE_URL = `https://sqs.us-east-1.amazonaws.com/${ACCOUNT}/demo-queue`;
const QUEUE_ARN = `arn:aws:sqs:us-east-1:${ACCOUNT}:demo-queue`;

const webTrust = (sub: string, extra: Record<string, string> = {}) => ({
  Version: '2012-10-17',
  Statement: [
    {
      Effect: 'Allow' as const,
      Principal: { Federated: PROVIDER },
      Action: 'sts:AssumeRoleWithWebIdentity',
      Condition: { StringEquals: { [`${HOST}:sub`]: sub, [`${HOST}:aud`]: 'sts.amazonaws.com', ...extra } },
    },
  ],
});
const policy = (Action: string | string[], Resource: string) => ({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow' as const, Action, Resource }],
});
const roleEv = (arn: string, trust: RoleEvidence['trust'], policies: RoleEvidence['policies']): RoleEvidence => ({
  name: arn.split('/')[1]!,
  arn,
  trust,
  policies,
  unreadPolicies: [],
});
const k = (o: Record<string, unknown>) => o as unknown as KubeObject;
const READ_AT = '2026-11-30T12:00:00Z';
/** an ISO time `s` seconds before the evidence was read */
const ago = (s: number) => new Date(Date.parse(READ_AT) - s * 1000).toISOString().replace('.000', '');
const node = (name: string, allocatable: Record<string, string> = { cpu: '8', memory: '32Gi', pods: '110' }) =>
  k({ apiVersion: 'v1', kind: 'Node', metadata: { name }, status: { allocatable, conditions: [{ type: 'Ready', status: 'True' }] } });

function healthy(): Evidence {
  return {
    readAt: READ_AT,
    namespace: 'demo',
    scaledJobName: 'demo-processor',
    region: 'us-east-1',
    oidcIssuer: { url: `https://${HOST}`, from: 'EKS cluster demo' },
    stack: {
      stack: 'demo',
      region: 'us-east-1',
      auth: 'irsa',
      processingTime: 30,
      visibilityTimeout: 90,
      flags: '',
      roles: { kedaOperator: 'kedactl-demo-keda-operator', scaler: 'kedactl-demo-scaler', consumer: 'kedactl-demo-consumer' },
      analyzerService: 'demo-result-analyzer',
      queueName: 'demo-queue',
      crdProblems: found([]),
      analyzer: found({ processed: 3, killed: 0 }),
    },
    namespaceObject: found(k({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'demo' } })),
    scaledJob: found(
      k({
        apiVersion: 'keda.sh/v1alpha1',
        kind: 'ScaledJob',
        metadata: { name: 'demo-processor', namespace: 'demo' },
        spec: {
          jobTargetRef: {
            template: {
              spec: {
                serviceAccountName: 'demo-consumer',
                containers: [
                  {
                    name: 'consumer',
                    image: 'amazon/aws-cli:2.15.23',
                    env: [
                      { name: 'PROCESSING_SECONDS', value: '30' },
                      { name: 'VISIBILITY_TIMEOUT', value: '90' },
                    ],
                    resources: { requests: { cpu: '50m', memory: '64Mi' }, limits: { memory: '256Mi' } },
                  },
                ],
              },
            },
          },
          triggers: [
            {
              type: 'aws-sqs-queue',
              authenticationRef: { name: 'demo-aws' },
              metadata: { queueURL: QUEUE_URL, awsRegion: 'us-east-1', queueLength: '1', scaleOnInFlight: 'true' },
            },
          ],
        },
        status: {
          conditions: [
            { type: 'Ready', status: 'True', reason: 'ScaledJobReady' },
            { type: 'Active', status: 'False' },
          ],
        },
      }),
    ),
    triggerAuths: {
      'TriggerAuthentication demo-aws': found(
        k({
          apiVersion: 'keda.sh/v1alpha1',
          kind: 'TriggerAuthentication',
          metadata: { name: 'demo-aws' },
          spec: { podIdentity: { provider: 'aws', roleArn: SCALER } },
        }),
      ),
    },
    workloadServiceAccount: found(
      k({
        apiVersion: 'v1',
        kind: 'ServiceAccount',
        metadata: { name: 'demo-consumer', annotations: { 'eks.amazonaws.com/role-arn': CONSUMER } },
      }),
    ),
    keda: {
      namespace: 'keda',
      deployment: found(
        k({
          apiVersion: 'apps/v1',
          kind: 'Deployment',
          metadata: { name: 'keda-operator', labels: { 'app.kubernetes.io/version': '2.21.0' } },
          spec: { replicas: 1, template: { spec: { serviceAccountName: 'keda-operator' } } },
          status: { availableReplicas: 1, conditions: [{ type: 'Available', status: 'True' }] },
        }),
      ),
      serviceAccount: found(
        k({
          apiVersion: 'v1',
          kind: 'ServiceAccount',
          metadata: { name: 'keda-operator', annotations: { 'eks.amazonaws.com/role-arn': OPERATOR } },
        }),
      ),
      pods: found([
        k({
          apiVersion: 'v1',
          kind: 'Pod',
          metadata: { name: 'keda-operator-abc', creationTimestamp: '2026-11-30T10:00:00Z' },
          spec: {
            containers: [
              {
                name: 'keda-operator',
                env: [
                  { name: 'AWS_ROLE_ARN', value: OPERATOR },
                  { name: 'AWS_WEB_IDENTITY_TOKEN_FILE', value: '/var/run/secrets/eks.amazonaws.com/serviceaccount/token' },
                ],
              },
            ],
          },
        }),
      ]),
      scaledJobCrd: found(
        k({ apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', metadata: { name: 'scaledjobs.keda.sh' } }),
      ),
    },
    roles: {
      [OPERATOR]: found(roleEv(OPERATOR, webTrust('system:serviceaccount:keda:keda-operator'), { p: policy('sts:AssumeRole', SCALER) })),
      [SCALER]: found(
        roleEv(
          SCALER,
          { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: OPERATOR }, Action: 'sts:AssumeRole' }] },
          { p: policy('sqs:GetQueueAttributes', QUEUE_ARN) },
        ),
      ),
      [CONSUMER]: found(
        roleEv(CONSUMER, webTrust('system:serviceaccount:demo:demo-consumer'), {
          p: policy(['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:ChangeMessageVisibility', 'sqs:GetQueueAttributes'], QUEUE_ARN),
        }),
      ),
    },
    oidcProviders: { [PROVIDER]: found({ url: HOST, clientIds: ['sts.amazonaws.com'] }) },
    queues: [
      {
        url: QUEUE_URL,
        region: 'us-east-1',
        attributes: found({
          QueueArn: QUEUE_ARN,
          VisibilityTimeout: '90',
          ApproximateNumberOfMessages: '0',
          MessageRetentionPeriod: '345600',
        }),
      },
    ],
    jobs: found([]),
    pods: found([]),
    events: found([]),
    nodes: found([node('n1')]),
    operatorLog: {
      pod: 'keda-operator-abc',
      lines: 500,
      log: found(
        [
          '2026-11-30T10:00:00Z\tINFO\tReconciling ScaledJob\t{"ScaledJob": {"name":"demo-processor","namespace":"demo"}}',
          '2026-11-30T10:00:01Z\tERROR\tscaleexecutor\tfailed to get scale decision\t{"scaledJob.Name": "other-processor", "scaledJob.Namespace": "elsewhere", "error": "boom"}',
        ].join('\n'),
      ),
    },
  };
}

/** what is not ok, as "check verdict" */
const problems = (ev: Evidence) => diagnose(ev).findings.filter((f) => f.verdict === 'fail' || f.verdict === 'warn');
const only = (ev: Evidence, check: number, verdict: Finding['verdict']): Finding => {
  const p = problems(ev);
  expect(p.map((f) => `${f.check} ${f.verdict}`)).toEqual([`${check} ${verdict}`]);
  return p[0]!;
};
const sj = (ev: Evidence) => (ev.scaledJob as { value: any }).value;
const roleOf = (ev: Evidence, arn: string) => (ev.roles[arn] as { value: RoleEvidence }).value;

describe('doctor checks on evidence', () => {
  it('a healthy stack: every check ok, no warning, no failure, nothing skipped but the metrics server a ScaledJob does not use', () => {
    const r = diagnose(healthy());
    expect(r.findings.filter((f) => f.verdict !== 'ok')).toEqual([
      expect.objectContaining({
        check: 18,
        id: 'metrics-api',
        verdict: 'skipped',
        summary: expect.stringContaining('a ScaledJob does not use'),
      }),
    ]);
    expect(r.scaler).toEqual({ kind: 'ScaledJob', name: 'demo-processor' });
    expect(r.healthy).toBe(true);
    // the sub-checks that have something to judge here are there too
    expect(r.findings.map((f) => f.id)).toEqual(expect.arrayContaining(['retention', 'capacity', 'history']));
    expect([...new Set(r.findings.map((f) => f.check))].sort((a, b) => a - b)).toEqual([
      1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 18, 20, 21, 22, 23, 24,
    ]);
    // grouped AWS, KEDA, Jobs
    expect([...new Set(r.findings.map((f) => f.group))]).toEqual(['AWS', 'KEDA', 'Jobs']);
  });

  it('1: the deprecated aws-eks provider', () => {
    const ev = healthy();
    (ev.triggerAuths['TriggerAuthentication demo-aws'] as { value: any }).value.spec = { podIdentity: { provider: 'aws-eks' } };
    const f = only(ev, 1, 'fail');
    expect(f.summary).toContain('aws-eks, deprecated');
    expect(f.fix).toContain('provider: aws\n    roleArn: arn:aws:iam::<account>:role/kedactl-demo-scaler');
  });

  it('1: roleArn together with identityOwner workload, a missing TriggerAuthentication, no authenticationRef', () => {
    const both = healthy();
    (both.triggerAuths['TriggerAuthentication demo-aws'] as { value: any }).value.spec.podIdentity.identityOwner = 'workload';
    expect(only(both, 1, 'fail').summary).toContain('sets both roleArn and identityOwner: workload');
    const missing = healthy();
    missing.triggerAuths['TriggerAuthentication demo-aws'] = found(undefined);
    expect(only(missing, 1, 'fail').summary).toBe('triggers[0] names TriggerAuthentication demo/demo-aws, which does not exist');
    const none = healthy();
    delete sj(none).spec.triggers[0].authenticationRef;
    expect(only(none, 1, 'fail').summary).toContain('has no authenticationRef');
  });

  it('2: the OIDC provider missing, or without sts.amazonaws.com', () => {
    const gone = healthy();
    gone.oidcProviders[PROVIDER] = found(undefined);
    const f = only(gone, 2, 'fail');
    expect(f.summary).toBe(`the IAM OIDC provider for https://${HOST} does not exist: no IRSA role (KEDA's, the Jobs') can be assumed`);
    expect(f.fix).toContain('kedactl init --create-oidc-provider');
    const noAud = healthy();
    noAud.oidcProviders[PROVIDER] = found({ url: HOST, clientIds: ['other'] });
    expect(only(noAud, 2, 'fail').fix).toBe(
      `aws iam add-client-id-to-open-id-connect-provider --open-id-connect-provider-arn ${PROVIDER} --client-id sts.amazonaws.com`,
    );
  });

  it('3: a trust policy with the wrong :sub names the exact statement to put', () => {
    const ev = healthy();
    roleOf(ev, CONSUMER).trust = webTrust('system:serviceaccount:demo:default');
    const f = only(ev, 3, 'fail');
    expect(f.summary).toBe(
      `trust policy of kedactl-demo-consumer (the Jobs) does not let system:serviceaccount:demo:demo-consumer assume it: ${HOST}:sub is "system:serviceaccount:demo:default", not "system:serviceaccount:demo:demo-consumer"`,
    );
    expect(JSON.parse(f.fix!.slice(f.fix!.indexOf('{')))).toEqual(webTrust('system:serviceaccount:demo:demo-consumer').Statement[0]);
  });

  it('3: another provider, and an audience not pinned (warn)', () => {
    const other = healthy();
    roleOf(other, OPERATOR).trust.Statement[0]!.Principal = { Federated: `arn:aws:iam::${ACCOUNT}:oidc-provider/elsewhere` };
    expect(only(other, 3, 'fail').summary).toContain(`not this cluster's provider ${PROVIDER}`);
    const wide = healthy();
    delete roleOf(wide, OPERATOR).trust.Statement[0]!.Condition!.StringEquals![`${HOST}:aud`];
    expect(only(wide, 3, 'warn').summary).toContain(':aud is not pinned to sts.amazonaws.com');
  });

  it('4: no role annotation on KEDA (IMDS), and a pod older than the annotation (restart)', () => {
    const none = healthy();
    delete (none.keda.serviceAccount as { value: any }).value.metadata.annotations;
    // without the annotation, the operator role is unknown: the chain check cannot be judged (skipped)
    const f = only(none, 4, 'fail');
    expect(f.summary).toContain('falls back to the instance metadata service (IMDS)');
    expect(f.fix).toContain('--set podIdentity.aws.irsa.roleArn=arn:aws:iam::<account>:role/kedactl-demo-keda-operator');
    const stale = healthy();
    (stale.keda.pods as { value: any[] }).value[0].spec.containers[0].env = [];
    const g = only(stale, 4, 'fail');
    expect(g.summary).toContain('keda-operator-abc does not carry the role');
    expect(g.fix).toBe('kubectl -n keda rollout restart deployment keda-operator');
  });

  it('4: a read refused by RBAC is skipped, naming the permission, and fails nothing', () => {
    const ev = healthy();
    ev.keda.serviceAccount = { state: 'forbidden', needs: 'get serviceaccounts in namespace keda' };
    const r = diagnose(ev);
    expect(problems(ev)).toEqual([]);
    expect(r.findings.find((f) => f.check === 4)).toMatchObject({
      verdict: 'skipped',
      summary: 'forbidden (needs get serviceaccounts in namespace keda) to read service account keda/keda-operator',
    });
  });

  it('5: the assume chain, each half', () => {
    const noGrant = healthy();
    roleOf(noGrant, OPERATOR).policies = {};
    const f = only(noGrant, 5, 'fail');
    expect(f.summary).toBe(
      `KEDA cannot assume kedactl-demo-scaler: kedactl-demo-keda-operator's policies do not allow sts:AssumeRole on ${SCALER}`,
    );
    const noTrust = healthy();
    roleOf(noTrust, SCALER).trust.Statement[0]!.Principal = { AWS: role('someone-else') };
    expect(only(noTrust, 5, 'fail').fix).toContain(`"AWS": "${OPERATOR}"`);
  });

  it('6: permissions of the role KEDA reads with, and the published example (no roleArn: KEDA uses its own role)', () => {
    const ev = healthy();
    roleOf(ev, SCALER).policies = { p: policy('sqs:SendMessage', QUEUE_ARN) };
    expect(only(ev, 6, 'fail').summary).toBe(
      "KEDA cannot sqs:GetQueueAttributes on demo-queue: kedactl-demo-scaler's policies do not allow it",
    );
    const published = healthy();
    (published.triggerAuths['TriggerAuthentication demo-aws'] as { value: any }).value.spec = { podIdentity: { provider: 'aws' } };
    const f = only(published, 6, 'fail');
    expect(f.summary).toContain("kedactl-demo-keda-operator's policies do not allow it");
    const deny = healthy();
    roleOf(deny, CONSUMER).policies.deny = {
      Version: '2012-10-17',
      Statement: [{ Effect: 'Deny', Action: 'sqs:DeleteMessage', Resource: '*' }],
    };
    expect(only(deny, 6, 'fail').summary).toBe(
      "the Jobs cannot sqs:DeleteMessage on demo-queue: kedactl-demo-consumer's policies do not allow it",
    );
  });

  it('7: the queue in another region than awsRegion', () => {
    const ev = healthy();
    sj(ev).spec.triggers[0].metadata.awsRegion = 'eu-west-1';
    const urlMismatch = only(ev, 7, 'fail');
    expect(urlMismatch.summary).toBe(
      "awsRegion eu-west-1 is not the queue URL's region us-east-1: KEDA asks SQS in eu-west-1, where this queue is not",
    );
    // an emulator's URL has no region: doctor asked SQS in awsRegion and found it elsewhere
    const moto = healthy();
    sj(moto).spec.triggers[0].metadata = {
      ...sj(moto).spec.triggers[0].metadata,
      queueURL: 'http://127.0.0.1:5000/123456789012/demo-queue',
      awsRegion: 'eu-west-1',
    };
    moto.queues = [
      { url: 'http://127.0.0.1:5000/123456789012/demo-queue', region: 'eu-west-1', attributes: found(undefined), foundIn: 'us-east-1' },
    ];
    const f = only(moto, 7, 'fail');
    expect(f.summary).toBe("the queue is not in eu-west-1 (the trigger's awsRegion, where KEDA asks) but in us-east-1");
    expect(f.fix).toContain('set triggers[0].metadata.awsRegion: us-east-1');
  });

  it('8: a visibility timeout shorter than the processing time; a dead-letter queue holding messages', () => {
    const ev = healthy();
    (ev.queues[0]!.attributes as { value: any }).value.VisibilityTimeout = '20';
    const f = only(ev, 8, 'fail');
    expect(f.summary).toContain("the queue's VisibilityTimeout (20s) is not longer than the processing time (30s)");
    expect(f.fix).toContain('kedactl init --visibility-timeout 90');
    const dlq = healthy();
    dlq.queues[0]!.deadLetter = {
      arn: `${QUEUE_ARN}-dlq`,
      url: `${QUEUE_URL}-dlq`,
      attributes: found({ ApproximateNumberOfMessages: '3' }),
    };
    expect(only(dlq, 8, 'warn').summary).toContain('3 message(s) wait in the dead-letter queue demo-queue-dlq');
  });

  it('9: accurate with scaleOnInFlight over-scales (warn, with the flag to fix it)', () => {
    const ev = healthy();
    sj(ev).spec.scalingStrategy = { strategy: 'accurate' };
    const f = only(ev, 9, 'warn');
    expect(f.fix).toBe('kedactl init --strategy default');
    sj(ev).spec.triggers[0].metadata.scaleOnInFlight = 'false';
    expect(problems(ev)).toEqual([]);
  });

  it('10: failing Jobs: image pulls, OOM kills, errors with the last log lines', () => {
    const pod = (name: string, status: unknown) =>
      k({
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name },
        status: { containerStatuses: [{ name: 'consumer', image: 'nope:1', ...(status as object) }] },
      });
    const ev = healthy();
    ev.pods = found([pod('p1', { state: { waiting: { reason: 'ImagePullBackOff', message: 'not found' } } })]);
    expect(only(ev, 10, 'fail').summary).toBe('1 Pod(s) cannot pull the image nope:1');
    ev.pods = found([pod('p2', { state: { terminated: { reason: 'OOMKilled', exitCode: 137 } } })]);
    expect(only(ev, 10, 'fail').summary).toContain('OOMKilled: the memory limit 256Mi');
    ev.pods = found([pod('p3', { state: { terminated: { reason: 'Error', exitCode: 1 } } })]);
    ev.failedPodLog = { pod: 'p3', container: 'consumer', log: found('line 1\nAccessDenied on ReceiveMessage\n') };
    expect(only(ev, 10, 'fail').evidence).toEqual([
      '0 Job(s): 0 failed',
      'pod p3: Error (exit code 1)',
      'last 2 log line(s) of pod p3:',
      '  | line 1',
      '  | AccessDenied on ReceiveMessage',
    ]);
  });

  it('8: a backlog that cannot be taken within the retention period; a dead-letter queue that keeps messages no longer than the queue', () => {
    const ev = healthy();
    Object.assign((ev.queues[0]!.attributes as { value: any }).value, {
      ApproximateNumberOfMessages: '5000',
      MessageRetentionPeriod: '600',
    });
    const f = only(ev, 8, 'warn');
    expect(f.summary).toBe(
      '5000 message(s) wait in demo-queue; at most 100 Jobs of 30s take them in 25m00s at best, longer than the queue keeps a message (10m00s): the last ones are deleted unprocessed',
    );
    expect(f.fix).toContain('kedactl init --max-replicas 250');
    expect(f.evidence).toContain("the oldest message's age is CloudWatch's ApproximateAgeOfOldestMessage, which doctor does not read");
    // the same backlog with the default retention (4 days) is fine
    (ev.queues[0]!.attributes as { value: any }).value.MessageRetentionPeriod = '345600';
    expect(problems(ev)).toEqual([]);
    const dlq = healthy();
    dlq.queues[0]!.deadLetter = {
      arn: `${QUEUE_ARN}-dlq`,
      url: `${QUEUE_URL}-dlq`,
      attributes: found({ ApproximateNumberOfMessages: '0', MessageRetentionPeriod: '345600' }),
    };
    const g = only(dlq, 8, 'warn');
    expect(g.summary).toContain('keeps messages 4d00h, not longer than demo-queue (4d00h)');
    expect(g.fix).toBe(
      `aws sqs set-queue-attributes --queue-url ${QUEUE_URL}-dlq --attributes MessageRetentionPeriod=1209600 (14 days, the most SQS keeps)`,
    );
    (dlq.queues[0]!.deadLetter.attributes as { value: any }).value.MessageRetentionPeriod = '1209600';
    expect(problems(dlq)).toEqual([]);
  });

  it('9: Pods Pending longer than pollingInterval over-scale with accurate (not with default)', () => {
    const pending = (name: string, age: number) =>
      k({ apiVersion: 'v1', kind: 'Pod', metadata: { name, creationTimestamp: ago(age) }, status: { phase: 'Pending' } });
    const ev = healthy();
    sj(ev).spec.scalingStrategy = { strategy: 'accurate' };
    sj(ev).spec.triggers[0].metadata.scaleOnInFlight = 'false';
    sj(ev).spec.pollingInterval = 10;
    ev.pods = found([pending('young', 5), pending('old', 125)]);
    const f = only(ev, 9, 'warn');
    expect(f.summary).toBe(
      "1 Pod(s) have sat Pending longer than pollingInterval (10s), the longest 2m05s: start-up outlasts KEDA's polls, and with strategy accurate every poll between a Pod starting and taking its message starts Jobs again for that message (over-scaling, up to maxReplicaCount 100)",
    );
    expect(f.evidence).toContain('pod old: Pending for 2m05s');
    expect(f.fix).toBe('kedactl init --strategy default (counts every unfinished Job), or --polling-interval 125');
    sj(ev).spec.scalingStrategy = { strategy: 'default' };
    expect(problems(ev)).toEqual([]);
    expect(diagnose(ev).findings.find((x) => x.id === 'start-up')?.summary).toContain(
      'strategy default counts their Jobs until they finish',
    );
  });

  it('9: maxReplicaCount above what the Nodes hold (requests against allocatable, Ready and schedulable Nodes only)', () => {
    const ev = healthy();
    sj(ev).spec.maxReplicaCount = 200;
    // 8 cores / 50m = 160, 32Gi / 64Mi = 512, pods 110: 110 per Node
    const f = only(ev, 9, 'warn');
    expect(f.summary).toMatch(/^maxReplicaCount 200 is more than the Nodes can hold \(at most 110 Job Pods, on empty Nodes\)/);
    expect(f.fix).toBe('kedactl init --max-replicas 110, or add Nodes');
    ev.nodes = found([node('n1'), node('n2', { cpu: '5', memory: '16Gi', pods: '110' })]);
    expect(problems(ev)).toEqual([]); // 110 + 100 (5 cores / 50m)
    const cordoned = node('n2', { cpu: '4', memory: '16Gi', pods: '110' }) as any;
    cordoned.spec = { unschedulable: true };
    ev.nodes = found([node('n1'), cordoned]);
    expect(only(ev, 9, 'warn').evidence).toContain('1 of 2 Node(s) Ready and schedulable: at most 110 such Pods on them, empty');
    const forbidden = healthy();
    forbidden.nodes = { state: 'forbidden', needs: 'list nodes (cluster-wide)' };
    expect(problems(forbidden)).toEqual([]);
    expect(diagnose(forbidden).findings.find((x) => x.id === 'capacity')).toMatchObject({
      verdict: 'skipped',
      summary: "forbidden (needs list nodes (cluster-wide)) to read the cluster's Nodes (to compare maxReplicaCount with what they hold)",
    });
  });

  it('10: finished Jobs beyond the history limit, long after KEDA should have deleted them', () => {
    const job = (name: string, finishedAgo: number) =>
      k({
        apiVersion: 'batch/v1',
        kind: 'Job',
        metadata: { name, creationTimestamp: ago(finishedAgo + 40) },
        status: { completionTime: ago(finishedAgo), succeeded: 1, conditions: [{ type: 'Complete', status: 'True' }] },
      });
    const ev = healthy();
    sj(ev).spec.successfulJobsHistoryLimit = 1;
    ev.jobs = found([job('j1', 3600), job('j2', 3500), job('j3', 3400)]);
    const f = only(ev, 10, 'warn');
    expect(f.summary).toBe(
      '3 succeeded Jobs are kept, 2 more than successfulJobsHistoryLimit (1), the oldest finished 1h00m ago: KEDA deletes them at every poll (30s), so its clean-up is not running (is its operator up, and allowed to delete Jobs here?)',
    );
    expect(f.fix).toContain('kubectl -n demo delete job j1 j2');
    // just finished: KEDA's next poll deletes them
    ev.jobs = found([job('j1', 20), job('j2', 10), job('j3', 5)]);
    expect(problems(ev)).toEqual([]);
  });

  it("11: the operator's error lines about this ScaledJob (not another's), and KEDA's word as evidence of the AWS cause", () => {
    const ev = healthy();
    const at = (t: string, id: string) =>
      `2026-11-30T${t}Z\tERROR\tscaleexecutor\tFailed to get scalers\t{"scaledJob.Name": "demo-processor", "scaledJob.Namespace": "demo", "error": "operation error SQS: GetQueueAttributes, https response error StatusCode: 403, RequestID: ${id}, api error AccessDenied"}`;
    const base = (ev.operatorLog!.log as { value: string }).value;
    // once: KEDA starting, or a one-off; not judged (shown on the ok line)
    ev.operatorLog!.log = found(`${base}\n${at('11:58:30', 'a')}\n`);
    expect(problems(ev)).toEqual([]);
    expect(diagnose(ev).findings.find((x) => x.summary.startsWith("KEDA's operator logged no lasting error"))!.summary).toContain(
      '1 error(s) logged within one polling interval only',
    );
    // at two polls (30 s apart, request ids aside): lasting
    const line = at('11:59:00', 'b');
    ev.operatorLog!.log = found(`${base}\n${at('11:58:30', 'a')}\n${line}\n`);
    const f = only(ev, 11, 'warn');
    expect(f.summary).toBe(
      "KEDA's operator keeps logging an error about ScaledJob demo/demo-processor (2 times in the last 500 lines of pod keda/keda-operator-abc, 2026-11-30T11:58:30Z to 2026-11-30T11:59:00Z): Failed to get scalers: operation error SQS: GetQueueAttributes, https response error StatusCode: 403, RequestID: b, api error AccessDenied",
    );
    expect(f.evidence).toEqual([line]);
    // the policy lacks the action: check 6 names the cause and carries KEDA's word
    roleOf(ev, SCALER).policies = { p: policy('sqs:ListQueueTags', QUEUE_ARN) };
    const six = problems(ev).find((x) => x.check === 6)!;
    expect(six.verdict).toBe('fail');
    expect(six.evidence).toContain(`KEDA's operator log (keda-operator-abc): ${line}`);
    const unread = healthy();
    unread.operatorLog!.log = { state: 'failed', error: 'the server could not find the requested resource' };
    expect(problems(unread)).toEqual([]);
    expect(
      diagnose(unread)
        .findings.filter((x) => x.verdict === 'skipped' && x.check !== 18)
        .map((x) => x.summary),
    ).toEqual([
      "could not read the log of KEDA's operator pod keda/keda-operator-abc: the server could not find the requested resource",
      "could not read the log of KEDA's operator pod keda/keda-operator-abc: the server could not find the requested resource: whether KEDA reaches STS at sts.us-east-1.amazonaws.com is not known",
    ]);
  });

  it("11: KEDA's word: not Ready, Warning events", () => {
    const ev = healthy();
    sj(ev).status.conditions[0] = { type: 'Ready', status: 'False', reason: 'ScaledJobCheckFailed', message: 'bad trigger' };
    expect(only(ev, 11, 'fail').summary).toBe('KEDA says ScaledJob demo/demo-processor is not Ready: ScaledJobCheckFailed: bad trigger');
    // a trigger KEDA's scaler fails on is not a field to fix: the AWS checks say why
    sj(ev).status.conditions[0] = {
      type: 'Ready',
      status: 'False',
      reason: 'TriggerError',
      message: 'Triggers defined in ScaledJob are not working correctly',
    };
    expect(only(ev, 11, 'fail').fix).toContain('the AWS checks above');
    const warned = healthy();
    warned.events = found([
      k({
        apiVersion: 'v1',
        kind: 'Event',
        metadata: { name: 'e' },
        involvedObject: { kind: 'ScaledJob', name: 'demo-processor' },
        type: 'Warning',
        reason: 'KEDAScalerFailed',
        message: 'AccessDenied',
        lastTimestamp: '2026-11-30T10:00:00Z',
      }),
    ]);
    expect(only(warned, 11, 'warn').summary).toContain('the last: KEDAScalerFailed: AccessDenied');
    // KEDA cancelling its own poll when it reloads the ScaledJob (right after init, for one) is not a problem
    const reloaded = healthy();
    reloaded.events = found([
      k({
        apiVersion: 'v1',
        kind: 'Event',
        metadata: { name: 'e' },
        involvedObject: { kind: 'ScaledJob', name: 'demo-processor' },
        type: 'Warning',
        reason: 'KEDAScalerFailed',
        message: 'operation error SQS: GetQueueAttributes, context canceled',
        lastTimestamp: '2026-11-30T10:00:00Z',
      }),
    ]);
    reloaded.operatorLog!.log = found(
      '2026-11-30T10:00:00Z\tERROR\tscaleexecutor\tError getting scale decision\t{"scaledJob.Name": "demo-processor", "scaledJob.Namespace": "demo", "error": "operation error SQS: GetQueueAttributes, context canceled"}\n',
    );
    expect(problems(reloaded)).toEqual([]);
  });

  it('12: KEDA missing, too old, or its CRDs refusing what kedactl renders', () => {
    const gone = healthy();
    gone.keda.deployment = found(undefined);
    delete gone.keda.serviceAccount;
    delete gone.keda.pods;
    const p = problems(gone).map((f) => `${f.check} ${f.verdict}`);
    expect(p).toEqual(['12 fail']);
    const old = healthy();
    (old.keda.deployment as { value: any }).value.metadata.labels['app.kubernetes.io/version'] = '2.19.0';
    expect(only(old, 12, 'warn').summary).toContain('KEDA 2.19.0 is not a release kedactl renders for');
    const refused = healthy();
    refused.stack!.crdProblems = found(['ScaledJob demo/demo-processor: spec.scalingStrategy.strategy must be one of ...']);
    expect(only(refused, 12, 'fail').evidence).toContain('ScaledJob demo/demo-processor: spec.scalingStrategy.strategy must be one of ...');
  });

  it('13: stuck deletion', () => {
    const ev = healthy();
    (ev.namespaceObject as { value: any }).value.metadata.deletionTimestamp = '2026-11-30T10:00:00Z';
    expect(only(ev, 13, 'fail').summary).toBe(
      'namespace demo is being deleted since 2026-11-30T10:00:00Z: nothing new can be created in it',
    );
    const sjDel = healthy();
    Object.assign(sj(sjDel).metadata, { deletionTimestamp: '2026-11-30T10:00:00Z', finalizers: ['finalizer.keda.sh'] });
    (sjDel.keda.deployment as { value: any }).value.status.availableReplicas = 0;
    (sjDel.keda.deployment as { value: any }).value.status.conditions = [{ type: 'Available', status: 'False' }];
    const f = problems(sjDel).find((x) => x.check === 13)!;
    expect(f.verdict).toBe('fail');
    expect(f.fix).toBe(`kubectl -n demo patch scaledjob demo-processor --type=merge -p '{"metadata":{"finalizers":null}}'`);
  });

  it('14: the analyzer not answering', () => {
    const ev = healthy();
    ev.stack!.analyzer = { state: 'failed', error: 'the result analyzer has no ready endpoints' };
    expect(only(ev, 14, 'fail').summary).toBe(
      "the result analyzer does not answer through the API server's proxy: the result analyzer has no ready endpoints",
    );
  });

  it('AWS unreadable: AWS checks are skipped with why, nothing fails', () => {
    const ev = healthy();
    ev.awsUnavailable = 'no region: pass --region (or set AWS_REGION)';
    ev.queues = [];
    ev.roles = {};
    expect(problems(ev)).toEqual([]);
    expect(
      diagnose(ev)
        .findings.filter((f) => f.verdict === 'skipped')
        .map((f) => f.check),
    ).toEqual([2, 3, 5, 6, 7, 18]);
  });
});

/** the same stack on the deployment workload: a ScaledObject scaling a consumer Deployment through KEDA's HPA */
function healthyDeployment(): Evidence {
  const ev = healthy();
  const job = sj(ev);
  ev.scaledJob = found(undefined);
  ev.jobs = undefined;
  ev.pods = undefined;
  ev.events = undefined;
  ev.nodes = undefined;
  ev.scaledObject = {
    name: 'demo-processor',
    object: found(
      k({
        apiVersion: 'keda.sh/v1alpha1',
        kind: 'ScaledObject',
        metadata: { name: 'demo-processor', namespace: 'demo', generation: 1 },
        spec: { scaleTargetRef: { name: 'demo-processor' }, minReplicaCount: 0, maxReplicaCount: 5, triggers: job.spec.triggers },
        status: {
          hpaName: 'keda-hpa-demo-processor',
          conditions: [
            {
              type: 'Ready',
              status: 'True',
              reason: 'ScaledObjectReady',
              message: 'ScaledObject is defined correctly and is ready for scaling',
            },
            { type: 'Active', status: 'True', reason: 'ScalerActive' },
            { type: 'Fallback', status: 'False' },
            { type: 'Paused', status: 'False' },
          ],
        },
      }),
    ),
    events: found([]),
    hpaName: 'keda-hpa-demo-processor',
    hpa: found(
      k({
        apiVersion: 'autoscaling/v2',
        kind: 'HorizontalPodAutoscaler',
        metadata: { name: 'keda-hpa-demo-processor', namespace: 'demo', generation: 1 },
        spec: { minReplicas: 1, maxReplicas: 5 },
        status: {
          observedGeneration: 1,
          currentReplicas: 2,
          desiredReplicas: 2,
          conditions: [
            { type: 'AbleToScale', status: 'True', reason: 'ReadyForNewScale' },
            { type: 'ScalingActive', status: 'True', reason: 'ValidMetricFound' },
            { type: 'ScalingLimited', status: 'False', reason: 'DesiredWithinRange' },
          ],
        },
      }),
    ),
    deploymentName: 'demo-processor',
    deployment: found(
      k({
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: 'demo-processor', namespace: 'demo' },
        spec: {
          replicas: 2,
          selector: { matchLabels: { 'kedactl.io/consumer': 'demo-processor' } },
          template: job.spec.jobTargetRef.template,
        },
        status: {
          replicas: 2,
          readyReplicas: 2,
          availableReplicas: 2,
          updatedReplicas: 2,
          conditions: [{ type: 'Available', status: 'True' }],
        },
      }),
    ),
    metricsApi: {
      name: 'v1beta1.external.metrics.k8s.io',
      apiService: found(
        k({
          apiVersion: 'apiregistration.k8s.io/v1',
          kind: 'APIService',
          metadata: { name: 'v1beta1.external.metrics.k8s.io' },
          spec: { service: { namespace: 'keda', name: 'keda-operator-metrics-apiserver', port: 443 } },
          status: { conditions: [{ type: 'Available', status: 'True', reason: 'Passed', message: 'all checks passed' }] },
        }),
      ),
      service: found(
        k({
          apiVersion: 'v1',
          kind: 'Service',
          metadata: { name: 'keda-operator-metrics-apiserver', namespace: 'keda' },
          spec: { selector: { app: 'keda-operator-metrics-apiserver' }, ports: [{ port: 443, targetPort: 6443 }] },
        }),
      ),
      endpoints: found([
        k({
          apiVersion: 'discovery.k8s.io/v1',
          kind: 'EndpointSlice',
          metadata: { name: 'keda-operator-metrics-apiserver-x' },
          endpoints: [{ addresses: ['10.0.0.7'], conditions: { ready: true }, targetRef: { name: 'keda-operator-metrics-apiserver-abc' } }],
        }),
      ]),
    },
  };
  return ev;
}
const so = (ev: Evidence) => (ev.scaledObject!.object as { value: any }).value;
const hpa = (ev: Evidence) => (ev.scaledObject!.hpa as { value: any }).value;
const apiService = (ev: Evidence) => (ev.scaledObject!.metricsApi.apiService as { value: any }).value;
const setCondition = (o: any, c: Record<string, string>) => {
  o.status.conditions = [...o.status.conditions.filter((x: { type: string }) => x.type !== c.type), c];
};

describe('doctor on the deployment workload (ScaledObject, HPA, metrics APIService, consumer Deployment)', () => {
  it('healthy: the ScaledObject checks replace the ScaledJob and Jobs ones; the shared checks read the ScaledObject', () => {
    const r = diagnose(healthyDeployment());
    expect(r.findings.filter((f) => f.verdict !== 'ok')).toEqual([]);
    expect(r.scaler).toEqual({ kind: 'ScaledObject', name: 'demo-processor' });
    const checks = [...new Set(r.findings.map((f) => f.check))].sort((a, b) => a - b);
    // no strategy (9), Jobs (10) or ScaledJob (11) check; 16-19 instead
    expect(checks).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 12, 13, 14, 16, 17, 18, 19, 20, 21, 22, 23, 24]);
    expect([...new Set(r.findings.map((f) => f.group))]).toEqual(['AWS', 'KEDA', 'Jobs', 'Consumers']);
    const f = (id: string) => r.findings.find((x) => x.id === id)!;
    expect(f('trigger-auth').summary).toContain('roleArn kedactl-demo-scaler');
    expect(f('scaledobject').summary).toBe(
      'KEDA reports ScaledObject demo/demo-processor Ready; Active: the queue has messages, the consumers run',
    );
    expect(f('hpa').summary).toBe("HPA demo/keda-hpa-demo-processor exists and reads KEDA's metric: 2 of max 5 replicas");
    expect(f('metrics-api').summary).toBe(
      "APIService v1beta1.external.metrics.k8s.io is Available, served by KEDA's metrics server keda/keda-operator-metrics-apiserver:443",
    );
    expect(f('metrics-api').evidence).toContain('endpoints: 10.0.0.7 (keda-operator-metrics-apiserver-abc)');
    expect(f('consumers').summary).toBe('the consumer Deployment demo/demo-processor runs 2 of 2 replicas available');
  });

  it("16: the ScaledObject missing, not Ready (with its reason and KEDA's last Warning event), not yet judged, paused", () => {
    const gone = healthyDeployment();
    gone.scaledObject!.object = found(undefined);
    const p = problems(gone);
    expect(p.find((x) => x.check === 16)).toMatchObject({
      verdict: 'fail',
      summary: 'ScaledObject demo/demo-processor does not exist: nothing scales the consumer Deployment demo-processor',
      fix: 'kedactl init',
    });
    // the checks that read it say so rather than fail on their own
    expect(p.map((x) => x.check)).toEqual([16]);

    const ev = healthyDeployment();
    setCondition(so(ev), {
      type: 'Ready',
      status: 'False',
      reason: 'ScaledObjectCheckFailed',
      message: "ScaledObject doesn't have correct scaleTargetRef specification",
    });
    ev.scaledObject!.events = found([
      k({
        apiVersion: 'v1',
        kind: 'Event',
        metadata: { name: 'e1' },
        type: 'Warning',
        reason: 'ScaledObjectCheckFailed',
        message: "Target resource doesn't exist",
        count: 4,
        involvedObject: { kind: 'ScaledObject', name: 'demo-processor', namespace: 'demo' },
      }),
    ]);
    const f = only(ev, 16, 'fail');
    expect(f.summary).toBe(
      "KEDA says ScaledObject demo/demo-processor is not Ready: ScaledObjectCheckFailed: ScaledObject doesn't have correct scaleTargetRef specification",
    );
    expect(f.evidence).toContain("KEDA's Warning event ScaledObjectCheckFailed (x4): Target resource doesn't exist");
    expect(f.evidence).toContain('metadata.generation: 1');

    const unknown = healthyDeployment();
    so(unknown).status.conditions = [];
    expect(only(unknown, 16, 'warn').summary).toContain('KEDA has not reported ScaledObject demo/demo-processor Ready');

    const idle = healthyDeployment();
    setCondition(so(idle), { type: 'Active', status: 'False', reason: 'ScalerNotActive' });
    expect(diagnose(idle).findings.find((x) => x.id === 'scaledobject')!.summary).toContain('not Active: the queue is empty');
  });

  it('17: the HPA missing (KEDA never made it; or the ScaledObject is paused), with the ScaledObject as evidence', () => {
    const ev = healthyDeployment();
    ev.scaledObject!.hpa = found(undefined);
    const f = only(ev, 17, 'fail');
    expect(f.summary).toBe(
      'HPA demo/keda-hpa-demo-processor does not exist: KEDA has not created it, so nothing scales the consumers between 1 and maxReplicaCount 5',
    );
    expect(f.evidence[0]).toBe('status.hpaName: keda-hpa-demo-processor');
    expect(f.evidence[1]).toContain('ScaledObject demo-processor: Ready: True (ScaledObjectReady');
    expect(f.fix).toContain('kubectl -n keda logs deployment/keda-operator | grep demo-processor');

    const paused = healthyDeployment();
    paused.scaledObject!.hpa = found(undefined);
    so(paused).metadata.annotations = { 'autoscaling.keda.sh/paused': 'true' };
    setCondition(so(paused), { type: 'Paused', status: 'True', reason: 'ScaledObjectPaused', message: 'ScaledObject is paused' });
    const p = problems(paused);
    expect(p.map((x) => `${x.check} ${x.verdict}`)).toEqual(['17 fail', '16 warn']);
    const h = p.find((x) => x.check === 17)!;
    expect(h.summary).toContain('KEDA deleted it because the ScaledObject is paused');
    expect(h.fix).toBe('kubectl -n demo annotate scaledobject demo-processor autoscaling.keda.sh/paused- (KEDA re-creates the HPA)');
  });

  it("17: the HPA's conditions: AbleToScale False, FailedGetExternalMetric, held at maxReplicaCount; idle at 0 is fine", () => {
    const cannot = healthyDeployment();
    setCondition(hpa(cannot), {
      type: 'AbleToScale',
      status: 'False',
      reason: 'FailedGetScale',
      message: 'deployments/scale "demo-processor" not found',
    });
    expect(only(cannot, 17, 'fail').summary).toBe(
      'HPA demo/keda-hpa-demo-processor cannot scale the Deployment demo-processor: FailedGetScale: deployments/scale "demo-processor" not found',
    );

    const metric = healthyDeployment();
    setCondition(hpa(metric), {
      type: 'ScalingActive',
      status: 'False',
      reason: 'FailedGetExternalMetric',
      message:
        'the HPA was unable to compute the replica count: unable to get external metric demo/s0-aws-sqs-queue/...: the server is currently unable to handle the request',
    });
    const f = only(metric, 17, 'fail');
    expect(f.summary).toContain("cannot read KEDA's metric (FailedGetExternalMetric): the metrics path");
    expect(f.summary).toContain('the server is currently unable to handle the request');
    expect(f.fix).toContain('check 18');

    const limited = healthyDeployment();
    hpa(limited).status.currentReplicas = 5;
    hpa(limited).status.desiredReplicas = 5;
    setCondition(hpa(limited), {
      type: 'ScalingLimited',
      status: 'True',
      reason: 'TooManyReplicas',
      message: 'the desired replica count is more than the maximum replica count',
    });
    const l = only(limited, 17, 'warn');
    expect(l.summary).toBe(
      'HPA demo/keda-hpa-demo-processor is held at maxReplicaCount 5 (it would run more: the desired replica count is more than the maximum replica count); 5 consumer Pod(s) run',
    );
    expect(l.evidence[0]).toBe('replicas: current 5, desired 5, min 1, max 5');
    expect(l.fix).toBe("kedactl init --max-replicas <more than 5>, if the cluster and the queue's consumers can take it");

    const idle = healthyDeployment();
    setCondition(hpa(idle), {
      type: 'ScalingActive',
      status: 'False',
      reason: 'ScalingDisabled',
      message: 'scaling is disabled since the replica count of the target is zero',
    });
    setCondition(hpa(idle), {
      type: 'ScalingLimited',
      status: 'True',
      reason: 'TooFewReplicas',
      message: 'the desired replica count is less than the minimum replica count',
    });
    expect(problems(idle)).toEqual([]);
    expect(diagnose(idle).findings.find((x) => x.id === 'hpa')!.summary).toContain('waits (the Deployment is at 0: KEDA wakes it)');
  });

  it("18: the APIService not Available (FailedDiscoveryCheck), missing, or pointing at a Service that is not KEDA's", () => {
    const ev = healthyDeployment();
    const message =
      'failing or missing response from https://10.0.0.7:6443/apis/external.metrics.k8s.io/v1beta1: Get "https://10.0.0.7:6443/apis/external.metrics.k8s.io/v1beta1": dial tcp 10.0.0.7:6443: i/o timeout';
    setCondition(apiService(ev), { type: 'Available', status: 'False', reason: 'FailedDiscoveryCheck', message });
    const f = only(ev, 18, 'fail');
    expect(f.summary).toBe(
      `APIService v1beta1.external.metrics.k8s.io is not Available (FailedDiscoveryCheck: ${message}): the API server cannot reach KEDA's metrics server, so no HPA reads KEDA's metric and nothing scales the ScaledObject while it lasts`,
    );
    expect(f.evidence).toEqual([
      'spec.service: keda/keda-operator-metrics-apiserver:443',
      `Available: False (FailedDiscoveryCheck: ${message})`,
      'Service keda/keda-operator-metrics-apiserver: selector {"app":"keda-operator-metrics-apiserver"}, ports ["443->6443"]',
      'endpoints: 10.0.0.7 (keda-operator-metrics-apiserver-abc)',
    ]);
    expect(f.fix).toContain('the API server must reach that Pod on 6443');
    expect(f.fix).toContain('kubectl -n keda get deployment,pods,endpointslices -l app=keda-operator-metrics-apiserver');

    const gone = healthyDeployment();
    gone.scaledObject!.metricsApi.apiService = found(undefined);
    expect(only(gone, 18, 'fail').summary).toBe(
      "APIService v1beta1.external.metrics.k8s.io does not exist: no HPA can read KEDA's metric, nothing scales a ScaledObject",
    );

    const other = healthyDeployment();
    apiService(other).spec.service = { namespace: 'monitoring', name: 'prometheus-adapter', port: 443 };
    other.scaledObject!.metricsApi.service = found(undefined);
    other.scaledObject!.metricsApi.endpoints = found([]);
    setCondition(apiService(other), {
      type: 'Available',
      status: 'False',
      reason: 'ServiceNotFound',
      message: 'service/prometheus-adapter in "monitoring" is not present',
    });
    const o = only(other, 18, 'fail');
    expect(o.summary).toContain(
      "points at monitoring/prometheus-adapter:443, not KEDA's metrics server keda/keda-operator-metrics-apiserver and is not Available (ServiceNotFound)",
    );
    expect(o.evidence).toContain('Service monitoring/prometheus-adapter does not exist');
    expect(o.evidence).toContain('endpoints: none ready');
    expect(o.fix).toContain('kubectl patch apiservice v1beta1.external.metrics.k8s.io');

    const forbidden = healthyDeployment();
    forbidden.scaledObject!.metricsApi.apiService = { state: 'forbidden', needs: 'get apiservices (cluster-wide)' };
    expect(problems(forbidden)).toEqual([]);
    expect(diagnose(forbidden).findings.find((x) => x.check === 18)).toMatchObject({
      verdict: 'skipped',
      summary: 'forbidden (needs get apiservices (cluster-wide)) to read APIService v1beta1.external.metrics.k8s.io',
    });
  });

  it('19: the consumer Deployment missing, short of available replicas, or not rolling out', () => {
    const gone = healthyDeployment();
    gone.scaledObject!.deployment = found(undefined);
    // no pod template: gather reads no service account for it
    gone.workloadServiceAccount = undefined;
    expect(only(gone, 19, 'fail').summary).toBe(
      "the consumer Deployment demo/demo-processor does not exist: KEDA has nothing to scale (the ScaledObject's scaleTargetRef names it)",
    );
    const short = healthyDeployment();
    (short.scaledObject!.deployment as { value: any }).value.status.availableReplicas = 1;
    const s = only(short, 19, 'warn');
    expect(s.summary).toBe(
      'the consumer Deployment demo/demo-processor has 1 of 2 replicas available (starting, or its Pods do not become ready)',
    );
    expect(s.fix).toContain('kubectl -n demo get pods -l kedactl.io/consumer=demo-processor');
    const stuck = healthyDeployment();
    (stuck.scaledObject!.deployment as { value: any }).value.status.conditions.push({
      type: 'Progressing',
      status: 'False',
      reason: 'ProgressDeadlineExceeded',
      message: 'ReplicaSet "demo-processor-5d" has timed out progressing.',
    });
    expect(only(stuck, 19, 'fail').summary).toContain('does not roll out: ProgressDeadlineExceeded');
  });
});

describe('IAM evaluation', () => {
  it('wildcards, explicit Deny, NotAction', () => {
    expect(wildcardMatch('sqs:Get*', 'sqs:GetQueueAttributes')).toBe(true);
    expect(wildcardMatch('arn:aws:sqs:*:1:q?', 'arn:aws:sqs:us-east-1:1:q1')).toBe(true);
    expect(wildcardMatch('arn:aws:sqs:*:1:q', 'arn:aws:sqs:us-east-1:1:q1')).toBe(false);
    const docs = {
      a: policy('sqs:*', '*'),
      b: { Version: '2012-10-17', Statement: [{ Effect: 'Deny' as const, Action: 'sqs:DeleteMessage', Resource: QUEUE_ARN }] },
    };
    expect(allows(docs, 'sqs:ReceiveMessage', QUEUE_ARN)).toMatchObject({ allowed: true, by: 'a Statement[0]' });
    expect(allows(docs, 'sqs:DeleteMessage', QUEUE_ARN)).toMatchObject({ allowed: false, by: 'b Statement[0] (Deny)' });
    expect(
      allows(
        { n: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', NotAction: 'iam:*', Resource: '*' } as never] } },
        'sqs:SendMessage',
        QUEUE_ARN,
      ).allowed,
    ).toBe(true);
  });
  it('trust: the role itself or its account root', () => {
    const t = (p: string) => ({
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow' as const, Principal: { AWS: p }, Action: 'sts:AssumeRole' }],
    });
    expect(trustsRole(t(OPERATOR), OPERATOR).allowed).toBe(true);
    expect(trustsRole(t(`arn:aws:iam::${ACCOUNT}:root`), OPERATOR).allowed).toBe(true);
    expect(trustsRole(t(SCALER), OPERATOR).allowed).toBe(false);
  });
  it('web identity: StringLike on :sub admits with a warning flag, a condition on another issuer does not', () => {
    const like = {
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow' as const,
          Principal: { Federated: PROVIDER },
          Action: 'sts:AssumeRoleWithWebIdentity',
          Condition: {
            StringLike: { [`${HOST}:sub`]: 'system:serviceaccount:demo:*' },
            StringEquals: { [`${HOST}:aud`]: 'sts.amazonaws.com' },
          },
        },
      ],
    };
    expect(webIdentityTrust(like, 'system:serviceaccount:demo:x', PROVIDER)).toMatchObject({ admits: true, subWildcard: true });
    const otherHost = webTrust('system:serviceaccount:demo:x');
    otherHost.Statement[0]!.Condition.StringEquals = { 'oidc.example/id/1:sub': 'system:serviceaccount:demo:x' } as never;
    expect(webIdentityTrust(otherHost, 'system:serviceaccount:demo:x', PROVIDER).admits).toBe(false);
  });
  it('region of a queue URL', () => {
    expect(regionOfQueueUrl(QUEUE_URL)).toBe('us-east-1');
    expect(regionOfQueueUrl('https://eu-west-1.queue.amazonaws.com/1/q')).toBe('eu-west-1');
    expect(regionOfQueueUrl('http://127.0.0.1:5000/123456789012/q')).toBeUndefined();
  });
});

/** the stack with static keys: a TriggerAuthentication whose secretTargetRef names the stack's Secret */
function healthyStatic(): Evidence {
  const ev = healthy();
  (ev.triggerAuths['TriggerAuthentication demo-aws'] as { value: any }).value.spec = {
    secretTargetRef: [
      { parameter: 'awsAccessKeyID', name: 'demo-aws-credentials', key: 'AWS_ACCESS_KEY_ID' },
      { parameter: 'awsSecretAccessKey', name: 'demo-aws-credentials', key: 'AWS_SECRET_ACCESS_KEY' },
      { parameter: 'awsSessionToken', name: 'demo-aws-credentials', key: 'AWS_SESSION_TOKEN' },
    ],
  };
  ev.secrets = { 'demo/demo-aws-credentials': found({ keys: { AWS_ACCESS_KEY_ID: 20, AWS_SECRET_ACCESS_KEY: 40 } }) };
  return ev;
}
const ta = (ev: Evidence) => (ev.triggerAuths['TriggerAuthentication demo-aws'] as { value: any }).value;
const at20 = (ev: Evidence) => diagnose(ev).findings.filter((f) => f.check === 20);

describe('20: the authentication chain to the last reference', () => {
  it('healthy: pod identity with a roleArn; static keys whose Secret has both keys (no session token: long-term keys)', () => {
    expect(at20(healthy())).toEqual([
      expect.objectContaining({
        verdict: 'ok',
        summary: 'TriggerAuthentication demo/demo-aws: every reference resolves (podIdentity aws)',
      }),
    ]);
    const s = healthyStatic();
    expect(problems(s).filter((f) => f.check === 20)).toEqual([]);
    expect(at20(s)[0]).toMatchObject({
      verdict: 'ok',
      summary: 'TriggerAuthentication demo/demo-aws: every reference resolves (3 secretTargetRef)',
      evidence: [
        'Secret demo/demo-aws-credentials key AWS_ACCESS_KEY_ID: 20 bytes',
        'Secret demo/demo-aws-credentials key AWS_SECRET_ACCESS_KEY: 40 bytes',
        'Secret demo/demo-aws-credentials key AWS_SESSION_TOKEN: absent',
      ],
    });
  });

  it("a Secret that does not exist, an empty key, a ref without a key: KEDA's words for what it then does", () => {
    const gone = healthyStatic();
    gone.secrets!['demo/demo-aws-credentials'] = found(undefined);
    const p = problems(gone).filter((f) => f.check === 20);
    expect(p.map((f) => f.summary)).toEqual([
      'TriggerAuthentication demo/demo-aws secretTargetRef[0] (parameter awsAccessKeyID) names Secret demo/demo-aws-credentials, which does not exist: KEDA logs "error trying to get secret from namespace" and resolves awsAccessKeyID to ""; KEDA then fails the trigger with "awsAccessKeyID not found"',
      'TriggerAuthentication demo/demo-aws secretTargetRef[1] (parameter awsSecretAccessKey) names Secret demo/demo-aws-credentials, which does not exist: KEDA logs "error trying to get secret from namespace" and resolves awsSecretAccessKey to ""; KEDA then fails the trigger with "awsSecretAccessKey not found"',
      'TriggerAuthentication demo/demo-aws secretTargetRef[2] (parameter awsSessionToken) names Secret demo/demo-aws-credentials, which does not exist: KEDA logs "error trying to get secret from namespace" and resolves awsSessionToken to ""; KEDA then signs with the keys alone, which AWS refuses for temporary keys',
    ]);
    expect(p.every((f) => f.verdict === 'fail')).toBe(true);
    expect(p[0]!.fix).toContain('kedactl init (writes the Secret)');

    const empty = healthyStatic();
    empty.secrets!['demo/demo-aws-credentials'] = found({ keys: { AWS_ACCESS_KEY_ID: 20, AWS_SECRET_ACCESS_KEY: 0 } });
    expect(only(empty, 20, 'fail').summary).toBe(
      'TriggerAuthentication demo/demo-aws secretTargetRef[1] (parameter awsSecretAccessKey): Secret demo/demo-aws-credentials has an empty key AWS_SECRET_ACCESS_KEY, so KEDA resolves awsSecretAccessKey to ""; KEDA then fails the trigger with "awsSecretAccessKey not found"',
    );

    const noKey = healthyStatic();
    ta(noKey).spec.secretTargetRef[0].key = '';
    expect(only(noKey, 20, 'fail').summary).toContain('has no key: KEDA logs "name, namespace and key are required"');
  });

  it("a ClusterTriggerAuthentication reads its Secrets in KEDA's namespace; a refused read is skipped", () => {
    const ev = healthyStatic();
    sj(ev).spec.triggers[0].authenticationRef = { name: 'shared-aws', kind: 'ClusterTriggerAuthentication' };
    ev.triggerAuths = { 'ClusterTriggerAuthentication shared-aws': found(k({ ...ta(ev), kind: 'ClusterTriggerAuthentication' })) };
    // the Secret is in the stack's namespace, not KEDA's: KEDA does not find it
    ev.secrets = { 'keda/demo-aws-credentials': found(undefined) };
    expect(problems(ev).filter((f) => f.check === 20)[0]!.summary).toContain(
      'names Secret keda/demo-aws-credentials, which does not exist',
    );
    ev.secrets = { 'keda/demo-aws-credentials': found({ keys: { AWS_ACCESS_KEY_ID: 20, AWS_SECRET_ACCESS_KEY: 40 } }) };
    expect(problems(ev).filter((f) => f.check === 20)).toEqual([]);
    ev.secrets = { 'keda/demo-aws-credentials': { state: 'forbidden', needs: 'get secrets in namespace keda' } };
    expect(at20(ev).map((f) => `${f.verdict} ${f.summary}`)).toContain(
      'skipped forbidden (needs get secrets in namespace keda) to read Secret keda/demo-aws-credentials (named by ClusterTriggerAuthentication shared-aws secretTargetRef[0] (parameter awsAccessKeyID))',
    );
  });

  it('expired temporary keys (the annotation status reads), against the time doctor read them', () => {
    const ev = healthyStatic();
    ev.secrets!['demo/demo-aws-credentials'] = found({
      keys: { AWS_ACCESS_KEY_ID: 20, AWS_SECRET_ACCESS_KEY: 40, AWS_SESSION_TOKEN: 300 },
      expiresAt: ago(60),
    });
    expect(only(ev, 20, 'fail').summary).toBe(
      `the temporary AWS credentials in Secret demo/demo-aws-credentials expired at ${ago(60)}: KEDA's next scaler rebuild reads the queue with them and is refused`,
    );
    ev.secrets!['demo/demo-aws-credentials'] = found({
      keys: { AWS_ACCESS_KEY_ID: 20, AWS_SECRET_ACCESS_KEY: 40, AWS_SESSION_TOKEN: 300 },
      expiresAt: ago(-3600),
    });
    expect(problems(ev)).toEqual([]);
  });

  it("env sources on the target's container: missing env, a container name that is not there, a secretKeyRef to nowhere", () => {
    const ev = healthyStatic();
    ta(ev).spec = {
      env: [
        { parameter: 'awsAccessKeyID', name: 'AWS_ACCESS_KEY_ID' },
        { parameter: 'awsSecretAccessKey', name: 'SECRET' },
      ],
    };
    const container = sj(ev).spec.jobTargetRef.template.spec.containers[0];
    container.env.push({ name: 'AWS_ACCESS_KEY_ID', value: 'AKIA...' });
    container.env.push({ name: 'SECRET', valueFrom: { secretKeyRef: { name: 'demo-aws-credentials', key: 'AWS_SECRET_ACCESS_KEY' } } });
    expect(problems(ev).filter((f) => f.check === 20)).toEqual([]);
    expect(at20(ev)[0]!.evidence).toEqual([
      'container consumer env AWS_ACCESS_KEY_ID: set',
      'container consumer env SECRET: Secret demo/demo-aws-credentials key AWS_SECRET_ACCESS_KEY',
    ]);
    container.env = container.env.filter((e: { name: string }) => e.name !== 'AWS_ACCESS_KEY_ID');
    expect(only(ev, 20, 'fail').summary).toBe(
      'TriggerAuthentication demo/demo-aws env[0] (parameter awsAccessKeyID, env AWS_ACCESS_KEY_ID): container consumer has no env AWS_ACCESS_KEY_ID, so KEDA resolves awsAccessKeyID to ""; KEDA then fails the trigger with "awsAccessKeyID not found"',
    );
    container.env.push({ name: 'AWS_ACCESS_KEY_ID', value: 'AKIA...' });
    ev.secrets!['demo/demo-aws-credentials'] = found(undefined);
    expect(only(ev, 20, 'fail').summary).toContain('from Secret demo/demo-aws-credentials key AWS_SECRET_ACCESS_KEY, which does not exist');
    ta(ev).spec.env[0].containerName = 'sidecar';
    expect(problems(ev).filter((f) => f.check === 20)[0]!.summary).toContain(
      'KEDA says "couldn\'t find container with name sidecar on Target object"',
    );
  });

  it("identityOwner workload: the target's service account must carry the role annotation KEDA reads", () => {
    const ev = healthy();
    ta(ev).spec = { podIdentity: { provider: 'aws', identityOwner: 'workload' } };
    expect(at20(ev)[0]).toMatchObject({
      verdict: 'ok',
      evidence: [`service account demo/demo-consumer: eks.amazonaws.com/role-arn: ${CONSUMER}`],
    });
    (ev.workloadServiceAccount as { value: any }).value.metadata.annotations = {};
    expect(at20(ev)[0]).toMatchObject({
      verdict: 'fail',
      summary:
        'TriggerAuthentication demo/demo-aws uses identityOwner: workload, and service account demo/demo-consumer has no eks.amazonaws.com/role-arn: KEDA fails the trigger with "annotation \'eks.amazonaws.com/role-arn\' not found"',
    });
    ev.workloadServiceAccount = found(undefined);
    expect(at20(ev)[0]!.summary).toContain(
      'does not exist: KEDA fails the trigger with "error getting service account: \'demo-consumer\'"',
    );
    const odd = healthy();
    ta(odd).spec.podIdentity.identityOwner = 'operator';
    expect(only(odd, 20, 'warn').summary).toContain('identityOwner "operator" is neither keda nor workload: KEDA treats it as keda');
    const ext = healthy();
    ta(ext).spec.podIdentity = { provider: 'aws', externalID: 'x' };
    expect(problems(ext).find((f) => f.check === 20)!.summary).toContain('"externalID of PodIdentity requires roleArn to be set"');
  });
});

const md = (ev: Evidence) => sj(ev).spec.triggers[0].metadata;
describe("21: the trigger as KEDA's SQS scaler parses it, against the stack", () => {
  it("healthy: the stack's queue, KEDA's defaults and values said back", () => {
    expect(diagnose(healthy()).findings.filter((f) => f.check === 21)).toEqual([
      expect.objectContaining({
        verdict: 'ok',
        group: 'AWS',
        summary:
          "triggers[0] parses as KEDA parses it and names the stack's queue demo-queue (queueLength 1, activationQueueLength 0, scaleOnInFlight true, scaleOnDelayed false)",
      }),
    ]);
  });

  it('another queue, a URL without /<account>/<queue>, a bare queue name', () => {
    const other = healthy();
    md(other).queueURL = `https://sqs.us-east-1.amazonaws.com/${ACCOUNT}/other-queue`;
    other.queues[0]!.url = md(other).queueURL;
    expect(only(other, 21, 'fail').summary).toBe(
      "triggers[0].metadata: queueURL names queue other-queue, not this stack's queue demo-queue: KEDA scales on another queue's length",
    );
    const path = healthy();
    md(path).queueURL = `https://sqs.us-east-1.amazonaws.com/demo-queue`;
    path.queues[0]!.url = md(path).queueURL;
    expect(problems(path).find((f) => f.check === 21)!.summary).toContain(
      '"error parsing SQS queue metadata: cannot get queueName from queueURL"',
    );
    const bare = healthy();
    md(bare).queueURL = 'demo-queue';
    bare.queues[0]!.url = 'demo-queue';
    expect(problems(bare).find((f) => f.check === 21)).toMatchObject({
      verdict: 'warn',
      summary: expect.stringContaining('is not a URL: KEDA takes it as a queue name'),
    });
  });

  it("the queue's account against the URL and against KEDA's credentials (cross-account: warn)", () => {
    const ev = healthy();
    const far = '210987654321';
    md(ev).queueURL = `https://sqs.us-east-1.amazonaws.com/${far}/demo-queue`;
    ev.queues[0]!.url = md(ev).queueURL;
    (ev.queues[0]!.attributes as { value: any }).value.QueueArn = `arn:aws:sqs:us-east-1:${far}:demo-queue`;
    const f = problems(ev).filter((x) => x.check === 21);
    expect(f.map((x) => `${x.verdict} ${x.summary}`)).toEqual([
      `warn triggers[0].metadata: queueURL is in account ${far}, KEDA's credentials (${SCALER}) in account ${ACCOUNT}: GetQueueAttributes across accounts needs the queue's policy to allow that role`,
    ]);
  });

  it('values KEDA cannot parse, a target of 0, a negative activation', () => {
    const ev = healthy();
    md(ev).queueLength = '1.5';
    expect(only(ev, 21, 'fail').summary).toBe(
      'triggers[0].metadata: queueLength "1.5" is not a whole number: KEDA fails the trigger with "error parsing SQS queue metadata: unable to set param \\"queueLength\\" value \\"1.5\\""',
    );
    const zero = healthy();
    md(zero).queueLength = '0';
    expect(only(zero, 21, 'fail').summary).toBe(
      'triggers[0].metadata: queueLength 0: KEDA skips dividing the queue by a target of 0 and computes 0 Jobs: it never scales on this trigger',
    );
    const neg = healthy();
    md(neg).activationQueueLength = '-1';
    expect(only(neg, 21, 'warn').summary).toContain('never scales to zero');
    const yes = healthy();
    md(yes).scaleOnDelayed = 'yes';
    expect(only(yes, 21, 'fail').summary).toContain('unable to parse boolean value \\"yes\\"');
  });

  it("awsEndpoint: where the stack has none, another than the stack's, missing where it has one; any on a ScaledJob not kedactl's warns", () => {
    const ev = healthy();
    md(ev).awsEndpoint = 'http://localhost:4566';
    expect(only(ev, 21, 'fail').summary).toBe(
      'triggers[0].metadata: awsEndpoint http://localhost:4566: KEDA asks that endpoint, not SQS (the stack sets none)',
    );
    ev.stack!.endpointUrl = 'http://localhost:4566/';
    expect(problems(ev)).toEqual([]);
    delete md(ev).awsEndpoint;
    expect(only(ev, 21, 'fail').summary).toContain("no awsEndpoint, while the stack's SQS is http://localhost:4566/");
    const notOurs = healthy();
    notOurs.stack = undefined;
    md(notOurs).awsEndpoint = 'http://localhost:4566';
    expect(diagnose(notOurs).findings.find((f) => f.check === 21)!.verdict).toBe('warn');
  });
});

describe('22: can it scale at all', () => {
  const at22 = (ev: Evidence) => diagnose(ev).findings.filter((f) => f.check === 22);
  it('healthy, on both workloads', () => {
    expect(at22(healthy())).toEqual([
      expect.objectContaining({ verdict: 'ok', summary: 'ScaledJob demo/demo-processor can scale between 0 and 100, not paused' }),
    ]);
    const d = healthyDeployment();
    d.neighbours = { scaledObjects: found([so(d)]), hpas: found([hpa(d)]) };
    d.nodes = found([node('n1')]);
    expect(at22(d)).toEqual([
      expect.objectContaining({
        id: 'capacity',
        verdict: 'ok',
        summary: 'maxReplicaCount 5 fits on the Nodes (at most 110 consumer Pods on them, empty)',
      }),
      expect.objectContaining({
        verdict: 'ok',
        summary: 'ScaledObject demo/demo-processor can scale between 0 and 5; no other ScaledObject or HPA scales demo-processor',
      }),
    ]);
  });

  it("a ScaledJob: paused by annotation (any value Go's ParseBool does not read as false), maxReplicaCount 0, min above max", () => {
    const ev = healthy();
    sj(ev).metadata.annotations = { 'autoscaling.keda.sh/paused': 'yes' };
    expect(only(ev, 22, 'warn')).toMatchObject({
      summary:
        'ScaledJob demo/demo-processor is paused (annotation autoscaling.keda.sh/paused: "yes"): KEDA starts no Job for the queue while it stays',
      fix: 'kubectl -n demo annotate scaledjob demo-processor autoscaling.keda.sh/paused-',
    });
    sj(ev).metadata.annotations = { 'autoscaling.keda.sh/paused': 'false' };
    expect(problems(ev)).toEqual([]);
    const zero = healthy();
    sj(zero).spec.maxReplicaCount = 0;
    // check 9's capacity compares 0 with the Nodes and is content; this one is not
    expect(only(zero, 22, 'fail').summary).toBe('maxReplicaCount 0: KEDA never starts a Job');
    const above = healthy();
    Object.assign(sj(above).spec, { minReplicaCount: 4, maxReplicaCount: 2 });
    expect(only(above, 22, 'warn').summary).toContain('KEDA reads both as 2 and keeps 2 Jobs running');
  });

  it("a ScaledObject: min above max in KEDA's words; a second ScaledObject, or an HPA not KEDA's, on the same Deployment; paused-replicas (check 16)", () => {
    const ev = healthyDeployment();
    Object.assign(so(ev).spec, { minReplicaCount: 6, maxReplicaCount: 5 });
    expect(only(ev, 22, 'fail').summary).toBe(
      'KEDA refuses ScaledObject demo/demo-processor: "MinReplicaCount=6 must be less than MaxReplicaCount=5"',
    );

    const two = healthyDeployment();
    const other = { ...so(two), metadata: { name: 'rogue', namespace: 'demo' }, status: { hpaName: 'keda-hpa-rogue' } };
    two.neighbours = { scaledObjects: found([so(two), other]), hpas: found([hpa(two)]) };
    expect(only(two, 22, 'fail').summary).toContain(
      "KEDA's webhook refuses the second one (\"the workload 'demo-processor' of type 'apps/v1.Deployment' is already managed by the ScaledObject 'rogue'\")",
    );
    const theirs = healthyDeployment();
    const plain = k({
      ...hpa(theirs),
      metadata: { name: 'consumer-cpu', namespace: 'demo' },
      spec: { scaleTargetRef: { kind: 'Deployment', name: 'demo-processor' } },
    });
    theirs.neighbours = { scaledObjects: found([so(theirs)]), hpas: found([hpa(theirs), plain]) };
    expect(only(theirs, 22, 'fail').summary).toContain("is already managed by the hpa 'consumer-cpu'");
    theirs.neighbours.hpas = { state: 'forbidden', needs: 'list horizontalpodautoscalers in namespace demo' };
    expect(problems(theirs)).toEqual([]);
    expect(at22(theirs).map((f) => f.verdict)).toEqual(['skipped', 'ok']);

    const held = healthyDeployment();
    so(held).metadata.annotations = { 'autoscaling.keda.sh/paused-replicas': '2' };
    expect(only(held, 16, 'warn')).toMatchObject({
      fix: 'kubectl -n demo annotate scaledobject demo-processor autoscaling.keda.sh/paused-replicas-',
    });

    const small = healthyDeployment();
    small.nodes = found([node('n1', { cpu: '100m', memory: '1Gi', pods: '110' })]);
    expect(only(small, 22, 'warn')).toMatchObject({
      id: 'capacity',
      summary:
        'maxReplicaCount 5 is more than the Nodes can hold (at most 2 consumer Pods, on empty Nodes): the HPA asks for consumers whose Pods stay Pending, unless an autoscaler adds Nodes',
      fix: 'kedactl init --max-replicas 2, or add Nodes',
    });

    const stale = healthyDeployment();
    hpa(stale).metadata.generation = 3;
    expect(only(stale, 22, 'warn').summary).toContain('generation 3, observed 1');
  });
});

describe("23: the identity's network path to STS", () => {
  const at23 = (ev: Evidence) => diagnose(ev).findings.filter((f) => f.check === 23);
  const stsError =
    '2026-11-30T11:59:00Z\tERROR\tscaleexecutor\tError getting scale decision\t{"scaledJob.Name": "demo-processor", "scaledJob.Namespace": "demo", "error": "operation error SQS: GetQueueAttributes, get identity: get credentials: failed to refresh cached credentials, operation error STS: AssumeRoleWithWebIdentity, exceeded maximum number of attempts, 3, https response error StatusCode: 0, RequestID: , request send failed, Post \\"https://sts.us-east-1.amazonaws.com/\\": dial tcp: lookup sts.us-east-1.amazonaws.com: i/o timeout"}';
  it('healthy: the regional endpoint KEDA asks, whatever sts-regional-endpoints says; none for static keys', () => {
    const ev = healthy();
    (ev.keda.serviceAccount as { value: any }).value.metadata.annotations['eks.amazonaws.com/sts-regional-endpoints'] = 'false';
    expect(at23(ev)).toEqual([
      expect.objectContaining({
        verdict: 'ok',
        summary: "KEDA's operator logged no network error reaching STS at sts.us-east-1.amazonaws.com",
        evidence: [
          "KEDA asks STS at sts.us-east-1.amazonaws.com (aws-sdk-go-v2 with the trigger's awsRegion)",
          "eks.amazonaws.com/sts-regional-endpoints on KEDA's service account: false (read only by the v1 SDKs; KEDA's v2 SDK asks the regional endpoint anyway)",
        ],
      }),
    ]);
    expect(at23(healthyStatic())).toEqual([]);
  });

  it("KEDA's log says it could not reach STS: warn, with KEDA's line; an IAM refusal from STS is not this", () => {
    const ev = healthy();
    ev.operatorLog!.log = found(stsError);
    const f = diagnose(ev).findings.find((x) => x.check === 23)!;
    expect(f).toMatchObject({
      verdict: 'warn',
      summary:
        "KEDA's operator could not reach STS at sts.us-east-1.amazonaws.com: its pod identity cannot get credentials while that lasts",
    });
    expect(f.evidence.some((e) => e.startsWith("KEDA's operator log (keda-operator-abc)") && e.includes('i/o timeout'))).toBe(true);
    // the SDK's retries push the cause far from the operation: the evidence keeps both
    const long = healthy();
    long.operatorLog!.log = found(
      stsError.replace(/StatusCode: 0/, `StatusCode: 0, ${'retry: exceeded maximum number of attempts, 3, '.repeat(12)}`),
    );
    const kept = at23(long)[0]!.evidence.find((e) => e.startsWith("KEDA's operator log"))!;
    expect(kept).toMatch(/operation error STS: AssumeRoleWithWebIdentity.* … .*i\/o timeout/);
    const denied = healthy();
    denied.operatorLog!.log = found(
      stsError.replace(
        /StatusCode: 0.*i\/o timeout/,
        'StatusCode: 403, AccessDenied: Not authorized to perform sts:AssumeRoleWithWebIdentity',
      ),
    );
    expect(at23(denied)[0]!.verdict).toBe('ok');
    const unread = healthy();
    unread.operatorLog = undefined;
    expect(at23(unread)[0]!.verdict).toBe('skipped');
  });
});

describe('24: KEDA version gates', () => {
  const version = (ev: Evidence, v: string) => {
    (ev.keda.deployment as { value: any }).value.metadata.labels['app.kubernetes.io/version'] = v;
  };
  const at24 = (ev: Evidence) => diagnose(ev).findings.filter((f) => f.check === 24);
  it('healthy on 2.21.0: what is used, with the release that brought it', () => {
    expect(at24(healthy())).toEqual([
      expect.objectContaining({ verdict: 'ok', summary: 'KEDA 2.21.0 does everything used here: podIdentity provider aws (since 2.13.0)' }),
    ]);
  });

  it("an older KEDA than what the stack relies on: provider aws before 2.13, externalID before 2.20, a ScaledJob's pause before 2.11", () => {
    const old = healthy();
    version(old, '2.12.1');
    expect(at24(old)).toEqual([
      expect.objectContaining({
        verdict: 'fail',
        summary:
          'podIdentity provider aws needs KEDA 2.13.0 or later; KEDA 2.12.1 does not know the provider and gives the trigger no AWS credentials',
        evidence: ['keda-operator version: 2.12.1', 'KEDA\'s CHANGELOG, v2.13.0: "Introduce new AWS Authentication" (#4134)'],
      }),
    ]);
    const ext = healthy();
    version(ext, '2.19.0');
    ta(ext).spec.podIdentity.externalID = 'shared-secret';
    expect(
      problems(ext)
        .filter((f) => f.check === 24)
        .map((f) => f.summary),
    ).toEqual([
      "podIdentity.externalID needs KEDA 2.20.0 or later; KEDA 2.19.0 drops it (its CRD has no such field), so the role's trust, which asks for the external ID, refuses KEDA",
    ]);
    const paused = healthy();
    version(paused, '2.10.1');
    sj(paused).metadata.annotations = { 'autoscaling.keda.sh/paused': 'false' };
    expect(at24(paused).map((f) => `${f.verdict} ${f.summary.split(';')[0]}`)).toEqual([
      'fail podIdentity provider aws needs KEDA 2.13.0 or later',
      'fail autoscaling.keda.sh/paused on a ScaledJob needs KEDA 2.11.0 or later',
      'warn autoscaling.keda.sh/paused: "false" needs KEDA 2.13.0 or later',
    ]);
    const unknown = healthy();
    version(unknown, 'main');
    expect(at24(unknown)[0]!.verdict).toBe('skipped');
  });
});
