// The arithmetic of an in-cluster run, without I/O: who sends which messages (shares), what a Pod's log says
// it did (templates/producer/produce.sh writes it), and what is left to send after a round.

/** Messages first..end-1 (0-based), sent by one Pod in order. */
export interface Share {
  first: number;
  end: number;
}

/** `count` messages in `parallelism` contiguous shares that differ by at most one message; no empty share. */
export function shares(count: number, parallelism: number): Share[] {
  const p = Math.max(1, Math.min(parallelism, count));
  const base = Math.floor(count / p);
  const extra = count % p;
  const out: Share[] = [];
  let first = 0;
  for (let i = 0; i < p; i++) {
    const n = base + (i < extra ? 1 : 0);
    out.push({ first, end: first + n });
    first += n;
  }
  return out;
}

/** RANGES, as the Job passes the shares to its Pods: "0-250 250-500 ..." (Pod i takes the i-th) */
export const formatRanges = (s: Share[]): string => s.map((r) => `${r.first}-${r.end}`).join(' ');

export function parseRanges(text: string): Share[] {
  return text
    .trim()
    .split(/\s+/)
    .filter(Boolean)
    .map((r) => {
      const [first, end] = r.split('-').map(Number);
      return { first: first!, end: end! };
    });
}

/** What one Pod's log says. `done` = messages accounted for (sent or refused for good) from the share's first. */
export interface PodProgress {
  done: number;
  sent: number;
  failed: Array<{ message: number; code: string; reason: string }>;
  /** finished: the whole share accounted for; stopped: asked to stop; fatal: no retry can fix it */
  end?: 'finished' | 'stopped' | 'fatal';
  fatal?: { code: string; reason: string };
}

export function readPodLog(log: string): PodProgress {
  const p: PodProgress = { done: 0, sent: 0, failed: [] };
  for (const line of log.split('\n')) {
    const [word, ...rest] = line.trim().split(' ');
    if (word === 'progress' || word === 'stopped') {
      const [done, sent] = rest.map(Number);
      if (Number.isInteger(done) && Number.isInteger(sent)) {
        p.done = done!;
        p.sent = sent!;
      }
      if (word === 'stopped') p.end = 'stopped';
    } else if (word === 'failed' && /^\d+$/.test(rest[0] ?? '')) {
      p.failed.push({ message: Number(rest[0]), code: rest[1] ?? '', reason: rest.slice(2).join(' ') });
    } else if (word === 'finished') {
      const [sent] = rest.map(Number);
      if (Number.isInteger(sent)) p.sent = sent!;
      p.end = 'finished';
    } else if (word === 'fatal') {
      p.end = 'fatal';
      p.fatal = { code: rest[0] ?? '', reason: rest.slice(1).join(' ') };
    }
  }
  return p;
}

/**
 * The part of a share a Pod left unsent: everything after its last "progress" line. A Pod killed between a
 * batch SQS accepted and the line that says so leaves that batch (at most 10 messages) to be sent again:
 * the only duplicates a retry makes, within what SQS's at-least-once delivery allows anyway.
 */
export function unsent(share: Share, progress: PodProgress | undefined): Share | undefined {
  if (progress?.end === 'finished') return undefined;
  const first = share.first + (progress?.done ?? 0);
  return first < share.end ? { first, end: share.end } : undefined;
}
