// The schemas Kubernetes objects are checked against: the kinds kedactl's templates render (and the
// workload kinds an override might turn one into), from kubernetes-models (Kubernetes' OpenAPI) and
// @kubernetes-models/keda (KEDA's CRDs). `npm run build` bundles this module with what it imports into
// one file (.ci/bundle-schemas.mjs): a run loads one file instead of ~650, and the model packages are
// needed only to build. test/e2e/kube-schemas.test.ts checks the bundle judges as the packages do.
import { ConfigMap, Namespace, Pod, Secret, Service, ServiceAccount } from 'kubernetes-models/v1';
import { Deployment } from 'kubernetes-models/apps/v1';
import { Job } from 'kubernetes-models/batch/v1';
import { ClusterTriggerAuthentication, ScaledJob, ScaledObject, TriggerAuthentication } from '@kubernetes-models/keda/keda.sh/v1alpha1';

/** each model takes its own kind's shape */
export type KubeModel = new (data: any) => { validate(): void };

/** "apiVersion/kind" -> its model */
export const KUBE_MODELS: Readonly<Record<string, KubeModel>> = {
  'v1/Namespace': Namespace,
  'v1/ServiceAccount': ServiceAccount,
  'v1/Secret': Secret,
  'v1/ConfigMap': ConfigMap,
  'v1/Service': Service,
  'v1/Pod': Pod,
  'apps/v1/Deployment': Deployment,
  'batch/v1/Job': Job,
  'keda.sh/v1alpha1/ScaledJob': ScaledJob,
  'keda.sh/v1alpha1/ScaledObject': ScaledObject,
  'keda.sh/v1alpha1/TriggerAuthentication': TriggerAuthentication,
  'keda.sh/v1alpha1/ClusterTriggerAuthentication': ClusterTriggerAuthentication,
};
