// What KEDA and the Job controller would do in a real cluster, done by hand against the test API server
// (which runs no controllers): a ScaledJob with status, Jobs and Pods labelled like KEDA's, status moves.
import { kubeRequest, type KubeResponse } from './kube-rig.ts';

export type Rig = { server: string; caPem: string; adminToken: string };

const LABEL = 'scaledjob.keda.sh/name';

async function ok(p: Promise<KubeResponse>, what: string): Promise<any> {
  const r = await p;
  if (r.status >= 300) throw new Error(`${what}: HTTP ${r.status} ${r.body.slice(0, 300)}`);
  return r.json();
}

export function kubeActor(rig: Rig, namespace: string, scaledJob: string) {
  const req = (method: string, path: string, body?: unknown, contentType?: string) => kubeRequest(rig, method, path, { body, contentType });
  const merge = 'application/merge-patch+json';
  const labels = { [LABEL]: scaledJob };
  return {
    async namespace() {
      await ok(
        req('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } }),
        'create namespace',
      );
    },
    async scaledJobObject(ready = true) {
      await ok(
        req('POST', `/apis/keda.sh/v1alpha1/namespaces/${namespace}/scaledjobs`, {
          apiVersion: 'keda.sh/v1alpha1',
          kind: 'ScaledJob',
          metadata: { name: scaledJob, namespace },
          spec: {
            jobTargetRef: {
              template: { spec: { restartPolicy: 'Never', containers: [{ name: 'consumer', image: 'amazon/aws-cli:2.15.23' }] } },
            },
            triggers: [{ type: 'aws-sqs-queue', metadata: { queueURL: 'http://example/q', awsRegion: 'us-east-1' } }],
          },
        }),
        'create ScaledJob',
      );
      await ok(
        req(
          'PATCH',
          `/apis/keda.sh/v1alpha1/namespaces/${namespace}/scaledjobs/${scaledJob}/status`,
          {
            status: {
              conditions: [
                { type: 'Ready', status: ready ? 'True' : 'False', reason: 'ScaledJobReady' },
                { type: 'Active', status: 'True', reason: 'ScalerActive' },
              ],
            },
          },
          merge,
        ),
        'ScaledJob status',
      );
    },
    async job(name: string) {
      await ok(
        req('POST', `/apis/batch/v1/namespaces/${namespace}/jobs`, {
          apiVersion: 'batch/v1',
          kind: 'Job',
          metadata: { name, labels },
          spec: {
            backoffLimit: 0,
            template: {
              metadata: { labels },
              spec: { restartPolicy: 'Never', containers: [{ name: 'consumer', image: 'amazon/aws-cli:2.15.23' }] },
            },
          },
        }),
        `create Job ${name}`,
      );
    },
    async jobDone(name: string, how: 'Complete' | 'Failed') {
      const now = new Date().toISOString();
      const conditions =
        how === 'Complete'
          ? [
              { type: 'SuccessCriteriaMet', status: 'True', lastTransitionTime: now },
              { type: 'Complete', status: 'True', lastTransitionTime: now },
            ]
          : [
              { type: 'FailureTarget', status: 'True', lastTransitionTime: now },
              { type: 'Failed', status: 'True', lastTransitionTime: now },
            ];
      await ok(
        req(
          'PATCH',
          `/apis/batch/v1/namespaces/${namespace}/jobs/${name}/status`,
          {
            status: { startTime: now, ...(how === 'Complete' ? { completionTime: now, succeeded: 1 } : { failed: 1 }), conditions },
          },
          merge,
        ),
        `Job ${name} ${how}`,
      );
    },
    async pod(name: string, job?: string) {
      await ok(
        req('POST', `/api/v1/namespaces/${namespace}/pods`, {
          apiVersion: 'v1',
          kind: 'Pod',
          metadata: { name, labels: { ...labels, ...(job ? { 'job-name': job } : {}) } },
          spec: { restartPolicy: 'Never', containers: [{ name: 'consumer', image: 'amazon/aws-cli:2.15.23' }] },
        }),
        `create Pod ${name}`,
      );
    },
    async podPhase(name: string, phase: 'Pending' | 'Running' | 'Succeeded' | 'Failed', node = 'node-1') {
      // the scheduler's part: bind the Pod to a node once (nodeName is set only through the binding)
      const pod = await ok(req('GET', `/api/v1/namespaces/${namespace}/pods/${name}`), `get Pod ${name}`);
      if (phase !== 'Pending' && !pod.spec.nodeName)
        await ok(
          req('POST', `/api/v1/namespaces/${namespace}/pods/${name}/binding`, {
            apiVersion: 'v1',
            kind: 'Binding',
            metadata: { name },
            target: { apiVersion: 'v1', kind: 'Node', name: node },
          }),
          `bind Pod ${name}`,
        );
      await ok(req('PATCH', `/api/v1/namespaces/${namespace}/pods/${name}/status`, { status: { phase } }, merge), `Pod ${name} ${phase}`);
    },
    async deletePod(name: string) {
      await req('DELETE', `/api/v1/namespaces/${namespace}/pods/${name}?gracePeriodSeconds=0`);
    },
    async event(name: string, involved: { kind: string; name: string }, reason: string, message: string, type = 'Normal') {
      const now = new Date().toISOString();
      await ok(
        req('POST', `/api/v1/namespaces/${namespace}/events`, {
          apiVersion: 'v1',
          kind: 'Event',
          metadata: { name, namespace },
          involvedObject: { ...involved, namespace },
          reason,
          message,
          type,
          firstTimestamp: now,
          lastTimestamp: now,
          count: 1,
          source: { component: 'keda-operator' },
        }),
        `create Event ${name}`,
      );
    },
  };
}

/** Poll until check() is truthy (returning it), or throw with what the last look showed. */
export async function eventually<T>(check: () => T | undefined | false, what: () => string, timeoutMs = 15_000, everyMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = check();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting; last seen:\n${what()}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

// ---------------------------------------------------------------------------------------------
// The deployment workload: what KEDA, the HPA controller and the Deployment controller would report.

const CONSUMER = 'kedactl.io/consumer';

/** raw objects as the API server returns them (for the reducer, status and the screen) */
export const deploymentObjects = {
  deployment: (name: string, desired: number, ready: number) => ({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, uid: `uid-${name}` },
    spec: { replicas: desired },
    status: { replicas: Math.max(desired, ready), readyReplicas: ready },
  }),
  hpa: (
    scaledObject: string,
    o: {
      current?: number;
      desired?: number;
      max?: number;
      conditions?: Array<{ type: string; status: string; reason?: string; message?: string }>;
    },
  ) => ({
    apiVersion: 'autoscaling/v2',
    kind: 'HorizontalPodAutoscaler',
    metadata: { name: `keda-hpa-${scaledObject}`, uid: `uid-hpa-${scaledObject}` },
    spec: { minReplicas: 1, maxReplicas: o.max ?? 10, scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: scaledObject } },
    status: {
      ...(o.current !== undefined ? { currentReplicas: o.current } : {}),
      ...(o.desired !== undefined ? { desiredReplicas: o.desired } : {}),
      conditions: o.conditions ?? [
        { type: 'AbleToScale', status: 'True', reason: 'ReadyForNewScale' },
        { type: 'ScalingActive', status: 'True', reason: 'ValidMetricFound' },
        { type: 'ScalingLimited', status: 'False', reason: 'DesiredWithinRange' },
      ],
    },
  }),
  scaledObject: (name: string, ready = true, active = true) => ({
    apiVersion: 'keda.sh/v1alpha1',
    kind: 'ScaledObject',
    metadata: { name, uid: `uid-so-${name}` },
    status: {
      hpaName: `keda-hpa-${name}`,
      conditions: [
        { type: 'Ready', status: ready ? 'True' : 'False', reason: ready ? 'ScaledObjectReady' : 'ScaledObjectCheckFailed' },
        { type: 'Active', status: active ? 'True' : 'False', reason: active ? 'ScalerActive' : 'ScalerNotActive' },
      ],
    },
  }),
  pod: (name: string, phase: string, created: string) => ({
    metadata: { name, uid: name, creationTimestamp: created, labels: { [CONSUMER]: name.split('-').slice(0, -2).join('-') } },
    spec: { nodeName: 'node-a' },
    status: { phase },
  }),
};

/** The deployment workload's objects on the test API server, with the statuses their controllers would write. */
export function deploymentActor(rig: Rig, namespace: string, name: string) {
  const req = (method: string, path: string, body?: unknown, contentType?: string) => kubeRequest(rig, method, path, { body, contentType });
  const merge = 'application/merge-patch+json';
  const labels = { [CONSUMER]: name };
  const container = { name: 'consumer', image: 'amazon/aws-cli:2.15.23' };
  return {
    /** the Deployment as kedactl renders it, when the test did not run init */
    async deployment() {
      await ok(
        req('POST', `/apis/apps/v1/namespaces/${namespace}/deployments`, {
          apiVersion: 'apps/v1',
          kind: 'Deployment',
          metadata: { name, labels },
          spec: { replicas: 0, selector: { matchLabels: labels }, template: { metadata: { labels }, spec: { containers: [container] } } },
        }),
        'create Deployment',
      );
    },
    /** the HPA controller's or KEDA's scale, and the Deployment controller's report of it */
    async replicas(desired: number, ready: number) {
      await ok(
        req('PATCH', `/apis/apps/v1/namespaces/${namespace}/deployments/${name}`, { spec: { replicas: desired } }, merge),
        'scale Deployment',
      );
      await ok(
        req(
          'PATCH',
          `/apis/apps/v1/namespaces/${namespace}/deployments/${name}/status`,
          { status: { replicas: Math.max(desired, ready), readyReplicas: ready, updatedReplicas: ready, availableReplicas: ready } },
          merge,
        ),
        'Deployment status',
      );
    },
    async scaledObjectReady(active: boolean) {
      const so = deploymentObjects.scaledObject(name, true, active);
      await ok(
        req('PATCH', `/apis/keda.sh/v1alpha1/namespaces/${namespace}/scaledobjects/${name}/status`, { status: so.status }, merge),
        'ScaledObject status',
      );
    },
    /** KEDA's part: the HPA it makes for the ScaledObject (its external metric) */
    async hpa(max: number) {
      await ok(
        req('POST', `/apis/autoscaling/v2/namespaces/${namespace}/horizontalpodautoscalers`, {
          apiVersion: 'autoscaling/v2',
          kind: 'HorizontalPodAutoscaler',
          metadata: { name: `keda-hpa-${name}`, labels: { 'scaledobject.keda.sh/name': name } },
          spec: {
            minReplicas: 1,
            maxReplicas: max,
            scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name },
            metrics: [
              {
                type: 'External',
                external: {
                  metric: { name: 's0-aws-sqs-queue', selector: { matchLabels: { 'scaledobject.keda.sh/name': name } } },
                  target: { type: 'AverageValue', averageValue: '1' },
                },
              },
            ],
          },
        }),
        'create HPA',
      );
    },
    /** the HPA controller's part */
    async hpaStatus(
      current: number,
      desired: number,
      conditions: Array<{ type: string; status: string; reason?: string; message?: string }>,
    ) {
      const now = new Date().toISOString();
      await ok(
        req(
          'PATCH',
          `/apis/autoscaling/v2/namespaces/${namespace}/horizontalpodautoscalers/keda-hpa-${name}/status`,
          {
            status: {
              currentReplicas: current,
              desiredReplicas: desired,
              conditions: conditions.map((c) => ({ lastTransitionTime: now, ...c })),
            },
          },
          merge,
        ),
        'HPA status',
      );
    },
    async pod(pod: string) {
      await ok(
        req('POST', `/api/v1/namespaces/${namespace}/pods`, {
          apiVersion: 'v1',
          kind: 'Pod',
          metadata: { name: pod, labels },
          spec: { containers: [container] },
        }),
        `create Pod ${pod}`,
      );
    },
  };
}
