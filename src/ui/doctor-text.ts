// kedactl doctor as text: grouped AWS / KEDA / Jobs or Consumers, most severe first; failures and warnings with
// their evidence and fix, skipped checks with why, passing checks one line each.
import type { DoctorReport, Finding } from '../core/doctor/index.js';
import { GROUPS } from '../core/doctor/finding.js';
import { paint } from './io.js';

export function doctorText(r: DoctorReport, color: boolean): string {
  const c = paint(color);
  const mark: Record<Finding['verdict'], string> = {
    fail: c.red('✗ fail'),
    warn: c.yellow('! warn'),
    skipped: c.dim('- skip'),
    ok: c.green('✓ ok  '),
  };
  const out: string[] = [
    c.bold(`kedactl doctor: ${r.scaler.kind} ${r.namespace}/${r.scaler.name}${r.stack ? ` (stack "${r.stack}")` : ''}`),
  ];
  for (const g of GROUPS) {
    const fs = r.findings.filter((f) => f.group === g);
    if (!fs.length) continue;
    out.push('', c.bold(g));
    for (const f of fs) {
      out.push(`  ${mark[f.verdict]} [${f.check}] ${f.summary}`);
      if (f.verdict !== 'fail' && f.verdict !== 'warn') continue;
      for (const e of f.evidence) out.push(c.dim(`           evidence: ${e}`));
      if (f.fix) out.push(...f.fix.split('\n').map((l, i) => `           ${i === 0 ? 'fix: ' : '     '}${l}`));
    }
  }
  const n = r.counts;
  out.push('', `${n.fail} failed, ${n.warn} warning${n.warn === 1 ? '' : 's'}, ${n.ok} ok, ${n.skipped} skipped`);
  return out.join('\n');
}
