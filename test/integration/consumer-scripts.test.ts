// The consumers' scripts (templates/consumer/consume.sh for a Job, consume-loop.sh for a Deployment's Pods)
// run directly with real bash and the real aws CLI against the test moto server, and signalled as a kubelet
// signals a Pod it stops: SIGTERM to the script alone. The accounting must be exact at every moment: a
// SIGTERM while processing gives the message back and reports a kill; one that lands while the delete is on
// its way waits for it and reports the message processed, not killed. The delete-message call is held for
// 3 s by the test's aws shim (then run for real) so the signal lands inside it every time.
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CreateQueueCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { ensureAwsCli } from '../support/demo-cluster.ts';
import { MOTO_ENV, motoEndpoint, uniqueStack } from '../support/moto.ts';
import { motoSqs, receiveAll } from '../support/sqs.ts';
import { pollUntil } from '../support/poll.ts';

const script = (name: string) => fileURLToPath(new URL(`../../templates/consumer/${name}`, import.meta.url));
let shimDir: string;
let analyzer: Server;
const reports: string[] = [];

beforeAll(async () => {
  const aws = await ensureAwsCli();
  shimDir = mkdtempSync(join(tmpdir(), 'kedactl-consumer-script-'));
  // the CLI v1 of the test node reads neither AWS_REGION nor AWS_ENDPOINT_URL; a delete is held 3 s after a mark
  writeFileSync(
    join(shimDir, 'aws'),
    [
      '#!/bin/bash',
      'if [ "$1 $2" = "sqs delete-message" ]; then touch "$DELETE_MARK"; sleep 3; fi',
      `exec ${JSON.stringify(aws)} --region "$AWS_REGION" --endpoint-url "$AWS_ENDPOINT_URL" "$@"`,
      '',
    ].join('\n'),
  );
  chmodSync(join(shimDir, 'aws'), 0o755);
  analyzer = createServer((req, res) => {
    reports.push(req.url ?? '');
    res.end('{}');
  });
  await new Promise<void>((r) => analyzer.listen(0, '127.0.0.1', () => r()));
}, 10 * 60_000);
afterAll(() => new Promise<void>((r) => (analyzer ? analyzer.close(() => r()) : r())));

async function queueWithOne(): Promise<string> {
  const url = (await motoSqs().send(new CreateQueueCommand({ QueueName: `${uniqueStack('cscript')}-queue` }))).QueueUrl!;
  await motoSqs().send(new SendMessageCommand({ QueueUrl: url, MessageBody: '{"videoId":"v-1"}' }));
  return url;
}

/** the script running; SIGTERM when `when` says so; its exit code, output and the analyzer's reports for it */
async function runAndTerm(name: string, url: string, when: (out: () => string, mark: string) => Promise<unknown>) {
  const mark = join(mkdtempSync(join(tmpdir(), 'kedactl-mark-')), 'deleting');
  const port = (analyzer.address() as AddressInfo).port;
  const before = reports.length;
  const child = spawn('bash', [script(name)], {
    env: {
      PATH: `${shimDir}:${process.env.PATH}`,
      HOME: tmpdir(),
      ...MOTO_ENV,
      AWS_ENDPOINT_URL: motoEndpoint(),
      QUEUE_URL: url,
      PROCESSING_SECONDS: '2',
      VISIBILITY_TIMEOUT: '120',
      WAIT_SECONDS: '2',
      RESULT_ANALYZER_URL: `http://127.0.0.1:${port}`,
      DELETE_MARK: mark,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  const exited = new Promise<number>((r) => child.once('exit', (code, sig) => r(code ?? (sig ? 128 : 1))));
  await when(() => out, mark);
  child.kill('SIGTERM');
  const code = await exited;
  return { code, out, reports: reports.slice(before) };
}

const duringDelete = (_out: () => string, mark: string) =>
  pollUntil('the delete under way', async () => (existsSync(mark) ? true : undefined), 60_000);
const duringProcessing = (out: () => string) =>
  pollUntil('a message being processed', async () => (/processing message /.test(out()) ? true : undefined), 60_000, out);

describe.each([
  ['consume.sh', 'a Job'],
  ['consume-loop.sh', "a Deployment's consumer"],
])('templates/consumer/%s (%s), stopped by SIGTERM', (name) => {
  it('while the delete is on its way: waits for it; the message is processed and deleted, no kill reported', async () => {
    const url = await queueWithOne();
    const r = await runAndTerm(name, url, duringDelete);
    expect(r.code, r.out).toBe(0);
    expect(r.out).toMatch(/message \S+ processed and deleted/);
    expect(r.reports).toEqual(['/create/count']);
    expect(await receiveAll(url)).toEqual([]);
  });

  it('while processing: the message goes back to the queue at once and a kill is reported', async () => {
    const url = await queueWithOne();
    const r = await runAndTerm(name, url, duringProcessing);
    expect(r.code, r.out).toBe(143);
    expect(r.out).not.toMatch(/processed and deleted/);
    expect(r.reports).toEqual(['/kill/count']);
    // visible again now, not after the 120 s visibility timeout
    expect((await receiveAll(url)).map((m) => m.Body)).toEqual(['{"videoId":"v-1"}']);
  });
});
