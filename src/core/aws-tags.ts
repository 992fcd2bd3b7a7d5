// Ownership by tags: kedactl changes or deletes an AWS resource only when it carries this stack's tags.
import { LABEL_MANAGED_BY, LABEL_STACK, MANAGER } from './stack.js';
import type { Tags } from './aws-ports.js';

export function ownedBy(tags: Tags | undefined, stack: string): boolean {
  return tags?.[LABEL_MANAGED_BY] === MANAGER && tags?.[LABEL_STACK] === stack;
}

export function managedByKedactl(tags: Tags | undefined): boolean {
  return tags?.[LABEL_MANAGED_BY] === MANAGER;
}

export function conflictMessage(kind: string, name: string, stack: string, tags: Tags | undefined): string {
  const other = tags?.[LABEL_MANAGED_BY] === MANAGER && tags?.[LABEL_STACK] ? ` (it belongs to kedactl stack "${tags[LABEL_STACK]}")` : ' (it is not tagged by kedactl)';
  return `${kind} "${name}" already exists and is not part of stack "${stack}"${other}`;
}

export const CONFLICT_NEXT = (stack: string) =>
  `pick another --stack or --queue-name, or delete the resource; to adopt it on purpose, tag it ${LABEL_MANAGED_BY}=${MANAGER} and ${LABEL_STACK}=${stack}`;

/** Run fn over items with at most `limit` at once, keeping order. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}
