// kedactl status as text: one screen, a line per part, problems last with what to do.
import type { StackStatus } from '../core/stack/status.js';
import { paint } from './io.js';

export function statusText(s: StackStatus, color: boolean): string {
  const c = paint(color);
  const ok = (b: boolean | undefined) => (b ? c.green('✓') : c.red('✗'));
  const out: string[] = [c.bold(`Stack "${s.stack}": ${s.healthy ? c.green('healthy') : c.red('not healthy')}`), ''];
  if (s.queue) {
    const q = s.queue;
    out.push(
      `${ok(q.exists)} queue ${q.name}${q.exists ? `: ${q.visible ?? '?'} waiting, ${q.inFlight ?? '?'} in flight, ${q.delayed ?? '?'} delayed` : ': missing'}`,
    );
    if (q.deadLetter) out.push(`${ok(!q.deadLetter.visible)} dead-letter queue ${q.deadLetter.name}: ${q.deadLetter.visible ?? 'missing'}`);
  }
  for (const r of s.roles ?? []) out.push(`${ok(r.state === 'as planned')} IAM role ${r.name}: ${r.state}`);
  for (const x of s.strays ?? []) out.push(`${ok(false)} ${x}: tagged with the stack, not in its settings`);
  for (const u of s.unreadable ?? []) out.push(`${ok(false)} ${u.split(':')[0]}: could not be read`);
  if (s.keda)
    out.push(
      `${ok(s.keda.ready)} KEDA ${s.keda.installed ? `${s.keda.version ?? '(version unknown)'}${s.keda.ready ? ', operator ready' : `, ${s.keda.problem ?? 'not ready'}`}` : 'not installed'}`,
    );
  if (s.objects)
    out.push(
      `${ok(!s.objects.missing.length && !s.objects.drifted.length)} Kubernetes objects: ${s.objects.asPlanned} as planned${s.objects.drifted.length ? `, ${s.objects.drifted.length} drifted` : ''}${s.objects.missing.length ? `, ${s.objects.missing.length} missing` : ''}`,
    );
  if (s.credentials)
    out.push(
      `${ok(!s.credentials.expired)} AWS credentials in Secret ${s.credentials.secret}: ${
        s.credentials.temporary
          ? `temporary, ${s.credentials.expiresAt ? `${s.credentials.expired ? 'expired' : 'expire'} at ${s.credentials.expiresAt}` : 'expiry not known'}`
          : 'long-term keys'
      }`,
    );
  for (const [kind, sc] of [
    ['ScaledJob', s.scaledJob],
    ['ScaledObject', s.scaledObject],
  ] as const)
    if (sc)
      out.push(
        `${ok(sc.exists && sc.ready?.startsWith('True'))} ${kind} ${sc.name}: ${sc.exists ? `ready ${sc.ready ?? 'unknown'}, active ${sc.active ?? 'unknown'}` : sc.unreadable ? 'could not be read' : 'missing'}`,
      );
  if (s.jobs) out.push(`  Jobs: ${s.jobs.active} active, ${s.jobs.succeeded} succeeded, ${s.jobs.failed} failed`);
  if (s.deployment) {
    const d = s.deployment;
    out.push(
      `${ok(d.exists)} Deployment ${d.name}: ${d.exists ? `${d.desired} desired, ${d.current} existing, ${d.ready} ready` : d.unreadable ? 'could not be read' : 'missing'}`,
    );
  }
  if (s.hpa) {
    const h = s.hpa;
    const n = (v: number | undefined) => v ?? '?';
    out.push(
      `${ok(h.exists && !h.problem)} HPA ${h.name}: ${
        h.exists
          ? `${n(h.current)} current, ${n(h.desired)} desired (min ${n(h.min)}, max ${n(h.max)})`
          : h.unreadable
            ? 'could not be read'
            : 'missing'
      }`,
    );
    for (const c of h.conditions ?? []) out.push(`  ${c}`);
    if (h.lastWarning) out.push(`  last warning: ${h.lastWarning}`);
  }
  if (s.results)
    out.push(
      'processed' in s.results
        ? `${ok(true)} results: ${s.results.processed} processed, ${s.results.killed} killed`
        : `${ok(false)} results unavailable`,
    );
  if (s.problems.length) {
    out.push('', c.bold('What is wrong:'));
    for (const p of s.problems) out.push(c.yellow(`  - ${p}`));
  }
  return out.join('\n');
}
