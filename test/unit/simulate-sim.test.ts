// The virtual-clock simulation: exact timings where they can be worked out by hand, accounting that
// must add up, and the effects each knob is there to show.
import { describe, expect, it } from 'vitest';
import { DEFAULT_WORLD, simulate } from '../../src/core/simulate/sim.ts';
import { JOB_STACK as stack, load, still } from '../support/simulate.ts';

describe('simulate', () => {
  it('one message, by hand: poll at 0, Pod at 5, processed and deleted at 35', () => {
    const r = simulate(stack, load('burst:count=1'), still);
    expect(r).toMatchObject({ messages: 1, drained: true, timeToDrain: 35, peakJobs: 1, jobsCreated: 1, emptyJobs: 0, jobSeconds: 35 });
    expect(r.latency).toEqual({ p50: 35, p95: 35, max: 35 });
    // polls at 0, 10, 20, 30 (Job still unfinished), 40 (done, and the read at 39 saw it)
    expect(r.samples.map((s) => [s.t, s.queue, s.jobs])).toEqual([
      [0, 1, 1],
      [10, 1, 1],
      [20, 1, 1],
      [30, 1, 1],
      [40, 0, 0],
    ]);
  });

  it('the machine, by hand: first poll at 3, Pod at 8, processed at 38, deleted 1.5 s later, Job finished 2 s after that', () => {
    const w = { ...still, pollOffset: 3, deleteLatency: 1.5, jobFinishLatency: 2 };
    const r = simulate(stack, load('burst:count=1'), w);
    expect(r).toMatchObject({ timeToDrain: 3 + 5 + 30 + 1.5, jobsCreated: 1, jobSeconds: 5 + 30 + 1.5 });
    // polls at 3, 13, 23, 33 (in flight), 43: the Job finished at 41.5; the read at 42 saw the queue empty
    expect(r.samples.map((s) => [s.t, s.queue, s.jobs])).toEqual([
      [3, 1, 1],
      [13, 1, 1],
      [23, 1, 1],
      [33, 1, 1],
      [43, 0, 0],
    ]);
  });

  it("KEDA stops counting a Job pending when its Pod runs, before the consumer's receive: accurate starts another Job sooner", () => {
    const fast = { ...stack, strategy: 'accurate' as const, pollingInterval: 2 };
    const one = load('burst:count=1');
    // Pod Running and receiving at 5: the polls at 2 and 4 see one pending Job for the one visible message
    const together = simulate(fast, one, still);
    // Pod Running at 1, receiving at 5: the poll at 2 sees a running Job that is not pending, and starts another
    const apart = simulate(fast, one, { ...still, consumerStartup: 4 });
    const createdBy = (r: typeof apart, t: number) => r.samples.filter((x) => x.t <= t).at(-1)!.jobs;
    expect(createdBy(together, 4)).toBe(1);
    expect(createdBy(apart, 2)).toBe(2);
    expect(apart.jobsCreated).toBeGreaterThan(together.jobsCreated);
  });

  it('a long-polling consumer starts processing when its receive has returned, after --receive-latency', () => {
    // accurate starts a second Job at 10 for the in-flight message; it long-polls from 15 and gets the message sent at 17
    const acc = { ...stack, strategy: 'accurate' as const };
    const two = load('burst:count=1 + pause:duration=17s + burst:count=1');
    expect(simulate(acc, two, still).timeToDrain).toBe(17 + 30);
    expect(simulate(acc, two, { ...still, receiveLatency: 2 }).timeToDrain).toBe(17 + 2 + 30);
  });

  it('consumers that start and delete side by side on one CPU share it, by hand', () => {
    // Running at 3; start-up 2 s of CPU, delete 1 s of CPU; processing (a sleep) takes none
    const w = { ...still, consumerStartup: 2, deleteLatency: 1 };
    // alone: receive at 5, delete done at 5 + 30 + 1
    expect(simulate(stack, load('burst:count=1'), { ...w, nodeCpus: 1 }).timeToDrain).toBe(36);
    // two at once on one CPU: start-ups done at 3 + 2 * 2, deletes at 7 + 30 + 2 * 1
    expect(simulate(stack, load('burst:count=2'), { ...w, nodeCpus: 1 }).timeToDrain).toBe(39);
    // two at once on two CPUs, or with CPUs as needed (0): as fast as alone
    expect(simulate(stack, load('burst:count=2'), { ...w, nodeCpus: 2 }).timeToDrain).toBe(36);
    expect(simulate(stack, load('burst:count=2'), w).timeToDrain).toBe(36);
  });

  it('a message that arrives between polls waits for the next poll', () => {
    const r = simulate(stack, load('pause:duration=3s + burst:count=1'), still);
    expect(r.timeToDrain).toBe(10 + 5 + 30);
  });

  it('is reproducible: the same seed gives the same run; another seed another one', () => {
    const w = { ...DEFAULT_WORLD, failureRate: 0.05 };
    const a = simulate(stack, load('steady:rate=5,duration=5m'), w);
    expect(simulate(stack, load('steady:rate=5,duration=5m'), w)).toEqual(a);
    expect(simulate(stack, load('steady:rate=5,duration=5m'), { ...w, seed: 2 })).not.toEqual(a);
  });

  it('accounts for every Job: each one processed a message, found nothing, or died', () => {
    const r = simulate(
      { ...stack, strategy: 'accurate' },
      load('ramp:from=0,to=20,duration=2m + pause:duration=2m + burst:count=300'),
      DEFAULT_WORLD,
    );
    expect(r.drained).toBe(true);
    expect(r.receivedMoreThanOnce).toBe(0);
    expect(r.jobsCreated).toBe(r.messages + r.emptyJobs);
    expect(r.jobsPerMessage).toBeCloseTo(r.jobsCreated / r.messages, 12);
  });

  it('never runs more than maxReplicas Jobs', () => {
    for (const strategy of ['default', 'accurate', 'eager'] as const) {
      const r = simulate({ ...stack, strategy, maxReplicas: 7 }, load('burst:count=200'), DEFAULT_WORLD);
      expect(r.peakJobs).toBe(7);
      expect(Math.max(...r.samples.map((s) => s.jobs))).toBeLessThanOrEqual(7);
    }
  });

  it('100 Jobs drain 10,000 messages of 30 s in about 100 rounds of poll + start-up + processing', () => {
    const r = simulate(stack, load('burst:count=10000'), still);
    // a round: created at a poll, running at +5, done at +35, finished at +36, replaced at the poll at +40
    expect(r.timeToDrain).toBe(99 * 40 + 35);
  });

  it('accurate with in-flight counting starts Jobs that find nothing on a trickle; default does not', () => {
    const trickle = load('steady:rate=1,duration=10m');
    const d = simulate(stack, trickle, DEFAULT_WORLD);
    const a = simulate({ ...stack, strategy: 'accurate' }, trickle, DEFAULT_WORLD);
    expect(d.emptyJobs).toBe(0);
    expect(a.emptyJobs).toBeGreaterThan(100);
    expect(a.jobSeconds).toBeGreaterThan(d.jobSeconds);
  });

  it('processing past the visibility timeout: messages are received, and processed, twice', () => {
    const r = simulate({ ...stack, visibilityTimeout: 31 }, load('burst:count=500'), DEFAULT_WORLD);
    expect(r.drained).toBe(true);
    expect(r.receivedMoreThanOnce).toBeGreaterThan(0);
    expect(r.processedMoreThanOnce).toBeGreaterThan(0);
    expect(r.processedMoreThanOnce).toBeLessThanOrEqual(r.receivedMoreThanOnce);
  });

  it('failures: messages come back after the visibility timeout, and go to the dead-letter queue after maxReceiveCount', () => {
    const some = simulate(stack, load('burst:count=300'), { ...DEFAULT_WORLD, failureRate: 0.2 });
    expect(some.failedJobs).toBeGreaterThan(30);
    expect(some.receivedMoreThanOnce).toBeGreaterThan(30);
    expect(some.drained).toBe(true);
    expect(some.jobsCreated).toBe(some.messages + some.failedJobs + some.emptyJobs);
    const all = simulate({ ...stack, deadLetterQueue: true, maxReceiveCount: 3 }, load('burst:count=20'), { ...still, failureRate: 1 });
    expect(all).toMatchObject({ drained: true, deadLettered: 20, failedJobs: 60, receivedMoreThanOnce: 20 });
  });

  it('below activationQueueLength nothing starts; it gives up and says the queue did not drain', () => {
    const r = simulate({ ...stack, activationQueueLength: 5 }, load('burst:count=5'), { ...still, giveUpAfter: 600 });
    expect(r).toMatchObject({ drained: false, jobsCreated: 0 });
    expect(r.timeToDrain).toBeUndefined();
    expect(r.samples.at(-1)!.queue).toBe(5);
  });
});
