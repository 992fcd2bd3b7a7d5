// What exists for a stack, found from the cloud and the cluster themselves (tags and labels), so
// teardown can show it before deleting and say "nothing left" after.
import { KubeApiError, type Kube, type KubeObject } from './kube-ports.js';
import type { AwsPorts } from './aws-ports.js';
import { ownedBy, mapLimit } from './aws-tags.js';
import { findStackRoles } from './iam-roles.js';
import { TEARDOWN_PHASES } from './kube-teardown.js';
import type { Part } from './ports.js';
import { LABEL_STACK, stackSelector } from './stack.js';

export interface InventoryItem {
  group: 'aws' | 'kubernetes';
  kind: string;
  name: string;
  namespace?: string;
}

export async function findStackQueues(stack: string, aws: AwsPorts): Promise<string[]> {
  const all = await aws.sqs.listQueues();
  const tagged = await mapLimit(all, 8, async (url) => {
    try {
      return ownedBy(await aws.sqs.listQueueTags(url), stack) ? url : undefined;
    } catch {
      return undefined; // deleted meanwhile
    }
  });
  return tagged.filter((u): u is string => u !== undefined);
}

/** Everything labelled or tagged with the stack; parts in `skip` are not looked at. */
export async function inventory(stack: string, ports: { aws?: AwsPorts; kube?: Kube }, skip: ReadonlySet<Part>, namespace?: string): Promise<InventoryItem[]> {
  const items: InventoryItem[] = [];
  if (!skip.has('kubernetes') && ports.kube) {
    const kube = ports.kube;
    const selector = stackSelector(stack);
    const kinds = [...TEARDOWN_PHASES.flatMap((p) => p.kinds), { apiVersion: 'v1', kind: 'Namespace' }];
    for (const k of kinds) {
      if (!(await kube.served(k))) continue;
      let found: KubeObject[];
      try {
        found = await kube.list(k, { labelSelector: selector, metadataOnly: true });
      } catch (e) {
        // a user who may not list cluster-wide still sees the stack's own namespace
        if (!(e instanceof KubeApiError && e.status === 403 && namespace)) throw e;
        if (k.kind === 'Namespace') {
          const ns = await kube.get({ ...k, name: namespace }).catch(() => undefined);
          found = ns && ns.metadata.labels?.[LABEL_STACK] === stack ? [ns] : [];
        } else found = await kube.list(k, { namespace, labelSelector: selector, metadataOnly: true });
      }
      for (const o of found) items.push({ group: 'kubernetes', kind: k.kind, name: o.metadata.name, namespace: o.metadata.namespace });
    }
  }
  if (!skip.has('aws') && ports.aws) {
    for (const url of await findStackQueues(stack, ports.aws)) items.push({ group: 'aws', kind: 'SQS queue', name: url.split('/').pop()! });
    for (const r of await findStackRoles(stack, ports.aws.iam)) items.push({ group: 'aws', kind: 'IAM role', name: r.name });
  }
  return items;
}

/** "ScaledJob video/video-processor", with Jobs and Pods counted rather than listed. */
export function summarize(items: InventoryItem[]): string[] {
  const out: string[] = [];
  const many = new Map<string, number>();
  for (const i of items) {
    if (i.kind === 'Job' || i.kind === 'Pod' || i.kind === 'ReplicaSet') many.set(`${i.kind}s in ${i.namespace}`, (many.get(`${i.kind}s in ${i.namespace}`) ?? 0) + 1);
    else out.push(`${i.kind} ${i.namespace ? `${i.namespace}/` : ''}${i.name}`);
  }
  for (const [what, n] of many) out.push(`${n} ${what}`);
  return out;
}
