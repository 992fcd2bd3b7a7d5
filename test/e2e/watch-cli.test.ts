// kedactl watch as a user runs it: in-process (main(argv)) for --once / NDJSON / --until-empty, and as a
// real process under a pseudo-terminal for the live screen, against the test API server and moto.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PurgeQueueCommand } from '@aws-sdk/client-sqs';
import { PassThrough } from 'node:stream';
import { main } from '../../src/main.ts';
import { runCli, BIN } from '../support/run-cli.ts';
import { kedaCrdsDir, kubeRigForTests, type RigInfo } from '../support/kube-test-rig.ts';
import { startKubeRig } from '../support/kube-rig.ts';
import { motoCliEnv, testAws, REGION } from '../support/aws.ts';
import { motoEndpoint } from '../support/moto.ts';
import { startPty } from '../support/pty.ts';
import { motoSqs } from '../support/sqs.ts';
import { eventually, kubeActor } from '../support/watch-fixtures.ts';

let rig: RigInfo;
let stopRig: () => Promise<void>;
beforeAll(async () => {
  ({ rig, stop: stopRig } = await kubeRigForTests());
});
afterAll(async () => stopRig?.());

const unique = (p: string) => `${p}-${Math.random().toString(36).slice(2, 7)}`;

async function stackWith(messages: number) {
  const stack = unique('wc');
  const actor = kubeActor(rig, stack, `${stack}-processor`);
  await actor.namespace();
  await actor.scaledJobObject(true);
  const aws = testAws();
  const url = await aws.sqs.createQueue(`${stack}-queue`, {}, {});
  if (messages)
    await aws.sqs.sendMessageBatch(
      url,
      Array.from({ length: messages }, (_, i) => ({ id: `m${i}`, body: `video ${i}` })),
    );
  const flags = ['--stack', stack, '--kubeconfig', rig.kubeconfigPath, '--region', REGION, '--endpoint-url', motoEndpoint()];
  return { stack, actor, url, flags };
}

describe('kedactl watch (CLI)', () => {
  it('--once -o ndjson prints one object with the numbers now', async () => {
    const { stack, actor, flags } = await stackWith(4);
    await actor.job(`${stack}-processor-a`);
    await actor.pod(`${stack}-processor-a-pod`);
    await actor.podPhase(`${stack}-processor-a-pod`, 'Running');
    const r = await runCli(['watch', ...flags, '--once', '-o', 'ndjson'], { env: motoCliEnv() });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!)).toMatchObject({
      queue: { visible: 4, inFlight: 0, delayed: 0, stale: false },
      jobs: { active: 1, succeeded: 0, failed: 0 },
      pods: { pending: 0, running: 1 },
      results: null,
      resultsError: expect.stringContaining('does not exist'),
      scaledJob: { exists: true, ready: true },
      connection: 'live',
    });
  });

  it('--once -o text prints the screen once', async () => {
    const { stack, flags } = await stackWith(2);
    const r = await runCli(['watch', ...flags, '--once', '-o', 'text'], { env: motoCliEnv() });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`● live · stack ${stack}`);
    expect(r.stdout).toMatch(/queue\s+2 visible\s+0 in flight/);
    expect(r.stdout).toMatch(/jobs\s+0 active/);
    expect(r.stdout).toContain('no pods yet');
  });

  it('--until-empty exits 0 once the queue is drained and the Jobs are done, printing NDJSON on the way', async () => {
    const { stack, actor, url, flags } = await stackWith(3);
    await actor.job(`${stack}-processor-a`);
    const stdout = new PassThrough();
    const chunks: string[] = [];
    stdout.on('data', (c: Buffer) => chunks.push(c.toString()));
    const stderr = new PassThrough();
    const errs: string[] = [];
    stderr.on('data', (c: Buffer) => errs.push(c.toString()));
    const run = main(['watch', ...flags, '--until-empty', '--timeout', '60s', '--interval', '0.3'], {
      streams: { stdout, stderr, stdin: new PassThrough() },
      env: { PATH: process.env.PATH, HOME: process.env.HOME, NO_COLOR: '1', ...motoCliEnv() },
    });
    const lines = () =>
      chunks
        .join('')
        .trim()
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l));
    await eventually(
      () => lines().some((l) => l.queue?.visible === 3 && l.jobs.active === 1),
      () => chunks.join(''),
    );
    await motoSqs().send(new PurgeQueueCommand({ QueueUrl: url }));
    await eventually(
      () => lines().some((l) => l.queue?.visible === 0),
      () => chunks.join(''),
    );
    // the queue is empty but a Job is still active: not done yet
    await new Promise((r) => setTimeout(r, 800));
    let settled = false;
    void run.then(() => (settled = true));
    expect(settled).toBe(false);
    await actor.jobDone(`${stack}-processor-a`, 'Complete');
    expect(await run).toBe(0);
    expect(lines().at(-1)).toMatchObject({ queue: { visible: 0, inFlight: 0 }, jobs: { active: 0, succeeded: 1 } });
    expect(errs.join('')).toContain(`queue ${stack}-queue is empty and no Job is active`);
  });

  it('--until-empty --timeout fails (exit 1) naming what is left', async () => {
    const { flags } = await stackWith(2);
    const r = await runCli(['watch', ...flags, '--until-empty', '--timeout', '2s', '--interval', '0.5'], { env: motoCliEnv() });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/error: the queue did not drain within 2s: .*queue 2 visible \/ 0 in flight/);
    expect(r.stderr).toContain('next: give it longer (--timeout)');
  });

  it('-o text when piped prints a summary line per change, and --timeout without --until-empty just stops (exit 0)', async () => {
    const { flags } = await stackWith(2);
    const r = await runCli(['watch', ...flags, '-o', 'text', '--timeout', '1500ms'], { env: motoCliEnv() });
    expect(r.code).toBe(0);
    const last = r.stdout.trim().split('\n').at(-1)!;
    expect(last).toMatch(
      /^\d\d:\d\d:\d\d queue 2 visible \/ 0 in flight · jobs 0 active \/ 0 succeeded \/ 0 failed · pods 0 pending \/ 0 running \/ 0 terminating · results unavailable$/,
    );
  });

  it('bad flags are usage errors (exit 2)', async () => {
    const r = await runCli(['watch', '--timeout', 'soon', '--kubeconfig', rig.kubeconfigPath], { env: motoCliEnv() });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--timeout = "soon": must be a duration like 90, 90s, 5m or 1h');
  });

  it('an unreachable cluster with --once fails instead of printing zeros', async () => {
    const { flags } = await stackWith(0);
    const at = flags.indexOf('--kubeconfig');
    flags[at + 1] = rig.expiredKubeconfigPath;
    const r = await runCli(['watch', ...flags, '--once', '--timeout', '3s'], { env: motoCliEnv() });
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/could not read the stack's (Pods|Jobs): HTTP 401/);
  });

  it('on a terminal: the live screen, p pauses, q quits with exit 0', async () => {
    const { stack, actor, flags } = await stackWith(5);
    const pty = startPty([process.execPath, BIN, 'watch', ...flags], {
      env: { PATH: process.env.PATH, HOME: process.env.HOME, ...motoCliEnv() },
      cols: 120,
      rows: 36,
    });
    try {
      await pty.waitFor('● live', 30_000);
      await pty.waitFor(/queue\s+5 visible/);
      await actor.job(`${stack}-processor-a`);
      await actor.pod(`${stack}-processor-a-pod`);
      await pty.waitFor(/pods\s+1 pending/);
      await pty.waitFor(`${stack}-processor-a-pod`);
      pty.send('p');
      await pty.waitFor('⏸ paused');
      pty.send('q');
      expect(await pty.exited).toBe(0);
    } finally {
      pty.kill();
    }
  }, 60_000);

  it('on a terminal: killing and restarting the API server shows reconnecting, then live again with new changes', async () => {
    // its own API server, because this test restarts it
    const own = await startKubeRig({ crdsDir: kedaCrdsDir(), log: () => {} });
    const stack = unique('wr');
    const actor = kubeActor(own, stack, `${stack}-processor`);
    await actor.namespace();
    await actor.scaledJobObject(true);
    await testAws().sqs.createQueue(`${stack}-queue`, {}, {});
    const flags = ['--stack', stack, '--kubeconfig', own.kubeconfigPath, '--region', REGION, '--endpoint-url', motoEndpoint()];
    const pty = startPty([process.execPath, BIN, 'watch', ...flags], {
      env: { PATH: process.env.PATH, HOME: process.env.HOME, ...motoCliEnv() },
      cols: 120,
      rows: 36,
    });
    try {
      await pty.waitFor('● live', 30_000);
      await actor.job(`${stack}-processor-a`);
      await pty.waitFor(/jobs\s+1 active/);
      const restarted = own.restartApiServer();
      await pty.waitFor('◌ reconnecting…', 30_000);
      const mark = pty.screen().lastIndexOf('◌ reconnecting…');
      await restarted;
      await actor.job(`${stack}-processor-b`);
      await eventually(
        () => /● live[\s\S]*jobs\s+2 active/.test(pty.screen().slice(mark)),
        () => pty.screen().slice(-2500),
        30_000,
      );
      pty.send('q');
      expect(await pty.exited).toBe(0);
    } finally {
      pty.kill();
      await own.stop();
    }
  }, 120_000);
});
