// produce's result in words: one summary line, then what was not sent (a few lines, not thousands).
import type { ProduceResult } from '../core/produce/produce.js';
import type { InClusterProgress, InClusterResult } from '../core/producer/run.js';

export function produceSummary(r: ProduceResult): string {
  const head = `${r.stopped ? 'stopped: ' : ''}sent ${r.sent} of ${r.requested} messages to ${r.queue} in ${r.seconds.toFixed(1)}s (${r.messagesPerSecond} msg/s)`;
  const lines = [head];
  if (r.schedule)
    lines.push(`following ${r.schedule.profile}; the latest batch went out ${r.schedule.maxLateSeconds.toFixed(1)}s after it was due`);
  if (r.failed.length > 0) {
    lines.push(`${r.failed.length} not sent:`);
    for (const f of r.failed.slice(0, 10)) lines.push(`  message ${f.message}: ${f.code}: ${f.reason}`);
    if (r.failed.length > 10) lines.push(`  … and ${r.failed.length - 10} more (-o json lists all)`);
  }
  if (r.notAttempted > 0) lines.push(`${r.notAttempted} not attempted${r.stopped ? ' (stopped)' : ''}`);
  return lines.join('\n');
}

/** A single self-overwriting stderr line, for terminals only. */
export function progressLine(sent: number, failed: number, total: number, seconds: number): string {
  const pct = Math.floor((sent / total) * 100);
  const width = 24;
  const filled = Math.round((sent / total) * width);
  const rate = seconds > 0 ? Math.round(sent / seconds) : 0;
  return `\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${sent}/${total} (${pct}%) ${rate} msg/s${failed ? `, ${failed} failed` : ''}\u001b[K`;
}

/** With --load: sent against the profile's target so far, the rate, and the time left. */
export function scheduleLine(sent: number, failed: number, target: number, total: number, seconds: number, profileSeconds: number): string {
  const rate = seconds > 0 ? Math.round(sent / seconds) : 0;
  const left = Math.max(profileSeconds - seconds, rate > 0 ? (total - sent) / rate : 0);
  const eta = sent >= total ? 'done' : `ETA ${clock(left)}`;
  return `\rsent ${sent} / target ${target} of ${total}, ${rate} msg/s, ${eta}${failed ? `, ${failed} failed` : ''}\u001b[K`;
}

function clock(s: number): string {
  const t = Math.ceil(s);
  const h = Math.floor(t / 3600);
  const m = Math.floor((t % 3600) / 60);
  const sec = t % 60;
  return h > 0 ? `${h}h${String(m).padStart(2, '0')}m` : m > 0 ? `${m}m${String(sec).padStart(2, '0')}s` : `${sec}s`;
}

/** produce --in-cluster: the live line (Pods running / done / failed), for terminals only. */
export function inClusterLine(p: InClusterProgress, seconds: number): string {
  const rate = seconds > 0 ? Math.round(p.sent / seconds) : 0;
  const eta = rate > 0 ? ` ETA ${Math.ceil((p.target - p.sent - p.failed) / rate)}s` : '';
  return `\rsent ${p.sent}/${p.target} ${rate} msg/s${eta}${p.failed ? `, ${p.failed} failed` : ''} | Pods ${p.running} running, ${p.done} done, ${p.failedPods} failed${p.round > 1 ? ` (round ${p.round})` : ''}\u001b[K`;
}

/** produce --in-cluster's result: the same summary as local produce, then the Pods' part. */
export function inClusterSummary(r: InClusterResult): string {
  const ic = r.inCluster;
  const pods = ic.pods;
  const lines = [
    produceSummary(r),
    `from ${pods.length} producer Pod${pods.length === 1 ? '' : 's'} (parallelism ${ic.parallelism}, ${ic.rounds} round${ic.rounds === 1 ? '' : 's'}${ic.resumed ? ', finishing an unfinished run' : ''}): ${pods.filter((p) => p.phase === 'succeeded').length} done, ${pods.filter((p) => p.phase === 'failed').length} failed`,
  ];
  for (const u of ic.unsent.slice(0, 10)) lines.push(`  messages ${u.first}-${u.last} not sent by Pod ${u.pod}: ${u.why}`);
  return lines.join('\n');
}
