// The example's producer in the cluster, for real: `init --producer in-cluster` on an irsa stack creates the
// producer service account and its send-only role; `produce --in-cluster` runs Indexed Jobs whose Pods the
// test node runs as real bash and the real aws CLI against a moto server of this file's own with IAM enforced,
// so the Pods reach the queue only as the producer role (the service account's web identity: the node plays
// EKS's pod identity webhook). Counts are read back with the plain SDK as the administrator.
// KEDA comes from its real chart (2.20.2), installed by the real helm: the producer needs no 2.21.0 stand-in.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SQSClient } from '@aws-sdk/client-sqs';
import { GetRoleCommand, IAMClient } from '@aws-sdk/client-iam';
import type { DemoCluster } from '../support/demo-cluster.ts';
import { kubeRequest } from '../support/kube-rig.ts';
import { MOTO_ACCOUNT, MOTO_ENV, uniqueStack, type Moto } from '../support/moto.ts';
import { pollUntil } from '../support/poll.ts';
import { podLogTail } from '../support/node-agent.ts';
import { receiveAll } from '../support/sqs.ts';
import { KEDA_CHART_FLAGS, startIrsaChartRig, type IrsaRig } from '../support/demo-run.ts';
import { BIN, runCli, SAFE_ENV, type CliRun } from '../support/run-cli.ts';
import { spawn } from 'node:child_process';

const MINUTE = 60_000;

const stack = uniqueStack('prd');
const eks = `eks-${stack}`;
// KEDA starts no consumer below 10,000 messages: what the producers send stays in the queue to be counted
const flags = ['--stack', stack, '--cluster', eks, '--max-replicas', '1', '--activation-queue-length', '10000', ...KEDA_CHART_FLAGS];
let moto: Moto;
let cluster: DemoCluster;
let env: NodeJS.ProcessEnv;
let admin: { accessKeyId: string; secretAccessKey: string };
let sqs: SQSClient;
const queueUrl = () => `${moto.endpoint}/${MOTO_ACCOUNT}/${stack}-queue`;

const producerPods = () => [...cluster.node.pods.values()].filter((p) => p.namespace === stack && p.name.startsWith(`${stack}-producer-`));
const fail = (r: CliRun) =>
  `exit ${r.code}\nstdout:\n${r.stdout}\nstderr:\n${r.stderr}\nproducer Pods:\n${producerPods()
    .map((p) => `${p.name} exit ${p.exitCode}:\n${podLogTail(p, 2000)}`)
    .join('\n')}`;

/** every message now in the queue, received (and so removed) by the administrator: the producer Pods' bodies */
async function drain(): Promise<{ total: number; videoIds: string[] }> {
  const got = await receiveAll(queueUrl(), sqs);
  return { total: got.length, videoIds: got.map((m) => JSON.parse(m.Body!).videoId as string) };
}

async function produce(count: number, parallelism: number): Promise<{ run: CliRun; json: any }> {
  const run = await runCli(
    ['produce', ...flags, '--in-cluster', '--count', String(count), '--parallelism', String(parallelism), '-o', 'json'],
    {
      env,
      cwd: dir,
    },
  );
  return { run, json: run.code === 0 || run.stdout.startsWith('{') ? JSON.parse(run.stdout) : undefined };
}

/** `produce --in-cluster` as a process of its own, to signal: its exit and output once it ends */
function produceChild(count: number, parallelism: number) {
  const child = spawn(
    process.execPath,
    [BIN, 'produce', ...flags, '--in-cluster', '--count', String(count), '--parallelism', String(parallelism), '-o', 'json'],
    { env: { ...SAFE_ENV, ...env }, cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const done = new Promise<CliRun>((resolve) => child.once('close', (code) => resolve({ code: code ?? 1, stdout, stderr })));
  return { child, done };
}

/** a producer Pod that has sent at least 20 messages and still runs */
const sendingPod = () =>
  pollUntil(
    'a producer Pod sending',
    async () => producerPods().find((p) => p.exitCode === undefined && /progress ([2-9]\d|\d{3}) /.test(podLogTail(p, 500))),
    3 * MINUTE,
  );

let rig: IrsaRig | undefined;
/** the file's own folder (the CLI's working directory) */
let dir: string;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'kedactl-producer-real-'));
  rig = await startIrsaChartRig(eks);
  ({ moto, admin, cluster, env } = rig);
  sqs = new SQSClient({ region: MOTO_ENV.AWS_REGION, endpoint: moto.endpoint, credentials: admin });
}, 20 * MINUTE);
afterAll(async () => {
  await rig?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
}, 5 * MINUTE);

describe('produce --in-cluster: the producer Pods under their own send-only role, IAM enforced', () => {
  it(
    'plan shows the producer role (trust pinned to its service account, sqs:SendMessage on this queue); init creates it and the service account',
    async () => {
      const planned = await runCli(['plan', ...flags, '--producer', 'in-cluster', '-o', 'json'], { env, cwd: dir });
      expect(planned.code, fail(planned)).toBe(0);
      const plan = JSON.parse(planned.stdout);
      const role = `arn:aws:iam::${MOTO_ACCOUNT}:role/kedactl-${stack}-producer`;
      const grants = plan.grants.filter((g: any) => g.resource === role || g.principal === role);
      expect(grants.flatMap((g: any) => g.actions).sort()).toEqual(['sqs:SendMessage', 'sts:AssumeRoleWithWebIdentity']);
      expect(grants.find((g: any) => g.resource === role).condition).toContain(`sub=system:serviceaccount:${stack}:${stack}-producer`);
      expect(plan.changes).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ kind: 'IAM role', name: `kedactl-${stack}-producer`, action: 'create' }),
          expect.objectContaining({ kind: 'ServiceAccount', name: `${stack}-producer`, action: 'create' }),
        ]),
      );

      const init = await runCli(['init', ...flags, '--producer', 'in-cluster', '--create-oidc-provider', '--yes'], { env, cwd: dir });
      expect(init.code, fail(init)).toBe(0);
      const sa = (await kubeRequest(cluster.rig, 'GET', `/api/v1/namespaces/${stack}/serviceaccounts/${stack}-producer`)).json();
      expect(sa.metadata.annotations['eks.amazonaws.com/role-arn']).toBe(role);
    },
    10 * MINUTE,
  );

  it(
    'sends exactly N through the producer role: 400 with parallelism 4 (each Pod its share), 100 with parallelism 1',
    async () => {
      const four = await produce(400, 4);
      expect(four.run.code, fail(four.run)).toBe(0);
      expect(four.json).toMatchObject({ requested: 400, sent: 400, failed: [], notAttempted: 0, stopped: false });
      expect(four.json.inCluster.pods).toHaveLength(4);
      expect(four.json.inCluster.pods.map((p: any) => p.sent).sort()).toEqual([100, 100, 100, 100]);
      const a = await drain();
      expect(a.total).toBe(400);
      expect(new Set(a.videoIds).size).toBe(400);
      expect(new Set(a.videoIds.map((v) => v.replace(/-\d+$/, '')))).toEqual(new Set([four.json.inCluster.run]));

      const one = await produce(100, 1);
      expect(one.run.code, fail(one.run)).toBe(0);
      expect(one.json).toMatchObject({ requested: 100, sent: 100 });
      expect(one.json.inCluster.pods).toHaveLength(1);
      const b = await drain();
      expect(b.total).toBe(100);
      expect(new Set(b.videoIds).size).toBe(100);
    },
    10 * MINUTE,
  );

  it(
    'the producer role can send and nothing else: a receive from a Pod of the producer service account is AccessDenied',
    async () => {
      const pod = `${stack}-producer-probe`;
      const script = `aws sqs send-message --queue-url ${queueUrl()} --message-body probe >/dev/null && echo SEND-OK
aws sqs receive-message --queue-url ${queueUrl()} 2>&1; echo "receive exit $?"`;
      const r = await kubeRequest(cluster.rig, 'POST', `/api/v1/namespaces/${stack}/pods`, {
        body: {
          apiVersion: 'v1',
          kind: 'Pod',
          metadata: { name: pod, namespace: stack },
          spec: {
            serviceAccountName: `${stack}-producer`,
            restartPolicy: 'Never',
            containers: [
              {
                name: 'probe',
                image: 'amazon/aws-cli:2.15.23',
                command: ['/bin/bash', '-c', script],
                env: [{ name: 'AWS_REGION', value: MOTO_ENV.AWS_REGION }],
              },
            ],
          },
        },
      });
      expect(r.status, r.body).toBe(201);
      const log = await pollUntil(
        'the probe Pod ends',
        async () => {
          const p = [...cluster.node.pods.values()].find((x) => x.name === pod);
          return p?.exitCode !== undefined ? podLogTail(p, 5000) : undefined;
        },
        2 * MINUTE,
      );
      expect(log).toContain('SEND-OK');
      expect(log).toMatch(/AccessDenied|not authorized/);
      expect(log).toMatch(/receive exit [1-9]/);
      expect((await receiveAll(queueUrl(), sqs)).map((m) => m.Body)).toEqual(['probe']);
    },
    5 * MINUTE,
  );

  it(
    'a producer Pod killed mid-share (SIGKILL): its unsent part goes to the next round; every message arrives, duplicates at most one batch',
    async () => {
      const running = produce(300, 2);
      // the first producer Pod that has sent a few batches: kill its bash as a crash would (no trap runs)
      const victim = await pollUntil(
        'a producer Pod sending',
        async () => producerPods().find((p) => p.exitCode === undefined && /progress [3-9]\d /.test(podLogTail(p, 500))),
        3 * MINUTE,
      );
      const pid = readdirSync('/proc')
        .filter((d) => /^\d+$/.test(d))
        .find((d) => {
          try {
            return (
              readFileSync(`/proc/${d}/cmdline`, 'utf8').includes('produce.sh') &&
              readFileSync(`/proc/${d}/environ`, 'utf8').split('\0').includes(`HOSTNAME=${victim.name}`)
            );
          } catch {
            return false;
          }
        });
      expect(pid, `the process of ${victim.name}`).toBeDefined();
      process.kill(Number(pid), 'SIGKILL');
      const { run, json } = await running;
      expect(run.code, fail(run)).toBe(0);
      expect(json).toMatchObject({ requested: 300, sent: 300, failed: [] });
      expect(json.inCluster.rounds).toBe(2);
      expect(json.inCluster.pods.find((p: any) => p.pod === victim.name)).toMatchObject({ phase: 'failed', exitCode: 137 });
      const got = await drain();
      const unique = new Set(got.videoIds).size;
      expect(unique).toBe(300);
      // the batch SQS had taken when the kill came, before the Pod said so, is sent again: at most 10
      expect(got.total - unique).toBeLessThanOrEqual(10);
    },
    10 * MINUTE,
  );

  it(
    'Ctrl-C: the Pods stop after their batch in flight, the Job goes, and the count is exact (the queue holds exactly what it says)',
    async () => {
      const { child, done } = produceChild(300, 2);
      await sendingPod();
      child.kill('SIGINT');
      const r = await done;
      expect(r.code, fail(r)).toBe(1);
      expect(r.stderr).toMatch(/stopped by Ctrl-C after sending \d+ of 300 messages/);
      const json = JSON.parse(r.stdout);
      expect(json.stopped).toBe(true);
      expect(json.sent).toBeGreaterThanOrEqual(20);
      expect(json.sent).toBeLessThan(300);
      const got = await drain();
      expect(got.total).toBe(json.sent);
      expect(new Set(got.videoIds).size).toBe(json.sent);
      const jobs = (
        await kubeRequest(
          cluster.rig,
          'GET',
          `/apis/batch/v1/namespaces/${stack}/jobs?labelSelector=kedactl.io/producer-run=${json.inCluster.run}`,
        )
      ).json();
      expect(jobs.items).toEqual([]);
    },
    5 * MINUTE,
  );

  it(
    'the CLI killed mid-run: another request is refused, the same command follows the unfinished run to the end; exactly N, none twice',
    async () => {
      const { child, done } = produceChild(300, 2);
      await sendingPod();
      child.kill('SIGKILL');
      await done;
      const other = await produce(100, 2);
      expect(other.run.code).toBe(2);
      expect(other.run.stderr).toContain('an in-cluster producer run of 300 messages (parallelism 2) is unfinished');
      const again = await produce(300, 2);
      expect(again.run.code, fail(again.run)).toBe(0);
      expect(again.json).toMatchObject({ requested: 300, sent: 300, failed: [] });
      expect(again.json.inCluster).toMatchObject({ resumed: true, rounds: 1 });
      const got = await drain();
      expect(got.total).toBe(300);
      expect(new Set(got.videoIds).size).toBe(300);
    },
    5 * MINUTE,
  );

  it(
    'teardown removes the producer role, its service account and the Jobs',
    async () => {
      const t = await runCli(['teardown', ...flags, '--yes'], { env, cwd: dir });
      expect(t.code, fail(t)).toBe(0);
      const iam = new IAMClient({ region: MOTO_ENV.AWS_REGION, endpoint: moto.endpoint, credentials: admin });
      await expect(iam.send(new GetRoleCommand({ RoleName: `kedactl-${stack}-producer` }))).rejects.toThrow(
        /NoSuchEntity|cannot be found|not found/,
      );
      const sa = await kubeRequest(cluster.rig, 'GET', `/api/v1/namespaces/${stack}/serviceaccounts/${stack}-producer`);
      expect(sa.status).toBe(404);
      const jobs = (await kubeRequest(cluster.rig, 'GET', `/apis/batch/v1/namespaces/${stack}/jobs`)).json();
      expect(jobs.items ?? []).toEqual([]);
    },
    10 * MINUTE,
  );
});
