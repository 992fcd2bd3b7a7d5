// src/core/workloads/ owns what KEDA scales, one folder per kind: job/ (a ScaledJob: one Job per message)
// and deployment/ (a ScaledObject scaling a consumer Deployment through the HPA KEDA makes). The rest of
// kedactl asks the stack's Workload; a new kind is a new folder registered here. Imports only the stack's
// vocabulary (settings, names) and the cluster's pure readers.
import type { Settings, WorkloadKind } from '../stack/settings.js';
import type { StackNames } from '../stack/names.js';
import { jobWorkload } from './job/index.js';
import { deploymentWorkload } from './deployment/index.js';
import type { Workload } from './types.js';

export type { ScalerRef, Workload } from './types.js';

const REGISTRY: Record<WorkloadKind, Workload> = { job: jobWorkload, deployment: deploymentWorkload };

/** one line per kind, for the wizard and --help */
export const WORKLOAD_HELP: Record<WorkloadKind, string> = {
  job: "a ScaledJob: one Job per message, never scaled down while it works (the example's choice)",
  deployment: 'a ScaledObject: long-running consumer Pods the HPA adds and removes (it does not know which ones are busy)',
};

export function workloadOf(s: Pick<Settings, 'workload'>): Workload {
  return REGISTRY[s.workload];
}

/** the objects of the kinds a stack does not use (now): a stack that switched kinds deletes them */
export function retiredObjects(s: Pick<Settings, 'workload'>, n: StackNames) {
  return Object.values(REGISTRY)
    .filter((w) => w.kind !== s.workload)
    .flatMap((w) => w.owned(n).map((o) => ({ ...o, namespace: n.namespace, workload: w.kind, retiring: w.retiring })));
}
