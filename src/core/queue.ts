// The stack's SQS queues: observe, create or update as planned, and delete by tags.
import type { SqsPort } from './aws-ports.js';
import { conflictMessage, mapLimit, ownedBy } from './aws-tags.js';
import type { DesiredQueue } from './desired.js';
import type { Change, Observed } from './plan.js';
import type { Progress } from './progress.js';

export type ObservedQueues = NonNullable<Observed['queues']>;

/** SQS echoes RedrivePolicy in its own formatting; compare it in the form kedactl writes. */
export function normalizeAttributes(attrs: Record<string, string>): Record<string, string> {
  const out = { ...attrs };
  if (out.RedrivePolicy) {
    try {
      const r = JSON.parse(out.RedrivePolicy) as { deadLetterTargetArn: string; maxReceiveCount: number | string };
      out.RedrivePolicy = JSON.stringify({ deadLetterTargetArn: r.deadLetterTargetArn, maxReceiveCount: Number(r.maxReceiveCount) });
    } catch {
      /* leave it: the plan will show it as different */
    }
  }
  return out;
}

export async function observeQueues(queues: DesiredQueue[], sqs: SqsPort, stack: string) {
  const observed: ObservedQueues = {};
  const urls: Record<string, string> = {};
  const conflicts: string[] = [];
  for (const q of queues) {
    const url = await sqs.getQueueUrl(q.name);
    if (!url) {
      observed[q.name] = undefined;
      continue;
    }
    urls[q.name] = url;
    const [attributes, tags] = await Promise.all([sqs.getQueueAttributes(url), sqs.listQueueTags(url)]);
    observed[q.name] = { attributes: normalizeAttributes(attributes), tags };
    if (!ownedBy(tags, stack)) conflicts.push(conflictMessage(q.purpose === 'dead-letter' ? 'SQS dead-letter queue' : 'SQS queue', q.name, stack, tags));
  }
  return { observed, urls, conflicts };
}

/** Create or update each queue as its change says; returns every queue's URL. DLQ comes first in `queues`. */
export async function applyQueues(
  queues: DesiredQueue[],
  changes: Change[],
  sqs: SqsPort,
  progress: Progress,
  seen: { observed: ObservedQueues; urls: Record<string, string> },
): Promise<Record<string, string>> {
  const urls: Record<string, string> = { ...seen.urls };
  for (const q of queues) {
    const change = changes.find((c) => c.group === 'aws' && c.kind.startsWith('SQS') && c.name === q.name);
    const action = change?.action ?? 'unchanged';
    if (action === 'create') {
      urls[q.name] = await progress.step(`create ${change!.kind} ${q.name}`, () => sqs.createQueue(q.name, q.attributes, q.tags));
    } else if (action === 'update') {
      const before = seen.observed[q.name]?.attributes ?? {};
      const diff = Object.fromEntries(Object.entries(q.attributes).filter(([k, v]) => before[k] !== v));
      const url = urls[q.name] ?? (await sqs.getQueueUrl(q.name));
      if (!url) throw new Error(`queue ${q.name} disappeared between plan and apply`);
      urls[q.name] = url;
      await progress.step(`update ${change!.kind} ${q.name} (${Object.keys(diff).join(', ')})`, () => sqs.setQueueAttributes(url, diff));
    } else if (!urls[q.name]) {
      const url = await sqs.getQueueUrl(q.name);
      if (url) urls[q.name] = url;
    }
  }
  return urls;
}

/** Delete every queue tagged with the stack (found by listing, so a lost local file leaks nothing). */
export async function teardownQueues(stack: string, sqs: SqsPort, progress: Progress): Promise<string[]> {
  const urls = await progress.step('find SQS queues tagged with the stack', async () => {
    const all = await sqs.listQueues();
    const tagged = await mapLimit(all, 8, async (url) => {
      try {
        return ownedBy(await sqs.listQueueTags(url), stack) ? url : undefined;
      } catch {
        return undefined; // deleted by someone else meanwhile
      }
    });
    return tagged.filter((u): u is string => u !== undefined);
  });
  const deleted: string[] = [];
  for (const url of urls) {
    const name = url.split('/').pop()!;
    await progress.step(`delete SQS queue ${name}`, async (update) => {
      if (!(await sqs.deleteQueue(url))) update('already gone');
    });
    deleted.push(`SQS queue ${name}`);
  }
  return deleted;
}
