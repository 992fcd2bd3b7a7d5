// What exists for a stack, found from the cloud and the cluster themselves (tags and labels), so
// teardown can show it before deleting and say "nothing left" after.
import { isAuthorizationDenied, type Kube, type KubeObject } from '../kube/ports.js';
import type { AwsPorts } from '../aws/ports.js';
import type { Unreadable } from '../aws/tags.js';
import { findStackRoles } from '../aws/iam-roles.js';
import { TEARDOWN_PHASES } from '../kube/teardown.js';
import type { Part } from './ports.js';
import { leftOidcProviders } from '../aws/oidc.js';
import { findStackQueues, queueNameOf } from '../aws/queue.js';
import { LABEL_STACK, stackSelector } from './names.js';
import { allInOrder } from '../parallel.js';
import { objectLabel } from '../kube/state.js';

export interface InventoryItem {
  group: 'aws' | 'kubernetes';
  kind: string;
  name: string;
  namespace?: string;
}

export interface Inventory {
  items: InventoryItem[];
  /** resources kedactl could not tell about (tags unreadable): never counted as "not the stack's" */
  unreadable: Unreadable[];
}

/** Everything labelled or tagged with the stack; parts in `skip` are not looked at. */
export async function inventory(
  stack: string,
  ports: { aws?: AwsPorts; kube?: Kube },
  skip: ReadonlySet<Part>,
  namespace?: string,
): Promise<Inventory> {
  const items: InventoryItem[] = [];
  const unreadable: Unreadable[] = [];
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
        if (!(isAuthorizationDenied(e) && namespace)) throw e;
        if (k.kind === 'Namespace') {
          // 404 is "no such namespace" (get says undefined); a context that may not read it cannot delete it either
          const ns = await kube.get({ ...k, name: namespace }).catch((e2: unknown) => {
            if (isAuthorizationDenied(e2)) return undefined;
            throw e2;
          });
          found = ns && ns.metadata.labels?.[LABEL_STACK] === stack ? [ns] : [];
        } else found = await kube.list(k, { namespace, labelSelector: selector, metadataOnly: true });
      }
      for (const o of found) items.push({ group: 'kubernetes', kind: k.kind, name: o.metadata.name, namespace: o.metadata.namespace });
    }
  }
  if (!skip.has('aws') && ports.aws) {
    const [queues, roles] = await allInOrder([findStackQueues(stack, ports.aws.sqs), findStackRoles(stack, ports.aws.iam)]);
    for (const url of queues.found) items.push({ group: 'aws', kind: 'SQS queue', name: queueNameOf(url) });
    for (const r of roles.found) items.push({ group: 'aws', kind: 'IAM role', name: r.name });
    // an OIDC provider the stack created is left of it too (say, after a teardown that could not delete it)
    const providers = await leftOidcProviders(stack, ports.aws.iam, new Set(roles.found.map((r) => r.name)));
    for (const arn of providers.found) items.push({ group: 'aws', kind: 'IAM OIDC provider', name: arn });
    unreadable.push(...queues.unreadable, ...roles.unreadable, ...providers.unreadable);
  }
  return { items, unreadable };
}

/** "ScaledJob video/video-processor", with Jobs and Pods counted rather than listed. */
export function summarize(items: InventoryItem[]): string[] {
  const out: string[] = [];
  const many = new Map<string, number>();
  for (const i of items) {
    if (i.kind === 'Job' || i.kind === 'Pod' || i.kind === 'ReplicaSet')
      many.set(`${i.kind}s in ${i.namespace}`, (many.get(`${i.kind}s in ${i.namespace}`) ?? 0) + 1);
    else out.push(objectLabel(i));
  }
  for (const [what, n] of many) out.push(`${n} ${what}`);
  return out;
}
