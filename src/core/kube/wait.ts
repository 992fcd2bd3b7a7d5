// Waiting for Kubernetes things to become ready, with a deadline and a message naming what is not.
import type { Kube } from './ports.js';
import { CancelledError, StateError } from '../errors.js';
import { conditionOf } from './state.js';

export interface WaitOptions {
  timeoutMs: number;
  intervalMs?: number;
  signal?: AbortSignal;
}

const sleep = (ms: number, what: string, signal?: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    const cancelled = () =>
      new CancelledError(`cancelled while waiting for ${what}; what was applied stays (kedactl init resumes, kedactl teardown removes it)`);
    if (signal?.aborted) return reject(cancelled());
    const t = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => (clearTimeout(t), reject(cancelled())), { once: true });
  });

/**
 * Poll `check` until it says ready. On timeout, throws a StateError built from the last reason.
 * `check` returns undefined when ready, else the reason it is not.
 */
export async function waitUntil(
  what: string,
  check: () => Promise<string | undefined>,
  o: WaitOptions & { next?: string; update?: (d: string) => void },
): Promise<void> {
  const deadline = Date.now() + o.timeoutMs;
  let interval = Math.min(o.intervalMs ?? 500, 250);
  for (;;) {
    const reason = await check();
    if (reason === undefined) return;
    o.update?.(reason);
    if (Date.now() >= deadline) throw new StateError(`${what} is not ready after ${Math.round(o.timeoutMs / 1000)}s: ${reason}`, o.next);
    await sleep(Math.min(interval, Math.max(0, deadline - Date.now())), what, o.signal);
    interval = Math.min(interval * 2, o.intervalMs ?? 2000);
  }
}

/** undefined when the Deployment is available with every replica updated, else why not. */
export async function deploymentNotReady(kube: Kube, namespace: string, name: string): Promise<string | undefined> {
  const d = (await kube.get({ apiVersion: 'apps/v1', kind: 'Deployment', namespace, name })) as any;
  if (!d) return `Deployment ${namespace}/${name} does not exist`;
  const want: number = d.spec?.replicas ?? 1;
  const st = d.status ?? {};
  const available = conditionOf(d, 'Available');
  const progressing = conditionOf(d, 'Progressing');
  const generationSeen = (st.observedGeneration ?? 0) >= (d.metadata?.generation ?? 0);
  if (generationSeen && available?.status === 'True' && (st.updatedReplicas ?? 0) >= want && (st.availableReplicas ?? 0) >= want)
    return undefined;
  const parts = [`${st.availableReplicas ?? 0}/${want} replicas available`];
  if (!st.observedGeneration) parts.push('no controller has looked at it yet (is kube-controller-manager running?)');
  if (available?.status === 'False')
    parts.push(`Available=False (${available.reason ?? ''}${available.message ? `: ${available.message}` : ''})`);
  if (progressing?.status === 'False') parts.push(`Progressing=False (${progressing.reason ?? ''})`);
  const selector = Object.entries((d.spec?.selector?.matchLabels ?? {}) as Record<string, string>)
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
  if (selector) {
    const pods = (await kube.list({ apiVersion: 'v1', kind: 'Pod' }, { namespace, labelSelector: selector })) as any[];
    if (pods.length === 0) parts.push('no pods yet');
    for (const p of pods.slice(0, 3)) {
      const waiting = [...(p.status?.containerStatuses ?? []), ...(p.status?.initContainerStatuses ?? [])]
        .map((c: any) => c.state?.waiting ?? (c.state?.terminated ? { reason: `terminated: ${c.state.terminated.reason}` } : undefined))
        .filter(Boolean)
        .map((w: any) => `${w.reason}${w.message ? `: ${w.message}` : ''}`);
      const scheduled = conditionOf(p, 'PodScheduled');
      const unsched = scheduled?.status === 'False' ? scheduled : undefined;
      const why = [...waiting, ...(unsched ? [`unschedulable: ${unsched.message ?? unsched.reason}`] : [])];
      parts.push(`pod ${p.metadata.name}: ${p.status?.phase ?? 'Pending'}${why.length ? ` (${why.join('; ')})` : ''}`);
    }
  }
  return parts.join('; ');
}

/** undefined when the CRD is Established. */
export async function crdNotEstablished(kube: Kube, name: string): Promise<string | undefined> {
  const crd = (await kube.get({ apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', name })) as any;
  if (!crd) return `CRD ${name} does not exist`;
  const est = conditionOf(crd, 'Established');
  return est?.status === 'True' ? undefined : `CRD ${name} is not Established${est?.message ? ` (${est.message})` : ''}`;
}
