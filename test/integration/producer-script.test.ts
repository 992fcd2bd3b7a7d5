// The producer Pods' script (templates/producer/produce.sh) run directly with real bash and the real aws CLI
// against the test moto server, without a cluster: the bodies it makes are local produce's, batches respect
// the byte limit, the stop flag ends it after a batch, and an error no retry fixes ends it with "fatal".
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { CreateQueueCommand } from '@aws-sdk/client-sqs';
import { ensureAwsCli } from '../support/demo-cluster.ts';
import { MOTO_ENV, motoEndpoint, uniqueStack } from '../support/moto.ts';
import { motoSqs, receiveAll } from '../support/sqs.ts';
import { readPodLog } from '../../src/core/producer/shares.ts';

const SCRIPT = fileURLToPath(new URL('../../templates/producer/produce.sh', import.meta.url));
let shimDir: string;

beforeAll(async () => {
  const aws = await ensureAwsCli();
  shimDir = mkdtempSync(join(tmpdir(), 'kedactl-producer-script-'));
  // the aws CLI v1 of the test node reads neither AWS_REGION nor AWS_ENDPOINT_URL (the node's shim maps them)
  writeFileSync(
    join(shimDir, 'aws'),
    `#!/bin/bash\nexec ${JSON.stringify(aws)} --region "$AWS_REGION" --endpoint-url "$AWS_ENDPOINT_URL" "$@"\n`,
  );
  chmodSync(join(shimDir, 'aws'), 0o755);
}, 10 * 60_000);

async function queue(): Promise<string> {
  return (await motoSqs().send(new CreateQueueCommand({ QueueName: `${uniqueStack('pscript')}-queue` }))).QueueUrl!;
}

function run(env: Record<string, string>, controlDir?: string) {
  const control = controlDir ?? mkdtempSync(join(tmpdir(), 'kedactl-control-'));
  const r = spawnSync('bash', [SCRIPT], {
    env: {
      PATH: `${shimDir}:${process.env.PATH}`,
      HOME: tmpdir(),
      ...MOTO_ENV,
      AWS_ENDPOINT_URL: motoEndpoint(),
      RUN_ID: 'r1',
      JOB_COMPLETION_INDEX: '1',
      CONTROL_DIR: control,
      ...env,
    },
    encoding: 'utf8',
    timeout: 120_000,
  });
  return { code: r.status, out: r.stdout, err: r.stderr, progress: readPodLog(r.stdout) };
}

describe('templates/producer/produce.sh (real bash and aws CLI, moto)', () => {
  it("sends exactly its share, in batches of 10, with local produce's bodies; says how far it got after each batch", async () => {
    const url = await queue();
    const r = run({ QUEUE_URL: url, RANGES: '0-7 7-30 30-40' });
    expect(r.code, r.out + r.err).toBe(0);
    expect(r.out.split('\n').filter((l) => l.startsWith('progress'))).toEqual(['progress 10 10 0', 'progress 20 20 0', 'progress 23 23 0']);
    expect(r.progress).toMatchObject({ done: 23, sent: 23, failed: [], end: 'finished' });
    const bodies = (await receiveAll(url)).map((m) => JSON.parse(m.Body!));
    expect(bodies.map((b) => b.videoId).sort()).toEqual(Array.from({ length: 23 }, (_, i) => `r1-${i + 8}`).sort());
    const b8 = bodies.find((b) => b.videoId === 'r1-8');
    // message 8 (index 7): the qualities go round in fours, as bodyMaker's do
    expect(Object.keys(b8)).toEqual(['videoId', 'quality', 'sentAt']);
    expect(b8.quality).toBe('4K');
    expect(new Date(b8.sentAt).toISOString()).toBe(b8.sentAt);
  }, 120_000);

  it('a body template: quotes, backslashes and newlines arrive as written; batches stay under MAX_BATCH_BYTES', async () => {
    const url = await queue();
    const template = 'line "{{videoId}}" \\ {{quality}}\n#{{index}}\ttab';
    const r = run({ QUEUE_URL: url, RANGES: '0-6', JOB_COMPLETION_INDEX: '0', BODY_TEMPLATE: template, MAX_BATCH_BYTES: '60' });
    expect(r.code, r.out + r.err).toBe(0);
    // each body is 29-30 bytes: two per batch
    expect(r.out.split('\n').filter((l) => l.startsWith('progress'))).toEqual(['progress 2 2 0', 'progress 4 4 0', 'progress 6 6 0']);
    const bodies = (await receiveAll(url)).map((m) => m.Body!).sort();
    expect(bodies[0]).toBe('line "r1-1" \\ 480p\n#1\ttab');
    expect(bodies).toHaveLength(6);
  }, 120_000);

  it('the stop flag: it stops before the next batch and says how far it got (exit 4); no such queue: fatal (exit 3)', async () => {
    const url = await queue();
    const control = mkdtempSync(join(tmpdir(), 'kedactl-control-'));
    mkdirSync(control, { recursive: true });
    writeFileSync(join(control, 'stop'), 'true');
    const stopped = run({ QUEUE_URL: url, RANGES: '0-50', JOB_COMPLETION_INDEX: '0' }, control);
    expect(stopped.code).toBe(4);
    expect(stopped.progress).toMatchObject({ done: 0, sent: 0, end: 'stopped' });
    expect(await receiveAll(url)).toEqual([]);

    const gone = run({ QUEUE_URL: `${url}-gone`, RANGES: '0-5', JOB_COMPLETION_INDEX: '0' });
    expect(gone.code, gone.out + gone.err).toBe(3);
    expect(gone.progress.fatal?.code).toMatch(/NonExistentQueue|QueueDoesNotExist/);
  }, 120_000);
});
