// What the controllers a real cluster runs would do, played by tests against the rig (which runs only
// kube-apiserver and etcd): KEDA's operator coming up, KEDA marking a ScaledJob Ready, the kubelet and
// endpoints controller giving the analyzer a reachable pod, the namespace controller finishing deletes.
import { DEFAULT_KEDA_VERSION } from '../../src/core/keda/versions.ts';
import { kubeRequest, type KubeRig } from './kube-rig.ts';

type Rig = Pick<KubeRig, 'server' | 'caPem' | 'adminToken'>;
import { FAKE_ANALYZER, startNetnsBackend, type NetnsBackend } from './netns-backend.ts';

/**
 * A live result analyzer behind the stack's Service, reachable through the API server's proxy: the
 * backend runs in a network namespace (the proxy refuses loopback); a Running pod with its IP and the
 * Endpoints pointing at it stand in for the kubelet and the endpoints controller.
 */
export async function liveAnalyzer(rig: Rig, stack: string): Promise<NetnsBackend> {
  const backend = await startNetnsBackend(FAKE_ANALYZER);
  const name = `${stack}-result-analyzer`;
  const req = async (method: string, path: string, body: unknown, contentType?: string) => {
    const r = await kubeRequest(rig, method, path, { body, contentType });
    if (r.status >= 300) throw new Error(`${method} ${path}: ${r.status} ${r.body}`);
  };
  await req('POST', `/api/v1/namespaces/${stack}/pods`, {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: `${name}-abc12`, labels: { 'app.kubernetes.io/name': 'result-analyzer', 'kedactl.io/stack': stack } },
    spec: {
      containers: [
        {
          name: 'result-analyzer',
          image: 'ghcr.io/kedify/blog05-result-analyzer-program:latest',
          ports: [{ name: 'http', containerPort: 8080 }],
        },
      ],
    },
  });
  await req(
    'PATCH',
    `/api/v1/namespaces/${stack}/pods/${name}-abc12/status`,
    { status: { phase: 'Running', podIP: backend.ip, podIPs: [{ ip: backend.ip }] } },
    'application/merge-patch+json',
  );
  await req('POST', `/api/v1/namespaces/${stack}/endpoints`, {
    apiVersion: 'v1',
    kind: 'Endpoints',
    metadata: { name },
    subsets: [
      {
        addresses: [{ ip: backend.ip, targetRef: { kind: 'Pod', namespace: stack, name: `${name}-abc12` } }],
        ports: [{ name: 'http', port: backend.port, protocol: 'TCP' }],
      },
    ],
  });
  return backend;
}

/** What the chart and a kubelet leave: an available keda-operator Deployment in namespace keda. */
export async function kedaOperatorUp(rig: Rig, version = DEFAULT_KEDA_VERSION): Promise<void> {
  const req = (m: string, p: string, b?: unknown, ct?: string) => kubeRequest(rig, m, p, { body: b, contentType: ct });
  await req('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'keda' } }); // 409 when helm made it
  const labels = { app: 'keda-operator', 'app.kubernetes.io/version': version };
  const created = await req('POST', '/apis/apps/v1/namespaces/keda/deployments', {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'keda-operator', labels },
    spec: {
      replicas: 1,
      selector: { matchLabels: { app: 'keda-operator' } },
      template: { metadata: { labels }, spec: { containers: [{ name: 'keda-operator', image: `ghcr.io/kedacore/keda:${version}` }] } },
    },
  });
  if (created.status !== 201 && created.status !== 409) throw new Error(created.body);
  const dep = (await req('GET', '/apis/apps/v1/namespaces/keda/deployments/keda-operator')).json();
  await req(
    'PATCH',
    '/apis/apps/v1/namespaces/keda/deployments/keda-operator/status',
    {
      status: {
        observedGeneration: dep.metadata.generation,
        replicas: 1,
        updatedReplicas: 1,
        readyReplicas: 1,
        availableReplicas: 1,
        conditions: [{ type: 'Available', status: 'True', reason: 'MinimumReplicasAvailable' }],
      },
    },
    'application/merge-patch+json',
  );
}

/** What KEDA reports on a ScaledJob it accepted: Ready, not Active. */
export async function scaledJobReady(rig: Rig, stack: string): Promise<void> {
  const r = await kubeRequest(rig, 'PATCH', `/apis/keda.sh/v1alpha1/namespaces/${stack}/scaledjobs/${stack}-processor/status`, {
    body: {
      status: {
        conditions: [
          { type: 'Ready', status: 'True', reason: 'ScaledJobReady', message: 'ScaledJob is defined correctly and is ready to scaling' },
          {
            type: 'Active',
            status: 'False',
            reason: 'ScalerNotActive',
            message: 'Scaling is not performed because triggers are not active',
          },
        ],
      },
    },
    contentType: 'application/merge-patch+json',
  });
  if (r.status >= 300) throw new Error(`ScaledJob status: ${r.status} ${r.body}`);
}

/**
 * The namespace controller: finishes namespaces being deleted (teardown already deleted their objects by
 * label). Watches one namespace, or every namespace when none is named. Returns stop().
 */
export function namespaceController(rig: Rig, name?: string): () => void {
  let on = true;
  void (async () => {
    while (on) {
      try {
        const items = name
          ? [(await kubeRequest(rig, 'GET', `/api/v1/namespaces/${name}`)).json()].filter((n) => n?.metadata)
          : ((await kubeRequest(rig, 'GET', '/api/v1/namespaces')).json().items ?? []);
        for (const ns of items)
          if (ns.metadata.deletionTimestamp)
            await kubeRequest(rig, 'PUT', `/api/v1/namespaces/${ns.metadata.name}/finalize`, {
              body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns.metadata.name }, spec: { finalizers: [] } },
            });
      } catch {
        /* the rig is stopping */
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  })();
  return () => {
    on = false;
  };
}
