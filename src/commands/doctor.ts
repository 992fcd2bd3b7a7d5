// kedactl doctor: flags -> the ScaledJob or ScaledObject to diagnose (the stack's workload's, or --scaled-job NAME in the settings'
// namespace: -n, KEDACTL_NAMESPACE, kedactl.yaml, or the stack's default) -> the
// doctor use case (reads only) -> the report; exit 1 when a check failed.
import { connectKube } from '../adapters/kube.js';
import { awsByRegion } from '../adapters/aws.js';
import { doctor } from '../core/doctor/index.js';
import type { DoctorInput } from '../core/doctor/gather.js';
import { StateError, UsageError } from '../core/errors.js';
import { UNKNOWN_REGION } from '../core/stack/settings.js';
import { names } from '../core/stack/names.js';
import { workloadOf } from '../core/workloads/index.js';
import { formatData, parseOutput } from '../ui/format.js';
import { doctorText } from '../ui/doctor-text.js';
import { beginWithRecord, settingFlags } from './common.js';
import type { CommandContext, CommandFlags } from './context.js';
import { stackReads } from '../core/doctor/stack-reads.js';

const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;

export interface DoctorOptions extends CommandFlags {
  output?: string;
  /** any ScaledJob, not only the stack's */
  scaledJob?: string;
}

export async function run(opts: DoctorOptions, ctx: CommandContext): Promise<void> {
  const output = parseOutput(opts.output, ['text', 'json']);
  const scaledJob = opts.scaledJob;
  if (scaledJob !== undefined && !DNS1123_SUBDOMAIN.test(scaledJob))
    throw new UsageError(
      `--scaled-job = ${JSON.stringify(scaledJob)}: must be a Kubernetes object name (lowercase letters, digits, "-" and ".")`,
      'pass the name `kubectl get scaledjobs -A` shows',
    );
  const { settings } = await beginWithRecord(opts, ctx, { regionOptional: true, readCluster: scaledJob === undefined });
  const host = ctx.host();
  const kube = connectKube({
    kubeconfig: settings.kubeconfig,
    context: settings.context,
    env: ctx.env,
    log: (t) => host.notify('debug', 'kube.request', t),
  });
  const n = names(settings);
  const workload = workloadOf(settings);
  const scaler = workload.scaler(n);
  const hpa = workload.hpa(n);
  const input: DoctorInput = {
    namespace: settings.namespace,
    scaledJob: scaledJob ?? n.scaledJob,
    // the stack's ScaledObject path; --scaled-job names a ScaledJob
    ...(scaledJob === undefined && hpa ? { scaledObject: { name: scaler.name, hpa, deployment: workload.target(n).name } } : {}),
    ...(settings.region !== UNKNOWN_REGION ? { region: settings.region } : {}),
    ...(settings.oidcIssuer ? { oidcIssuer: settings.oidcIssuer } : {}),
    ...(settings.cluster ? { cluster: settings.cluster } : {}),
    ...(scaledJob === undefined ? { stack: stackReads(settings, kube, settingFlags(opts, settings)) } : {}),
  };
  const report = await doctor(input, {
    kube,
    aws: awsByRegion({ profile: settings.profile, endpointUrl: settings.endpointUrl, env: ctx.env, ...ctx.awsClient }),
  });
  host.result(output === 'json' ? formatData(report, 'json') : doctorText(report, host.color));
  if (!report.healthy)
    throw new StateError(
      `doctor found ${report.counts.fail} failing check${report.counts.fail === 1 ? '' : 's'} for ${report.scaler.kind} ${report.namespace}/${report.scaler.name}`,
      'each failure above says what to run or change',
    );
}
