// The whole loop on a virtual clock: messages arrive from a load profile into a standard SQS queue;
// every pollingInterval KEDA reads the queue's approximate counts and decides (decide.ts) how many
// Jobs to create; each Job's Pod starts after a latency, long-polls once (up to 20 s), processes one
// message, deletes it and exits, or exits with nothing when no message came. Messages whose Job dies,
// or whose processing outlasts the visibility timeout, become visible again (or go to the dead-letter
// queue after maxReceiveCount receives). Pure and seeded: the same inputs give the same run.
import type { Settings } from '../stack/settings.js';
import { decide } from './decide.js';
import { Events } from './events.js';
import type { LoadProfile } from './profile.js';
import { processing, startup } from './consumer.js';
import { SimQueue } from './queue.js';

/** What the stack would deploy: the settings that shape the ScaledJob and the queue. */
export type SimStack = Pick<
  Settings,
  | 'pollingInterval'
  | 'maxReplicas'
  | 'queueLength'
  | 'activationQueueLength'
  | 'strategy'
  | 'processingTime'
  | 'visibilityTimeout'
  | 'deadLetterQueue'
  | 'maxReceiveCount'
>;

/** What the world does: none of it is in the ScaledJob. */
export interface SimWorld {
  /** seconds from Job creation until its consumer's ReceiveMessage lands (mean) */
  podStartup: number;
  /**
   * of those, seconds the consumer itself takes to start (its aws CLI) after the Pod is Running: KEDA
   * counts the Job pending only until the Pod is Running, podStartup - consumerStartup after creation
   */
  consumerStartup: number;
  /** start-up and processing times vary uniformly by ± this fraction */
  jitter: number;
  /** chance a Job dies while processing its message (0..1): the message comes back after the visibility timeout */
  failureRate: number;
  /** seconds the queue's approximate counts trail the truth */
  countLag: number;
  /** seconds a long-polling consumer's receive call takes to return once SQS has handed it a message */
  receiveLatency: number;
  /** seconds from the end of processing until the consumer's delete lands (the message stays in flight meanwhile) */
  deleteLatency: number;
  /** seconds from the consumer's delete (or its empty long poll) until the Job counts as finished */
  jobFinishLatency: number;
  /** seconds after the load starts of KEDA's first poll (KEDA polls on its own clock) */
  pollOffset: number;
  /**
   * CPUs the consumers share (0: as many as they need). The consumer's start-up and its delete are CPU
   * work (consumerStartup and deleteLatency seconds of it, each); n of them at once on fewer CPUs each
   * get cpus / n of a CPU, so a burst of Jobs starts slower than one Job alone. Waiting and processing
   * (the consumer's sleep) take no CPU.
   */
  nodeCpus: number;
  /** the consumer's ReceiveMessage WaitTimeSeconds (the consumer script's 20) */
  waitTimeSeconds: number;
  seed: number;
  /** stop this long after the last arrival if the queue has not drained */
  giveUpAfter: number;
}

export const DEFAULT_WORLD: SimWorld = {
  podStartup: 5,
  consumerStartup: 0,
  jitter: 0.2,
  failureRate: 0,
  countLag: 1,
  receiveLatency: 0,
  deleteLatency: 0,
  jobFinishLatency: 1,
  pollOffset: 0,
  nodeCpus: 0,
  waitTimeSeconds: 20,
  seed: 1,
  giveUpAfter: 24 * 3600,
};

export interface DeploymentFigures {
  podsCreated: number;
  /** long polls that ended with nothing */
  emptyReceives: number;
  /** consumers that died while processing (failureRate); their container restarts */
  consumersDied: number;
  /** messages a stopping consumer's last long poll received and gave back unstarted */
  givenBackUnstarted: number;
  /** seconds: when KEDA last scaled the Deployment to zero */
  scaledToZeroAt?: number;
}

export interface SimSample {
  /** seconds */
  t: number;
  /** visible + in flight (the truth, not the approximation KEDA read) */
  queue: number;
  /** Jobs not yet finished */
  jobs: number;
}

export interface SimResult {
  /** the path simulated (src/core/simulate/workload.ts) */
  workload: 'job' | 'deployment';
  messages: number;
  /** every message deleted or dead-lettered before giving up */
  drained: boolean;
  /** seconds from the start until the last message was deleted (or dead-lettered) */
  timeToDrain?: number;
  lastArrival: number;
  peakJobs: number;
  jobsCreated: number;
  jobsPerMessage: number;
  /** Jobs whose consumer long-polled and got nothing */
  emptyJobs: number;
  /** Jobs that died while processing (failureRate) */
  failedJobs: number;
  /** messages received more than once (a failure, or processing past the visibility timeout) */
  receivedMoreThanOnce: number;
  /** messages processed to the end more than once (their work was done twice) */
  processedMoreThanOnce: number;
  deadLettered: number;
  /** seconds from Job creation to the consumer's exit, summed over Jobs */
  jobSeconds: number;
  /** messages whose consumer was stopped while processing them (they go back to the queue): always 0 for Jobs */
  killed: number;
  /** receives of a message after its first, summed over messages */
  redeliveries: number;
  /** seconds from each Pod's creation to its end, summed (Jobs: jobSeconds) */
  podSeconds: number;
  /** most Pods at once, terminating ones included (Jobs: peakJobs) */
  peakPods: number;
  /** the deployment path's own figures */
  deployment?: DeploymentFigures;
  /** seconds from arrival to deletion */
  latency: { p50: number; p95: number; max: number };
  polls: number;
  samples: SimSample[];
}

// event kinds
const SNAPSHOT = 0;
const POLL = 1;
const POD_READY = 2;
const POD_RUNNING = 8;
const SLEPT = 9; // the consumer's processing (its sleep) is over: its delete starts
const CPU_DONE = 10; // the consumers' CPU work: the earliest piece may be done
const RECEIVE_TIMEOUT = 3;
const PROCESSED = 4;
const DIED = 5;
const VISIBLE_AGAIN = 6;
const JOB_FINISHED = 7;

/** Job states */
const J_PENDING = 0; // Pod not running yet
const J_WAITING = 1; // long-polling
const J_PROCESSING = 2;
const J_EXITED_OK = 3; // Pod Succeeded, Job not yet Complete
const J_EXITED_FAILED = 4; // Pod Failed, Job not yet Failed (KEDA counts it pending)
const J_FINISHED = 5;

export function simulate(stack: SimStack, profile: LoadProfile, world: SimWorld = DEFAULT_WORLD): SimResult {
  const queue = new SimQueue(profile, stack);
  const giveUpAt = queue.lastArrival + world.giveUpAfter;

  // Jobs
  let jobState = new Uint8Array(1024);
  let jobMsg = new Int32Array(1024);
  let jobReceipt = new Uint16Array(1024);
  let jobCreated = new Float64Array(1024);
  let jobs = 0;
  let unfinished = 0;
  let pending = 0; // as KEDA counts: Pod not Running/Succeeded
  let peakJobs = 0;
  let emptyJobs = 0;
  let failedJobs = 0;
  let jobSeconds = 0;

  const events = new Events();
  const e = { t: 0, kind: 0, a: 0, b: 0 };
  let snapVisible = 0;
  let snapInFlight = 0;
  let snapAt = -Infinity;
  let polls = 0;
  const samples: SimSample[] = [];
  const P = stack.pollingInterval;

  const growJobs = () => {
    const n = jobState.length * 2;
    const grow = <T extends Uint8Array | Int32Array | Uint16Array | Float64Array>(a: T, make: (n: number) => T): T => {
      const b = make(n);
      b.set(a as never);
      return b;
    };
    jobState = grow(jobState, (x) => new Uint8Array(x));
    jobMsg = grow(jobMsg, (x) => new Int32Array(x));
    jobReceipt = grow(jobReceipt, (x) => new Uint16Array(x));
    jobCreated = grow(jobCreated, (x) => new Float64Array(x));
  };

  // --- the consumers' CPU work on a node of world.nodeCpus CPUs: processor sharing ----------------------
  // Each piece of work finishes when the service clock (which runs at min(1, cpus / n) while n pieces are
  // under way) has advanced by its amount. Pieces: a consumer's start-up (then it receives) and its delete.
  const cpus = world.nodeCpus;
  const cpuJob: number[] = [];
  const cpuKind: number[] = []; // POD_READY or PROCESSED: what happens when the piece is done
  const cpuEnd: number[] = []; // service-clock value at which it is done
  let service = 0;
  let serviceAt = 0;
  let cpuVersion = 0;
  const cpuRate = () => (cpuJob.length > cpus ? cpus / cpuJob.length : 1);
  const advance = (t: number) => {
    service += (t - serviceAt) * cpuRate();
    serviceAt = t;
  };
  const scheduleCpu = (t: number) => {
    cpuVersion++;
    if (cpuJob.length === 0) return;
    let next = Infinity;
    for (const x of cpuEnd) if (x < next) next = x;
    events.push(t + Math.max(0, next - service) / cpuRate(), CPU_DONE, cpuVersion);
  };
  const startCpu = (t: number, j: number, kind: number, amount: number) => {
    advance(t);
    cpuJob.push(j);
    cpuKind.push(kind);
    cpuEnd.push(service + amount);
    scheduleCpu(t);
  };

  /** job j receives message m at time t: processing starts */
  const give = (j: number, m: number, t: number, returning = 0) => {
    const receipt = queue.receive(m);
    jobState[j] = J_PROCESSING;
    jobMsg[j] = m;
    jobReceipt[j] = receipt;
    // a long-polling consumer starts processing when its receive call has returned (returning), the message
    // is in flight from the moment SQS hands it over (t)
    const { sleep, work, diesAfter } = processing(stack, world, m, receipt, returning);
    if (diesAfter !== undefined) events.push(t + diesAfter, DIED, j);
    else if (cpus > 0) events.push(t + (returning + sleep), SLEPT, j);
    else events.push(t + work, PROCESSED, j);
    if (diesAfter !== undefined || work >= stack.visibilityTimeout || cpus > 0)
      events.push(t + stack.visibilityTimeout, VISIBLE_AGAIN, m, receipt);
  };
  const waiting = (j: number) => jobState[j] === J_WAITING;
  /** a message becomes visible at t: a long-polling consumer takes it at once */
  const becomeVisible = (m: number, t: number, again = false) => {
    const j = queue.becomeVisible(m, again, waiting);
    if (j >= 0) give(j, m, t, world.receiveLatency);
  };
  const exit = (j: number, t: number, ok: boolean) => {
    jobState[j] = ok ? J_EXITED_OK : J_EXITED_FAILED;
    if (!ok) pending++; // a Failed Pod: KEDA counts its Job pending until the Job is marked Failed
    jobSeconds += t - jobCreated[j]!;
    events.push(t + world.jobFinishLatency, JOB_FINISHED, j);
  };

  let over = false;
  const firstPoll = world.pollOffset;
  events.push(Math.max(0, firstPoll - world.countLag), SNAPSHOT);
  events.push(firstPoll, POLL);

  for (;;) {
    const te = events.topTime();
    // arrivals at the same instant as an event come first (they were sent before KEDA looked)
    const m = queue.arrivingBy(te);
    if (m >= 0) {
      becomeVisible(m, queue.arrivals[m]!);
      continue;
    }
    if (events.size === 0) break;
    events.pop(e);
    const t = e.t;
    switch (e.kind) {
      case SNAPSHOT:
        snapVisible = queue.visible;
        snapInFlight = queue.inFlight;
        snapAt = t;
        break;
      case POLL: {
        polls++;
        const idle = queue.final === queue.total && unfinished === 0;
        // done: nothing left, and KEDA's last read already saw it so; or given up
        if ((idle && snapAt >= queue.lastFinalAt) || t > giveUpAt) {
          samples.push({ t, queue: queue.visible + queue.inFlight, jobs: unfinished });
          over = true;
          break;
        }
        const d = decide({
          visible: snapVisible,
          inFlight: snapInFlight,
          delayed: 0,
          scaleOnInFlight: true,
          scaleOnDelayed: false,
          queueLength: stack.queueLength,
          activationQueueLength: stack.activationQueueLength,
          running: unfinished,
          pending,
          maxReplicaCount: stack.maxReplicas,
          minReplicaCount: 0,
          strategy: stack.strategy,
        });
        for (let k = 0; k < d.create; k++) {
          if (jobs === jobState.length) growJobs();
          const j = jobs++;
          jobState[j] = J_PENDING;
          jobCreated[j] = t;
          unfinished++;
          pending++;
          const { ready, running } = startup(world, j);
          events.push(t + running, POD_RUNNING, j);
          // on a node of limited CPUs the consumer's start-up is CPU work that starts when the Pod runs
          if (cpus === 0) events.push(t + ready, POD_READY, j);
        }
        if (unfinished > peakJobs) peakJobs = unfinished;
        samples.push({ t, queue: queue.visible + queue.inFlight, jobs: unfinished });
        events.push(t + P - Math.min(world.countLag, P), SNAPSHOT);
        events.push(t + P, POLL);
        break;
      }
      case POD_RUNNING:
        pending--;
        if (cpus > 0) {
          const { ready, running } = startup(world, e.a);
          startCpu(t, e.a, POD_READY, ready - running);
        }
        break;
      case SLEPT:
        startCpu(t, e.a, PROCESSED, world.deleteLatency);
        break;
      case CPU_DONE: {
        if (e.a !== cpuVersion) break; // rescheduled since
        advance(t);
        const done: Array<[number, number]> = [];
        for (let i = cpuJob.length - 1; i >= 0; i--) {
          if (cpuEnd[i]! > service + 1e-9) continue;
          done.push([cpuJob[i]!, cpuKind[i]!]);
          cpuJob.splice(i, 1);
          cpuKind.splice(i, 1);
          cpuEnd.splice(i, 1);
        }
        scheduleCpu(t);
        for (const [j, kind] of done.reverse()) events.push(t, kind, j);
        break;
      }
      case POD_READY: {
        const j = e.a;
        const m = queue.popVisible();
        if (m >= 0) give(j, m, t);
        else {
          jobState[j] = J_WAITING;
          queue.wait(j);
          events.push(t + world.waitTimeSeconds, RECEIVE_TIMEOUT, j);
        }
        break;
      }
      case RECEIVE_TIMEOUT:
        if (jobState[e.a] === J_WAITING) {
          emptyJobs++;
          exit(e.a, t, true);
        }
        break;
      case PROCESSED: {
        const j = e.a;
        queue.delete(jobMsg[j]!, jobReceipt[j]!, t);
        exit(j, t, true);
        break;
      }
      case DIED:
        failedJobs++;
        exit(e.a, t, false);
        break;
      case VISIBLE_AGAIN:
        if (queue.expire(e.a, e.b, t)) becomeVisible(e.a, t, true);
        break;
      case JOB_FINISHED:
        if (jobState[e.a] === J_EXITED_FAILED) pending--;
        jobState[e.a] = J_FINISHED;
        unfinished--;
        break;
    }
    if (over) break;
  }

  return queue.result('job', {
    peakJobs,
    jobsCreated: jobs,
    emptyJobs,
    failedJobs,
    jobSeconds,
    killed: 0,
    podSeconds: jobSeconds,
    peakPods: peakJobs,
    polls,
    samples,
  });
}
