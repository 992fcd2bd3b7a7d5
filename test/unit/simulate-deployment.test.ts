// The deployment workload's whole loop on a hand-worked small run, and the accounting that must add up.
import { describe, expect, it } from 'vitest';
import { simulateDeployment } from '../../src/core/simulate/deployment/sim.ts';
import { DEFAULT_WORLD } from '../../src/core/simulate/sim.ts';
import { simulateStack } from '../../src/core/simulate/workload.ts';
import { DEPLOYMENT_STACK as stack, load, still } from '../support/simulate.ts';

describe('simulate: the deployment workload', () => {
  it('10 messages, 1 per Pod, no stabilization, by hand: the scale-down kills the 5 busy Pods, their messages are re-delivered', () => {
    // 0: KEDA 0 -> 1 (Pod 0 receives at 5). 7.5: the HPA reads 10, 1 -> 5 (1 * 2 or 1 + 4). 12.5: Pods 1-4 receive.
    // 22.5: 10 -> 10 Pods (Pods 5-9 receive at 27.5). 35: Pod 0 done, 42.5: Pods 1-4 done; they long-poll.
    // 37.5: 9 / 10 = 0.9: within the tolerance. 52.5: 5 / 10: down to 5. The ReplicaSet removes the most
    // recently ready (Pods 5-9, ready 25 s: bucket 34; the others 40 s and more: bucket 35): exactly the busy ones.
    // Their 5 messages go back and the waiting Pods 0-4 take them at once: done at 82.5.
    const r = simulateDeployment(stack, load('burst:count=10'), still);
    expect(r).toMatchObject({
      workload: 'deployment',
      drained: true,
      timeToDrain: 82.5,
      killed: 5,
      redeliveries: 5,
      receivedMoreThanOnce: 5,
    });
    expect(r.processedMoreThanOnce).toBe(0);
    expect(r.peakPods).toBe(10);
    expect(r.deployment).toMatchObject({ podsCreated: 10, givenBackUnstarted: 0, consumersDied: 0 });
    // last active at the poll of 80 (its read at 79 saw 5 in flight); 80 + 300 is before 390
    expect(r.deployment!.scaledToZeroAt).toBe(390);
    expect(r.latency.max).toBe(82.5);
  });

  it('the same with the default 300 s stabilization: nobody busy is removed, no kills', () => {
    const r = simulateDeployment({ ...stack, scaleDownStabilization: 300 }, load('burst:count=10'), still);
    expect(r).toMatchObject({ drained: true, timeToDrain: 57.5, killed: 0, redeliveries: 0 });
  });

  it('the same load on the job workload: no kills', () => {
    const r = simulateStack({ ...stack, workload: 'job' }, load('burst:count=10'), still);
    expect(r).toMatchObject({ workload: 'job', drained: true, timeToDrain: 35, killed: 0, redeliveries: 0, peakPods: 10 });
  });

  it('Pod-seconds: one Pod, one message, by hand', () => {
    // 0: 1 Pod; receives at 5, done at 35; the HPA keeps 1 (its minimum); KEDA reads 0 from the poll at 40
    // (last active 30): to 0 at the first poll after 330, 340. The Pod long-polls meanwhile (10 s polls from 35):
    // on SIGTERM it finishes the one under way, at 345.
    const r = simulateDeployment(stack, load('burst:count=1'), still);
    expect(r).toMatchObject({ timeToDrain: 35, killed: 0, podSeconds: 345, peakPods: 1 });
    expect(r.deployment!.scaledToZeroAt).toBe(340);
  });

  it('accounts for every message, is reproducible, and never runs more than maxReplicas Pods', () => {
    const w = { ...DEFAULT_WORLD, seed: 7 };
    const s = { ...stack, maxReplicas: 20 };
    const a = simulateDeployment(s, load('burst:count=300+steady:rate=2,duration=2m'), w);
    const b = simulateDeployment(s, load('burst:count=300+steady:rate=2,duration=2m'), w);
    expect(b).toEqual(a);
    expect(a.drained).toBe(true);
    expect(a.messages).toBe(540);
    expect(Math.max(...a.samples.map((x) => x.jobs))).toBeLessThanOrEqual(a.peakPods);
    // terminating Pods count in peakPods; active ones never exceed maxReplicas
    expect(a.peakPods).toBeGreaterThanOrEqual(20);
    expect(a.killed).toBeGreaterThan(0);
    // every kill and every message given back unstarted is one more receive
    expect(a.redeliveries).toBe(a.killed + a.deployment!.givenBackUnstarted);
  });

  it('a consumer that dies: its message comes back after the visibility timeout, the container restarts', () => {
    const r = simulateDeployment({ ...stack, scaleDownStabilization: 300 }, load('burst:count=20'), { ...still, failureRate: 0.3 });
    expect(r.drained).toBe(true);
    expect(r.deployment!.consumersDied).toBeGreaterThan(0);
    expect(r.redeliveries).toBeGreaterThanOrEqual(r.deployment!.consumersDied);
  });
});
