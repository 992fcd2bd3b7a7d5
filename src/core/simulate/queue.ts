// The standard SQS queue both workloads' consumers read, on the virtual clock: each message's state and
// receive count, the visible ones in SQS's best-effort order, the consumers long-polling for them, and
// the per-message accounting of a run. The workloads' loops (sim.ts, deployment/sim.ts) keep what differs:
// who creates the consumers and what a consumer does between its receives.
import type { Settings } from '../stack/settings.js';
import { arrivalTimes, type LoadProfile } from './profile.js';
import type { SimResult } from './sim.js';

// message states
const NOT_ARRIVED = 0;
const VISIBLE = 1;
const IN_FLIGHT = 2;
const DELETED = 3;
const DEAD = 4;

export class SimQueue {
  readonly total: number;
  readonly arrivals: Float64Array;
  readonly lastArrival: number;
  private readonly state: Uint8Array;
  /** receives of each message so far: the receipt of its latest receive */
  readonly receives: Uint16Array;
  private readonly processedTimes: Uint16Array;
  private readonly doneAt: Float64Array;
  private nextArrival = 0;
  // visible messages: new ones in arrival order, ones that came back in front (SQS: best effort, oldest first)
  private readonly fresh: number[] = [];
  private freshHead = 0;
  private readonly back: number[] = [];
  // long-polling consumers, first come first served
  private readonly waiters: number[] = [];
  private wHead = 0;
  /** messages in state VISIBLE (the lines may also hold ones deleted while visible) */
  visible = 0;
  inFlight = 0;
  /** deleted or dead-lettered */
  final = 0;
  deadLettered = 0;
  lastFinalAt = 0;

  constructor(
    profile: LoadProfile,
    private readonly stack: Pick<Settings, 'deadLetterQueue' | 'maxReceiveCount'>,
  ) {
    this.total = profile.total;
    this.arrivals = arrivalTimes(profile);
    this.lastArrival = this.arrivals[this.total - 1] ?? 0;
    this.state = new Uint8Array(this.total).fill(NOT_ARRIVED);
    this.receives = new Uint16Array(this.total);
    this.processedTimes = new Uint16Array(this.total);
    this.doneAt = new Float64Array(this.total);
  }

  /** the next message that arrives at or before t (the next event's time), or -1: arrivals at an event's instant come first */
  arrivingBy(t: number): number {
    return this.nextArrival < this.total && this.arrivals[this.nextArrival]! <= t ? this.nextArrival++ : -1;
  }

  /**
   * message m is visible (it arrived, or came back when `again`): the first consumer still long-polling
   * (`waiting`) takes it at once, returned for the caller to hand it over; else it joins the line (-1)
   */
  becomeVisible(m: number, again: boolean, waiting: (consumer: number) => boolean): number {
    this.state[m] = VISIBLE;
    this.visible++;
    while (this.wHead < this.waiters.length) {
      const c = this.waiters[this.wHead++]!;
      if (waiting(c)) return c;
    }
    if (again) this.back.push(m);
    else this.fresh.push(m);
    return -1;
  }

  /** the oldest visible message for a consumer's receive, or -1 when there is none */
  popVisible(): number {
    while (this.back.length > 0) {
      const m = this.back.pop()!;
      if (this.state[m] === VISIBLE) return m;
    }
    while (this.freshHead < this.fresh.length) {
      const m = this.fresh[this.freshHead++]!;
      if (this.state[m] === VISIBLE) return m;
    }
    return -1;
  }

  /** consumer c's receive found nothing: it long-polls in the line */
  wait(c: number) {
    this.waiters.push(c);
  }

  /** SQS hands visible message m to a consumer: it is in flight; returns the receipt */
  receive(m: number): number {
    this.visible--;
    this.state[m] = IN_FLIGHT;
    this.inFlight++;
    return ++this.receives[m]!;
  }

  /** a consumer's delete of m with `receipt` lands at t: one with an old receipt (received since) deletes nothing */
  delete(m: number, receipt: number, t: number) {
    this.processedTimes[m]!++;
    const s = this.state[m];
    if (this.receives[m] !== receipt || (s !== IN_FLIGHT && s !== VISIBLE)) return;
    if (s === IN_FLIGHT) this.inFlight--;
    else this.visible--;
    this.makeFinal(m, DELETED, t);
    this.doneAt[m] = t;
  }

  /** `receipt`'s hold on m ends (given back): true when m was still in flight under it, so it is visible again */
  release(m: number, receipt: number): boolean {
    if (this.state[m] !== IN_FLIGHT || this.receives[m] !== receipt) return false; // it came back by itself already
    this.inFlight--;
    return true;
  }

  /** the visibility timeout of `receipt` on m is over at t: true when m is visible again (not dead-lettered) */
  expire(m: number, receipt: number, t: number): boolean {
    if (!this.release(m, receipt)) return false;
    if (this.stack.deadLetterQueue && this.receives[m]! >= this.stack.maxReceiveCount) {
      this.makeFinal(m, DEAD, t);
      this.deadLettered++;
      return false;
    }
    return true;
  }

  private makeFinal(m: number, how: number, t: number) {
    this.state[m] = how;
    this.final++;
    this.lastFinalAt = t;
  }

  /** The run's result: the queue's figures, and the workload's own in the order SimResult lists them. */
  result(workload: SimResult['workload'], own: WorkloadFigures): SimResult {
    const total = this.total;
    let receivedMoreThanOnce = 0;
    let processedMoreThanOnce = 0;
    let redeliveries = 0;
    const lat: number[] = [];
    for (let m = 0; m < total; m++) {
      if (this.receives[m]! > 1) {
        receivedMoreThanOnce++;
        redeliveries += this.receives[m]! - 1;
      }
      if (this.processedTimes[m]! > 1) processedMoreThanOnce++;
      if (this.state[m] === DELETED) lat.push(this.doneAt[m]! - this.arrivals[m]!);
    }
    lat.sort((x, y) => x - y);
    const pct = (q: number) => (lat.length ? lat[Math.min(lat.length - 1, Math.floor(q * lat.length))]! : 0);
    const drained = this.final === total;
    return {
      workload,
      messages: total,
      drained,
      ...(drained ? { timeToDrain: this.lastFinalAt } : {}),
      lastArrival: this.lastArrival,
      peakJobs: own.peakJobs,
      jobsCreated: own.jobsCreated,
      jobsPerMessage: total ? own.jobsCreated / total : 0,
      emptyJobs: own.emptyJobs,
      failedJobs: own.failedJobs,
      receivedMoreThanOnce,
      processedMoreThanOnce,
      deadLettered: this.deadLettered,
      jobSeconds: own.jobSeconds,
      killed: own.killed,
      redeliveries,
      podSeconds: own.podSeconds,
      peakPods: own.peakPods,
      ...(own.deployment ? { deployment: own.deployment } : {}),
      latency: { p50: pct(0.5), p95: pct(0.95), max: lat.length ? lat[lat.length - 1]! : 0 },
      polls: own.polls,
      samples: own.samples,
    };
  }
}

/** what a workload's loop counts itself */
export type WorkloadFigures = Pick<
  SimResult,
  | 'peakJobs'
  | 'jobsCreated'
  | 'emptyJobs'
  | 'failedJobs'
  | 'jobSeconds'
  | 'killed'
  | 'podSeconds'
  | 'peakPods'
  | 'deployment'
  | 'polls'
  | 'samples'
>;
