// The adapters a run needs, one per outside system, and the parts of a stack a run may leave out. The
// core declares them (aws-ports.ts, kube-ports.ts, helm-ports.ts); src/adapters/connect.ts builds them.
import type { AwsPorts } from '../aws/ports.js';
import type { Helm } from '../keda/helm-ports.js';
import type { Kube } from '../kube/ports.js';
import { UsageError } from '../errors.js';

export const PARTS = ['aws', 'keda', 'kubernetes'] as const;
export type Part = (typeof PARTS)[number];

/** The adapters a run needs; a part that is skipped needs none. Built once, passed in. */
export interface Ports {
  aws?: AwsPorts;
  kube?: Kube;
  helm?: Helm;
}

export function parseSkip(values: unknown): Set<Part> {
  const list = (Array.isArray(values) ? values : values === undefined ? [] : [values]).flatMap((v) => String(v).split(','));
  const bad = list.filter((v) => !PARTS.includes(v as Part));
  if (bad.length)
    throw new UsageError(
      `skip = ${bad.map((b) => JSON.stringify(b)).join(', ')}: must be one of ${PARTS.join(', ')}`,
      'pass --skip aws, --skip keda or --skip kubernetes (repeatable)',
    );
  return new Set(list as Part[]);
}
