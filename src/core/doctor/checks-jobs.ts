// The Jobs checks (10, 14): pure functions of the evidence (one list of Jobs, one of Pods, one log).
import { notRead, readValue, type Evidence } from './evidence.js';
import { ok, skipped, type Finding } from './finding.js';
import { duration, secondsBetween } from './model.js';
import { LIST_LIMIT } from './model.js';
import { conditionOf, jobPhase } from '../kube/state.js';

interface ContainerStatus {
  name: string;
  image?: string;
  state?: { waiting?: { reason?: string; message?: string }; terminated?: { reason?: string; exitCode?: number } };
  lastState?: { terminated?: { reason?: string; exitCode?: number } };
}

const PULL = new Set(['ImagePullBackOff', 'ErrImagePull', 'InvalidImageName']);
const CONFIG = new Set(['CreateContainerConfigError', 'CreateContainerError']);

/** 10: Jobs failing: image pulls, config errors, OOM kills, errors (with one Pod's last log lines), backoffLimit */
export function checkJobs(ev: Evidence): Finding[] {
  const C = 10,
    ID = 'jobs';
  if (!readValue(ev.scaledJob)) return [];
  const why =
    notRead(ev.pods, `the Pods of ScaledJob ${ev.scaledJobName}`) ?? notRead(ev.jobs, `the Jobs of ScaledJob ${ev.scaledJobName}`);
  if (why) return [skipped(C, ID, 'Jobs', why)];
  const pods = (readValue(ev.pods) ?? []) as Array<Record<string, any>>;
  const jobs = (readValue(ev.jobs) ?? []) as Array<Record<string, any>>;
  const failedJobs = jobs.filter((j) => jobPhase(j) === 'failed');
  const backoff = failedJobs.filter((j) => conditionOf(j, 'Failed')?.reason === 'BackoffLimitExceeded');
  const bounded = jobs.length >= LIST_LIMIT || pods.length >= LIST_LIMIT ? ` (of the first ${LIST_LIMIT} read)` : '';
  const jobsLine = `${jobs.length} Job(s)${bounded}: ${failedJobs.length} failed${backoff.length ? ` (${backoff.length} with backoffLimit exhausted)` : ''}`;
  const byCause = new Map<string, Array<{ pod: string; s: ContainerStatus; detail: string }>>();
  const add = (cause: string, pod: string, s: ContainerStatus, detail: string) =>
    byCause.set(cause, [...(byCause.get(cause) ?? []), { pod, s, detail }]);
  for (const p of pods)
    for (const s of (p.status?.containerStatuses ?? []) as ContainerStatus[]) {
      const waiting = s.state?.waiting;
      const term = s.state?.terminated ?? s.lastState?.terminated;
      if (waiting?.reason && PULL.has(waiting.reason)) add('pull', p.metadata.name, s, `${waiting.reason}: ${waiting.message ?? ''}`);
      else if (waiting?.reason && CONFIG.has(waiting.reason))
        add('config', p.metadata.name, s, `${waiting.reason}: ${waiting.message ?? ''}`);
      else if (term?.reason === 'OOMKilled') add('oom', p.metadata.name, s, 'OOMKilled');
      else if (term && term.exitCode !== 0) add('error', p.metadata.name, s, `${term.reason ?? 'Error'} (exit code ${term.exitCode})`);
      else if (waiting?.reason === 'CrashLoopBackOff') add('error', p.metadata.name, s, 'CrashLoopBackOff');
    }
  const sj = readValue(ev.scaledJob) as Record<string, any>;
  const container = sj.spec?.jobTargetRef?.template?.spec?.containers?.[0] ?? {};
  const where = `ScaledJob ${ev.namespace}/${ev.scaledJobName} spec.jobTargetRef.template.spec.containers[0]`;
  const init = (flag: string) => (ev.stack ? `kedactl init ${flag}${ev.stack.flags ? ` ${ev.stack.flags}` : ''}, or ` : '');
  const out: Finding[] = [];
  const list = (xs: Array<{ pod: string; detail: string }>) => xs.slice(0, 3).map((x) => `pod ${x.pod}: ${x.detail}`);
  const pull = byCause.get('pull');
  if (pull)
    out.push({
      check: C,
      id: ID,
      group: 'Jobs',
      verdict: 'fail',
      summary: `${pull.length} Pod(s) cannot pull the image ${pull[0]!.s.image ?? container.image}`,
      evidence: [jobsLine, ...list(pull)],
      fix: `${init('--image <an image the nodes can pull>')}set a pullable image in ${where}.image (and imagePullSecrets for a private registry)`,
    });
  const config = byCause.get('config');
  if (config)
    out.push({
      check: C,
      id: ID,
      group: 'Jobs',
      verdict: 'fail',
      summary: `${config.length} Pod(s) cannot start their container: ${config[0]!.detail}`,
      evidence: [jobsLine, ...list(config)],
      fix: `create what the message names (a Secret or ConfigMap the Jobs mount or read)${ev.stack ? `, or kedactl init${ev.stack.flags ? ` ${ev.stack.flags}` : ''}` : ''}`,
    });
  const oom = byCause.get('oom');
  if (oom)
    out.push({
      check: C,
      id: ID,
      group: 'Jobs',
      verdict: 'fail',
      summary: `${oom.length} Pod(s) were OOMKilled: the memory limit ${container.resources?.limits?.memory ?? '(none set)'} is too small for one message`,
      evidence: [jobsLine, ...list(oom)],
      fix: `raise ${where}.resources.limits.memory (a template override of scaled-job.yaml for a kedactl stack)`,
    });
  const error = byCause.get('error');
  if (error) {
    const log = ev.failedPodLog;
    const lines = log?.log.state === 'read' ? (log.log.value ?? '').trimEnd().split('\n').filter(Boolean) : [];
    const logNote = log
      ? log.log.state === 'read'
        ? lines.length
          ? [`last ${lines.length} log line(s) of pod ${log.pod}:`, ...lines.map((l) => `  | ${l}`)]
          : [`pod ${log.pod} logged nothing`]
        : [notRead(log.log, `the log of pod ${log.pod}`)!]
      : [];
    out.push({
      check: C,
      id: ID,
      group: 'Jobs',
      verdict: 'fail',
      summary: `${error.length} Pod(s) ended in error: ${error[0]!.detail}`,
      evidence: [jobsLine, ...list(error), ...logNote],
      fix: `the log lines say why; kubectl -n ${ev.namespace} logs ${error[0]!.pod}${error[0]!.s.name ? ` -c ${error[0]!.s.name}` : ''}`,
    });
  }
  if (!out.length && failedJobs.length)
    out.push({
      check: C,
      id: ID,
      group: 'Jobs',
      verdict: 'warn',
      summary: `${failedJobs.length} Job(s) failed${backoff.length ? ' (backoffLimit exhausted)' : ''}, and their Pods are gone`,
      evidence: [
        jobsLine,
        ...failedJobs
          .slice(0, 3)
          .map(
            (j) =>
              `job ${j.metadata.name}: ${(j.status?.conditions ?? []).map((c: { reason?: string; message?: string }) => `${c.reason ?? ''} ${c.message ?? ''}`.trim()).join('; ')}`,
          ),
      ],
      fix: `kubectl -n ${ev.namespace} describe job ${failedJobs[0]!.metadata.name}`,
    });
  if (!out.length) out.push(ok(C, ID, 'Jobs', `no failing Jobs (${jobsLine})`));
  out.push(...history(ev, jobs, bounded));
  return out;
}

const finished = (j: Record<string, any>, type: 'Complete' | 'Failed') =>
  (j.status?.conditions ?? []).some((c: { type: string; status: string }) => c.type === type && c.status === 'True');

/**
 * 10: finished Jobs piling up against the history limits. At every poll KEDA (v2.21 cleanUp) deletes the
 * oldest finished Jobs beyond successfulJobsHistoryLimit / failedJobsHistoryLimit (100 each by default); Jobs
 * beyond a limit that finished more than two polls ago (and a minute) mean that clean-up is not happening.
 */
function history(ev: Evidence, jobs: Array<Record<string, any>>, bounded: string): Finding[] {
  const C = 10,
    ID = 'history';
  const sj = readValue(ev.scaledJob) as Record<string, any>;
  const interval = Number(sj.spec?.pollingInterval ?? 30);
  const grace = 2 * interval + 60;
  const out: Finding[] = [];
  const kinds = [
    { type: 'Complete' as const, field: 'successfulJobsHistoryLimit', limit: Number(sj.spec?.successfulJobsHistoryLimit ?? 100) },
    { type: 'Failed' as const, field: 'failedJobsHistoryLimit', limit: Number(sj.spec?.failedJobsHistoryLimit ?? 100) },
  ];
  const evidence: string[] = [];
  for (const k of kinds) {
    // oldest first, as KEDA sorts them (by creation)
    const done = jobs
      .filter((j) => finished(j, k.type))
      .sort((a, b) => String(a.metadata?.creationTimestamp ?? '').localeCompare(String(b.metadata?.creationTimestamp ?? '')));
    const excess = done.slice(0, Math.max(0, done.length - k.limit));
    const finishedAt = (j: Record<string, any>) =>
      j.status?.completionTime ?? (j.status?.conditions ?? []).find((c: { type: string }) => c.type === k.type)?.lastTransitionTime;
    const stale = excess.filter((j) => (secondsBetween(finishedAt(j), ev.readAt) ?? 0) > grace);
    evidence.push(`${done.length} ${k.type === 'Complete' ? 'succeeded' : 'failed'} Job(s)${bounded}, spec.${k.field}: ${k.limit}`);
    if (stale.length)
      out.push({
        check: C,
        id: ID,
        group: 'Jobs',
        verdict: 'warn',
        summary: `${done.length} ${k.type === 'Complete' ? 'succeeded' : 'failed'} Jobs are kept, ${done.length - k.limit} more than ${k.field} (${k.limit}), the oldest finished ${duration(secondsBetween(finishedAt(stale[0]!), ev.readAt) ?? 0)} ago: KEDA deletes them at every poll (${interval}s), so its clean-up is not running (is its operator up, and allowed to delete Jobs here?)`,
        evidence: [...evidence.slice(-1), ...stale.slice(0, 3).map((j) => `job ${j.metadata.name}: finished ${finishedAt(j) ?? '?'}`)],
        fix: `look at KEDA's operator (kubectl -n ${ev.keda.namespace} logs deployment/keda-operator | grep ${ev.scaledJobName}); meanwhile kubectl -n ${ev.namespace} delete job ${stale
          .slice(0, 3)
          .map((j) => j.metadata.name)
          .join(' ')}${stale.length > 3 ? ' ...' : ''}`,
      });
  }
  if (!out.length) out.push(ok(C, ID, 'Jobs', `finished Jobs stay within the history limits`, evidence));
  return out;
}

/** 14: the result analyzer answers through the API server's service proxy (kedactl stacks only) */
export function checkAnalyzer(ev: Evidence): Finding[] {
  const C = 14,
    ID = 'analyzer';
  if (!ev.stack?.analyzer) return [];
  const r = ev.stack.analyzer;
  const svc = `service ${ev.namespace}/${ev.stack.analyzerService}`;
  if (r.state === 'forbidden') return [skipped(C, ID, 'Jobs', `forbidden (needs ${r.needs}) to reach the result analyzer`)];
  if (r.state === 'failed')
    return [
      {
        check: C,
        id: ID,
        group: 'Jobs',
        verdict: 'fail',
        summary: `the result analyzer does not answer through the API server's proxy: ${r.error}`,
        evidence: [svc],
        fix: `kubectl -n ${ev.namespace} get pods,endpoints -l app.kubernetes.io/name=result-analyzer; kedactl init${ev.stack.flags ? ` ${ev.stack.flags}` : ''} restores its Deployment and Service`,
      },
    ];
  return [ok(C, ID, 'Jobs', `the result analyzer answers: ${r.value.processed} processed, ${r.value.killed} killed`, [svc])];
}
