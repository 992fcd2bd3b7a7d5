// Ownership by tags: kedactl changes or deletes an AWS resource only when it carries this stack's tags.
import { LABEL_MANAGED_BY, LABEL_STACK, MANAGER } from '../stack/names.js';
import type { Tags } from './ports.js';
import { ExternalError, type KedactlError } from '../errors.js';

export function ownedBy(tags: Tags | undefined, stack: string): boolean {
  return tags?.[LABEL_MANAGED_BY] === MANAGER && tags?.[LABEL_STACK] === stack;
}

export function managedByKedactl(tags: Tags | undefined): boolean {
  return tags?.[LABEL_MANAGED_BY] === MANAGER;
}

export function conflictMessage(kind: string, name: string, stack: string, tags: Tags | undefined): string {
  const other =
    tags?.[LABEL_MANAGED_BY] === MANAGER && tags?.[LABEL_STACK]
      ? ` (it belongs to kedactl stack "${tags[LABEL_STACK]}")`
      : ' (it is not tagged by kedactl)';
  return `${kind} "${name}" already exists and is not part of stack "${stack}"${other}`;
}

export const CONFLICT_NEXT = (stack: string) =>
  `pick another --stack or --queue-name, or delete the resource; to adopt it on purpose, tag it ${LABEL_MANAGED_BY}=${MANAGER} and ${LABEL_STACK}=${stack}`;

/**
 * Run fn over items with at most `limit` at once, keeping order. Every item is tried; when some fail,
 * the failure of the first such item (in the items' order) is thrown, so the error does not depend on
 * timing.
 */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  const failed = new Map<number, unknown>();
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      try {
        out[i] = await fn(items[i]!);
      } catch (e) {
        failed.set(i, e);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (failed.size > 0) throw failed.get(Math.min(...failed.keys()));
  return out;
}

/** A resource kedactl could not read or delete: what it is, and what AWS (or Kubernetes) said. */
export interface Unreadable {
  /** "SQS queue", "IAM role", ... */
  kind: string;
  name: string;
  error: KedactlError;
}

/** What a discovery by tags found, and what it could not tell about (never counted as "not ours"). */
export interface Discovered<T> {
  found: T[];
  unreadable: Unreadable[];
}

/**
 * Run one read or delete of a named resource; an external error (AWS said no, still throttled after the
 * SDK's retries) is kept as an Unreadable so the caller can finish what it safely can. Anything else
 * (bad credentials, bugs) propagates.
 */
export async function orUnreadable<R>(kind: string, name: string, into: Unreadable[], fn: () => Promise<R>): Promise<R | undefined> {
  try {
    return await fn();
  } catch (e) {
    // bad credentials or usage stop everything at once; only "AWS said no" about this resource is kept
    if (!(e instanceof ExternalError)) throw e;
    into.push({ kind, name, error: e });
    return undefined;
  }
}

/**
 * The one error for "some resources could not be read or deleted": each named with the call, what was
 * refused and what to grant; the rest of the work is done, and running `command` again finishes it.
 */
export class IncompleteError extends ExternalError {
  readonly unreadable: Unreadable[];
  constructor(command: string, found: Unreadable[], done: string) {
    // the same message whichever parallel read failed first
    const unreadable = [...found].sort((a, b) => `${a.kind} ${a.name}`.localeCompare(`${b.kind} ${b.name}`));
    const nexts = [
      ...new Set(unreadable.map((u) => u.error.next?.replace(/,? then run (it )?again$/, '')).filter((n): n is string => Boolean(n))),
    ];
    super(
      'AWS',
      command,
      `${unreadable.length} resource${unreadable.length === 1 ? '' : 's'} could not be read or deleted, so ${unreadable.length === 1 ? 'it was' : 'they were'} left as ${unreadable.length === 1 ? 'it is' : 'they are'}; ${done}:\n` +
        unreadable.map((u) => `  - ${u.kind} ${u.name}: ${u.error.message}`).join('\n'),
      `${nexts.length ? `${nexts.join('; ')}; then ` : ''}run "kedactl ${command}" again: it continues with what is left`,
    );
    this.unreadable = unreadable;
  }
}
