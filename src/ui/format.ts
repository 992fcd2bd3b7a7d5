// Machine-readable output: -o json | yaml. Text output is each command's own renderer.
import { stringify } from 'yaml';
import { UsageError } from '../core/errors.js';

export const OUTPUTS = ['text', 'json', 'yaml'] as const;
export type Output = (typeof OUTPUTS)[number];

export function parseOutput(v: string | undefined, allowed: readonly string[] = OUTPUTS): Output {
  const o = v ?? 'text';
  if (!allowed.includes(o)) throw new UsageError(`output = "${o}": must be one of ${allowed.join(', ')}`, `pass -o ${allowed.join('|')}`);
  return o as Output;
}

export function formatData(data: unknown, output: 'json' | 'yaml'): string {
  return output === 'json' ? JSON.stringify(data, null, 2) : stringify(data, { lineWidth: 0 });
}
