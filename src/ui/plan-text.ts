// The plan as text: grouped by AWS / KEDA / Kubernetes, what each step does, and the permissions granted.
import type { Plan, Action } from '../core/stack/plan.js';
import { paint } from './io.js';

const GROUP_TITLE = { aws: 'AWS', keda: 'KEDA', kubernetes: 'Kubernetes' } as const;
const SYMBOL: Record<Action, string> = { create: '+', update: '~', unchanged: '=', delete: '-', adopt: '>' };

export function planText(p: Plan, color: boolean): string {
  const c = paint(color);
  const tint: Record<Action, (s: string) => string> = { create: c.green, update: c.yellow, unchanged: c.dim, delete: c.red, adopt: c.cyan };
  const out: string[] = [c.bold(`Plan for stack "${p.stack}"`)];
  for (const group of ['aws', 'keda', 'kubernetes'] as const) {
    const rows = p.changes.filter((ch) => ch.group === group);
    if (rows.length === 0) continue;
    out.push('', c.bold(GROUP_TITLE[group]));
    for (const ch of rows) {
      const where = ch.namespace ? `${ch.namespace}/` : '';
      out.push(tint[ch.action](`  ${SYMBOL[ch.action]} ${ch.action.padEnd(9)} ${ch.kind} ${where}${ch.name}`));
      for (const d of ch.details) out.push(c.dim(`      ${d}`));
    }
  }
  if (p.grants.length > 0) {
    out.push('', c.bold('IAM permissions granted') + (p.widensPermissions ? c.yellow(' (this plan widens permissions)') : ''));
    for (const g of p.grants) {
      out.push(`  ${g.principal}`);
      out.push(`      may ${g.actions.join(', ')} on ${g.resource}${g.condition ? ` when ${g.condition}` : ''}`);
    }
  }
  if (p.credentials?.temporary) {
    const when = p.credentials.expiresAt
      ? `expire at ${p.credentials.expiresAt} (${untilText(p.credentials.expiresAt)})`
      : 'expiry not known (AWS_CREDENTIAL_EXPIRATION is not set)';
    out.push('', c.yellow(`The stack's Secret gets temporary AWS credentials (a session token); they ${when}.`));
    out.push(
      c.dim(
        '  After that KEDA and the Jobs can no longer read the queue: refresh them and run kedactl init again, which rewrites the Secret.',
      ),
    );
  }
  for (const w of p.warnings) out.push('', c.yellow(`warning: ${w}`));
  for (const b of p.blockers) out.push('', c.red(`blocked: ${b}`));
  if (p.unresolved.length > 0) {
    out.push('', c.yellow('Not known yet (shown as placeholders):'));
    for (const u of p.unresolved) out.push(`  ${u.setting}: ${u.how}`);
  }
  const deletes = p.changes.filter((ch) => ch.action === 'delete').length;
  const counts = (['create', 'update', 'unchanged'] as const).map(
    (a) => `${p.changes.filter((ch) => ch.action === a).length} to ${a === 'unchanged' ? 'leave' : a}`,
  );
  // only a stack that switched workload kinds deletes anything: the count appears only then
  if (deletes > 0) counts.splice(2, 0, `${deletes} to delete`);
  out.push('', counts.join(', '));
  return out.join('\n');
}

/** "in 2 h 5 min" / "already expired" */
export function untilText(iso: string, now = Date.now()): string {
  const ms = new Date(iso).getTime() - now;
  if (ms <= 0) return 'already expired';
  const min = Math.round(ms / 60_000);
  return min < 60 ? `in ${min} min` : `in ${Math.floor(min / 60)} h ${min % 60} min`;
}
