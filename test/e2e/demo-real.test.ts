// The whole demo, for real: KEDA installed by the real helm (4 and 3, built from the Go module proxy) from
// KEDA's real chart (2.20.2, ../shared/reference), whose operator, metrics server and admission webhooks the
// test node runs as the real binaries of that release; the real Job and namespace controllers
// (kube-controller-manager); a node agent that runs the consumer Pods' real consume.sh with real bash, curl
// and the aws CLI, against real moto. Nothing is played by hand between `init` and `teardown`.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { GetRolePolicyCommand, IAMClient, ListRolePoliciesCommand, PutRolePolicyCommand } from '@aws-sdk/client-iam';
import { KEDA_CHART_DIR, KEDA_CHART_VERSION, startDemoCluster, type DemoCluster } from '../support/demo-cluster.ts';
import { ensureHelm, helmHome, HELM_VERSIONS } from '../support/helm.ts';
import { kubeRequest } from '../support/kube-rig.ts';
import { motoCliEnv } from '../support/aws.ts';
import { MOTO_ENV, MOTO_ACCOUNT, motoEndpoint, uniqueStack, type Moto } from '../support/moto.ts';
import { pollUntil } from '../support/poll.ts';
import { startMotoWithIam } from '../support/moto-iam.ts';
import { awsState } from '../support/stack-state.ts';
import { podLogTail } from '../support/node-agent.ts';
import { runBin, runCli, type CliRun } from '../support/run-cli.ts';
import * as run from '../support/demo-run.ts';

const MINUTE = 60_000;
/** the helm of every new user, and the one before it (test/rig/helm.sh builds both) */
const [HELM_4, HELM_3] = HELM_VERSIONS;
/** KEDA's chart and the release it installs, passed to init as a user with the chart on disk would */
const KEDA_FLAGS = ['--keda-chart', KEDA_CHART_DIR, '--keda-version', KEDA_CHART_VERSION];

let cluster: DemoCluster;
let env: NodeJS.ProcessEnv;

/**
 * A cluster of the describe block's own (KEDA lives in one namespace per cluster), with the real helm of
 * `helmVersion` first on PATH and a helm home of its own. Building the KEDA binaries, helm and
 * kube-controller-manager on a fresh machine happens in the global setup, before any file's timeouts run.
 */
function useDemoCluster(
  helmVersion: string,
  aws: () => { endpoint: string; env: NodeJS.ProcessEnv; nodeEnv?: Record<string, string> },
): void {
  let home: ReturnType<typeof helmHome> | undefined;
  beforeAll(async () => {
    const a = aws();
    const [bin, c] = await Promise.all([
      ensureHelm(helmVersion),
      startDemoCluster({ kedaChart: { version: KEDA_CHART_VERSION }, nodeEnv: a.nodeEnv }),
    ]);
    cluster = c;
    home = helmHome(bin);
    env = { ...a.env, ...home.env, KUBECONFIG: cluster.rig.kubeconfigPath };
    awsEndpoint = a.endpoint;
  }, 20 * MINUTE);
  afterAll(async () => {
    await cluster?.stop();
    home?.cleanup();
  }, 5 * MINUTE);
}
let awsEndpoint = '';

const sqs = () =>
  new SQSClient({
    region: MOTO_ENV.AWS_REGION,
    endpoint: awsEndpoint,
    credentials: { accessKeyId: env.AWS_ACCESS_KEY_ID!, secretAccessKey: env.AWS_SECRET_ACCESS_KEY! },
  });
const queueUrl = (stack: string) => `${awsEndpoint}/${MOTO_ACCOUNT}/${stack}-queue`;
async function depth(stack: string) {
  const a = (await sqs().send(new GetQueueAttributesCommand({ QueueUrl: queueUrl(stack), AttributeNames: ['All'] }))).Attributes ?? {};
  return { visible: Number(a.ApproximateNumberOfMessages), inFlight: Number(a.ApproximateNumberOfMessagesNotVisible) };
}

const results = async (stack: string) => {
  const r = await runCli(['results', '--stack', stack, '-o', 'json'], { env });
  return r.code === 0 ? (JSON.parse(r.stdout) as { processed: { count: number }; killed: { count: number } }) : undefined;
};

/** the shared readers of a demo run (test/support/demo-run.ts), on this file's cluster */
const podsSeen = (stack: string) => run.podsSeen(cluster, stack);
const consumerRuns = (stack: string) => run.consumerRuns(cluster, stack);
const consumersRunning = (stack: string) => run.consumersRunning(cluster, stack);
const expectChartInstalled = () => run.expectChartInstalled(cluster);
const stackLeftAfterKeda = (stack: string) => run.stackLeftAfterKeda(cluster, stack);
const { expectEveryMessageProcessed, runKey } = run;

/** the log of the chart's admission webhooks Pods so far */
const webhooksLog = () =>
  [...cluster.node.pods.values()]
    .filter((p) => p.namespace === 'keda' && p.name.startsWith('keda-admission-webhooks-'))
    .map((p) => podLogTail(p, 100_000))
    .join('\n');

/**
 * KEDA's admission webhooks (the chart's ValidatingWebhookConfiguration, failurePolicy Ignore) accept the
 * ScaledJob kedactl rendered: a server-side dry-run create of a copy goes through the API server to the
 * webhooks Pod, which logs it (whether the real apply met a ready webhook depends on timing; this does not).
 */
async function expectWebhookAccepts(stack: string): Promise<void> {
  const sj = (await kubeRequest(cluster.rig, 'GET', `/apis/keda.sh/v1alpha1/namespaces/${stack}/scaledjobs/${stack}-processor`)).json();
  const name = `${stack}-webhook-probe`;
  const copy = {
    apiVersion: sj.apiVersion,
    kind: sj.kind,
    metadata: { name, namespace: stack, labels: sj.metadata.labels },
    spec: sj.spec,
  };
  const r = await kubeRequest(cluster.rig, 'POST', `/apis/keda.sh/v1alpha1/namespaces/${stack}/scaledjobs?dryRun=All`, { body: copy });
  expect(r.status, r.body).toBe(201);
  await pollUntil(
    'the webhooks Pod logs the validation',
    async () =>
      webhooksLog()
        .split('\n')
        .some((l) => l.includes('validating scaledjob creation') && l.includes(`"name": "${name}"`))
        ? true
        : undefined,
    MINUTE,
    () => webhooksLog().split('\n').slice(-10).join('\n'),
  );
}

const fail = (r: CliRun, stack: string) =>
  `exit ${r.code}\nstdout:\n${r.stdout}\nstderr:\n${r.stderr}\npods:\n${podsSeen(stack)}\noperator (tail):\n${cluster.operatorLog().split('\n').slice(-30).join('\n')}`;

describe(`static mode, the whole demo (helm ${HELM_4}, KEDA's chart ${KEDA_CHART_VERSION})`, () => {
  useDemoCluster(HELM_4, () => ({ endpoint: motoEndpoint(), env: motoCliEnv() }));
  const stack = uniqueStack('real');
  const flags = [
    '--stack',
    stack,
    '--auth',
    'static',
    '--max-replicas',
    '10',
    '--processing-time',
    '2',
    '--polling-interval',
    '5',
    ...KEDA_FLAGS,
  ];
  let busiestFrame = '';
  let processed = -1;

  it(
    "init installs KEDA's chart with the real helm and creates the stack; KEDA's three servers run for real",
    async () => {
      const r = await runBin(['init', ...flags, '--yes'], { env, timeoutMs: 10 * MINUTE });
      expect(r.code, fail(r, stack)).toBe(0);
      expect(r.stdout).toContain(`stack "${stack}" is ready`);
      await expectChartInstalled();
      await expectWebhookAccepts(stack);
      // KEDA itself accepted the ScaledJob
      await pollUntil(
        'ScaledJob Ready=True set by KEDA',
        async () => {
          const sj = (
            await kubeRequest(cluster.rig, 'GET', `/apis/keda.sh/v1alpha1/namespaces/${stack}/scaledjobs/${stack}-processor`)
          ).json();
          return sj.status?.conditions?.find((c: any) => c.type === 'Ready' && c.status === 'True') ? true : undefined;
        },
        3 * MINUTE,
        () => cluster.operatorLog().split('\n').slice(-20).join('\n'),
      );
    },
    12 * MINUTE,
  );

  it(
    'produce 50 → KEDA creates Jobs, their Pods run consume.sh, the queue drains, watch --until-empty exits 0',
    async () => {
      const p = await runCli(['produce', ...flags, '--count', '50'], { env });
      expect(p.code, fail(p, stack)).toBe(0);
      const w = await runBin(['watch', '--stack', stack, '-o', 'ndjson', '--until-empty', '--timeout', '5m'], {
        env,
        timeoutMs: 6 * MINUTE,
      });
      expect(w.code, fail(w, stack)).toBe(0);
      const frames = w.stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l));
      expect(frames.length).toBeGreaterThan(1);
      // the busiest frame (most running Pods, the latest of those), for the record
      busiestFrame = JSON.stringify(frames.reduce((a, f) => ((f.pods?.running ?? 0) >= (a.pods?.running ?? 0) ? f : a), frames[0]));
      expect(
        frames.some((f) => f.jobs?.active > 0),
        'a frame with active Jobs',
      ).toBe(true);
      expect(await depth(stack)).toEqual({ visible: 0, inFlight: 0 });
      // the Jobs are KEDA's, made by the real operator for this ScaledJob
      const jobs = (
        await kubeRequest(
          cluster.rig,
          'GET',
          `/apis/batch/v1/namespaces/${stack}/jobs?labelSelector=scaledjob.keda.sh/name=${stack}-processor`,
        )
      ).json().items;
      expect(jobs.length).toBeGreaterThanOrEqual(5);
      expect(jobs.length).toBeLessThanOrEqual(100);
    },
    8 * MINUTE,
  );

  it(
    'results: every one of the 50 processed, each report counted once, killed 0',
    async () => {
      const r = await pollUntil(
        '50 processed',
        async () => {
          const x = await results(stack);
          return x && x.processed.count >= 50 && !consumersRunning(stack) ? x : undefined;
        },
        2 * MINUTE,
        () => podsSeen(stack),
      );
      expectEveryMessageProcessed(consumerRuns(stack), 50, r.processed.count);
      expect(r.killed.count).toBe(0);
      processed = r.processed.count;
    },
    3 * MINUTE,
  );

  it(
    'status exits 0 with the ScaledJob conditions KEDA set',
    async () => {
      const r = await runCli(['status', ...flags, '-o', 'json'], { env });
      expect(r.code, fail(r, stack)).toBe(0);
      const s = JSON.parse(r.stdout);
      expect(s.healthy).toBe(true);
      expect(s.keda).toMatchObject({ installed: true, ready: true, version: KEDA_CHART_VERSION });
      expect(s.scaledJob.ready).toMatch(/^True/);
      expect(s.results).toEqual({ processed, killed: 0 });
      expect(s.jobs.succeeded).toBeGreaterThanOrEqual(5);
      process.stderr.write(`[demo-real] a watch frame from the real run: ${busiestFrame}\n`);
    },
    2 * MINUTE,
  );

  it(
    "teardown leaves nothing, with the live operator handling its finalizers, and helm uninstalls KEDA's chart",
    async () => {
      const r = await runBin(['teardown', ...flags, '--yes'], { env, timeoutMs: 10 * MINUTE });
      expect(r.code, fail(r, stack)).toBe(0);
      expect(r.stdout).toContain(`stack "${stack}" torn down`);
      // the chart templates its CRDs (templates/crds/, not crds/), so helm uninstall deletes them with the rest
      expect(await stackLeftAfterKeda(stack)).toEqual([]);
      const aws = await awsState(stack);
      expect(aws.queues).toEqual({});
      expect(aws.roles).toEqual({});
    },
    11 * MINUTE,
  );
});

describe(`a killed consumer (helm ${HELM_3}, KEDA's chart ${KEDA_CHART_VERSION})`, () => {
  useDemoCluster(HELM_3, () => ({ endpoint: motoEndpoint(), env: motoCliEnv() }));
  const stack = uniqueStack('kill');
  // long enough to be caught mid-message; the visibility timeout (processing + 60 s) is what a lost message would cost
  const processing = 20;
  const flags = [
    '--stack',
    stack,
    '--auth',
    'static',
    '--max-replicas',
    '5',
    '--processing-time',
    String(processing),
    '--polling-interval',
    '2',
    ...KEDA_FLAGS,
  ];
  const produced = 4;

  it(
    'deleting a running consumer Pod mid-message returns its message at once and reports a kill; every message is still processed',
    async () => {
      const init = await runBin(['init', ...flags, '--yes'], { env, timeoutMs: 10 * MINUTE });
      expect(init.code, fail(init, stack)).toBe(0);
      await expectChartInstalled();
      const p = await runCli(['produce', ...flags, '--count', String(produced)], { env });
      expect(p.code, fail(p, stack)).toBe(0);

      // a consumer that holds a message (its log says so), caught while it sleeps through the processing time
      const log = (uid: string) => {
        try {
          return readFileSync(cluster.node.pods.get(uid)!.log, 'utf8');
        } catch {
          return '';
        }
      };
      const victim = await pollUntil(
        'a consumer processing a message',
        async () => {
          for (const [uid, r] of cluster.node.pods) {
            if (r.namespace !== stack || r.exitCode !== undefined) continue;
            const m = /processing message ([^\s:]+)/.exec(log(uid));
            if (m) return { uid, record: r, messageId: m[1]! };
          }
          return undefined;
        },
        3 * MINUTE,
        () => podsSeen(stack),
      );
      const killedAt = Date.now();
      const del = await kubeRequest(cluster.rig, 'DELETE', `/api/v1/namespaces/${stack}/pods/${victim.record.name}`);
      expect(del.status).toBeLessThan(300);

      // the kubelet's SIGTERM reached consume.sh's trap: message returned, kill reported, exit 143
      await pollUntil(
        'the killed consumer to exit',
        async () => (victim.record.exitCode !== undefined ? true : undefined),
        2 * MINUTE,
        () => log(victim.uid),
      );
      expect(victim.record.exitCode).toBe(143);
      expect(log(victim.uid)).toContain('SIGTERM: returning the message to the queue');
      expect(log(victim.uid)).not.toContain('could not return the message');

      // another consumer receives the same message long before its visibility timeout would have let it
      // (processing + 60 s after it was first received, so at least 60 s after the kill)
      const again = await pollUntil(
        'the same message received by another consumer',
        async () => {
          for (const [uid, r] of cluster.node.pods)
            if (uid !== victim.uid && r.namespace === stack && log(uid).includes(`processing message ${victim.messageId}`))
              return { uid, r };
          return undefined;
        },
        5 * MINUTE,
        () => podsSeen(stack),
      );
      const receivedAgainAfter = (Date.now() - killedAt) / 1000;
      expect(again.r.name).not.toBe(victim.record.name);
      await pollUntil(
        'the returned message processed',
        async () => (log(again.uid).includes(`message ${victim.messageId} processed and deleted`) ? true : undefined),
        3 * MINUTE,
        () => log(again.uid),
      );

      const r = await pollUntil(
        `${produced} processed`,
        async () => {
          const x = await results(stack);
          return x && x.processed.count >= produced && !consumersRunning(stack) ? x : undefined;
        },
        5 * MINUTE,
        () => podsSeen(stack),
      );
      expectEveryMessageProcessed(consumerRuns(stack), produced, r.processed.count);
      expect(r.killed.count).toBeGreaterThanOrEqual(1);
      // returned at once: received again sooner than the visibility timeout could have made it visible
      expect(receivedAgainAfter).toBeLessThan(60);
      await pollUntil(
        'an empty queue',
        async () => {
          const d = await depth(stack);
          return d.visible + d.inFlight === 0 ? true : undefined;
        },
        2 * MINUTE,
      );

      const t = await runBin(['teardown', ...flags, '--yes'], { env, timeoutMs: 10 * MINUTE });
      expect(t.code, fail(t, stack)).toBe(0);
      expect(await stackLeftAfterKeda(stack)).toEqual([]);
    },
    25 * MINUTE,
  );
});

describe('irsa mode: KEDA reaches the queue only through the operator role → scaler role chain, with IAM enforced', () => {
  // a moto server of this block's own: IAM enforcement is switched on for it after set-up
  let moto: Moto;
  let admin: { AWS_ACCESS_KEY_ID: string; AWS_SECRET_ACCESS_KEY: string };
  const stack = uniqueStack('irsa');
  const cluster_ = `eks-${stack}`;
  const flags = [
    '--stack',
    stack,
    '--cluster',
    cluster_,
    '--max-replicas',
    '10',
    '--processing-time',
    '2',
    '--polling-interval',
    '3',
    ...KEDA_FLAGS,
  ];
  beforeAll(async () => {
    const m = await startMotoWithIam(cluster_);
    moto = m.moto;
    admin = { AWS_ACCESS_KEY_ID: m.admin.accessKeyId, AWS_SECRET_ACCESS_KEY: m.admin.secretAccessKey };
  }, 5 * MINUTE);
  afterAll(async () => moto?.stop());
  useDemoCluster(HELM_4, () => ({
    endpoint: moto.endpoint,
    env: { ...motoCliEnv(), ...admin, AWS_ENDPOINT_URL: moto.endpoint },
    // the node's network: AWS is moto (the ScaledJob names no endpoint in irsa mode); no keys anywhere
    // (AWS_ENDPOINT_URL_STS too: aws-sdk-go-v2 builds the STS client of its web identity credentials before it
    // reads AWS_ENDPOINT_URL, so KEDA's operator would otherwise ask the real STS for its role)
    nodeEnv: { AWS_ENDPOINT_URL: moto.endpoint, AWS_ENDPOINT_URL_STS: moto.endpoint },
  }));

  it('IAM is enforced: moto refuses the root keys now', async () => {
    const r = await runCli(['status', '--stack', stack, '--cluster', cluster_], { env: { ...env, ...MOTO_ENV } });
    expect(r.code).not.toBe(0);
    expect(r.stderr + r.stdout).toMatch(/InvalidClientTokenId|security token|not authorized|AccessDenied/i);
  });

  it(
    "init, produce 20, drain, results: the chart's operator service account carries the planned role; the operator and the consumers use their roles only",
    async () => {
      // the role kedactl plans for KEDA's operator, from the plan itself
      const planned = await runCli(['plan', ...flags, '-o', 'json'], { env });
      expect(planned.code, fail(planned, stack)).toBe(0);
      const release = JSON.parse(planned.stdout).changes.find((c: any) => c.group === 'keda' && c.kind === 'helm release');
      const roleArn = release?.details.map((d: string) => /^podIdentity\.aws\.irsa\.roleArn=(.+)$/.exec(d)?.[1]).find(Boolean);
      expect(roleArn, planned.stdout).toMatch(new RegExp(`^arn:aws:iam::\\d{12}:role/kedactl-${stack}-keda-operator$`));

      const init = await runBin(['init', ...flags, '--create-oidc-provider', '--yes'], { env, timeoutMs: 10 * MINUTE });
      expect(init.code, fail(init, stack)).toBe(0);
      await expectChartInstalled();
      // the chart put the role on its own keda-operator service account, read back from the cluster
      const sa = (await kubeRequest(cluster.rig, 'GET', '/api/v1/namespaces/keda/serviceaccounts/keda-operator')).json();
      expect(sa.metadata.labels['helm.sh/chart']).toBe(`keda-${KEDA_CHART_VERSION}`);
      expect(sa.metadata.annotations?.['eks.amazonaws.com/role-arn']).toBe(roleArn);
      // the operator process has no keys, only the web identity of its service account
      const op = [...cluster.node.pods.values()].find((p) => p.namespace === 'keda');
      expect(op).toBeDefined();
      const p = await runCli(['produce', ...flags, '--count', '20'], { env });
      expect(p.code, fail(p, stack)).toBe(0);
      const w = await runBin(['watch', '--stack', stack, '-o', 'ndjson', '--until-empty', '--timeout', '5m'], {
        env,
        timeoutMs: 6 * MINUTE,
      });
      expect(w.code, fail(w, stack)).toBe(0);
      const r = await pollUntil(
        '20 processed',
        async () => {
          const x = await results(stack);
          return x && x.processed.count >= 20 && !consumersRunning(stack) ? x : undefined;
        },
        2 * MINUTE,
        () => podsSeen(stack),
      );
      expectEveryMessageProcessed(consumerRuns(stack), 20, r.processed.count);
      expect(r.killed.count).toBe(0);
      const s = await runCli(['status', ...flags, '-o', 'json'], { env });
      expect(s.code, fail(s, stack)).toBe(0);
      expect(JSON.parse(s.stdout).scaledJob.ready).toMatch(/^True/);
    },
    20 * MINUTE,
  );

  it(
    'without sqs:GetQueueAttributes on the scaler role, KEDA fails visibly, status exits 1 naming it, init repairs it and KEDA recovers',
    async () => {
      const iam = new IAMClient({
        region: MOTO_ENV.AWS_REGION,
        endpoint: moto.endpoint,
        credentials: { accessKeyId: admin.AWS_ACCESS_KEY_ID, secretAccessKey: admin.AWS_SECRET_ACCESS_KEY },
      });
      const role = `kedactl-${stack}-scaler`;
      const [name] = (await iam.send(new ListRolePoliciesCommand({ RoleName: role }))).PolicyNames!;
      const before = JSON.parse(
        decodeURIComponent((await iam.send(new GetRolePolicyCommand({ RoleName: role, PolicyName: name! }))).PolicyDocument!),
      );
      const broken = { ...before, Statement: before.Statement.map((st: any) => ({ ...st, Action: 'sqs:ListQueueTags' })) };
      // events carry whole seconds: anything from this second on is KEDA's answer to the broken policy
      const brokenAt = Math.floor(Date.now() / 1000) * 1000;
      await iam.send(new PutRolePolicyCommand({ RoleName: role, PolicyName: name!, PolicyDocument: JSON.stringify(broken) }));

      // KEDA's own error (moto's 403 AccessDenied for the scaler role's session) reaches the ScaledJob's events.
      // moto writes that error in XML where SQS's JSON protocol expects JSON, so KEDA's SDK reports the 403
      // ("deserialization failed") rather than the AccessDenied code: the status code is what both show.
      const denied = /GetQueueAttributes.*(StatusCode: 403|AccessDenied|not authorized)/is;
      const warning = await pollUntil(
        "KEDA's AccessDenied on the ScaledJob",
        async () => {
          const ev = (await kubeRequest(cluster.rig, 'GET', `/api/v1/namespaces/${stack}/events`)).json().items ?? [];
          const w = ev.find(
            (e: any) =>
              e.involvedObject?.kind === 'ScaledJob' &&
              e.type === 'Warning' &&
              denied.test(e.message ?? '') &&
              Date.parse(e.lastTimestamp ?? e.eventTime ?? 0) >= brokenAt,
          );
          return w ? `${w.reason}: ${w.message}` : undefined;
        },
        3 * MINUTE,
        () => cluster.operatorLog().split('\n').slice(-15).join('\n'),
      );
      expect(warning).toMatch(/GetQueueAttributes/);

      // status exits 1 naming both: the drifted role and KEDA's last warning
      const bad = await runCli(['status', ...flags], { env });
      expect(bad.code).toBe(1);
      expect(bad.stdout).toContain(`IAM role ${role} is drifted`);
      const badJson = JSON.parse((await runCli(['status', ...flags, '-o', 'json'], { env })).stdout);
      expect(badJson.healthy).toBe(false);
      expect(badJson.scaledJob.lastWarning).toMatch(denied);

      const fix = await runBin(['init', ...flags, '--yes'], { env, timeoutMs: 10 * MINUTE });
      expect(fix.code, fail(fix, stack)).toBe(0);
      // KEDA recovers: new messages are scaled for and processed
      const reset = await runCli(['results', ...flags, '--reset'], { env });
      expect(reset.code).toBe(0);
      const earlier = new Set(consumerRuns(stack).map(runKey));
      const p = await runCli(['produce', ...flags, '--count', '5'], { env });
      expect(p.code).toBe(0);
      const since = () => consumerRuns(stack).filter((x) => !earlier.has(runKey(x)));
      const r = await pollUntil(
        '5 more processed after the repair',
        async () => {
          const x = await results(stack);
          return x && x.processed.count >= 5 && !consumersRunning(stack) ? x : undefined;
        },
        5 * MINUTE,
        () => podsSeen(stack) + '\n' + cluster.operatorLog().split('\n').slice(-15).join('\n'),
      );
      expectEveryMessageProcessed(since(), 5, r.processed.count);
      const s = await pollUntil(
        'status healthy again',
        async () => {
          const x = await runCli(['status', ...flags], { env });
          return x.code === 0 ? x : undefined;
        },
        3 * MINUTE,
      );
      expect(s.stdout).toContain(`IAM role ${role}: as planned`);

      const t = await runBin(['teardown', ...flags, '--yes'], { env, timeoutMs: 10 * MINUTE });
      expect(t.code, fail(t, stack)).toBe(0);
      expect(await stackLeftAfterKeda(stack)).toEqual([]);
    },
    25 * MINUTE,
  );
});
