// Local produce vs produce --in-cluster on the rig: messages/s sending N messages from this machine (the SDK,
// 16 batches in flight) and from the producer Pods (real bash + the aws CLI per batch, on the test node) at
// parallelism 1, 2, 4, 8. Everything is real but the node: moto, kube-apiserver + kube-controller-manager
// (the Job controller), the node agent (test/support/demo-cluster.ts). A static stack (no IAM enforcement:
// the numbers are about sending). Counts are checked: each run must say sent N of N and leave N distinct messages in the queue.
// Run: npm run build && node bench/produce-in-cluster.ts [messages] [parallelisms,...]
import { execFile } from 'node:child_process';
import { cpus, loadavg, tmpdir } from 'node:os';
import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SQSClient } from '@aws-sdk/client-sqs';
import { receiveAll } from '../test/support/sqs.ts';
import { startMoto, MOTO_ENV, MOTO_ACCOUNT } from '../test/support/moto.ts';
import { startDemoCluster } from '../test/support/demo-cluster.ts';

const MESSAGES = Number(process.argv[2] ?? 2000);
const PARALLELISMS = (process.argv[3] ?? '1,2,4,8').split(',').map(Number);
const BIN = fileURLToPath(new URL('../bin/kedactl', import.meta.url));
const STUB = fileURLToPath(new URL('../test/fixtures/helm-stateful-stub', import.meta.url));

const moto = await startMoto();
process.env.KEDACTL_TEST_MOTO_ENDPOINT = moto.endpoint;
const dir = mkdtempSync(join(tmpdir(), 'kedactl-bench-producer-'));
const helmState = join(dir, 'helm');
const cluster = await startDemoCluster({ helmState, nodeEnv: { AWS_ENDPOINT_URL: moto.endpoint }, log: () => {} });
const env = {
  PATH: `${STUB}:${process.env.PATH}`,
  HOME: process.env.HOME,
  NO_COLOR: '1',
  AWS_EC2_METADATA_DISABLED: 'true',
  ...MOTO_ENV,
  AWS_ENDPOINT_URL: moto.endpoint,
  KUBECONFIG: cluster.rig.kubeconfigPath,
  HELM_STUB_STATE: helmState,
};
const cli = (args: string[]) =>
  new Promise<{ code: number; stdout: string; stderr: string }>((resolve) =>
    execFile(process.execPath, [BIN, ...args], { env, timeout: 20 * 60_000, maxBuffer: 64 << 20 }, (e, stdout, stderr) =>
      resolve({ code: e ? (typeof e.code === 'number' ? e.code : 1) : 0, stdout, stderr }),
    ),
  );
const sqs = new SQSClient({
  region: MOTO_ENV.AWS_REGION,
  endpoint: moto.endpoint,
  credentials: { accessKeyId: MOTO_ENV.AWS_ACCESS_KEY_ID, secretAccessKey: MOTO_ENV.AWS_SECRET_ACCESS_KEY },
});
const stack = `benchp-${Math.random().toString(36).slice(2, 6)}`;
const url = `${moto.endpoint}/${MOTO_ACCOUNT}/${stack}-queue`;
// no consumer starts below 10,000 waiting messages: the queue keeps what was sent, to be counted
const flags = [
  '--stack',
  stack,
  '--auth',
  'static',
  '--producer',
  'in-cluster',
  '--activation-queue-length',
  '10000',
  '--keda-version',
  '2.21.0',
];

const rows: string[] = [];
try {
  const init = await cli(['init', ...flags, '--yes']);
  if (init.code !== 0) throw new Error(`init failed: ${init.stderr}`);
  const runs: Array<{ what: string; args: string[]; pods: number }> = [
    { what: 'local produce (SDK, 16 batches in flight)', args: [], pods: 0 },
    ...PARALLELISMS.map((p) => ({ what: `in-cluster, parallelism ${p}`, args: ['--in-cluster', '--parallelism', String(p)], pods: p })),
  ];
  for (const r of runs) {
    const t0 = performance.now();
    const out = await cli(['produce', ...flags, '--count', String(MESSAGES), ...r.args, '-o', 'json']);
    const wall = (performance.now() - t0) / 1000;
    if (out.code !== 0) throw new Error(`${r.what}: exit ${out.code}\n${out.stderr}`);
    const j = JSON.parse(out.stdout);
    // received and hidden for an hour: the next run starts from an empty queue
    const got = await receiveAll(url, sqs);
    const unique = new Set(got.map((m) => JSON.parse(m.Body!).videoId)).size;
    if (j.sent !== MESSAGES || got.length !== MESSAGES || unique !== MESSAGES)
      throw new Error(`${r.what}: sent ${j.sent}, received ${got.length} (${unique} distinct), want ${MESSAGES}`);
    const rate = MESSAGES / wall;
    rows.push(`| ${r.what} | ${MESSAGES} | ${wall.toFixed(1)} s | ${Math.round(rate)} | ${r.pods ? Math.round(rate / r.pods) : '-'} |`);
    process.stderr.write(`${rows.at(-1)}\n`);
  }
  await cli(['teardown', ...flags, '--yes']);
} finally {
  await cluster.stop();
  await moto.stop();
}
console.log(
  `${new Date().toISOString()}, ${cpus().length} cores (${cpus()[0]?.model}), load ${loadavg()
    .map((l) => l.toFixed(1))
    .join(' ')}\n`,
);
console.log('| sender | messages | wall (whole command) | messages/s | per Pod |\n| --- | --- | --- | --- | --- |');
console.log(rows.join('\n'));
