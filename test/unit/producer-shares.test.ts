import { describe, expect, it } from 'vitest';
import { formatRanges, parseRanges, readPodLog, shares, unsent } from '../../src/core/producer/shares.ts';
import { producerJob } from '../../src/core/producer/job.ts';
import { inClusterLine, inClusterSummary } from '../../src/ui/produce-text.ts';
import { desiredStack } from '../../src/core/stack/desired.ts';
import { tmpdir } from 'node:os';
import { loadSettings } from '../../src/core/stack/load-settings.ts';

const testSettings = (flags: Record<string, unknown>) =>
  loadSettings({ flags: { region: 'eu-west-1', ...flags }, env: {}, cwd: tmpdir() }).settings;

describe('in-cluster producer: shares', () => {
  it('splits N into P contiguous shares that cover 0..N-1 once and differ by at most one', () => {
    for (const [n, p] of [
      [1000, 4],
      [1001, 4],
      [7, 3],
      [3, 8],
      [1, 1],
      [10_000_000, 100],
    ] as const) {
      const s = shares(n, p);
      expect(s.length).toBe(Math.min(n, p));
      expect(s[0]!.first).toBe(0);
      expect(s.at(-1)!.end).toBe(n);
      for (let i = 1; i < s.length; i++) expect(s[i]!.first).toBe(s[i - 1]!.end);
      const sizes = s.map((r) => r.end - r.first);
      expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
      expect(Math.min(...sizes)).toBeGreaterThan(0);
    }
    expect(formatRanges(shares(10, 3))).toBe('0-4 4-7 7-10');
    expect(parseRanges('0-4 4-7  7-10\n')).toEqual(shares(10, 3));
  });

  it("reads a Pod's log: the last progress line, refusals, and how it ended", () => {
    const log = [
      'share 1 250 500',
      'progress 10 10 0',
      'failed 263 InvalidMessageContents bad character',
      'progress 20 19 1',
      'some aws CLI noise',
      'progress 30 29 1',
    ].join('\n');
    expect(readPodLog(log)).toEqual({
      done: 30,
      sent: 29,
      failed: [{ message: 263, code: 'InvalidMessageContents', reason: 'bad character' }],
    });
    expect(readPodLog(`${log}\nfinished 249 1`)).toMatchObject({ done: 30, sent: 249, end: 'finished' });
    expect(readPodLog('share 0 0 5\nfatal AccessDenied User is not authorized')).toMatchObject({
      end: 'fatal',
      fatal: { code: 'AccessDenied', reason: 'User is not authorized' },
    });
    expect(readPodLog('progress 10 10 0\nstopped 20 20 0')).toMatchObject({ done: 20, sent: 20, end: 'stopped' });
  });

  it('what a Pod left: after its last progress line; nothing when finished; all of it when it said nothing', () => {
    const share = { first: 250, end: 500 };
    expect(unsent(share, readPodLog('progress 30 30 0'))).toEqual({ first: 280, end: 500 });
    expect(unsent(share, readPodLog('progress 250 250 0\nfinished 250 0'))).toBeUndefined();
    expect(unsent(share, readPodLog('progress 250 250 0'))).toBeUndefined();
    expect(unsent(share, undefined)).toEqual(share);
  });
});

describe('in-cluster producer: the stack', () => {
  it('producer local (the default): no producer role or service account; producer-policy.json still rendered for you to attach', async () => {
    const d = await desiredStack(testSettings({ stack: 'p1', accountId: '123456789012', oidcIssuer: 'https://oidc.example/id/X' }));
    expect(d.roles.map((r) => r.name)).not.toContain('kedactl-p1-producer');
    expect(d.objects.map((o) => o.object.metadata.name)).not.toContain('p1-producer');
    expect(d.documents.find((x) => x.file === 'producer-policy.json')).toMatchObject({ created: false });
  });

  it('producer in-cluster, irsa: a role that may only send to this queue, assumable only by the producer service account', async () => {
    const d = await desiredStack(
      testSettings({ stack: 'p2', producer: 'in-cluster', accountId: '123456789012', oidcIssuer: 'https://oidc.example/id/X' }),
    );
    const role = d.roles.find((r) => r.name === 'kedactl-p2-producer')!;
    expect(Object.values(role.policies)).toEqual([
      {
        Version: '2012-10-17',
        Statement: [{ Sid: 'SendToOneQueue', Effect: 'Allow', Action: 'sqs:SendMessage', Resource: d.arns.queue }],
      },
    ]);
    expect(role.trust.Statement[0]!.Condition).toEqual({
      StringEquals: { 'oidc.example/id/X:sub': 'system:serviceaccount:p2:p2-producer', 'oidc.example/id/X:aud': 'sts.amazonaws.com' },
    });
    const sa = d.objects.find((o) => o.object.kind === 'ServiceAccount' && o.object.metadata.name === 'p2-producer')!.object;
    expect(sa.metadata.annotations).toEqual({ 'eks.amazonaws.com/role-arn': role.arn });
    expect(sa.metadata.labels).toMatchObject({ 'kedactl.io/stack': 'p2' });
    const script = d.objects.find((o) => o.object.kind === 'ConfigMap' && o.object.metadata.name === 'p2-producer-script')!.object;
    expect((script as any).data['produce.sh']).toContain('send-message-batch');
  });

  it('producer in-cluster, static: the service account without a role (the Pods use the credentials Secret)', async () => {
    const d = await desiredStack(testSettings({ stack: 'p3', producer: 'in-cluster', auth: 'static', accountId: '123456789012' }));
    expect(d.roles).toEqual([]);
    const sa = d.objects.find((o) => o.object.kind === 'ServiceAccount' && o.object.metadata.name === 'p3-producer')!.object;
    expect(sa.metadata.annotations).toBeUndefined();
  });
});

describe('in-cluster producer: the Job of a round', () => {
  const round = {
    queueUrl: 'https://sqs.eu-west-1.amazonaws.com/123456789012/p4-queue',
    runId: 'abc123',
    round: 2,
    ranges: [
      { first: 30, end: 250 },
      { first: 260, end: 500 },
    ],
    parallelism: 4,
    maxBatchBytes: 262144,
  };
  it('irsa: Indexed, one Pod per range (never more at once than asked), no retry of a whole range, the producer service account, no keys', () => {
    const job = producerJob(testSettings({ stack: 'p4', producer: 'in-cluster', accountId: '123456789012' }), round) as any;
    expect(job.metadata).toMatchObject({
      name: 'p4-producer-abc123-2',
      namespace: 'p4',
      labels: { 'kedactl.io/stack': 'p4', 'kedactl.io/producer-run': 'abc123' },
    });
    expect(job.spec).toMatchObject({ completionMode: 'Indexed', completions: 2, parallelism: 2, backoffLimitPerIndex: 0 });
    const pod = job.spec.template.spec;
    expect(job.spec.template.metadata.labels).toMatchObject({ 'kedactl.io/stack': 'p4', 'kedactl.io/producer-run': 'abc123' });
    expect(pod.serviceAccountName).toBe('p4-producer');
    expect(pod.restartPolicy).toBe('Never');
    const c = pod.containers[0];
    expect(c.envFrom).toBeUndefined();
    expect(Object.fromEntries(c.env.map((e: any) => [e.name, e.value]))).toEqual({
      QUEUE_URL: round.queueUrl,
      AWS_REGION: 'eu-west-1',
      RANGES: '30-250 260-500',
      RUN_ID: 'abc123',
      MAX_BATCH_BYTES: '262144',
      BODY_TEMPLATE: undefined,
      CONTROL_DIR: '/control',
    });
    expect(pod.volumes.map((v: any) => v.configMap.name)).toEqual(['p4-producer-script', 'p4-producer-run']);
  });

  it('static: the credentials Secret; a body template with spaces in its braces reaches the script as it reads them', () => {
    const job = producerJob(testSettings({ stack: 'p5', producer: 'in-cluster', auth: 'static', accountId: '123456789012' }), {
      ...round,
      bodyTemplate: '{"id": "{{ videoId }}", "n": {{index}}}',
    }) as any;
    const c = job.spec.template.spec.containers[0];
    expect(c.envFrom).toEqual([{ secretRef: { name: 'p5-aws-credentials' } }]);
    expect(c.env.find((e: any) => e.name === 'BODY_TEMPLATE').value).toBe('{"id": "{{videoId}}", "n": {{index}}}');
  });
});

describe('in-cluster producer: what the terminal shows', () => {
  it('the live line sums the Pods; the summary says sent N of N, then the Pods and what they left', () => {
    expect(inClusterLine({ sent: 250, failed: 0, target: 1000, running: 3, done: 1, failedPods: 0, round: 1 }, 5)).toBe(
      '\rsent 250/1000 50 msg/s ETA 15s | Pods 3 running, 1 done, 0 failed\u001b[K',
    );
    const text = inClusterSummary({
      queue: 'q',
      queueUrl: 'u',
      requested: 100,
      sent: 90,
      failed: [],
      notAttempted: 10,
      stopped: false,
      seconds: 10,
      messagesPerSecond: 9,
      inCluster: {
        run: 'r',
        parallelism: 2,
        resumed: false,
        rounds: 4,
        pods: [
          { pod: 'a', round: 1, index: 0, share: { first: 0, end: 50 }, phase: 'succeeded', sent: 50, done: 50 },
          { pod: 'b', round: 4, index: 0, share: { first: 80, end: 100 }, phase: 'failed', sent: 0, done: 0, exitCode: 1 },
        ],
        unsent: [{ pod: 'b', first: 91, last: 100, why: 'the Pod exited 1 in each of 4 rounds' }],
      },
    });
    expect(text.split('\n')).toEqual([
      'sent 90 of 100 messages to q in 10.0s (9 msg/s)',
      '10 not attempted',
      'from 2 producer Pods (parallelism 2, 4 rounds): 1 done, 1 failed',
      '  messages 91-100 not sent by Pod b: the Pod exited 1 in each of 4 rounds',
    ]);
  });
});
