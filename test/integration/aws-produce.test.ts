// kedactl produce against a real moto server: exact counts (by attributes and by receiving), faults
// injected at the SDK middleware level, bad input, Ctrl-C.
import { writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CreateQueueCommand } from '@aws-sdk/client-sqs';
import { produce, sendMessages, bodyMaker } from '../../src/core/produce/produce.ts';
import { arrivalTime, loadProfileFrom } from '../../src/core/simulate/profile.ts';
import { stackTags } from '../../src/core/stack/names.ts';
import { motoEndpoint, uniqueStack } from '../support/moto.ts';
import { motoCliEnv, REGION, testAws, testSettings, throttlingError } from '../support/aws.ts';
import { BIN, runCli, SAFE_ENV } from '../support/run-cli.ts';
import { startPty } from '../support/pty.ts';
import { motoSqs, queueNumbers, receiveAll as receiveMessages } from '../support/sqs.ts';

async function newQueue(stack: string, attributes: Record<string, string> = {}): Promise<string> {
  const r = await motoSqs().send(new CreateQueueCommand({ QueueName: `${stack}-queue`, Attributes: attributes, tags: stackTags(stack) }));
  return r.QueueUrl!;
}

/** what KEDA counts: visible + in flight */
async function depth(url: string): Promise<number> {
  const n = await queueNumbers(url);
  return n.visible + n.inFlight;
}

/** the bodies of every message in the queue (test/support/sqs.ts) */
const receiveAll = async (url: string): Promise<string[]> => (await receiveMessages(url)).map((m) => m.Body!);

const videoIds = (bodies: string[]) => new Set(bodies.map((b) => (JSON.parse(b) as { videoId: string }).videoId));

describe('kedactl produce (moto)', () => {
  it('sends 10,000 messages and exactly 10,000 arrive', async () => {
    const stack = uniqueStack('p10k');
    const url = await newQueue(stack);
    const run = await runCli(['produce', '--stack', stack, '--count', '10000'], { env: motoCliEnv() });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(new RegExp(`^sent 10000 of 10000 messages to ${stack}-queue in \\d+\\.\\ds \\(\\d+ msg/s\\)\\n$`));
    expect(await depth(url)).toBe(10_000);
    const bodies = await receiveAll(url);
    expect(bodies).toHaveLength(10_000);
    expect(videoIds(bodies).size).toBe(10_000);
    const first = JSON.parse(bodies[0]!);
    expect(Object.keys(first).sort()).toEqual(['quality', 'sentAt', 'videoId']);
    expect(['480p', '720p', '1080p', '4K']).toContain(first.quality);
  }, 300_000);

  it('retries throttling and per-entry Failed[] until exactly N are delivered', async () => {
    const stack = uniqueStack('fault');
    const url = await newQueue(stack);
    let attempts = 0;
    let throttled = 0;
    let partial = 0;
    const aws = testAws({
      maxAttempts: 2,
      // every 10th of the first 100 attempts is throttled: the SDK's own retry sees some, kedactl's loop
      // the rest (each throttle also makes adaptive mode slow the client down, as it would on AWS)
      fault: (cmd) => {
        if (cmd !== 'SendMessageBatchCommand') return undefined;
        attempts++;
        if (attempts % 10 === 0 && attempts <= 100) {
          throttled++;
          return { throw: throttlingError() };
        }
        return undefined;
      },
      // in a third of the batches, entries 0-2 fail once with a 200 response
      failEntries: (ids) => {
        const first = ids.filter((id) => /^m\d*[0-2]$/.test(id) && Number(id.slice(1)) % 3 === 0 && !seen.has(id));
        for (const id of first) seen.add(id);
        if (first.length) partial += first.length;
        return { ids: first };
      },
    });
    const seen = new Set<string>();
    const settings = testSettings({ stack });
    const r = await produce(settings, aws.sqs, { count: 1000, concurrency: 8 }, { backoff: { baseMs: 1, maxMs: 5 }, attempts: 10 });
    expect(throttled).toBe(10);
    expect(partial).toBeGreaterThan(50);
    expect(r).toMatchObject({ requested: 1000, sent: 1000, failed: [], notAttempted: 0, stopped: false });
    expect(await depth(url)).toBe(1000);
    const received = await receiveAll(url);
    expect(received).toHaveLength(1000);
    expect(videoIds(received).size).toBe(1000);
  }, 180_000);

  it('lists what still fails after the retries and never counts it as sent', async () => {
    const stack = uniqueStack('fail');
    const url = await newQueue(stack);
    const aws = testAws({
      failEntries: (ids) => ({ ids: ids.filter((id) => id === 'm6'), senderFault: true, code: 'InvalidMessageContents' }),
    });
    const r = await produce(testSettings({ stack }), aws.sqs, { count: 25, concurrency: 2 }, { backoff: { baseMs: 1, maxMs: 2 } });
    expect(r.sent).toBe(24);
    expect(r.failed).toEqual([{ message: 7, code: 'InvalidMessageContents', reason: 'injected failure' }]);
    expect(await depth(url)).toBe(24);

    const always = testAws({ failEntries: (ids) => ({ ids: ids.filter((id) => id === 'm0') }) });
    const r2 = await produce(
      testSettings({ stack }),
      always.sqs,
      { count: 10, concurrency: 1 },
      { attempts: 3, backoff: { baseMs: 1, maxMs: 2 } },
    );
    expect(r2.sent).toBe(9);
    expect(r2.failed).toEqual([{ message: 1, code: 'InternalError', reason: 'still failing after 3 attempts: injected failure' }]);
    expect(await depth(url)).toBe(33);
  });

  it('Ctrl-C stops new batches and reports exactly what was sent', async () => {
    const stack = uniqueStack('stop');
    const url = await newQueue(stack);
    const abort = new AbortController();
    const aws = testAws();
    const r = await sendMessages(
      aws.sqs,
      url,
      bodyMaker('run'),
      { count: 5000, concurrency: 4, maxBatchBytes: 262144 },
      {
        signal: abort.signal,
        onProgress: (sent) => {
          if (sent >= 200) abort.abort();
        },
      },
    );
    expect(r.stopped).toBe(true);
    expect(r.sent).toBeGreaterThanOrEqual(200);
    expect(r.sent).toBeLessThan(5000);
    expect(r.notAttempted).toBe(5000 - r.sent);
    expect(await depth(url)).toBe(r.sent);
  });

  it('keeps to --rate', async () => {
    const stack = uniqueStack('rate');
    await newQueue(stack);
    const r = await produce(testSettings({ stack }), testAws().sqs, { count: 100, concurrency: 8, rate: 200 });
    expect(r.sent).toBe(100);
    // 100 messages at 200/s: the last batch may start at 0.45 s
    expect(r.seconds).toBeGreaterThanOrEqual(0.44);
  });

  it('fills --body-file per message', async () => {
    const stack = uniqueStack('body');
    const url = await newQueue(stack);
    const dir = mkdtempSync(join(tmpdir(), 'kedactl-body-'));
    writeFileSync(join(dir, 'body.txt'), 'encode {{videoId}} at {{quality}} (#{{index}})');
    const run = await runCli(['produce', '--stack', stack, '--count', '5', '--body-file', 'body.txt', '-o', 'json'], {
      env: motoCliEnv(),
      cwd: dir,
    });
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ requested: 5, sent: 5, failed: [] });
    const bodies = (await receiveAll(url)).sort();
    expect(bodies).toHaveLength(5);
    expect(bodies[0]).toMatch(/^encode \S+-1 at 480p \(#1\)$/);
  });

  it('--load sends exactly what the profile says: every message once, none before its time', async () => {
    const stack = uniqueStack('load');
    const url = await newQueue(stack);
    const dir = mkdtempSync(join(tmpdir(), 'kedactl-load-'));
    // 25 at once, a second of nothing, a ramp to 40/s over a second, then 20/s for a second: 25 + 20 + 20
    writeFileSync(
      join(dir, 'load.yaml'),
      '- burst:count=25\n- shape: pause\n  duration: 1s\n- { shape: ramp, from: 0, to: 40, duration: 1s }\n- steady:rate=20,duration=1s\n',
    );
    writeFileSync(join(dir, 'body.json'), '{"i":{{index}},"at":"{{sentAt}}"}');
    const run = await runCli(['produce', '--stack', stack, '--load', 'load.yaml', '--body-file', 'body.json', '-o', 'json'], {
      env: motoCliEnv(),
      cwd: dir,
    });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const result = JSON.parse(run.stdout);
    expect(result).toMatchObject({ requested: 65, sent: 65, failed: [], notAttempted: 0 });
    expect(result.schedule.profile).toBe('burst of 25 + pause 1s + ramp 0/s→40/s over 1s + steady 20/s for 1s: 65 messages over 3s');
    expect(await depth(url)).toBe(65);
    const bodies = (await receiveAll(url)).map((b) => JSON.parse(b) as { i: number; at: string });
    expect(bodies.map((b) => b.i).sort((a, b) => a - b)).toEqual(Array.from({ length: 65 }, (_, k) => k + 1));
    // never early: each body was made when its message went out, at or after its time in the profile
    const profile = loadProfileFrom(join(dir, 'load.yaml'));
    for (const b of bodies)
      expect(Date.parse(b.at)).toBeGreaterThanOrEqual(result.schedule.startedAt + Math.floor(arrivalTime(profile, b.i - 1) * 1000));
    expect(result.seconds).toBeGreaterThanOrEqual(2.95);
  });

  it('--load on a terminal: a live line with sent / target / rate / ETA, then the summary', async () => {
    const stack = uniqueStack('loadtty');
    const url = await newQueue(stack);
    const pty = startPty([process.execPath, BIN, 'produce', '--stack', stack, '--load', 'steady:rate=4,duration=3s'], {
      env: { ...SAFE_ENV, ...motoCliEnv(), NO_COLOR: '1' },
    });
    try {
      await pty.waitFor(/sent \d+ \/ target \d+ of 12, \d+ msg\/s, ETA \d+s/);
      expect(await pty.exited).toBe(0);
      expect(pty.screen()).toMatch(new RegExp(`sent 12 of 12 messages to ${stack}-queue in \\d+\\.\\ds`));
      expect(pty.screen()).toContain('following steady 4/s for 3s: 12 messages over 3s');
    } finally {
      pty.kill();
    }
    expect(await depth(url)).toBe(12);
  });

  it('--load beside --count is refused before anything is sent', async () => {
    const stack = uniqueStack('loadbad');
    const url = await newQueue(stack);
    const run = await runCli(['produce', '--stack', stack, '--load', 'burst:count=5', '--count', '5'], { env: motoCliEnv() });
    expect(run.code).toBe(2);
    expect(run.stderr.split('\n')[0]).toBe('error: --load and --count do not go together: the profile says how many messages and when');
    expect(await depth(url)).toBe(0);
  });

  describe('bad input: exit 2, one message, nothing sent', () => {
    for (const [args, message] of [
      [['--count', '0'], '--count = "0": must be a whole number from 1 to 10000000'],
      [['--count', '1.5'], '--count = "1.5": must be a whole number from 1 to 10000000'],
      [['--count', '-3'], '--count = "-3": must be a whole number from 1 to 10000000'],
      [['--concurrency', '0'], '--concurrency = "0": must be a whole number from 1 to 200'],
      [['--concurrency', '201'], '--concurrency = "201": must be a whole number from 1 to 200'],
      [['--rate', 'fast'], '--rate = "fast": must be a whole number from 1 to 1000000'],
      [['--body-file', '/nonexistent/body.json'], 'cannot read --body-file /nonexistent/body.json: no such file'],
    ] as const) {
      it(`${args.join(' ')}`, async () => {
        const stack = uniqueStack('bad');
        const url = await newQueue(stack);
        const run = await runCli(['produce', '--stack', stack, ...args], { env: motoCliEnv() });
        expect(run.code).toBe(2);
        expect(run.stderr.split('\n')[0]).toBe(`error: ${message}`);
        expect(await depth(url)).toBe(0);
      });
    }

    it("a body over the queue's MaximumMessageSize", async () => {
      const stack = uniqueStack('big');
      const url = await newQueue(stack, { MaximumMessageSize: '1024' });
      const dir = mkdtempSync(join(tmpdir(), 'kedactl-body-'));
      writeFileSync(join(dir, 'big.json'), 'x'.repeat(2000));
      const run = await runCli(['produce', '--stack', stack, '--body-file', join(dir, 'big.json')], { env: motoCliEnv() });
      expect(run.code).toBe(2);
      expect(run.stderr).toContain(`is 2000 bytes, over the queue's MaximumMessageSize of 1024 bytes`);
      expect(await depth(url)).toBe(0);
    });

    it('no region', async () => {
      const run = await runCli(['produce', '--stack', uniqueStack('nor')], {
        env: { AWS_ACCESS_KEY_ID: 'testing', AWS_SECRET_ACCESS_KEY: 'testing' },
      });
      expect(run.code).toBe(2);
      expect(run.stderr).toContain('region: is required');
    });

    it('no credentials says how to set them', async () => {
      const saved = { ...process.env };
      Object.assign(process.env, {
        AWS_CONFIG_FILE: '/nonexistent/config',
        AWS_SHARED_CREDENTIALS_FILE: '/nonexistent/credentials',
        AWS_EC2_METADATA_DISABLED: 'true',
      });
      for (const k of [
        'AWS_ACCESS_KEY_ID',
        'AWS_SECRET_ACCESS_KEY',
        'AWS_SESSION_TOKEN',
        'AWS_PROFILE',
        'AWS_WEB_IDENTITY_TOKEN_FILE',
        'AWS_CONTAINER_CREDENTIALS_FULL_URI',
        'AWS_CONTAINER_CREDENTIALS_RELATIVE_URI',
      ])
        delete process.env[k];
      try {
        const run = await runCli(['produce', '--stack', uniqueStack('nocred')], {
          env: { AWS_REGION: REGION, AWS_ENDPOINT_URL: motoEndpoint() },
        });
        expect(run.code).toBe(2);
        expect(run.stderr).toMatch(/^error: no AWS credentials found/);
        expect(run.stderr).toContain('next: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY');
      } finally {
        process.env = saved;
      }
    });
  });

  it('a queue that does not exist: exit 1 naming it and what to run', async () => {
    const stack = uniqueStack('noq');
    const run = await runCli(['produce', '--stack', stack], { env: motoCliEnv() });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`error: SQS queue "${stack}-queue" does not exist in ${REGION}`);
    expect(run.stderr).toContain(`kedactl init --stack ${stack}`);
  });
});
