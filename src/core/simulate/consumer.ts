// What a consumer's Pod and its messages take, drawn from the seed the same way on both workloads' paths
// (sim.ts, deployment/sim.ts): the same seed gives the same start-ups and processing times on either.
import type { Settings } from '../stack/settings.js';
import { STREAM, spread, unit } from './random.js';
import type { SimWorld } from './sim.js';

/** Pod i's start-up, in seconds from its creation */
export interface Startup {
  /** its consumer's first receive lands */
  ready: number;
  /** the Pod is Running (KEDA stops counting it pending): the consumer's own start-up is still ahead */
  running: number;
}

export function startup(world: SimWorld, i: number): Startup {
  const ready = spread(world.podStartup, world.jitter, unit(world.seed, STREAM.startup, i));
  return { ready, running: Math.max(0, ready - world.consumerStartup) };
}

/** How a consumer's hold of message m (its `receipt`) goes, drawn from the seed the same way on both paths. */
export interface Processing {
  /** seconds of processing (the consumer's sleep) */
  sleep: number;
  /** seconds from the hand-over until its delete lands: `returning` (its receive call), the sleep, the delete */
  work: number;
  /** seconds from the hand-over until the consumer dies (failureRate), or undefined when it lives */
  diesAfter: number | undefined;
}

export function processing(
  stack: Pick<Settings, 'processingTime'>,
  world: SimWorld,
  m: number,
  receipt: number,
  returning: number,
): Processing {
  const sleep = spread(stack.processingTime, world.jitter, unit(world.seed, STREAM.processing, m, receipt));
  const work = returning + sleep + world.deleteLatency;
  const dies = world.failureRate > 0 && unit(world.seed, STREAM.failure, m, receipt) < world.failureRate;
  return { sleep, work, diesAfter: dies ? work * unit(world.seed, STREAM.failAt, m, receipt) : undefined };
}
