// The interface every workload kind implements: what it renders, what KEDA object scales it, and how
// its consumer Pods are found.
import type { Settings, WorkloadKind } from '../stack/settings.js';
import type { StackNames } from '../stack/names.js';

export interface ScalerRef {
  apiVersion: 'keda.sh/v1alpha1';
  kind: 'ScaledJob' | 'ScaledObject';
  name: string;
}

/** a rendered Kubernetes object, as far as a workload reads it */
export interface RenderedSpec {
  kind?: string;
  spec?: unknown;
}

export interface Workload {
  kind: WorkloadKind;
  /** the user's noun for the consumers: "Job" / "consumer Pod" */
  unit: { one: string; many: string };
  /** the KEDA object that scales the consumers */
  scaler(n: StackNames): ScalerRef;
  /**
   * the HPA KEDA makes to scale the target, whose metric comes through KEDA's metrics server (the external
   * metrics APIService); undefined when KEDA scales the consumers itself (a ScaledJob starts its Jobs)
   */
  hpa(n: StackNames): string | undefined;
  /** what runs the consumers (the ScaledJob itself, or the Deployment the ScaledObject scales) */
  target(n: StackNames): { apiVersion: string; kind: string; name: string };
  /** the objects only this kind has (a stack switching kinds deletes the old kind's: plan shows them) */
  owned(n: StackNames): Array<{ apiVersion: string; kind: string; name: string }>;
  /** what deleting them does to work in progress, in the plan's words */
  retiring: string;
  /** the workload's templates, rendered after the stack's shared ones (namespace, identity, script, analyzer) */
  templates: readonly string[];
  /** the consumer script the ConfigMap carries, under templates/ */
  consumerScript: string;
  /** a label selector for the consumer Pods */
  podSelector(n: StackNames): string;
  /** what the user should know about these settings for this kind (render, plan, init) */
  warnings(s: Settings, objects: readonly RenderedSpec[]): string[];
}
