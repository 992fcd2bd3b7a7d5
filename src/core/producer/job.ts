// One round of an in-cluster run as a Kubernetes Job, rendered from templates/kubernetes/producer-job.yaml
// (users may override it like every template) with the stack's values and the round's ranges.
import type { KubeObject } from '../kube/ports.js';
import { templateValues, withLabels } from '../stack/desired.js';
import { arns, names, stackLabels } from '../stack/names.js';
import type { Settings } from '../stack/settings.js';
import { renderYaml, templateSource } from '../stack/templates.js';
import { formatRanges, type Share } from './shares.js';

export const RUN_LABEL = 'kedactl.io/producer-run';

export interface RoundSpec {
  queueUrl: string;
  runId: string;
  round: number;
  ranges: Share[];
  parallelism: number;
  maxBatchBytes: number;
  bodyTemplate?: string;
}

/** {{ index }} as the shell script reads it: {{index}} (local produce allows spaces inside the braces) */
export const normaliseTemplate = (t: string) => t.replace(/\{\{\s*(index|videoId|quality|sentAt)\s*\}\}/g, '{{$1}}');

/** `<stack>-producer-<run>-<round>`: at most 24 + 10 + 9 + 3 characters, within a label value's 63 */
export const producerJobName = (s: Settings, runId: string, round: number) => `${names(s).producerJob}-${runId}-${round}`;

export function producerJob(s: Settings, r: RoundSpec): KubeObject {
  const n = names(s);
  // the account is the queue URL's; the URL is SQS's own answer (an emulator's endpoint included)
  const a = arns(s, { queueUrl: r.queueUrl, accountId: r.queueUrl.split('/').at(-2) });
  const [job] = renderYaml(templateSource(s.templates), 'kubernetes/producer-job.yaml', {
    ...templateValues(s, n, a, {}),
    producerRunName: n.producerRun,
    producerRunId: r.runId,
    producerMaxBatchBytes: r.maxBatchBytes,
    producerBodyTemplate: r.bodyTemplate === undefined ? undefined : normaliseTemplate(r.bodyTemplate),
    producerJobName: producerJobName(s, r.runId, r.round),
    producerCompletions: r.ranges.length,
    producerParallelism: Math.min(r.parallelism, r.ranges.length),
    producerRanges: formatRanges(r.ranges),
  });
  return withLabels(job as KubeObject, stackLabels(s.stack));
}
