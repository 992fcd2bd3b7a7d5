// What a stack was created with, kept on the cluster beside it (as helm keeps a release's values): a
// ConfigMap labelled with the stack, one key per setting. Later commands, on any machine, read it as a
// layer under flags, variables and kedactl.yaml, so `status` compares the cluster with what `init`
// applied, not with today's defaults; a flag that differs from it is a change the plan shows.
import { isAuthorizationDenied, type Kube, type KubeObject } from '../kube/ports.js';
import { FIELDS, type Layer, type Settings, type SettingKey } from './settings.js';
import { LABEL_STACK, stackLabels, stackSelector } from './names.js';

export const LABEL_RECORD = 'kedactl.io/record';

/** Where this machine's connection to the stack lives, not what the stack is: never recorded. */
const LOCAL: ReadonlySet<SettingKey> = new Set<SettingKey>(['kubeconfig', 'context', 'profile', 'templates']);

export const RECORDED_KEYS: readonly SettingKey[] = FIELDS.map((f) => f.key).filter((k) => !LOCAL.has(k));

export function recordName(stack: string): string {
  return `${stack}-settings`;
}

/** The ConfigMap that records the settings the stack is applied with. */
export function recordObject(s: Settings): KubeObject {
  const data: Record<string, string> = {};
  for (const k of RECORDED_KEYS) {
    const v = s[k];
    if (v !== undefined) data[k] = String(v);
  }
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: recordName(s.stack), namespace: s.namespace, labels: { ...stackLabels(s.stack), [LABEL_RECORD]: 'settings' } },
    data,
  } as KubeObject;
}

export interface Recorded {
  /** a settings layer: each recorded value with where it was read */
  layer: Layer;
  /** "ConfigMap ns/name" */
  where: string;
}

function toLayer(cm: KubeObject): Recorded {
  const where = `ConfigMap ${cm.metadata.namespace}/${cm.metadata.name}`;
  const data = ((cm as { data?: Record<string, string> }).data ?? {}) as Record<string, string>;
  const layer: Layer = {};
  for (const k of RECORDED_KEYS)
    if (data[k] !== undefined) layer[k] = { value: data[k], source: `recorded in ${where}`, origin: 'recorded' };
  return { layer, where };
}

/**
 * The stack's record, wherever its namespace is: one labelled list cluster-wide, or, for a user who may
 * only read some namespaces, a GET in `namespace`. undefined when the stack has no record (not created
 * yet, or created before kedactl kept one).
 */
export async function readRecorded(stack: string, namespace: string, kube: Kube): Promise<Recorded | undefined> {
  const type = { apiVersion: 'v1', kind: 'ConfigMap' };
  let found: KubeObject[];
  try {
    found = await kube.list(type, { labelSelector: `${stackSelector(stack)},${LABEL_RECORD}=settings` });
  } catch (e) {
    if (!isAuthorizationDenied(e)) throw e;
    const one = await kube.get({ ...type, namespace, name: recordName(stack) });
    found = one && one.metadata.labels?.[LABEL_STACK] === stack ? [one] : [];
  }
  if (found.length === 0) return undefined;
  // one stack has one record; should a copy exist elsewhere, the one in the namespace asked for wins
  const pick =
    found.find((o) => o.metadata.namespace === namespace) ??
    found.sort((a, b) => (a.metadata.namespace ?? '').localeCompare(b.metadata.namespace ?? ''))[0]!;
  return toLayer(pick);
}
