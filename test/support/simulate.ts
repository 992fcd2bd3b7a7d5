// What the simulator's unit tests run: the stack kedactl renders by default, written out because the
// hand-worked runs are worked from these numbers (a changed default must not move them), a world
// without jitter, and a load from its spec.
import { buildProfile, parseLoadSpec } from '../../src/core/simulate/profile.ts';
import { DEFAULT_WORLD, type SimStack, type SimWorld } from '../../src/core/simulate/sim.ts';
import type { ModelStack } from '../../src/core/simulate/workload.ts';

export const JOB_STACK: SimStack = {
  pollingInterval: 10,
  maxReplicas: 100,
  queueLength: 1,
  activationQueueLength: 0,
  strategy: 'default',
  processingTime: 30,
  visibilityTimeout: 90,
  deadLetterQueue: false,
  maxReceiveCount: 5,
};

/** the same, as the deployment workload: the ScaledObject's defaults but no scale-down stabilization */
export const DEPLOYMENT_STACK: ModelStack = {
  ...JOB_STACK,
  workload: 'deployment',
  cooldownPeriod: 300,
  scaleDownStabilization: 0,
  scaleDownPercent: 100,
  scaleDownPeriod: 15,
  terminationGracePeriod: 30,
};

/** the default world without jitter: every start-up and processing time is its mean */
export const still: SimWorld = { ...DEFAULT_WORLD, jitter: 0 };

export const load = (spec: string) => buildProfile(parseLoadSpec(spec));
