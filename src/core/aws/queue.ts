// The stack's SQS queues: observe, create or update as planned, and delete by tags.
import type { SqsPort } from './ports.js';
import { conflictMessage, mapLimit, orUnreadable, ownedBy, type Discovered, type Unreadable } from './tags.js';
import type { DesiredQueue } from '../stack/desired.js';
import type { Change, Observed } from '../stack/plan.js';
import type { Progress } from '../progress.js';
import { allInOrder } from '../parallel.js';

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
    const [attributes, tags] = await allInOrder([sqs.getQueueAttributes(url), sqs.listQueueTags(url)]);
    if (!tags) {
      // deleted between the two calls
      observed[q.name] = undefined;
      delete urls[q.name];
      continue;
    }
    observed[q.name] = { attributes: normalizeAttributes(attributes), tags };
    if (!ownedBy(tags, stack))
      conflicts.push(conflictMessage(q.purpose === 'dead-letter' ? 'SQS dead-letter queue' : 'SQS queue', q.name, stack, tags));
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

/**
 * The stack's queues, found by their tags (so a lost local file leaks nothing). A queue whose tags
 * cannot be read is reported as unreadable, never as "not the stack's"; only a queue that is gone is.
 */
export async function findStackQueues(stack: string, sqs: SqsPort): Promise<Discovered<string>> {
  const all = await sqs.listQueues();
  const unreadable: Unreadable[] = [];
  const tagged = await mapLimit(all, 8, async (url) => {
    const tags = await orUnreadable('SQS queue', queueNameOf(url), unreadable, () => sqs.listQueueTags(url));
    return ownedBy(tags, stack) ? url : undefined;
  });
  return { found: tagged.filter((u): u is string => u !== undefined).sort(), unreadable };
}

export const queueNameOf = (url: string) => url.replace(/\/+$/, '').split('/').pop() ?? url;

/**
 * Delete every queue tagged with the stack. A queue that could not be read or deleted is returned in
 * `failed`; the others are deleted regardless.
 */
export async function teardownQueues(
  stack: string,
  sqs: SqsPort,
  progress: Progress,
): Promise<{ deleted: string[]; failed: Unreadable[] }> {
  const { found, unreadable } = await progress.step('find SQS queues tagged with the stack', async (update) => {
    const d = await findStackQueues(stack, sqs);
    if (d.unreadable.length) update(`could not read the tags of ${d.unreadable.map((u) => u.name).join(', ')}`);
    return d;
  });
  const failed = [...unreadable];
  const deleted: string[] = [];
  for (const url of found) {
    const name = queueNameOf(url);
    const ok = await orUnreadable('SQS queue', name, failed, () =>
      progress.step(`delete SQS queue ${name}`, async (update) => {
        if (!(await sqs.deleteQueue(url))) update('already gone');
        return true;
      }),
    );
    if (ok) deleted.push(`SQS queue ${name}`);
  }
  return { deleted, failed };
}
