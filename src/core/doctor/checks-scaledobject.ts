// The deployment workload's checks (16-19): the ScaledObject, the HPA KEDA makes for it, the external
// metrics APIService that HPA reads KEDA's metric through, and the consumer Deployment; pure functions of
// the evidence. Facts from KEDA v2.20 (controllers/keda/scaledobject_controller.go: a paused ScaledObject's
// HPA is deleted) and Kubernetes v1.36 (pkg/controller/podautoscaler/horizontal.go: the HPA's conditions).
import { notRead, readValue, type Evidence, type ScaledObjectEvidence } from './evidence.js';
import { ok, skipped, type Finding } from './finding.js';
import { notReadyFinding, warningEvents } from './model.js';
import { conditionOf, conditionsOf, describeCondition } from '../kube/state.js';
import { KEDA } from '../stack/names.js';

type Obj = Record<string, any>;

const PAUSED = 'autoscaling.keda.sh/paused';
/** KEDA also pauses a ScaledObject at this many replicas (NeedToBePausedByAnnotation: present is enough) */
export const PAUSED_REPLICAS = 'autoscaling.keda.sh/paused-replicas';

/** the pause annotations set on a ScaledObject, to remove in the fix */
const pauseAnnotations = (so: Obj | undefined) =>
  [PAUSED, PAUSED_REPLICAS]
    .filter((a) => so?.metadata?.annotations?.[a] !== undefined)
    .map((a) => `${a}-`)
    .join(' ') || `${PAUSED}-`;
/** the Service KEDA's chart makes for its metrics server */
export const METRICS_SERVICE = 'keda-operator-metrics-apiserver';
export const METRICS_API = 'v1beta1.external.metrics.k8s.io';

const init = (ev: Evidence) => (ev.stack ? `kedactl init${ev.stack.flags ? ` ${ev.stack.flags}` : ''}` : undefined);
const conditionLines = (o: Obj | undefined) => conditionsOf(o).map((c) => `${c.type}: ${describeCondition(c)}`);

/** the ScaledObject's Paused condition or annotation, when KEDA has stopped scaling it */
function paused(so: Obj | undefined): string | undefined {
  const annotation = so?.metadata?.annotations?.[PAUSED];
  const cond = conditionOf(so, 'Paused');
  if (cond?.status === 'True')
    return `Paused: ${describeCondition(cond)}${annotation !== undefined ? `, annotation ${PAUSED}: "${annotation}"` : ''}`;
  if (annotation !== undefined && annotation !== 'false') return `annotation ${PAUSED}: "${annotation}"`;
  const replicas = so?.metadata?.annotations?.[PAUSED_REPLICAS];
  if (replicas !== undefined) return `annotation ${PAUSED_REPLICAS}: "${replicas}" (KEDA holds the Deployment at ${replicas} replicas)`;
  return undefined;
}

const lastWarnings = (ev: Evidence) =>
  warningEvents(ev)
    .slice(0, 3)
    .map((e) => `KEDA's Warning event ${e.reason} (x${e.count ?? 1}): ${e.message}`);

/** 16: the ScaledObject exists, KEDA reports it Ready (else why, and its last Warning event), and Active */
export function checkScaledObject(ev: Evidence): Finding[] {
  const C = 16,
    ID = 'scaledobject';
  const s = ev.scaledObject!;
  const name = `ScaledObject ${ev.namespace}/${s.name}`;
  const why = notRead(s.object, name);
  if (why) return [skipped(C, ID, 'KEDA', why)];
  const so = readValue(s.object) as Obj | undefined;
  if (!so)
    return [
      {
        check: C,
        id: ID,
        group: 'KEDA',
        verdict: 'fail',
        summary: `${name} does not exist: nothing scales the consumer Deployment ${s.deploymentName}`,
        evidence: [],
        fix: init(ev) ?? 'check the name and namespace (kubectl get scaledobjects -A)',
      },
    ];
  // KEDA's ScaledObject status has no observedGeneration: the generation is shown so a reader can compare
  const evidence = [...conditionLines(so), `metadata.generation: ${so.metadata?.generation ?? '?'}`, ...lastWarnings(ev)];
  const out: Finding[] = [];
  const ready = conditionOf(so, 'Ready');
  const stop = paused(so);
  if (stop)
    out.push({
      check: C,
      id: ID,
      group: 'KEDA',
      verdict: 'warn',
      summary: `${name} is paused: KEDA has stopped scaling it and deleted its HPA`,
      evidence,
      fix: `kubectl -n ${ev.namespace} annotate scaledobject ${s.name} ${pauseAnnotations(so)}`,
    });
  const notReady = notReadyFinding(ev, {
    check: C,
    id: ID,
    name,
    objectName: s.name,
    ready,
    evidence,
    fix: (reason) =>
      reason === 'TriggerError' || reason === 'ScaledObjectCheckFailed'
        ? 'the message names the cause; for the trigger, the AWS checks above say whether it is authentication, permission or the queue'
        : `the message names the field; fix it in the ScaledObject${ev.stack ? ' (kedactl plan shows what kedactl would apply)' : ''}`,
  });
  if (notReady) out.push(notReady);
  if (!out.length) {
    const active = conditionOf(so, 'Active');
    const activity =
      active?.status === 'True'
        ? 'Active: the queue has messages, the consumers run'
        : `not Active: the queue is empty (or below activationQueueLength), the consumers are at minReplicaCount ${so.spec?.minReplicaCount ?? 0}`;
    out.push(ok(C, ID, 'KEDA', `KEDA reports ${name} Ready; ${activity}`, evidence));
  }
  return out;
}

/** 17: the HPA KEDA made for the ScaledObject exists and can scale (AbleToScale, ScalingActive, ScalingLimited) */
export function checkHpa(ev: Evidence): Finding[] {
  const C = 17,
    ID = 'hpa';
  const s = ev.scaledObject!;
  const so = readValue(s.object) as Obj | undefined;
  if (!so) return [skipped(C, ID, 'KEDA', `no ScaledObject ${ev.namespace}/${s.name} to make an HPA (see check 16)`)];
  const name = `HPA ${ev.namespace}/${s.hpaName}`;
  const why = notRead(s.hpa, name);
  if (why) return [skipped(C, ID, 'KEDA', why)];
  const hpa = readValue(s.hpa) as Obj | undefined;
  const soEvidence = [`ScaledObject ${s.name}: ${conditionLines(so).join('; ') || 'no conditions'}`, ...lastWarnings(ev)];
  if (!hpa) {
    const stop = paused(so);
    return [
      {
        check: C,
        id: ID,
        group: 'KEDA',
        verdict: 'fail',
        summary: `${name} does not exist: KEDA ${stop ? 'deleted it because the ScaledObject is paused' : 'has not created it'}, so nothing scales the consumers between 1 and maxReplicaCount ${so.spec?.maxReplicaCount ?? 100}`,
        evidence: [...(so.status?.hpaName ? [`status.hpaName: ${so.status.hpaName}`] : []), ...soEvidence],
        fix: stop
          ? `kubectl -n ${ev.namespace} annotate scaledobject ${s.name} ${pauseAnnotations(so)} (KEDA re-creates the HPA)`
          : `KEDA's operator creates it on its next reconcile: kubectl -n ${ev.keda.namespace} logs deployment/keda-operator | grep ${s.name} says why it does not${ev.stack ? `; ${init(ev)} re-applies the ScaledObject` : ''}`,
      },
    ];
  }
  const min = hpa.spec?.minReplicas ?? 1;
  const max = hpa.spec?.maxReplicas;
  const current = hpa.status?.currentReplicas ?? 0;
  const desired = hpa.status?.desiredReplicas ?? 0;
  const evidence = [
    `replicas: current ${current}, desired ${desired}, min ${min}, max ${max ?? '?'}`,
    ...conditionLines(hpa),
    `metadata.generation ${hpa.metadata?.generation ?? '?'}, status.observedGeneration ${hpa.status?.observedGeneration ?? '(none)'}`,
  ];
  const out: Finding[] = [];
  const able = conditionOf(hpa, 'AbleToScale');
  const active = conditionOf(hpa, 'ScalingActive');
  const limited = conditionOf(hpa, 'ScalingLimited');
  if (able?.status === 'False')
    out.push({
      check: C,
      id: ID,
      group: 'KEDA',
      verdict: 'fail',
      summary: `${name} cannot scale the Deployment ${s.deploymentName}: ${able.reason ?? ''}${able.message ? `: ${able.message}` : ''}`,
      evidence,
      fix: `kubectl -n ${ev.namespace} describe hpa ${s.hpaName}; the message names what the HPA could not read or update (the Deployment's scale subresource)`,
    });
  // ScalingDisabled: the Deployment is at 0 replicas (KEDA scaled it down, idle): the HPA waits, by design
  if (active?.status === 'False' && active.reason !== 'ScalingDisabled')
    out.push({
      check: C,
      id: ID,
      group: 'KEDA',
      verdict: 'fail',
      summary:
        active.reason === 'FailedGetExternalMetric'
          ? `${name} cannot read KEDA's metric (FailedGetExternalMetric): the metrics path (API server -> ${METRICS_API} -> KEDA's metrics server -> operator) is broken, so it cannot scale: ${active.message ?? ''}`
          : `${name} is not scaling: ${active.reason ?? ''}${active.message ? `: ${active.message}` : ''}`,
      evidence,
      fix:
        active.reason === 'FailedGetExternalMetric'
          ? `check 18 (the external metrics APIService) says whether the API server reaches KEDA's metrics server; kubectl -n ${ev.keda.namespace} logs deployment/${METRICS_SERVICE}`
          : `kubectl -n ${ev.namespace} describe hpa ${s.hpaName}`,
    });
  if (limited?.status === 'True' && limited.reason === 'TooManyReplicas')
    out.push({
      check: C,
      id: ID,
      group: 'KEDA',
      verdict: 'warn',
      summary: `${name} is held at maxReplicaCount ${max ?? '?'} (it would run more: ${limited.message ?? 'TooManyReplicas'}); ${current} consumer Pod(s) run`,
      evidence,
      fix: ev.stack
        ? `kedactl init --max-replicas <more than ${max}>${ev.stack.flags ? ` ${ev.stack.flags}` : ''}, if the cluster and the queue's consumers can take it`
        : `raise spec.maxReplicaCount in ScaledObject ${ev.namespace}/${s.name}`,
    });
  if (!out.length)
    out.push(
      ok(
        C,
        ID,
        'KEDA',
        `${name} exists${active?.reason === 'ScalingDisabled' ? ' and waits (the Deployment is at 0: KEDA wakes it)' : " and reads KEDA's metric"}: ${current} of max ${max ?? '?'} replicas`,
        evidence,
      ),
    );
  return out;
}

/** 18: the external metrics APIService is Available and points at KEDA's metrics server (ScaledObjects only) */
export function checkMetricsApi(ev: Evidence): Finding[] {
  const C = 18,
    ID = 'metrics-api';
  const s = ev.scaledObject;
  if (!s)
    return [
      skipped(
        C,
        ID,
        'KEDA',
        `a ScaledJob does not use the external metrics APIService (${METRICS_API}): KEDA starts its Jobs itself, without an HPA or KEDA's metrics server`,
      ),
    ];
  const m = s.metricsApi;
  const name = `APIService ${m.name}`;
  const why = notRead(m.apiService, name);
  if (why) return [skipped(C, ID, 'KEDA', why)];
  const api = readValue(m.apiService) as Obj | undefined;
  const kedaNs = ev.keda.namespace;
  const wantService = `${kedaNs}/${METRICS_SERVICE}`;
  const fix = (what: string) =>
    `${what}; KEDA's metrics server is the Deployment ${kedaNs}/${METRICS_SERVICE} (kubectl -n ${kedaNs} get deployment,pods,endpointslices -l app=${METRICS_SERVICE}), behind the Service ${wantService} (port 443 -> its Pod's 6443); the API server must reach that Pod on 6443 (on EKS: a security group rule from the control plane to the nodes on 6443). ${ev.stack ? `${init(ev)} re-installs KEDA's chart, which makes all three` : `helm upgrade keda ${KEDA.chart} -n ${kedaNs} --reuse-values restores them`}`;
  if (!api)
    return [
      {
        check: C,
        id: ID,
        group: 'KEDA',
        verdict: 'fail',
        summary: `${name} does not exist: no HPA can read KEDA's metric, nothing scales a ScaledObject`,
        evidence: [],
        fix: fix("KEDA's chart registers it"),
      },
    ];
  const svc = api.spec?.service as { namespace?: string; name?: string; port?: number } | undefined;
  const points = svc ? `${svc.namespace}/${svc.name}${svc.port ? `:${svc.port}` : ''}` : '(no service: served by the API server itself)';
  const avail = conditionOf(api, 'Available');
  const evidence = [`spec.service: ${points}`, ...(avail ? [`Available: ${describeCondition(avail)}`] : ['no Available condition yet'])];
  const service = readValue(m.service) as Obj | undefined;
  if (svc) {
    const svcWhy = notRead(m.service, `Service ${svc.namespace}/${svc.name}`);
    if (svcWhy) evidence.push(svcWhy);
    else if (!service) evidence.push(`Service ${svc.namespace}/${svc.name} does not exist`);
    else
      evidence.push(
        `Service ${svc.namespace}/${svc.name}: selector ${JSON.stringify(service.spec?.selector ?? {})}, ports ${JSON.stringify((service.spec?.ports ?? []).map((p: Obj) => `${p.port}->${p.targetPort}`))}`,
      );
    const slices = readValue(m.endpoints);
    if (m.endpoints && !notRead(m.endpoints, 'its endpoints')) {
      const ready = (slices ?? []).flatMap((sl) => ((sl as Obj).endpoints ?? []) as Obj[]).filter((e) => e.conditions?.ready !== false);
      evidence.push(
        `endpoints: ${ready.length ? ready.map((e) => `${(e.addresses ?? []).join(',')}${e.targetRef?.name ? ` (${e.targetRef.name})` : ''}`).join(' ') : 'none ready'}`,
      );
    }
  }
  const notKeda = svc && `${svc.namespace}/${svc.name}` !== wantService;
  if (notKeda)
    return [
      {
        check: C,
        id: ID,
        group: 'KEDA',
        verdict: 'fail',
        summary: `${name} points at ${points}, not KEDA's metrics server ${wantService}${avail?.status === 'True' ? '' : ` and is not Available (${avail?.reason ?? 'no condition'})`}: the HPA KEDA makes cannot read KEDA's metric, nothing scales the ScaledObject`,
        evidence,
        fix: fix(
          `another metrics adapter (or a hand edit) owns the APIService; only one can serve ${m.name}: point it back with kubectl patch apiservice ${m.name} --type=merge -p '${JSON.stringify({ spec: { service: { namespace: kedaNs, name: METRICS_SERVICE } } })}'`,
        ),
      },
    ];
  if (avail?.status !== 'True')
    return [
      {
        check: C,
        id: ID,
        group: 'KEDA',
        verdict: 'fail',
        summary: `${name} is not Available (${avail ? `${avail.reason ?? avail.status}${avail.message ? `: ${avail.message}` : ''}` : 'no condition'}): the API server cannot reach KEDA's metrics server, so no HPA reads KEDA's metric and nothing scales the ScaledObject while it lasts`,
        evidence,
        fix: fix(`make KEDA's metrics server run and answer`),
      },
    ];
  return [ok(C, ID, 'KEDA', `${name} is Available, served by KEDA's metrics server ${points}`, evidence)];
}

/** 19: the consumer Deployment exists; its replicas and available counts (evidence for the checks above) */
export function checkConsumers(ev: Evidence): Finding[] {
  const C = 19,
    ID = 'consumers';
  const s: ScaledObjectEvidence = ev.scaledObject!;
  const name = `Deployment ${ev.namespace}/${s.deploymentName}`;
  const why = notRead(s.deployment, name);
  if (why) return [skipped(C, ID, 'Consumers', why)];
  const dep = readValue(s.deployment) as Obj | undefined;
  if (!dep)
    return [
      {
        check: C,
        id: ID,
        group: 'Consumers',
        verdict: 'fail',
        summary: `the consumer ${name} does not exist: KEDA has nothing to scale (the ScaledObject's scaleTargetRef names it)`,
        evidence: [],
        fix: init(ev) ?? `create the Deployment the ScaledObject's spec.scaleTargetRef names`,
      },
    ];
  const want = dep.spec?.replicas ?? 1;
  const st = dep.status ?? {};
  const evidence = [
    `spec.replicas ${want}; status: replicas ${st.replicas ?? 0}, ready ${st.readyReplicas ?? 0}, available ${st.availableReplicas ?? 0}, updated ${st.updatedReplicas ?? 0}`,
    ...conditionLines(dep),
  ];
  const progressing = conditionOf(dep, 'Progressing');
  if (progressing?.status === 'False')
    return [
      {
        check: C,
        id: ID,
        group: 'Consumers',
        verdict: 'fail',
        summary: `the consumer ${name} does not roll out: ${progressing.reason ?? ''}${progressing.message ? `: ${progressing.message}` : ''}`,
        evidence,
        fix: `kubectl -n ${ev.namespace} describe deployment ${s.deploymentName}; kubectl -n ${ev.namespace} get pods -l ${
          dep.spec?.selector?.matchLabels
            ? Object.entries(dep.spec.selector.matchLabels)
                .map(([k, v]) => `${k}=${v}`)
                .join(',')
            : '<its selector>'
        }`,
      },
    ];
  if ((st.availableReplicas ?? 0) < want)
    return [
      {
        check: C,
        id: ID,
        group: 'Consumers',
        verdict: 'warn',
        summary: `the consumer ${name} has ${st.availableReplicas ?? 0} of ${want} replicas available (starting, or its Pods do not become ready)`,
        evidence,
        fix: `kubectl -n ${ev.namespace} get pods -l ${Object.entries(dep.spec?.selector?.matchLabels ?? {})
          .map(([k, v]) => `${k}=${v}`)
          .join(',')}; kubectl -n ${ev.namespace} describe deployment ${s.deploymentName}`,
      },
    ];
  return [ok(C, ID, 'Consumers', `the consumer ${name} runs ${st.availableReplicas ?? 0} of ${want} replicas available`, evidence)];
}
