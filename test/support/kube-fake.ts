// FAKE: an in-memory Kubernetes that implements the core's Kube port (src/core/kube/ports.ts), for
// logic that needs no server: teardown's order, the inventory, status's verdicts. It keeps objects in a
// map and does what the API server does that this logic reads: label selectors, metadata-only lists,
// stringData -> data, finalizers holding a deleted object back (deletionTimestamp), a namespace that
// stays terminating until its controller finishes it, kinds that are not served. It does no validation,
// no defaulting and no field ownership; what depends on those is tested against the real kube-apiserver
// (test/integration, test/e2e).
import {
  KubeApiError,
  type ApplyOptions,
  type Kube,
  type KubeObject,
  type KubeRef,
  type KubeType,
  type ListOptions,
  type Propagation,
} from '../../src/core/kube/ports.ts';

/** One call the core made, in order: what tests assert on. */
export interface FakeCall {
  verb: 'get' | 'list' | 'apply' | 'dry-run apply' | 'deletecollection' | 'delete' | 'served' | 'proxy';
  kind: string;
  namespace?: string;
  name?: string;
  labelSelector?: string;
}

export interface FakeKubeOptions {
  /** kinds beyond the built-in ones (default: KEDA's, as if its CRDs were installed) */
  served?: KubeType[];
  /** finish a deleted namespace at once, as the namespace controller would (default true) */
  namespaceController?: boolean;
  /** the service proxy's answer (default: 503, no endpoints) */
  proxy?: Kube['proxy'];
  /** throw this for a call (e.g. a 403 for cluster-wide lists) */
  refuse?: (call: FakeCall) => Error | undefined;
}

const BUILT_IN = [
  'v1/Namespace',
  'v1/ServiceAccount',
  'v1/Secret',
  'v1/ConfigMap',
  'v1/Service',
  'v1/Pod',
  'v1/Event',
  'apps/v1/Deployment',
  'apps/v1/ReplicaSet',
  'batch/v1/Job',
  'autoscaling/v2/HorizontalPodAutoscaler',
  'apiextensions.k8s.io/v1/CustomResourceDefinition',
];
const CLUSTER_SCOPED = new Set(['Namespace', 'CustomResourceDefinition']);
export const KEDA_KINDS: KubeType[] = ['ScaledJob', 'ScaledObject', 'TriggerAuthentication', 'ClusterTriggerAuthentication'].map(
  (kind) => ({ apiVersion: 'keda.sh/v1alpha1', kind }),
);

const typeKey = (t: KubeType) => `${t.apiVersion}/${t.kind}`;
const clone = <T>(o: T): T => structuredClone(o);

/** An equality-based selector ("a=b,c", "a!=b"), as kedactl writes them. */
export function matches(labels: Record<string, string> | undefined, selector: string | undefined): boolean {
  if (!selector) return true;
  const l = labels ?? {};
  return selector.split(',').every((term) => {
    const ne = /^([^!=]+)!=(.*)$/.exec(term);
    if (ne) return l[ne[1]!.trim()] !== ne[2]!.trim();
    const eq = /^([^=]+)==?(.*)$/.exec(term);
    if (eq) return l[eq[1]!.trim()] === eq[2]!.trim();
    return term.trim() in l;
  });
}

export class FakeKube implements Kube {
  readonly context = 'fake';
  readonly server = 'https://fake.invalid';
  /** every call, in order */
  readonly calls: FakeCall[] = [];
  private readonly objects = new Map<string, KubeObject>();
  private readonly servedKinds: Set<string>;
  private version = 0;
  /** RBAC, admission, faults: an error for a call, or undefined to let it through (may be changed any time) */
  refuse: FakeKubeOptions['refuse'];
  /** the service proxy's answer (may be changed any time; undefined: 503, no endpoints) */
  proxyAnswer: FakeKubeOptions['proxy'];

  constructor(private readonly o: FakeKubeOptions = {}) {
    this.servedKinds = new Set([...BUILT_IN, ...(o.served ?? KEDA_KINDS).map(typeKey)]);
    this.refuse = o.refuse;
    this.proxyAnswer = o.proxy;
  }

  private key(t: KubeType, namespace: string | undefined, name: string): string {
    return `${typeKey(t)}/${CLUSTER_SCOPED.has(t.kind) ? '' : (namespace ?? '')}/${name}`;
  }

  private record(call: FakeCall): void {
    this.calls.push(call);
    const e = this.refuse?.(call);
    if (e) throw e;
  }

  private mustServe(t: KubeType): void {
    if (!this.servedKinds.has(typeKey(t)))
      throw new KubeApiError('discovery', 404, `the cluster does not serve ${t.kind} (${t.apiVersion})`);
  }

  /** Put objects in as they are (status included), as a controller or another tool would. */
  add(...objs: KubeObject[]): this {
    for (const obj of objs) this.store(clone(obj));
    return this;
  }

  /** Change an object in place (a controller writing status, someone editing it by hand). */
  edit(ref: KubeRef, change: (o: KubeObject) => void): void {
    const o = this.objects.get(this.key(ref, ref.namespace, ref.name));
    if (!o) throw new Error(`fake: no ${ref.kind} ${ref.namespace ?? ''}/${ref.name}`);
    change(o);
  }

  /** A controller lets go: its finalizer removed, an object being deleted goes. */
  removeFinalizers(ref: KubeRef): void {
    const k = this.key(ref, ref.namespace, ref.name);
    const o = this.objects.get(k);
    if (!o) return;
    o.metadata.finalizers = [];
    if (o.metadata.deletionTimestamp) this.remove(k, o);
  }

  /** What is stored now (for assertions), by kind. */
  all(kind?: string): KubeObject[] {
    return [...this.objects.values()].filter((o) => !kind || o.kind === kind).map(clone);
  }

  /** The namespace controller: finish every terminating namespace (and what is left in it). */
  finishNamespaces(): void {
    for (const ns of this.all('Namespace')) if (ns.metadata.deletionTimestamp) this.removeNamespace(ns.metadata.name);
  }

  private store(obj: KubeObject): KubeObject {
    const ns = CLUSTER_SCOPED.has(obj.kind) ? undefined : obj.metadata.namespace;
    const k = this.key(obj, ns, obj.metadata.name);
    const before = this.objects.get(k);
    const stored: KubeObject = {
      ...obj,
      metadata: {
        ...obj.metadata,
        ...(ns ? { namespace: ns } : { namespace: undefined }),
        uid: (before?.metadata.uid as string | undefined) ?? (obj.metadata.uid as string | undefined) ?? `uid-${++this.version}`,
        creationTimestamp:
          (before?.metadata.creationTimestamp as string | undefined) ??
          (obj.metadata.creationTimestamp as string | undefined) ??
          new Date().toISOString(),
        resourceVersion: String(++this.version),
      },
    };
    if (!ns) delete stored.metadata.namespace;
    this.objects.set(k, stored);
    return stored;
  }

  private removeNamespace(name: string): void {
    for (const [k, o] of this.objects)
      if (o.metadata.namespace === name || (o.kind === 'Namespace' && o.metadata.name === name)) this.objects.delete(k);
  }

  /** The API server's delete: an object with finalizers stays, marked; a namespace waits for its controller. */
  private remove(k: string, o: KubeObject): void {
    const finalizers = (o.metadata as { finalizers?: string[] }).finalizers ?? [];
    if (o.kind === 'Namespace') {
      o.metadata.deletionTimestamp ??= new Date().toISOString();
      (o as { status?: unknown }).status = { phase: 'Terminating' };
      if (this.o.namespaceController !== false && finalizers.length === 0) this.removeNamespace(o.metadata.name);
      return;
    }
    if (finalizers.length) o.metadata.deletionTimestamp ??= new Date().toISOString();
    else this.objects.delete(k);
  }

  async get(ref: KubeRef): Promise<KubeObject | undefined> {
    this.record({ verb: 'get', kind: ref.kind, namespace: ref.namespace, name: ref.name });
    this.mustServe(ref);
    const o = this.objects.get(this.key(ref, ref.namespace, ref.name));
    return o && clone(o);
  }

  async list(type: KubeType, opts: ListOptions = {}): Promise<KubeObject[]> {
    this.record({ verb: 'list', kind: type.kind, namespace: opts.namespace, labelSelector: opts.labelSelector });
    this.mustServe(type);
    const found = [...this.objects.values()]
      .filter((o) => o.apiVersion === type.apiVersion && o.kind === type.kind)
      .filter((o) => !opts.namespace || CLUSTER_SCOPED.has(type.kind) || o.metadata.namespace === opts.namespace)
      .filter((o) => matches(o.metadata.labels, opts.labelSelector))
      .sort((a, b) => `${a.metadata.namespace}/${a.metadata.name}`.localeCompare(`${b.metadata.namespace}/${b.metadata.name}`))
      .slice(0, opts.limit ?? Infinity);
    return found.map((o) => (opts.metadataOnly ? { apiVersion: o.apiVersion, kind: o.kind, metadata: clone(o.metadata) } : clone(o)));
  }

  async apply(given: KubeObject, opts: ApplyOptions = {}): Promise<KubeObject> {
    this.record({
      verb: opts.dryRun ? 'dry-run apply' : 'apply',
      kind: given.kind,
      namespace: given.metadata.namespace,
      name: given.metadata.name,
    });
    this.mustServe(given);
    const ns = given.metadata.namespace;
    const before = this.objects.get(this.key(given, ns, given.metadata.name));
    if (before?.metadata.deletionTimestamp && before.kind === 'Namespace')
      throw new KubeApiError(`apply ${given.kind}`, 409, `namespace ${given.metadata.name} is being terminated`, undefined, {
        reason: 'Conflict',
      });
    if (
      ns &&
      !CLUSTER_SCOPED.has(given.kind) &&
      this.objects.get(this.key({ apiVersion: 'v1', kind: 'Namespace' }, undefined, ns))?.metadata.deletionTimestamp
    )
      throw new KubeApiError(
        `apply ${given.kind}`,
        403,
        `unable to create new content in namespace ${ns} because it is being terminated`,
        undefined,
        { forbiddenBy: 'admission' },
      );
    // what kedactl applies, it owns: its fields replace the old ones; status and server metadata stay
    const next = clone(given) as KubeObject & { stringData?: Record<string, string>; data?: Record<string, string>; status?: unknown };
    if (next.kind === 'Secret' && next.stringData) {
      next.data = {
        ...(next.data ?? {}),
        ...Object.fromEntries(Object.entries(next.stringData).map(([k, v]) => [k, Buffer.from(String(v)).toString('base64')])),
      };
      delete next.stringData;
    }
    if (before && (before as { status?: unknown }).status !== undefined) next.status = clone((before as { status?: unknown }).status);
    // a Deployment's replicas that the apply leaves out belong to whoever scales it (KEDA, the HPA): they stay
    const replicas = (o: unknown) => (o as { spec?: { replicas?: number } }).spec?.replicas;
    if (before && next.kind === 'Deployment' && replicas(next) === undefined && replicas(before) !== undefined)
      (next as unknown as { spec: { replicas?: number } }).spec.replicas = replicas(before);
    if (before) next.metadata = { ...next.metadata, uid: before.metadata.uid, creationTimestamp: before.metadata.creationTimestamp };
    if (opts.dryRun) return { ...next, metadata: { ...next.metadata, resourceVersion: before?.metadata.resourceVersion } };
    return clone(this.store(next));
  }

  async deleteCollection(type: KubeType, opts: { namespace?: string; labelSelector: string; propagation?: Propagation }): Promise<void> {
    this.record({ verb: 'deletecollection', kind: type.kind, namespace: opts.namespace, labelSelector: opts.labelSelector });
    this.mustServe(type);
    for (const [k, o] of [...this.objects])
      if (
        o.apiVersion === type.apiVersion &&
        o.kind === type.kind &&
        (!opts.namespace || o.metadata.namespace === opts.namespace) &&
        matches(o.metadata.labels, opts.labelSelector)
      )
        this.remove(k, o);
  }

  async delete(ref: KubeRef): Promise<boolean> {
    this.record({ verb: 'delete', kind: ref.kind, namespace: ref.namespace, name: ref.name });
    this.mustServe(ref);
    const k = this.key(ref, ref.namespace, ref.name);
    const o = this.objects.get(k);
    if (!o) return false;
    this.remove(k, o);
    return true;
  }

  async served(type: KubeType): Promise<boolean> {
    this.record({ verb: 'served', kind: type.kind });
    return this.servedKinds.has(typeKey(type));
  }

  async proxy(req: Parameters<Kube['proxy']>[0]): Promise<{ status: number; body: string }> {
    this.record({ verb: 'proxy', kind: 'Service', namespace: req.namespace, name: req.service });
    if (this.proxyAnswer) return this.proxyAnswer(req);
    return {
      status: 503,
      body: JSON.stringify({
        kind: 'Status',
        status: 'Failure',
        message: `no endpoints available for service "${req.service}"`,
        reason: 'ServiceUnavailable',
        code: 503,
      }),
    };
  }
}

/** A 403 from RBAC, as the adapter reports it (isAuthorizationDenied is true). */
export function forbidden(call: FakeCall): KubeApiError {
  return new KubeApiError(`${call.verb} ${call.kind}`, 403, `forbidden: context "fake" may not ${call.verb} ${call.kind}`, undefined, {
    forbiddenBy: 'authorization',
  });
}

// ---------------------------------------------------------------------------------------------
// What other parts of a cluster would have written, for the fake

const STACK_LABELS = (stack: string) => ({ 'app.kubernetes.io/managed-by': 'kedactl', 'kedactl.io/stack': stack });

/** KEDA's CRDs (accepting anything) and its operator Deployment, available: what the chart and a kubelet leave. */
export function kedaInstalled(fake: FakeKube, version = '2.21.0'): FakeKube {
  for (const plural of ['scaledjobs', 'scaledobjects', 'triggerauthentications', 'clustertriggerauthentications'])
    fake.add({
      apiVersion: 'apiextensions.k8s.io/v1',
      kind: 'CustomResourceDefinition',
      metadata: { name: `${plural}.keda.sh` },
      spec: {
        versions: [
          {
            name: 'v1alpha1',
            served: true,
            storage: true,
            schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } },
          },
        ],
      },
      status: { conditions: [{ type: 'Established', status: 'True' }] },
    });
  fake.add({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'keda' } });
  fake.add({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: {
      name: 'keda-operator',
      namespace: 'keda',
      generation: 1,
      labels: { app: 'keda-operator', 'app.kubernetes.io/version': version },
    },
    spec: {
      replicas: 1,
      selector: { matchLabels: { app: 'keda-operator' } },
      template: { spec: { containers: [{ name: 'keda-operator', image: `ghcr.io/kedacore/keda:${version}` }] } },
    },
    status: {
      observedGeneration: 1,
      replicas: 1,
      updatedReplicas: 1,
      availableReplicas: 1,
      conditions: [{ type: 'Available', status: 'True' }],
    },
  });
  return fake;
}

/** Jobs of a stack's ScaledJob (and one Pod each), in the states given, as KEDA and the Job controller leave them. */
export function stackJobs(
  fake: FakeKube,
  o: { stack: string; namespace: string; scaledJob: string; states: Array<'active' | 'retrying' | 'succeeded' | 'failed'> },
): void {
  o.states.forEach((state, i) => {
    const name = `${o.scaledJob}-${i.toString(36).padStart(5, '0')}`;
    const labels = { ...STACK_LABELS(o.stack), 'scaledjob.keda.sh/name': o.scaledJob };
    const status =
      state === 'succeeded'
        ? {
            succeeded: 1,
            conditions: [
              { type: 'SuccessCriteriaMet', status: 'True' },
              { type: 'Complete', status: 'True' },
            ],
          }
        : state === 'failed'
          ? {
              failed: 1,
              conditions: [
                { type: 'FailureTarget', status: 'True' },
                { type: 'Failed', status: 'True' },
              ],
            }
          : state === 'retrying'
            ? { failed: 1, active: 1 }
            : { active: 1 };
    fake.add({ apiVersion: 'batch/v1', kind: 'Job', metadata: { name, namespace: o.namespace, labels }, status });
    fake.add({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: `${name}-x`, namespace: o.namespace, labels: { ...labels, 'batch.kubernetes.io/job-name': name } },
    });
  });
}
