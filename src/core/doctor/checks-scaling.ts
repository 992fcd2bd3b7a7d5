// Check 22: can KEDA scale at all: the replica bounds as KEDA v2.20/v2.21 reads them (apis/keda/v1alpha1:
// ScaledJob MaxReplicaCount()/MinReplicaCount() clamp, CheckReplicaCountBoundsAreValid for a ScaledObject), a
// ScaledJob paused by annotation (NeedToBePausedByAnnotation; the ScaledObject's pause is check 16's), a second
// ScaledObject or HPA on the same Deployment (scaledobject_webhook.go refuses both, in the words used here), and
// whether the HPA controller has seen the HPA's last change. KEDA's own objects carry no observedGeneration.
import { notRead, readValue, type Evidence } from './evidence.js';
import { ok, skipped, type Finding } from './finding.js';
import { scalerOf } from './model.js';
import { conditionOf, describeCondition } from '../kube/state.js';
import type { KubeObject } from '../kube/ports.js';
import { capacity } from './checks-keda.js';

const C = 22,
  ID = 'can-scale';
const PAUSED = 'autoscaling.keda.sh/paused';
type Obj = Record<string, any>;

/** Go's strconv.ParseBool true; KEDA pauses a ScaledJob on any value it cannot parse too */
const pausedValue = (v: string) => !['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(v);
const num = (v: unknown, dflt: number) => (v === undefined || v === null ? dflt : Number(v));

/** 22: the replica bounds let KEDA scale, nothing pauses it, nothing else scales the same workload */
export function checkCanScale(ev: Evidence): Finding[] {
  const scaler = scalerOf(ev);
  const o = readValue(scaler.read) as Obj | undefined;
  if (!o) return [];
  const spec = o.spec ?? {};
  const out: Finding[] = [];
  const fix = (what: string) => (ev.stack ? `kedactl init${ev.stack.flags ? ` ${ev.stack.flags}` : ''} (${what}), or ` : '');
  const push = (verdict: 'fail' | 'warn', summary: string, evidence: string[], f: string) =>
    out.push({ check: C, id: ID, group: 'KEDA', verdict, summary, evidence, fix: f });
  const bounds = [
    `spec.minReplicaCount: ${spec.minReplicaCount ?? '(unset: 0)'}`,
    `spec.maxReplicaCount: ${spec.maxReplicaCount ?? '(unset: 100)'}`,
  ];
  const min = num(spec.minReplicaCount, 0);
  const max = num(spec.maxReplicaCount, 100);

  if (scaler.kind === 'ScaledJob') {
    const annotation = o.metadata?.annotations?.[PAUSED];
    if (annotation !== undefined && pausedValue(String(annotation))) {
      const cond = conditionOf(o, 'Paused');
      push(
        'warn',
        `${scaler.label} is paused (annotation ${PAUSED}: "${annotation}"): KEDA starts no Job for the queue while it stays`,
        [`annotation ${PAUSED}: "${annotation}"`, ...(cond ? [`Paused: ${describeCondition(cond)}`] : [])],
        `kubectl -n ${ev.namespace} annotate scaledjob ${scaler.name} ${PAUSED}-`,
      );
    }
    if (max <= 0)
      push(
        'fail',
        `maxReplicaCount ${max}: KEDA never starts a Job`,
        bounds,
        `${fix('restores it')}set spec.maxReplicaCount above 0 in ${scaler.label}`,
      );
    else if (min > max)
      push(
        'warn',
        `minReplicaCount ${min} is above maxReplicaCount ${max}: KEDA reads both as ${max} and keeps ${max} Jobs running whatever the queue holds`,
        bounds,
        `set spec.minReplicaCount below spec.maxReplicaCount in ${scaler.label}`,
      );
    else if (min === max)
      push(
        'warn',
        `minReplicaCount equals maxReplicaCount (${max}): KEDA keeps ${max} Jobs running and scales none on the queue`,
        bounds,
        `set spec.minReplicaCount below spec.maxReplicaCount in ${scaler.label}`,
      );
  } else {
    const s = ev.scaledObject!;
    if (max <= 0)
      push(
        'fail',
        `maxReplicaCount ${max}: no consumer can run (the HPA KEDA makes needs maxReplicas of at least 1)`,
        bounds,
        `${fix('restores it')}set spec.maxReplicaCount above 0 in ${scaler.label}`,
      );
    else if (min > max)
      push(
        'fail',
        `KEDA refuses ${scaler.label}: "MinReplicaCount=${min} must be less than MaxReplicaCount=${max}"`,
        bounds,
        `${fix('restores it')}set spec.minReplicaCount below spec.maxReplicaCount`,
      );
    // a second ScaledObject or HPA on the same Deployment: they fight over its replicas
    const target = String(spec.scaleTargetRef?.name ?? s.deploymentName);
    const targetKind = String(spec.scaleTargetRef?.kind ?? 'Deployment');
    // KEDA's webhook names the type as group/version.Kind (GVKString)
    const gvk = `${String(spec.scaleTargetRef?.apiVersion ?? 'apps/v1')}.${targetKind}`;
    const sameTarget = (ref: Obj | undefined) => ref?.name === target && String(ref?.kind ?? 'Deployment') === targetKind;
    const soWhy = notRead(ev.neighbours?.scaledObjects, `the ScaledObjects in namespace ${ev.namespace}`);
    const hpaWhy = notRead(ev.neighbours?.hpas, `the HPAs in namespace ${ev.namespace}`);
    if (ev.neighbours && soWhy) out.push(skipped(C, ID, 'KEDA', soWhy));
    if (ev.neighbours && hpaWhy) out.push(skipped(C, ID, 'KEDA', hpaWhy));
    for (const other of (readValue(ev.neighbours?.scaledObjects) ?? []) as Obj[])
      if (other.metadata?.name !== s.name && sameTarget(other.spec?.scaleTargetRef))
        push(
          'fail',
          `ScaledObject ${other.metadata.name} scales the same ${targetKind} ${target}: KEDA's webhook refuses the second one ("the workload '${target}' of type '${gvk}' is already managed by the ScaledObject '${other.metadata.name}'"), without it the two fight over its replicas`,
          [`ScaledObject ${other.metadata.name} spec.scaleTargetRef: ${JSON.stringify(other.spec?.scaleTargetRef)}`],
          `kubectl -n ${ev.namespace} delete scaledobject ${other.metadata.name} (or point it at its own workload)`,
        );
    const keda = new Set(
      ((readValue(ev.neighbours?.scaledObjects) ?? []) as Obj[]).map((x) => x.status?.hpaName ?? `keda-hpa-${x.metadata?.name}`),
    );
    keda.add(s.hpaName);
    for (const h of (readValue(ev.neighbours?.hpas) ?? []) as Obj[])
      if (!keda.has(h.metadata?.name) && sameTarget(h.spec?.scaleTargetRef))
        push(
          'fail',
          `HPA ${h.metadata.name}, not KEDA's, scales the same ${targetKind} ${target}: KEDA's webhook refuses the ScaledObject ("the workload '${target}' of type '${gvk}' is already managed by the hpa '${h.metadata.name}'"), without it the two HPAs fight over its replicas`,
          [`HPA ${h.metadata.name} spec.scaleTargetRef: ${JSON.stringify(h.spec?.scaleTargetRef)}`],
          `kubectl -n ${ev.namespace} delete hpa ${h.metadata.name}`,
        );
    out.push(...capacity(ev, { check: C, scaler: o as KubeObject, template: readValue(s.deployment), pods: 'consumer Pods' }));
    // the HPA controller records the generation it acted on; KEDA's ScaledObject has no such field
    const hpa = readValue(s.hpa) as Obj | undefined;
    const gen = hpa?.metadata?.generation;
    const seen = hpa?.status?.observedGeneration;
    if (hpa && gen !== undefined && seen !== undefined && seen < gen)
      push(
        'warn',
        `the HPA controller has not acted on HPA ${s.hpaName}'s last change (generation ${gen}, observed ${seen}): is kube-controller-manager running?`,
        [`HPA ${s.hpaName} metadata.generation ${gen}, status.observedGeneration ${seen}`],
        'kubectl -n kube-system get pods -l component=kube-controller-manager',
      );
  }
  if (!out.some((f) => f.verdict !== 'skipped' && f.id === ID))
    out.push(
      ok(
        C,
        ID,
        'KEDA',
        `${scaler.label} can scale between ${Math.min(min, max)} and ${max}${scaler.kind === 'ScaledJob' ? ', not paused' : `; no other ScaledObject or HPA scales ${ev.scaledObject!.deploymentName}`}`,
        bounds,
      ),
    );
  return out;
}
