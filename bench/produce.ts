// Sends 10,000 messages to one moto server three ways and prints messages/s for each:
//   1. the example's way: one SendMessage per call, one after another
//   2. the ceiling: a plain SDK loop, SendMessageBatch of 10, 16 calls in flight
//   3. kedactl produce, as a user runs it (bin/kedactl, a separate process; -o json for its numbers)
// Each way gets a fresh queue. Run: npm run build && node bench/produce.ts [count]
import { execFile } from 'node:child_process';
import { cpus } from 'node:os';
import { CreateQueueCommand, GetQueueAttributesCommand, SendMessageBatchCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { MOTO_ENV, startMoto } from '../test/support/moto.ts';

const count = Number(process.argv[2] ?? 10_000);
const concurrency = 16;
const moto = await startMoto();
const client = new SQSClient({
  region: MOTO_ENV.AWS_REGION,
  endpoint: moto.endpoint,
  useQueueUrlAsEndpoint: false,
  credentials: { accessKeyId: MOTO_ENV.AWS_ACCESS_KEY_ID, secretAccessKey: MOTO_ENV.AWS_SECRET_ACCESS_KEY },
});
const body = (i: number) =>
  JSON.stringify({ videoId: `bench-${i + 1}`, quality: ['480p', '720p', '1080p', '4K'][i % 4], sentAt: new Date().toISOString() });
const queue = async (name: string) => (await client.send(new CreateQueueCommand({ QueueName: name }))).QueueUrl!;
const depth = async (url: string) =>
  Number(
    (await client.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['ApproximateNumberOfMessages'] }))).Attributes!
      .ApproximateNumberOfMessages,
  );

async function sequential(url: string) {
  for (let i = 0; i < count; i++) await client.send(new SendMessageCommand({ QueueUrl: url, MessageBody: body(i) }));
}

async function ceiling(url: string) {
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const start = next;
      next = Math.min(count, next + 10);
      const Entries = [];
      for (let i = start; i < next; i++) Entries.push({ Id: `m${i}`, MessageBody: body(i) });
      const r = await client.send(new SendMessageBatchCommand({ QueueUrl: url, Entries }));
      if (r.Failed?.length) throw new Error(`ceiling loop: ${r.Failed.length} failed`);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
}

function kedactl(stack: string): Promise<{ sendSeconds: number }> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      ['bin/kedactl', 'produce', '--stack', stack, '--count', String(count), '-o', 'json'],
      {
        env: { PATH: process.env.PATH, HOME: process.env.HOME, ...MOTO_ENV, AWS_ENDPOINT_URL: moto.endpoint, NO_COLOR: '1' },
        maxBuffer: 64 * 1024 * 1024,
      },
      (err, stdout, stderr) => {
        if (err) return reject(new Error(`kedactl produce failed: ${stderr}`));
        const r = JSON.parse(stdout) as { sent: number; seconds: number };
        if (r.sent !== count) return reject(new Error(`kedactl sent ${r.sent} of ${count}`));
        resolve({ sendSeconds: r.seconds });
      },
    );
  });
}

interface Row {
  way: string;
  seconds: number;
  note?: string;
}
const rows: Row[] = [];
async function measure(way: string, name: string, run: (url: string, name: string) => Promise<string | void>) {
  const url = await queue(name);
  const t0 = performance.now();
  const note = await run(url, name);
  const seconds = (performance.now() - t0) / 1000;
  const n = await depth(url);
  if (n !== count) throw new Error(`${way}: ${n} messages in the queue, expected ${count}`);
  rows.push({ way, seconds, ...(note ? { note } : {}) });
  process.stderr.write(`${way}: ${(count / seconds).toFixed(0)} msg/s (${seconds.toFixed(2)} s)${note ? `, ${note}` : ''}\n`);
}

try {
  const stamp = Date.now().toString(36);
  await measure('sequential SendMessage (the example)', `bench-seq-${stamp}`, sequential);
  // the fast two alternate, three rounds each, so a burst of load on the machine hits both
  for (const round of [1, 2, 3]) {
    await measure(`plain SDK loop, batches of 10, ${concurrency} in flight (ceiling)`, `bench-ceil${round}-${stamp}`, ceiling);
    await measure('kedactl produce (whole process)', `bkd${round}-${stamp}-queue`, async (_url, name) => {
      const r = await kedactl(name.replace(/-queue$/, ''));
      return `sending alone ${(count / r.sendSeconds).toFixed(0)} msg/s`;
    });
  }
  const cpu = cpus()[0]?.model ?? 'unknown CPU';
  console.log(
    `\n${count} messages, moto ${moto.endpoint}, ${cpus().length} cores (${cpu}), node ${process.version}, ${new Date().toISOString()}`,
  );
  console.log('| way | seconds | msg/s |\n| --- | --- | --- |');
  for (const r of rows)
    console.log(`| ${r.way} | ${r.seconds.toFixed(2)} | ${(count / r.seconds).toFixed(0)}${r.note ? ` (${r.note})` : ''} |`);
  const median = (way: string) => {
    const xs = rows
      .filter((r) => r.way.startsWith(way))
      .map((r) => count / r.seconds)
      .sort((a, b) => a - b);
    return xs[Math.floor(xs.length / 2)]!;
  };
  const seq = median('sequential');
  const ceil = median('plain SDK loop');
  const kd = median('kedactl');
  console.log(`\nmedians: sequential ${seq.toFixed(0)} msg/s, ceiling ${ceil.toFixed(0)} msg/s, kedactl ${kd.toFixed(0)} msg/s`);
  console.log(`kedactl = ${(kd / ceil).toFixed(2)} x the ceiling, ${(kd / seq).toFixed(1)} x the sequential way`);
} finally {
  await moto.stop();
}
