// Typed errors: commands throw these; only bin/ turns them into an exit code.

/** One broken setting: which one, what value, which rule. */
export interface SettingProblem {
  setting: string;
  value?: unknown;
  rule: string;
  /** where the value came from, e.g. "kedactl.yaml:7" or "--queue-name" */
  source?: string;
}

export abstract class KedactlError extends Error {
  abstract readonly exitCode: number;
  /** what the user should do next, one line */
  readonly next?: string;
  constructor(message: string, next?: string) {
    super(message);
    this.name = new.target.name;
    this.next = next;
  }
}

/** The user asked for something invalid. Exit 2. Nothing was changed. */
export class UsageError extends KedactlError {
  readonly exitCode = 2;
}

/** Settings failed validation: every problem at once. Exit 2. */
export class SettingsError extends UsageError {
  readonly problems: SettingProblem[];
  constructor(problems: SettingProblem[]) {
    super(
      `invalid settings (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n` +
        problems.map((p) => `  - ${formatProblem(p)}`).join('\n'),
      'fix the settings above and run the command again; nothing was changed',
    );
    this.problems = problems;
  }
}

export function formatProblem(p: SettingProblem): string {
  const value = p.value === undefined ? '' : ` = ${JSON.stringify(p.value)}`;
  const source = p.source ? ` (from ${p.source})` : '';
  return `${p.setting}${value}${source}: ${p.rule}`;
}

/** AWS, Kubernetes or helm said no. Exit 1. */
export class ExternalError extends KedactlError {
  readonly exitCode = 1;
  readonly service: string;
  readonly operation: string;
  constructor(service: string, operation: string, message: string, next?: string, options?: { cause?: unknown }) {
    super(`${service} ${operation}: ${message}`, next);
    this.service = service;
    this.operation = operation;
    if (options?.cause !== undefined) this.cause = options.cause;
  }
}

/** Something is not in the state the command needs (not healthy, not found). Exit 1. */
export class StateError extends KedactlError {
  readonly exitCode = 1;
}

/** The user declined a confirmation or pressed Ctrl-C. Exit 1, quietly. */
export class CancelledError extends KedactlError {
  readonly exitCode = 1;
  constructor(message = 'cancelled; nothing more was changed') {
    super(message);
  }
}

export function isKedactlError(e: unknown): e is KedactlError {
  return e instanceof KedactlError;
}
