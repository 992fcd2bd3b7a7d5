// src/core/kube/ owns the cluster side of a stack: the Kube port (ports.ts), observing and applying the
// objects (stack.ts), waiting for them (wait.ts), the one reading of their state (state.ts), teardown
// (teardown.ts), the schemas objects are checked against (schemas.ts, validate.ts) and the analyzer's counts
// (results.ts). It may import keda/ (the cluster runs KEDA), the stack's model and the floor; never aws/.
//
// The stack's Kubernetes objects: what the cluster holds compared with what the plan wants (the
// server's own dry-run answers "what would change"), and applying exactly that, in order.
import { stringify } from 'yaml';
import { KubeApiError, KubeConflictError, type Kube, type KubeObject } from './ports.js';
import type { Helm } from '../keda/helm-ports.js';
import type { DesiredStack, RenderedObject } from '../stack/desired.js';
import { kubeKey, type Observed } from '../stack/plan.js';
import { StateError } from '../errors.js';
import type { Progress } from '../progress.js';
import { LABEL_MANAGED_BY, LABEL_STACK, MANAGER } from '../stack/names.js';
import { deploymentNotReady, waitUntil } from './wait.js';
import { checkKedaCrds, observeKeda } from '../keda/install.js';
import { labelOf } from './state.js';

export { installKeda, observeKeda } from '../keda/install.js';
export { teardownKube, TEARDOWN_PHASES } from './teardown.js';

/** One desired object as the cluster sees it. */
export interface Inspected {
  rendered: RenderedObject;
  key: string;
  live?: KubeObject;
  /** true when it exists but is not the stack's: a namespace that was there is used (never changed or deleted); anything else stops apply */
  foreign: boolean;
  /** fields a server-side apply would change; empty when unchanged */
  diff: string[];
  conflict?: KubeConflictError;
}

const IGNORED_METADATA = ['managedFields', 'resourceVersion', 'generation', 'creationTimestamp', 'uid', 'selfLink'];

function normalize(o: KubeObject | undefined): Record<string, unknown> {
  if (!o) return {};
  const { status: _status, metadata, ...rest } = o as KubeObject & { status?: unknown };
  const meta = { ...(metadata as Record<string, unknown>) };
  for (const k of IGNORED_METADATA) delete meta[k];
  return { ...rest, metadata: meta };
}

const show = (v: unknown) => {
  const s = v === undefined ? '(unset)' : typeof v === 'string' ? v : JSON.stringify(v);
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
};

/** What differs between two objects, one line per changed leaf ("spec.maxReplicaCount: 100 -> 50"). */
export function objectDiff(before: KubeObject | undefined, after: KubeObject, opts: { secret?: boolean; max?: number } = {}): string[] {
  const out: string[] = [];
  const walk = (a: unknown, b: unknown, path: string) => {
    if (JSON.stringify(a) === JSON.stringify(b)) return;
    const objA = a && typeof a === 'object' && !Array.isArray(a);
    const objB = b && typeof b === 'object' && !Array.isArray(b);
    if (objA && objB) {
      const keys = new Set([...Object.keys(a as object), ...Object.keys(b as object)]);
      for (const k of [...keys].sort())
        walk((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], path ? `${path}.${k}` : k);
      return;
    }
    if (Array.isArray(a) && Array.isArray(b) && a.length === b.length) {
      for (const [i, x] of a.entries()) walk(x, b[i], `${path}[${i}]`);
      return;
    }
    out.push(opts.secret && /^(data|stringData)\./.test(path) ? `${path} changed (value hidden)` : `${path}: ${show(a)} -> ${show(b)}`);
  };
  walk(normalize(before), normalize(after), '');
  const max = opts.max ?? 20;
  return out.length > max ? [...out.slice(0, max), `... and ${out.length - max} more`] : out;
}

const ref = (o: KubeObject) => ({ apiVersion: o.apiVersion, kind: o.kind, name: o.metadata.name, namespace: o.metadata.namespace });
export const describeObject = (o: KubeObject) => labelOf(o);

function isStacks(live: KubeObject, stack: string): boolean {
  const l = live.metadata.labels ?? {};
  return l[LABEL_STACK] === stack && l[LABEL_MANAGED_BY] === MANAGER;
}

/** GET each desired object; for existing ones, a server-side dry-run apply says what would change. */
export async function inspectObjects(desired: DesiredStack, kube: Kube): Promise<Inspected[]> {
  const out: Inspected[] = [];
  for (const rendered of desired.objects) {
    const o = rendered.object;
    const key = kubeKey(o);
    // a kind the cluster does not serve yet (KEDA's CRDs before KEDA) simply does not exist yet
    if (!(await kube.served(o))) {
      out.push({ rendered, key, foreign: false, diff: [] });
      continue;
    }
    const live = await kube.get(ref(o));
    if (!live) {
      out.push({ rendered, key, foreign: false, diff: [] });
      continue;
    }
    if (!isStacks(live, desired.settings.stack)) {
      // a namespace that was there is used as it is; anything else of that name is someone else's
      if (o.kind === 'Namespace') out.push({ rendered, key, live, foreign: true, diff: [] });
      else
        out.push({
          rendered,
          key,
          live,
          foreign: true,
          diff: [`exists and is not this stack's (no label ${LABEL_STACK}=${desired.settings.stack}); kedactl will not take it over`],
        });
      continue;
    }
    try {
      const after = await kube.apply(o, { dryRun: true });
      out.push({ rendered, key, live, foreign: false, diff: objectDiff(live, after, { secret: o.kind === 'Secret' }) });
    } catch (e) {
      if (!(e instanceof KubeConflictError)) throw e;
      out.push({
        rendered,
        key,
        live,
        foreign: false,
        conflict: e,
        diff: e.conflicts.map((c) => `conflict: ${c.field} is owned by "${c.manager}"`),
      });
    }
  }
  return out;
}

/** What the cluster holds, in the shape plan() reads. */
export async function observeKube(
  desired: DesiredStack,
  kube: Kube,
  opts: { helm?: Helm } = {},
): Promise<Required<Pick<Observed, 'objects' | 'keda' | 'kedaCrds' | 'retired'>>> {
  const inspected = await inspectObjects(desired, kube);
  const retired = await retiredOnCluster(desired, kube);
  const objects: NonNullable<Observed['objects']> = {};
  for (const i of inspected) objects[i.key] = { exists: Boolean(i.live), diff: i.diff };
  const keda = await observeKeda(desired, kube, opts.helm);
  // only what an apply would write: a finished stack (status, a re-run) reads no CRD (ScaledJob's is ~320 KiB)
  const toWrite = inspected.filter((i) => !i.foreign && (!i.live || i.diff.length > 0)).map((i) => i.rendered);
  const kedaCrds = await checkKedaCrds({ objects: toWrite }, kube);
  return {
    objects,
    keda: {
      installed: keda.installed,
      version: keda.version,
      values: keda.values,
      ...(keda.conflicts.length ? { conflicts: keda.conflicts } : {}),
    },
    kedaCrds,
    retired: Object.fromEntries(retired.map((r) => [kubeKey({ kind: r.kind, metadata: r }), true as const])),
  };
}

/** the other workload kinds' objects that exist and are this stack's (a stack that switched kinds) */
async function retiredOnCluster(desired: DesiredStack, kube: Kube): Promise<DesiredStack['retired']> {
  const out: DesiredStack['retired'] = [];
  for (const r of desired.retired) {
    if (!(await kube.served(r))) continue;
    const live = await kube.get(r);
    if (live && isStacks(live, desired.settings.stack)) out.push(r);
  }
  return out;
}

export interface ApplyKubeOptions {
  /** wait for the result analyzer to be available (default true; the test rig has no kubelet) */
  wait?: boolean;
  timeoutMs?: number;
  /** take over fields another manager owns */
  force?: boolean;
  signal?: AbortSignal;
}

export interface ApplyKubeResult {
  created: string[];
  updated: string[];
  unchanged: string[];
  /** the other workload kind's objects, deleted (the stack switched kinds) */
  deleted: string[];
  /** existing objects kedactl uses but does not own (a namespace that was there before) */
  used: string[];
}

/**
 * Server-side apply of the stack's objects in the plan's order. Unchanged objects are not written.
 * Every object to write is first checked with a server dry-run, so a template the server rejects
 * stops the run before anything but the namespace is written.
 */
export async function applyKube(
  desired: DesiredStack,
  kube: Kube,
  progress: Progress,
  opts: ApplyKubeOptions = {},
): Promise<ApplyKubeResult> {
  const result: ApplyKubeResult = { created: [], updated: [], unchanged: [], used: [], deleted: [] };
  const inspected = await progress.step('Comparing Kubernetes objects with the cluster (server dry-run)', () =>
    inspectObjects(desired, kube),
  );
  const conflicts = inspected.filter((i) => i.conflict);
  if (conflicts.length > 0 && !opts.force) throw conflicts[0]!.conflict!;
  const taken = inspected.filter((i) => i.foreign && i.rendered.object.kind !== 'Namespace');
  if (taken.length > 0)
    throw new StateError(
      `${taken.map((i) => describeObject(i.rendered.object)).join(', ')} already exist${taken.length === 1 ? 's' : ''} and ${taken.length === 1 ? 'is' : 'are'} not this stack's (no label ${LABEL_STACK}=${desired.settings.stack}); nothing was written`,
      'pick another --stack (names derive from it) or --namespace, or delete what is in the way if it is a leftover',
    );

  const todo = inspected.filter((i) => !i.foreign && (!i.live || i.diff.length > 0));
  // KEDA's kinds before KEDA: say so before anything is written
  const unserved: string[] = [];
  for (const i of todo) {
    const o = i.rendered.object;
    if (!unserved.includes(`${o.kind} (${o.apiVersion})`) && !(await kube.served(o))) unserved.push(`${o.kind} (${o.apiVersion})`);
  }
  if (unserved.length > 0)
    throw new StateError(
      `the cluster does not serve ${unserved.join(', ')}${unserved.some((u) => u.includes('keda.sh/')) ? ': KEDA is not installed' : ''}; nothing was written`,
      unserved.some((u) => u.includes('keda.sh/'))
        ? 'run without --skip keda so kedactl installs KEDA, or install it yourself (helm install keda kedacore/keda -n keda --create-namespace)'
        : 'check the apiVersion and kind in the template override',
    );
  for (const i of inspected) {
    const name = describeObject(i.rendered.object);
    if (i.foreign) result.used.push(name);
    else if (!todo.includes(i)) result.unchanged.push(name);
  }
  if (result.used.length) progress.note(`using ${result.used.join(', ')}: it existed before, so kedactl neither changes nor deletes it`);
  // the old kind goes first: two workloads must never consume the same queue at once
  const retired = await retiredOnCluster(desired, kube);
  if (retired.length > 0)
    await progress.step(
      `Deleting the ${retired[0]!.workload} workload (${retired.map((r) => `${r.kind} ${r.namespace}/${r.name}`).join(', ')})`,
      async (update) => {
        for (const r of retired) {
          await kube.delete(r, { propagation: 'Background' });
          result.deleted.push(`${r.kind} ${r.namespace}/${r.name}`);
          update(`deleted ${r.kind} ${r.namespace}/${r.name}`);
        }
      },
    );
  if (todo.length === 0) {
    progress.note('every Kubernetes object is up to date; nothing was written');
  } else {
    await progress.step(
      `Applying ${todo.length} Kubernetes object${todo.length === 1 ? '' : 's'} (server-side apply, field manager kedactl)`,
      async (update) => {
        // namespaces first, for real: the dry-run of namespaced objects needs them
        const namespaces = todo.filter((i) => i.rendered.object.kind === 'Namespace');
        for (const i of namespaces) {
          await kube.apply(i.rendered.object, { force: opts.force });
          (i.live ? result.updated : result.created).push(describeObject(i.rendered.object));
          update(`applied ${describeObject(i.rendered.object)}`);
        }
        const rest = todo.filter((i) => !namespaces.includes(i));
        const rejected: string[] = [];
        for (const i of rest.filter((x) => !x.live)) {
          try {
            await kube.apply(i.rendered.object, { dryRun: true, force: opts.force });
          } catch (e) {
            if (!(e instanceof KubeApiError) || e.status === 401 || e.status === 403) throw e;
            rejected.push(
              `${describeObject(i.rendered.object)} (from ${i.rendered.template}): ${e.message.replace(/^Kubernetes [^:]+: /, '')}\n${indent(stringify(withoutSecrets(i.rendered.object), { lineWidth: 0 }))}`,
            );
          }
        }
        if (rejected.length > 0)
          throw new KubeApiError(
            'apply',
            422,
            `the API server rejected ${rejected.length} object${rejected.length === 1 ? '' : 's'}; nothing else was written:\n${rejected.join('\n')}`,
            'fix the template override (or the setting) that produces it; `kedactl render` writes the objects for a closer look',
          );
        for (const i of rest) {
          await kube.apply(i.rendered.object, { force: opts.force });
          (i.live ? result.updated : result.created).push(describeObject(i.rendered.object));
          update(`applied ${describeObject(i.rendered.object)}`);
        }
      },
    );
  }

  if (opts.wait !== false) {
    const { namespace, analyzer } = { namespace: desired.names.namespace, analyzer: desired.names.analyzer };
    if (desired.objects.some((o) => o.object.kind === 'Deployment' && o.object.metadata.name === analyzer))
      await progress.step(`Waiting for the result analyzer (Deployment ${namespace}/${analyzer}) to be available`, (update) =>
        waitUntil(`the result analyzer (Deployment ${namespace}/${analyzer})`, () => deploymentNotReady(kube, namespace, analyzer), {
          timeoutMs: opts.timeoutMs ?? 180_000,
          signal: opts.signal,
          update,
          next: `look at \`kubectl -n ${namespace} describe deployment ${analyzer}\` and its pods; the image is ${desired.settings.analyzerImage}`,
        }),
      );
  }
  return result;
}

const indent = (s: string) =>
  s
    .trimEnd()
    .split('\n')
    .map((l) => `      ${l}`)
    .join('\n');

/** A Secret as it may be shown: its values replaced (the keys stay, so a rejection can still be read). */
export function withoutSecrets(o: KubeObject): KubeObject {
  if (o.kind !== 'Secret') return o;
  const hide = (m: unknown) => (m && typeof m === 'object' ? Object.fromEntries(Object.keys(m).map((k) => [k, '(value hidden)'])) : m);
  const s = o as KubeObject & { data?: unknown; stringData?: unknown };
  return { ...s, ...(s.data ? { data: hide(s.data) } : {}), ...(s.stringData ? { stringData: hide(s.stringData) } : {}) } as KubeObject;
}
