// Removing a stack from the cluster by its labels: one delete-collection per kind per namespace (never
// one call per Job: a finished ScaledJob leaves 100+ of them), waiting until they are gone, and naming
// any finalizer that holds an object back.
import type { Helm } from '../keda/helm-ports.js';
import { isAuthorizationDenied, type Kube, type KubeObject, type KubeType, type Propagation } from './ports.js';
import { CancelledError, StateError } from '../errors.js';
import type { Progress } from '../progress.js';
import { KEDA, stackSelector } from '../stack/names.js';
import { uninstallKedaIfUnused } from '../keda/install.js';
import { allInOrder } from '../parallel.js';
import { labelOf } from './state.js';

interface Phase {
  title: string;
  kinds: Array<KubeType & { propagation?: Propagation }>;
}

/**
 * In this order: KEDA first stops creating Jobs, then the Jobs and their Pods go, then the rest, the namespace last.
 * The Pods' owners go before the Pods (Jobs, and the analyzer's Deployment and ReplicaSet): a live ReplicaSet
 * would replace a deleted analyzer Pod at once, and the teardown would wait for a Pod that keeps coming back.
 */
export const TEARDOWN_PHASES: Phase[] = [
  {
    title: 'ScaledJobs and ScaledObjects (KEDA stops starting Jobs)',
    kinds: [
      { apiVersion: 'keda.sh/v1alpha1', kind: 'ScaledJob', propagation: 'Background' },
      { apiVersion: 'keda.sh/v1alpha1', kind: 'ScaledObject', propagation: 'Background' },
    ],
  },
  {
    title: "Jobs, the result analyzer's Deployment, and their Pods",
    kinds: [
      { apiVersion: 'batch/v1', kind: 'Job', propagation: 'Background' },
      { apiVersion: 'apps/v1', kind: 'Deployment', propagation: 'Background' },
      { apiVersion: 'apps/v1', kind: 'ReplicaSet', propagation: 'Background' },
      { apiVersion: 'v1', kind: 'Pod' },
    ],
  },
  {
    title: 'the result analyzer, the TriggerAuthentication, configuration and identity',
    kinds: [
      { apiVersion: 'v1', kind: 'Service' },
      { apiVersion: 'keda.sh/v1alpha1', kind: 'TriggerAuthentication' },
      { apiVersion: 'v1', kind: 'ConfigMap' },
      { apiVersion: 'v1', kind: 'Secret' },
      { apiVersion: 'v1', kind: 'ServiceAccount' },
    ],
  },
];

const NAMESPACE: KubeType = { apiVersion: 'v1', kind: 'Namespace' };

export interface TeardownKubeOptions {
  /** keep KEDA even when kedactl installed it and nothing else uses it */
  keepKeda?: boolean;
  /** how long to wait for objects to go (default 120 s) */
  timeoutMs?: number;
  /** how long to wait for a terminating namespace (default 60 s); it is not an error when it outlives this */
  namespaceTimeoutMs?: number;
  intervalMs?: number;
  signal?: AbortSignal;
  /** where to look when the context may not list cluster-wide (e.g. the settings' namespace) */
  namespaces?: string[];
}

export interface TeardownKubeResult {
  /** objects seen, by kind, before deleting */
  deleted: Record<string, number>;
  /** namespaces still terminating when the wait ended */
  terminatingNamespaces: string[];
  keda: 'uninstalled' | 'kept-in-use' | 'kept-not-ours' | 'kept' | 'absent' | 'skipped';
}

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    const cancelled = () => new CancelledError('cancelled while waiting for the stack to go; run kedactl teardown again to finish');
    if (signal?.aborted) return reject(cancelled());
    const t = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => (clearTimeout(t), reject(cancelled())), { once: true });
  });
const where = (o: KubeObject) => labelOf(o);

function holdBack(o: KubeObject): string {
  const finalizers = ((o.metadata as { finalizers?: string[] }).finalizers ?? []).join(', ');
  const since = (o.metadata as { deletionTimestamp?: string }).deletionTimestamp;
  return `${where(o)}${finalizers ? ` (finalizers: ${finalizers})` : ''}${since ? ` deleting since ${since}` : ' (not being deleted)'}`;
}

/** Delete everything labelled with the stack, wait until it is gone; "already gone" is success. */
export async function teardownKube(
  stack: string,
  kube: Kube,
  helm: Helm | undefined,
  progress: Progress,
  opts: TeardownKubeOptions = {},
): Promise<TeardownKubeResult> {
  const selector = stackSelector(stack);
  const result: TeardownKubeResult = { deleted: {}, terminatingNamespaces: [], keda: 'skipped' };
  const timeoutMs = opts.timeoutMs ?? 120_000;
  const interval = opts.intervalMs ?? 500;

  const served = async (t: KubeType) => kube.served(t);
  // cluster-wide lists find every namespace the stack used; a user who may only read some namespaces
  // (403 cluster-wide) is served from opts.namespaces instead
  let scoped = false;
  const listAll = async (t: KubeType, limit?: number): Promise<KubeObject[]> => {
    const o = { labelSelector: selector, metadataOnly: true, limit };
    if (!scoped || t.kind === 'Namespace') {
      try {
        return await kube.list(t, o);
      } catch (e) {
        if (!(isAuthorizationDenied(e) && opts.namespaces?.length && t.kind !== 'Namespace')) throw e;
        scoped = true;
      }
    }
    return (await allInOrder(opts.namespaces!.map((namespace) => kube.list(t, { ...o, namespace })))).flat();
  };

  for (const phase of TEARDOWN_PHASES) {
    await progress.step(`Deleting ${phase.title}`, async (update) => {
      const kinds = [];
      for (const k of phase.kinds) if (await served(k)) kinds.push(k);
      // one list per kind finds the namespaces; then one delete-collection per kind per namespace. The kinds
      // of a phase go in parallel: the API server deletes a collection's items one by one. A failure is
      // reported for the first kind in the phase's order, whichever call fails first
      await allInOrder(
        kinds.map(async (k) => {
          const found = await listAll(k);
          const live = found.filter((o) => !(o.metadata as { deletionTimestamp?: string }).deletionTimestamp);
          result.deleted[k.kind] = (result.deleted[k.kind] ?? 0) + live.length;
          const namespaces = new Set(live.map((o) => o.metadata.namespace!).filter(Boolean));
          for (const ns of namespaces)
            await kube.deleteCollection(k, { namespace: ns, labelSelector: selector, propagation: k.propagation });
          if (live.length) update(`${live.length} ${k.kind}${live.length === 1 ? '' : 's'} in ${[...namespaces].join(', ')}`);
        }),
      );
      await waitGone(kinds, phase.title);
    });
  }

  async function waitGone(kinds: KubeType[], what: string): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      let left: KubeObject[] = [];
      for (const k of kinds) {
        left = left.concat(await listAll(k, 1));
        if (left.length) break;
      }
      if (left.length === 0) return;
      if (Date.now() >= deadline) {
        const all = (await allInOrder(kinds.map((k) => listAll(k)))).flat();
        const stuck = all.slice(0, 10).map(holdBack);
        const withFinalizers = all.filter((o) => ((o.metadata as { finalizers?: string[] }).finalizers ?? []).length > 0);
        throw new StateError(
          `${all.length} object${all.length === 1 ? '' : 's'} of the stack (${what}) still exist after ${Math.round(timeoutMs / 1000)}s:\n${stuck.map((s) => `  - ${s}`).join('\n')}${all.length > 10 ? `\n  - ... and ${all.length - 10} more` : ''}`,
          withFinalizers.length
            ? `a finalizer waits for its controller; check that the controller is running, or remove it by hand: kubectl -n ${withFinalizers[0]!.metadata.namespace ?? ''} patch ${withFinalizers[0]!.kind.toLowerCase()} ${withFinalizers[0]!.metadata.name} --type=merge -p '{"metadata":{"finalizers":null}}'`
            : 'run teardown again; if they stay, delete them with kubectl',
        );
      }
      await sleep(interval, opts.signal);
    }
  }

  // the namespace last, and only when it carries the stack's labels (kedactl created it)
  const forbidden = (e: unknown) => isAuthorizationDenied(e) && scoped;
  await progress.step('Deleting the namespace kedactl created', async (update) => {
    let listed: KubeObject[];
    try {
      listed = await listAll(NAMESPACE);
    } catch (e) {
      // a context limited to its namespaces cannot have created one: nothing of ours to delete here
      if (!forbidden(e)) throw e;
      update('not allowed to list namespaces; left as they are');
      return;
    }
    const namespaces = listed.filter((n) => !(n.metadata as { deletionTimestamp?: string }).deletionTimestamp);
    result.deleted.Namespace = namespaces.length;
    // namespaces have no delete-collection; there is one per stack
    for (const n of namespaces) await kube.delete({ ...NAMESPACE, name: n.metadata.name }, { propagation: 'Background' });
    const deadline = Date.now() + (opts.namespaceTimeoutMs ?? 60_000);
    for (;;) {
      const left = await listAll(NAMESPACE);
      if (left.length === 0) return;
      if (Date.now() >= deadline) {
        result.terminatingNamespaces = left.map((n) => n.metadata.name);
        update(`still terminating: ${result.terminatingNamespaces.join(', ')}`);
        progress.warn(
          `namespace ${result.terminatingNamespaces.join(', ')} is still terminating; the cluster's namespace controller finishes it (\`kubectl get namespace ${result.terminatingNamespaces[0]} -o yaml\` shows what it waits for)`,
        );
        return;
      }
      await sleep(interval, opts.signal);
    }
  });

  if (!helm) result.keda = 'skipped';
  else if (opts.keepKeda) {
    result.keda = 'kept';
    progress.note('KEDA kept (--keep-keda)');
  } else {
    try {
      result.keda = await uninstallKedaIfUnused({ release: KEDA.release, namespace: KEDA.namespace }, helm, kube, progress);
    } catch (e) {
      if (!forbidden(e)) throw e;
      result.keda = 'kept-not-ours';
      progress.note('KEDA kept: this context may not look at it');
    }
  }
  return result;
}
