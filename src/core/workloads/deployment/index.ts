// The deployment workload: a consumer Deployment whose Pods loop over the queue
// (templates/kubernetes/consumer-deployment.yaml, templates/consumer/consume-loop.sh) and a ScaledObject
// (templates/kubernetes/scaled-object.yaml). KEDA scales it between 0 and 1 itself and hands 1..max to the
// HPA it creates (keda-hpa-<name>), which reads KEDA's external metric through the metrics server; on
// scale-down the ReplicaSet picks Pods without knowing which are busy, and a busy one gives its message
// back on SIGTERM (a kill; the message is re-delivered).
import type { Workload } from '../types.js';

export const SCALED_OBJECT_LABEL = 'scaledobject.keda.sh/name';
/** the label the consumer Deployment's Pods carry (its selector) */
export const CONSUMER_LABEL = 'kedactl.io/consumer';
/** seconds the loop's ReceiveMessage waits (templates/consumer/consume-loop.sh): a SIGTERM during it waits that long */
export const LOOP_WAIT_SECONDS = 10;

/** the HPA KEDA creates for a ScaledObject (unless its advanced.horizontalPodAutoscalerConfig names one) */
export const hpaName = (scaledObject: string) => `keda-hpa-${scaledObject}`;

export const deploymentWorkload: Workload = {
  kind: 'deployment',
  unit: { one: 'consumer Pod', many: 'consumer Pods' },
  scaler: (n) => ({ apiVersion: 'keda.sh/v1alpha1', kind: 'ScaledObject', name: n.scaledObject }),
  target: (n) => ({ apiVersion: 'apps/v1', kind: 'Deployment', name: n.consumerDeployment }),
  owned: (n) => [
    { apiVersion: 'keda.sh/v1alpha1', kind: 'ScaledObject', name: n.scaledObject },
    { apiVersion: 'apps/v1', kind: 'Deployment', name: n.consumerDeployment },
  ],
  retiring:
    'the HPA goes with the ScaledObject and the consumer Pods with the Deployment: a busy one returns its message to the queue (a kill)',
  hpa: (n) => hpaName(n.scaledObject),
  templates: ['kubernetes/consumer-deployment.yaml', 'kubernetes/scaled-object.yaml'],
  consumerScript: 'consumer/consume-loop.sh',
  podSelector: (n) => `${CONSUMER_LABEL}=${n.consumerDeployment}`,
  observed: (n) => ({
    deployment: { apiVersion: 'apps/v1', kind: 'Deployment', resource: 'deployments', name: n.consumerDeployment },
    hpa: {
      apiVersion: 'autoscaling/v2',
      kind: 'HorizontalPodAutoscaler',
      resource: 'horizontalpodautoscalers',
      name: hpaName(n.scaledObject),
    },
    scaledObject: { apiVersion: 'keda.sh/v1alpha1', kind: 'ScaledObject', resource: 'scaledobjects', name: n.scaledObject },
  }),
  // a consumer Pod stays up after its work (until the cooldown and the HPA scale it down), and its work shows
  // only as a message in flight: two queue reads in a row with nothing visible, in flight or delayed
  drained:
    'no message was visible, in flight or delayed on two reads in a row (the consumer Pods are idle; KEDA removes them after the cooldown)',
  noPods: 'no consumer Pods: KEDA scales the Deployment up from 0 when the queue has messages',
  warnings(s) {
    const warnings: string[] = [];
    if (s.strategy !== 'default')
      warnings.push(
        `strategy "${s.strategy}" is a ScaledJob setting: a ScaledObject ignores it (its HPA scales to ceil(messages / queueLength) Pods)`,
      );
    if (s.terminationGracePeriod < LOOP_WAIT_SECONDS + 5)
      warnings.push(
        `terminationGracePeriod ${s.terminationGracePeriod}s: a consumer stopped while it long-polls needs up to ${LOOP_WAIT_SECONDS + 5}s to give back what it receives; shorter, and such a message stays invisible for the visibility timeout (${s.visibilityTimeout}s) before it is re-delivered`,
      );
    if (s.activationQueueLength >= s.queueLength * s.maxReplicas)
      warnings.push(
        `activationQueueLength ${s.activationQueueLength} is so high that KEDA would never wake the consumers before the queue holds that many messages`,
      );
    return warnings;
  },
};
