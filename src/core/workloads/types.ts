// The interface every workload kind implements: what it renders, what KEDA object scales it, and how
// its consumer Pods are found.
import type { Settings, WorkloadKind } from '../stack/settings.js';
import type { StackNames } from '../stack/names.js';

export interface ScalerRef {
  apiVersion: 'keda.sh/v1alpha1';
  kind: 'ScaledJob' | 'ScaledObject';
  name: string;
}

/** what status and watch read of a workload beside its Pods and the events, one watch connection each */
export type ObservedKind = 'jobs' | 'scaledJob' | 'scaledObject' | 'deployment' | 'hpa';

/** a collection in the stack's namespace: one object by name, or those a label selector picks */
export interface ObservedCollection {
  apiVersion: string;
  kind: string;
  /** the REST plural (the watch's path) */
  resource: string;
  name?: string;
  labelSelector?: string;
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
  /**
   * what status and watch read besides the Pods (podSelector) and the events, in the order watch opens them;
   * the scaler is always among them (under its kind's key: scaledJob, scaledObject)
   */
  observed(n: StackNames): Partial<Record<ObservedKind, ObservedCollection>>;
  /** when `watch --until-empty` calls the stack drained, in the words it says it with */
  drained: string;
  /** what the watch's Pods table says while there are none */
  noPods: string;
  /** what the user should know about these settings for this kind (render, plan, init) */
  warnings(s: Settings, objects: readonly RenderedSpec[]): string[];
}
