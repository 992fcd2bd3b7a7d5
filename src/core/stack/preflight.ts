// Before init touches anything: is everything it needs here? Every missing piece at once, each with
// how to provide it.
import type { Part } from './ports.js';

export interface Check {
  what: string;
  /** resolves to undefined when fine, or to what is wrong and how to fix it */
  run(): Promise<string | undefined>;
}

export async function preflight(checks: Check[]): Promise<Array<{ what: string; problem: string }>> {
  const out: Array<{ what: string; problem: string }> = [];
  for (const c of checks) {
    let problem: string | undefined;
    try {
      problem = await c.run();
    } catch (e) {
      const err = e as Error & { next?: string };
      problem = `${err.message}${err.next ? ` (${err.next})` : ''}`;
    }
    if (problem) out.push({ what: c.what, problem });
  }
  return out;
}

export function needs(skip: ReadonlySet<Part>): { aws: boolean; kube: boolean; helm: boolean } {
  return { aws: true, kube: !(skip.has('kubernetes') && skip.has('keda')), helm: !skip.has('keda') };
}
