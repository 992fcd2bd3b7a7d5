// One simulator per workload kind, behind one signature: the ScaledJob path (sim.ts) and the ScaledObject
// path (deployment/). The settings pick one here, and nowhere else.
import type { Settings, WorkloadKind } from '../stack/settings.js';
import { type DeploymentStack, simulateDeployment } from './deployment/sim.js';
import type { LoadProfile } from './profile.js';
import { simulate, type SimResult, type SimWorld } from './sim.js';

/** What the stack would deploy, as far as either path models it. */
export type ModelStack = DeploymentStack & Pick<Settings, 'workload'>;

export const SIMULATORS: Record<WorkloadKind, (stack: ModelStack, profile: LoadProfile, world: SimWorld) => SimResult> = {
  job: simulate,
  deployment: simulateDeployment,
};

export function simulateStack(stack: ModelStack, profile: LoadProfile, world: SimWorld): SimResult {
  return SIMULATORS[stack.workload](stack, profile, world);
}
