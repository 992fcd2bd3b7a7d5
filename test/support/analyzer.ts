// A live result analyzer behind the stack's Service, reachable through the API server's proxy: the
// backend runs in a network namespace (the proxy refuses loopback), and the test plays the kubelet and
// the endpoints controller (a Running pod with the backend's IP, Endpoints pointing at it).
import { kubeRequest, type KubeRig } from './kube-rig.ts';
import { FAKE_ANALYZER, startNetnsBackend, type NetnsBackend } from './netns-backend.ts';

export async function liveAnalyzer(rig: Pick<KubeRig, 'server' | 'caPem' | 'adminToken'>, stack: string): Promise<NetnsBackend> {
  const backend = await startNetnsBackend(FAKE_ANALYZER);
  const name = `${stack}-result-analyzer`;
  const req = async (method: string, path: string, body: unknown, contentType?: string) => {
    const r = await kubeRequest(rig, method, path, { body, contentType });
    if (r.status >= 300) throw new Error(`${method} ${path}: ${r.status} ${r.body}`);
  };
  await req('POST', `/api/v1/namespaces/${stack}/pods`, {
    apiVersion: 'v1', kind: 'Pod', metadata: { name: `${name}-abc12`, labels: { 'app.kubernetes.io/name': 'result-analyzer', 'kedactl.io/stack': stack } },
    spec: { containers: [{ name: 'result-analyzer', image: 'ghcr.io/kedify/blog05-result-analyzer-program:latest', ports: [{ name: 'http', containerPort: 8080 }] }] },
  });
  await req('PATCH', `/api/v1/namespaces/${stack}/pods/${name}-abc12/status`, { status: { phase: 'Running', podIP: backend.ip, podIPs: [{ ip: backend.ip }] } }, 'application/merge-patch+json');
  await req('POST', `/api/v1/namespaces/${stack}/endpoints`, {
    apiVersion: 'v1', kind: 'Endpoints', metadata: { name },
    subsets: [{ addresses: [{ ip: backend.ip, targetRef: { kind: 'Pod', namespace: stack, name: `${name}-abc12` } }], ports: [{ name: 'http', port: backend.port, protocol: 'TCP' }] }],
  });
  return backend;
}

/** What a running KEDA and kubelet would report: the operator available, the ScaledJob Ready. */
export async function kedaReady(rig: Pick<KubeRig, 'server' | 'caPem' | 'adminToken'>, stack: string): Promise<void> {
  const req = (m: string, p: string, b?: unknown, ct?: string) => kubeRequest(rig, m, p, { body: b, contentType: ct });
  const labels = { app: 'keda-operator', 'app.kubernetes.io/version': '2.20.0' };
  await req('POST', '/apis/apps/v1/namespaces/keda/deployments', {
    apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'keda-operator', labels },
    spec: { replicas: 1, selector: { matchLabels: { app: 'keda-operator' } }, template: { metadata: { labels }, spec: { containers: [{ name: 'keda-operator', image: 'ghcr.io/kedacore/keda:2.20.0' }] } } },
  });
  const dep = (await req('GET', '/apis/apps/v1/namespaces/keda/deployments/keda-operator')).json();
  await req('PATCH', '/apis/apps/v1/namespaces/keda/deployments/keda-operator/status', {
    status: { observedGeneration: dep.metadata.generation, replicas: 1, updatedReplicas: 1, readyReplicas: 1, availableReplicas: 1, conditions: [{ type: 'Available', status: 'True', reason: 'MinimumReplicasAvailable' }] },
  }, 'application/merge-patch+json');
  const r = await req('PATCH', `/apis/keda.sh/v1alpha1/namespaces/${stack}/scaledjobs/${stack}-processor/status`, {
    status: { conditions: [
      { type: 'Ready', status: 'True', reason: 'ScaledJobReady', message: 'ScaledJob is defined correctly and is ready to scaling' },
      { type: 'Active', status: 'False', reason: 'ScalerNotActive', message: 'Scaling is not performed because triggers are not active' },
    ] },
  }, 'application/merge-patch+json');
  if (r.status >= 300) throw new Error(`ScaledJob status: ${r.status} ${r.body}`);
}
