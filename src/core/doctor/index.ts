// src/core/doctor/ owns why a stack does not scale: gather.ts (and stack-reads.ts) read the evidence through
// the ports once; everything else (evidence.ts, model.ts, policy.ts, checks-*.ts, finding.ts) is pure and
// imports only the ports' vocabulary and the pure readers (kube/state.ts, keda/versions.ts, stack/names.ts).
//
// kedactl doctor: why a stack (its ScaledJob or ScaledObject, or any ScaledJob) does not scale. Gather the evidence once, then run
// every check as a pure function of it; the report is a value the UI renders as text or JSON.
import type { Evidence } from './evidence.js';
import { bySeverity, type Finding, type Verdict } from './finding.js';
import { gather, type DoctorInput, type DoctorPorts } from './gather.js';
import { checkAssumeChain, checkOidcProvider, checkPermissions, checkQueue, checkTrustPolicies, checkVisibility } from './checks-aws.js';
import {
  checkFinalizers,
  checkKedaRelease,
  checkKedaVersion,
  checkOperatorIdentity,
  checkScaledJob,
  checkStrategy,
  checkTriggerAuth,
} from './checks-keda.js';
import { checkAnalyzer, checkJobs } from './checks-jobs.js';
import { checkConsumers, checkHpa, checkMetricsApi, checkScaledObject } from './checks-scaledobject.js';
import { checkAuthChain } from './checks-auth-chain.js';
import { checkTrigger } from './checks-trigger.js';
import { checkCanScale } from './checks-scaling.js';
import { checkStsPath } from './checks-sts.js';
import { checkKedaGates } from './checks-versions.js';
import { scalerOf } from './model.js';
import type { ScalerRef } from '../workloads/types.js';

export type { DoctorInput, DoctorPorts } from './gather.js';
export type { Finding, Verdict } from './finding.js';

type Check = (ev: Evidence) => Finding[];

/** every stack's checks: the trigger's authentication, AWS, KEDA itself, the analyzer */
export const CHECKS: Check[] = [
  checkTriggerAuth,
  checkAuthChain,
  checkOidcProvider,
  checkTrustPolicies,
  checkOperatorIdentity,
  checkStsPath,
  checkAssumeChain,
  checkPermissions,
  checkQueue,
  checkTrigger,
  checkVisibility,
  checkMetricsApi,
  checkKedaVersion,
  checkKedaGates,
  checkKedaRelease,
  checkFinalizers,
  checkCanScale,
  checkAnalyzer,
];

/** the checks of what KEDA scales, by the scaler's kind: a ScaledJob and its Jobs, or a ScaledObject's path */
export const SCALER_CHECKS: Record<ScalerRef['kind'], Check[]> = {
  ScaledJob: [checkStrategy, checkJobs, checkScaledJob],
  ScaledObject: [checkScaledObject, checkHpa, checkConsumers],
};

export interface DoctorReport {
  /** the KEDA object diagnosed: ScaledJob, or ScaledObject on the deployment workload */
  scaler: { kind: ScalerRef['kind']; name: string };
  scaledJob: string;
  namespace: string;
  stack?: string;
  /** no check failed (warnings allowed) */
  healthy: boolean;
  counts: Record<Verdict, number>;
  findings: Finding[];
}

/** Every check on one evidence value, most severe first within each group (AWS, KEDA, Jobs or Consumers). */
export function diagnose(ev: Evidence): DoctorReport {
  const scaler = scalerOf(ev);
  const findings = [...CHECKS, ...SCALER_CHECKS[scaler.kind]].flatMap((c) => c(ev)).sort(bySeverity);
  const counts: Record<Verdict, number> = { fail: 0, warn: 0, skipped: 0, ok: 0 };
  for (const f of findings) counts[f.verdict]++;
  return {
    scaler: { kind: scaler.kind, name: scaler.name },
    scaledJob: ev.scaledJobName,
    namespace: ev.namespace,
    ...(ev.stack ? { stack: ev.stack.stack } : {}),
    healthy: counts.fail === 0,
    counts,
    findings,
  };
}

export async function doctor(input: DoctorInput, ports: DoctorPorts): Promise<DoctorReport> {
  return diagnose(await gather(input, ports));
}
