// One check's verdict: what it found, the evidence it read, and the fix.
export const VERDICTS = ['fail', 'warn', 'skipped', 'ok'] as const;
export type Verdict = (typeof VERDICTS)[number];
/** Jobs: a ScaledJob's; Consumers: a ScaledObject's Deployment */
export const GROUPS = ['AWS', 'KEDA', 'Jobs', 'Consumers'] as const;
export type Group = (typeof GROUPS)[number];

export interface Finding {
  /** the check's number (1-15 and 20-: every stack; 16-19: a ScaledObject's) */
  check: number;
  /** stable id, e.g. "trust-policy" */
  id: string;
  group: Group;
  verdict: Verdict;
  /** one line: what is wrong (or right), or for skipped, why it could not be judged */
  summary: string;
  /** what was read that says so */
  evidence: string[];
  /** a command, a kedactl flag, or the JSON/YAML change */
  fix?: string;
}

export const ok = (check: number, id: string, group: Group, summary: string, evidence: string[] = []): Finding => ({
  check,
  id,
  group,
  verdict: 'ok',
  summary,
  evidence,
});
export const skipped = (check: number, id: string, group: Group, why: string): Finding => ({
  check,
  id,
  group,
  verdict: 'skipped',
  summary: why,
  evidence: [],
});

/** fail, then warn, then skipped, then ok; by check number within a verdict */
export function bySeverity(a: Finding, b: Finding): number {
  return (
    GROUPS.indexOf(a.group) - GROUPS.indexOf(b.group) || VERDICTS.indexOf(a.verdict) - VERDICTS.indexOf(b.verdict) || a.check - b.check
  );
}

export const json = (v: unknown) => JSON.stringify(v, null, 2);
