// simulate's results in words: a chart of queue depth against Jobs per run (the watch screen's chart
// cells, drawn as plain text), then the numbers, side by side when runs are compared.
import type { Decision, DecideInput } from '../core/simulate/decide.js';
import type { SimRun, SimulateReport } from '../core/simulate/run.js';
import type { SimSample } from '../core/simulate/sim.js';
import type { Sample } from '../core/watch/state.js';
import { chart, duration, type Cell } from './watch/chart.js';

const GLYPH: Record<Cell, string> = { q: '█', r: '●', b: '●', u: '·', ' ': ' ' };

/** Samples squeezed into `width` columns, keeping each column's peaks (a spike must not vanish). */
export function columns(samples: readonly SimSample[], width: number): Sample[] {
  if (samples.length <= width) return samples.map((s) => ({ at: s.t * 1000, queue: s.queue, running: s.jobs }));
  const out: Sample[] = [];
  for (let c = 0; c < width; c++) {
    const from = Math.floor((c * samples.length) / width);
    const to = Math.max(from + 1, Math.floor(((c + 1) * samples.length) / width));
    let queue = 0;
    let running = 0;
    for (let i = from; i < to; i++) {
      queue = Math.max(queue, samples[i]!.queue);
      running = Math.max(running, samples[i]!.jobs);
    }
    out.push({ at: samples[to - 1]!.t * 1000, queue, running });
  }
  return out;
}

export function chartText(samples: readonly SimSample[], width: number, height: number, unit = 'Jobs'): string[] {
  const labelW = 7;
  const shown = columns(samples, Math.max(10, width - 2 * labelW - 2));
  const c = chart(shown, shown.length, height);
  const lines = c.rows.map((row, y) => {
    const left = y === 0 ? String(c.maxQueue) : y === c.rows.length - 1 ? '0' : '';
    const right = y === 0 ? String(c.maxRunning) : y === c.rows.length - 1 ? '0' : '';
    return `${left.padStart(labelW - 1)} │${row.map((cell) => GLYPH[cell]).join('')}│ ${right}`;
  });
  const span = duration(samples.length ? samples[samples.length - 1]!.t : 0);
  lines.push(`${' '.repeat(labelW)}0${span.padStart(shown.length + 1)}`);
  return [`█ queue (visible + in flight, left scale)   ● ${unit} (right scale)`, ...lines];
}

/** duration() with the seconds kept past an hour: runs compared often differ by seconds */
export function exact(seconds: number): string {
  const s = Math.round(seconds);
  if (s < 3600) return duration(s);
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m${String(s % 60).padStart(2, '0')}s`;
}
const int = (n: number) => Math.round(n).toLocaleString('en-US');

/** a row's value, or undefined where the run's workload has no such figure (shown as —) */
type Row = [string, string | undefined];

function rows(r: SimRun): Row[] {
  const x = r.result;
  const job = x.workload === 'job';
  const d = x.deployment;
  return [
    ['time to drain', x.drained ? exact(x.timeToDrain!) : `not drained (gave up ${duration(r.world.giveUpAfter)} after the last message)`],
    ['peak Jobs', job ? int(x.peakJobs) : undefined],
    ['peak Pods', int(x.peakPods)],
    ['Jobs created', job ? `${int(x.jobsCreated)} (${x.jobsPerMessage.toFixed(2)} per message)` : undefined],
    ['Jobs that found nothing', job ? int(x.emptyJobs) : undefined],
    ['Jobs that died', job ? int(x.failedJobs) : undefined],
    ['consumer Pods created', d ? int(d.podsCreated) : undefined],
    ['empty long polls', d ? int(d.emptyReceives) : undefined],
    ['consumers that died', d ? int(d.consumersDied) : undefined],
    ['messages killed mid-work', int(x.killed)],
    ['given back unstarted', d ? int(d.givenBackUnstarted) : undefined],
    ['re-deliveries', int(x.redeliveries)],
    ['received more than once', int(x.receivedMoreThanOnce)],
    ['processed more than once', int(x.processedMoreThanOnce)],
    ['dead-lettered', r.stack.deadLetterQueue ? int(x.deadLettered) : undefined],
    ['job-seconds', job ? `${int(x.jobSeconds)} (${(x.jobSeconds / 3600).toFixed(1)} h)` : undefined],
    ['Pod-seconds', `${int(x.podSeconds)} (${(x.podSeconds / 3600).toFixed(1)} h)`],
    ['message latency p50 / p95', `${exact(x.latency.p50)} / ${exact(x.latency.p95)}`],
  ];
}

function stackLine(r: SimRun): string {
  const s = r.stack;
  const w = r.world;
  const scaler =
    s.workload === 'deployment'
      ? `ScaledObject: cooldown ${s.cooldownPeriod}s, scale-down stabilization ${s.scaleDownStabilization}s, at most ${s.scaleDownPercent}% per ${s.scaleDownPeriod}s, grace ${s.terminationGracePeriod}s, `
      : `strategy ${s.strategy}, `;
  return (
    `${scaler}maxReplicas ${s.maxReplicas}, queueLength ${s.queueLength}, activation ${s.activationQueueLength}, ` +
    `polling ${s.pollingInterval}s, processing ${s.processingTime}s, visibility ${s.visibilityTimeout}s` +
    `${s.deadLetterQueue ? `, dead-letter after ${s.maxReceiveCount}` : ''}\n` +
    `Pod start-up ${w.podStartup}s (Running after ${+Math.max(0, w.podStartup - w.consumerStartup).toFixed(2)}s), receive returns +${w.receiveLatency}s, delete +${w.deleteLatency}s${s.workload === 'job' ? `, Job finished +${w.jobFinishLatency}s` : ''}, ±${Math.round(w.jitter * 100)}% jitter, ` +
    `${+(w.failureRate * 100).toFixed(2)}% failures, counts lag ${w.countLag}s, first poll at ${w.pollOffset}s, ${w.nodeCpus > 0 ? `${w.nodeCpus} CPUs for consumers` : 'CPUs as needed'}, seed ${w.seed}`
  );
}

export function simulateText(rep: SimulateReport, width = 80): string {
  const out: string[] = [`load: ${rep.profile.describe}`];
  for (const n of rep.notes) out.push(`note: ${n}`);
  const single = rep.runs.length === 1;
  for (const r of rep.runs) {
    out.push('', single ? stackLine(r) : `${r.label}: ${stackLine(r)}`, '');
    out.push(...chartText(r.result.samples, width, single ? 10 : 6, r.result.workload === 'job' ? 'Jobs' : 'Pods'));
  }
  out.push('');
  // a row shows when some run has a value for it
  const all = rep.runs.map(rows);
  const shown = all[0]!.map((_, i) => i).filter((i) => all.some((t) => t[i]![1] !== undefined));
  const table = all.map((t) => shown.map((i): [string, string] => [t[i]![0], t[i]![1] ?? '—']));
  const names = table[0]!.map(([k]) => k);
  const headW = Math.max(...names.map((n) => n.length)) + 2;
  if (single) for (const [k, v] of table[0]!) out.push(`${k.padEnd(headW)}${v}`);
  else {
    const colW = rep.runs.map((r, i) => Math.max(r.label.length, ...table[i]!.map(([, v]) => v.length)) + 2);
    out.push(
      ' '.repeat(headW) +
        rep.runs
          .map((r, i) => r.label.padEnd(colW[i]!))
          .join('')
          .trimEnd(),
    );
    for (const [row, k] of names.entries())
      out.push((k.padEnd(headW) + table.map((t, i) => t[row]![1].padEnd(colW[i]!)).join('')).trimEnd());
  }
  return out.join('\n');
}

export function decisionText(i: DecideInput, d: Decision): string {
  const parts = [
    i.visible + ' visible',
    i.scaleOnInFlight ? `${i.inFlight} in flight` : '',
    i.scaleOnDelayed ? `${i.delayed} delayed` : '',
  ].filter(Boolean);
  return [
    `metric          ${d.metric} (${parts.join(' + ')})`,
    `active          ${d.active ? 'yes' : 'no'} (${d.metric} ${d.active ? '>' : '<='} activationQueueLength ${i.activationQueueLength}${i.minReplicaCount > 0 ? `, or minReplicaCount ${i.minReplicaCount}` : ''})`,
    `scaleTo         ${d.scaleTo}`,
    `maxScale        ${d.maxScale} (ceil(min(${d.metric} / ${i.queueLength}, ${i.maxReplicaCount})))`,
    `strategy        ${d.strategyUsed}${d.strategyUsed !== i.strategy ? ` (asked: ${i.strategy}; no parsable customScalingRunningJobPercentage)` : ''}`,
    `effective max   ${d.effectiveMaxScale} (running ${i.running}, pending ${i.pending}, maxReplicaCount ${i.maxReplicaCount})`,
    `Jobs to create  ${d.create}`,
  ].join('\n');
}
