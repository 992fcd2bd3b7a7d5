// The three parts of a stack a command can skip or leave unread. Its own module, so commands that
// only parse --skip (an offline plan) load none of the use cases and adapters.
import { UsageError } from './errors.js';

export const PARTS = ['aws', 'keda', 'kubernetes'] as const;
export type Part = (typeof PARTS)[number];

export function parseSkip(values: unknown): Set<Part> {
  const list = (Array.isArray(values) ? values : values === undefined ? [] : [values]).flatMap((v) => String(v).split(','));
  const bad = list.filter((v) => !PARTS.includes(v as Part));
  if (bad.length) throw new UsageError(`skip = ${bad.map((b) => JSON.stringify(b)).join(', ')}: must be one of ${PARTS.join(', ')}`, 'pass --skip aws, --skip keda or --skip kubernetes (repeatable)');
  return new Set(list as Part[]);
}
