// The real KEDA operator scaling kedactl's ScaledJob: how long from `produce` to the first Job, how long
// 200 messages take to drain (maxReplicas 20, 2 s of processing each) with the strategies default, accurate
// and eager, and how many Jobs KEDA creates per message (over-scaling). Everything is real but the node:
// moto, kube-apiserver + kube-controller-manager, KEDA's operator built from its Go module, and the node
// agent running consume.sh with bash, curl and the aws CLI (test/support/demo-cluster.ts).
// Run: npm run build && node bench/keda-scaling.ts [messages] [strategies,...]
import { execFile } from 'node:child_process';
import { cpus, loadavg, tmpdir } from 'node:os';
import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { startMoto, MOTO_ENV, MOTO_ACCOUNT } from '../test/support/moto.ts';
import { startDemoCluster } from '../test/support/demo-cluster.ts';
import { kubeRequest } from '../test/support/kube-rig.ts';

const MESSAGES = Number(process.argv[2] ?? 200);
const STRATEGIES = (process.argv[3] ?? 'default,accurate,eager').split(',');
const MAX_REPLICAS = 20;
const PROCESSING = 2;
const BIN = fileURLToPath(new URL('../bin/kedactl', import.meta.url));
const STUB = fileURLToPath(new URL('../test/fixtures/helm-stateful-stub', import.meta.url));

const moto = await startMoto();
process.env.KEDACTL_TEST_MOTO_ENDPOINT = moto.endpoint;
const dir = mkdtempSync(join(tmpdir(), 'kedactl-bench-keda-'));
const helmState = join(dir, 'helm');
const cluster = await startDemoCluster({ helmState, log: () => {} });
const env = {
  PATH: `${STUB}:${process.env.PATH}`,
  HOME: process.env.HOME,
  NO_COLOR: '1',
  AWS_EC2_METADATA_DISABLED: 'true',
  ...MOTO_ENV,
  AWS_ENDPOINT_URL: moto.endpoint,
  KUBECONFIG: cluster.rig.kubeconfigPath,
  HELM_STUB_STATE: helmState,
  HELM_STUB_LOG: join(dir, 'helm-calls'),
};
const cli = (args: string[]) =>
  new Promise<{ code: number; stdout: string; stderr: string }>((resolve) =>
    execFile(process.execPath, [BIN, ...args], { env, timeout: 20 * 60_000, maxBuffer: 64 << 20 }, (e, stdout, stderr) =>
      resolve({ code: e ? (typeof e.code === 'number' ? e.code : 1) : 0, stdout, stderr }),
    ),
  );
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const sqs = new SQSClient({
  region: MOTO_ENV.AWS_REGION,
  endpoint: moto.endpoint,
  credentials: { accessKeyId: MOTO_ENV.AWS_ACCESS_KEY_ID, secretAccessKey: MOTO_ENV.AWS_SECRET_ACCESS_KEY },
});
async function queueDepth(stack: string): Promise<number> {
  const a =
    (
      await sqs.send(
        new GetQueueAttributesCommand({ QueueUrl: `${moto.endpoint}/${MOTO_ACCOUNT}/${stack}-queue`, AttributeNames: ['All'] }),
      )
    ).Attributes ?? {};
  return (
    Number(a.ApproximateNumberOfMessages) + Number(a.ApproximateNumberOfMessagesNotVisible) + Number(a.ApproximateNumberOfMessagesDelayed)
  );
}

const rows: string[] = [];
try {
  for (const strategy of STRATEGIES) {
    const stack = `bench-${strategy}-${Math.random().toString(36).slice(2, 6)}`;
    const flags = [
      '--stack',
      stack,
      '--auth',
      'static',
      '--max-replicas',
      String(MAX_REPLICAS),
      '--processing-time',
      String(PROCESSING),
      '--strategy',
      strategy,
      '--keda-version',
      cluster.kedaVersion,
    ];
    const init = await cli(['init', ...flags, '--yes']);
    if (init.code !== 0) throw new Error(`init ${strategy}: ${init.stderr}`);
    const jobsSeen = new Set<string>();
    let maxActive = 0;
    let firstJobAt = 0;
    const t0 = Date.now();
    let polling = true;
    const poller = (async () => {
      while (polling) {
        const items = (await kubeRequest(cluster.rig, 'GET', `/apis/batch/v1/namespaces/${stack}/jobs`)).json().items ?? [];
        for (const j of items) jobsSeen.add(j.metadata.name);
        if (!firstJobAt && items.length) firstJobAt = Date.now();
        maxActive = Math.max(maxActive, items.filter((j: any) => !j.status?.succeeded && !j.status?.failed).length);
        await sleep(250);
      }
    })();
    const produce = await cli(['produce', ...flags.slice(0, 2), '--count', String(MESSAGES)]);
    if (produce.code !== 0) throw new Error(`produce: ${produce.stderr}`);
    const produced = Date.now();
    // drained: the queue is empty and every Job has finished
    let drainedAt = 0;
    for (;;) {
      const items = (await kubeRequest(cluster.rig, 'GET', `/apis/batch/v1/namespaces/${stack}/jobs`)).json().items ?? [];
      const active = items.filter((j: any) => !j.status?.succeeded && !j.status?.failed).length;
      if ((await queueDepth(stack)) === 0 && active === 0 && jobsSeen.size > 0) {
        drainedAt = Date.now();
        break;
      }
      if (Date.now() - t0 > 30 * 60_000) throw new Error(`${strategy}: not drained in 30 minutes`);
      await sleep(500);
    }
    // messages are deleted before they are reported: wait for the counts to settle
    let results: any;
    for (let i = 0; i < 60; i++) {
      results = JSON.parse((await cli(['results', '--stack', stack, '-o', 'json'])).stdout);
      if (results.processed.count >= MESSAGES) break;
      await sleep(1000);
    }
    polling = false;
    await poller;
    const podsRun = [...cluster.node.pods.values()].filter((p) => p.namespace === stack);
    const emptyPods = podsRun.filter((p) => p.exitCode === 0).length - results.processed.count;
    const row = `| ${strategy} | ${MESSAGES} | ${((firstJobAt - produced) / 1000).toFixed(1)} s | ${((drainedAt - produced) / 1000).toFixed(0)} s | ${podsRun.length} (${(podsRun.length / MESSAGES).toFixed(2)}) | ${emptyPods} | ${maxActive} | ${results.processed.count} / ${results.killed.count} |`;
    console.log(row);
    rows.push(row);
    const t = await cli(['teardown', '--stack', stack, '--yes']);
    if (t.code !== 0) throw new Error(`teardown: ${t.stderr}`);
  }
} finally {
  await cluster.stop();
  await moto.stop();
}
console.log(
  `\n${new Date().toISOString().slice(0, 10)}, ${cpus()[0]?.model} x${cpus().length}, load ${loadavg()[0]!.toFixed(1)}, KEDA ${cluster.kedaVersion}, maxReplicas ${MAX_REPLICAS}, ${PROCESSING} s per message, pollingInterval 10 s`,
);
console.log(
  '| strategy | messages | produce → first Job | produce → drained | Jobs run (per message) | Jobs that found no message | most Jobs active at once | processed / killed |',
);
console.log('| --- | --- | --- | --- | --- | --- | --- | --- |');
for (const r of rows) console.log(r);
