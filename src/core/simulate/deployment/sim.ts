// The deployment workload on a virtual clock: a consumer Deployment scaled by a ScaledObject. Every
// pollingInterval KEDA reads the queue (keda.ts: 0 -> 1 when active, -> 0 after cooldownPeriod without
// activity); every 15 s the HPA reads the same metric (hpa.ts) and sets the replicas between 1 and max;
// the ReplicaSet creates Pods or removes the ones its ranking picks (replicaset.ts), busy or not. A
// consumer loops: long-poll, process, delete, again. A consumer stopped while processing gives its
// message back at once (a kill; the message is re-delivered); one stopped while long-polling waits for
// its receive and gives back what it got; an idle one just exits. Pure and seeded, like the Job path.
import type { Settings } from '../../stack/settings.js';
import { processing, startup } from '../consumer.js';
import { Events } from '../events.js';
import type { LoadProfile } from '../profile.js';
import { SimQueue } from '../queue.js';
import { STREAM, unit } from '../random.js';
import { DEFAULT_WORLD, type SimResult, type SimSample, type SimStack, type SimWorld } from '../sim.js';
import { DEFAULT_SCALE_UP, HPA_SYNC_SECONDS, Hpa, scaleDownRules } from './hpa.js';
import { kedaPoll, type ScaledObjectState } from './keda.js';
import { podsToDelete } from './replicaset.js';

/**
 * seconds the loop's ReceiveMessage waits: WAIT_SECONDS in templates/consumer/consume-loop.sh (the same as
 * LOOP_WAIT_SECONDS in src/core/workloads/deployment/index.ts, which simulate/ may not import)
 */
export const LOOP_WAIT_SECONDS = 10;
/** the kubelet's first back-off before it restarts a crashed container */
export const CRASH_BACKOFF_SECONDS = 10;

/** What the stack would deploy for the deployment workload: the Job path's settings and the ScaledObject's. */
export type DeploymentStack = SimStack &
  Pick<Settings, 'cooldownPeriod' | 'scaleDownStabilization' | 'scaleDownPercent' | 'scaleDownPeriod' | 'terminationGracePeriod'>;

// event kinds
const SNAPSHOT = 0; // a: reader (KEDA or the HPA)
const POLL = 1;
const HPA_SYNC = 2;
const POD_RUNNING = 3;
const POD_READY = 4; // the consumer's first receive lands
const RECEIVE_TIMEOUT = 5;
const PROCESSED = 6; // its delete has landed
const DIED = 7;
const VISIBLE_AGAIN = 8; // a: message, b: receipt
const GIVE_BACK = 9; // a stopping consumer's receive returned with a message: it gives it back and exits
const KILLED_BY_GRACE = 10; // terminationGracePeriod is over: SIGKILL

const KEDA = 0;
const HPA = 1;

// Pod states
const STARTING = 0; // created; its consumer not yet receiving
const WAITING = 1; // long-polling
const PROCESSING = 2; // from the hand-over by SQS until its delete has landed
const GONE = 3;

interface Pod {
  created: number;
  readyAt?: number;
  restarts: number;
  uid: number;
  state: number;
  /** bumped on every change that makes the Pod's scheduled events stale */
  seq: number;
  terminating: boolean;
  msg: number;
  receipt: number;
  /** when its receive call returned with the message (processing starts) */
  startedAt: number;
  /** when its processing (the sleep) ends and its delete starts */
  sleepEnd: number;
}

export function simulateDeployment(stack: DeploymentStack, profile: LoadProfile, world: SimWorld = DEFAULT_WORLD): SimResult {
  const queue = new SimQueue(profile, stack);
  const giveUpAt = queue.lastArrival + world.giveUpAfter;
  let killed = 0;
  let givenBackUnstarted = 0;
  let emptyReceives = 0;
  let consumersDied = 0;

  const pods: Pod[] = [];
  let spec = 0; // the Deployment's replicas
  let existing = 0; // Pods not gone (terminating ones too)
  let peakPods = 0;
  let podSeconds = 0;
  let scaledToZeroAt: number | undefined;

  const events = new Events();
  const e = { t: 0, kind: 0, a: 0, b: 0 };
  const snap = [
    { visible: 0, inFlight: 0 },
    { visible: 0, inFlight: 0 },
  ];
  let polls = 0;
  const samples: SimSample[] = [];
  const P = stack.pollingInterval;
  const lag = (period: number) => Math.min(world.countLag, period);
  const keda: ScaledObjectState = {};
  const hpa = new Hpa({
    minReplicas: 1,
    maxReplicas: stack.maxReplicas,
    target: stack.queueLength,
    scaleUp: DEFAULT_SCALE_UP,
    scaleDown: scaleDownRules(stack),
  });

  const gone = (i: number, t: number) => {
    const p = pods[i]!;
    if (p.state === GONE) return;
    p.state = GONE;
    p.seq++;
    existing--;
    podSeconds += t - p.created;
  };

  /** SQS hands message m to Pod i at t; its receive call returns `returning` seconds later */
  const give = (i: number, m: number, t: number, returning: number) => {
    const p = pods[i]!;
    const receipt = queue.receive(m);
    p.state = PROCESSING;
    p.seq++;
    p.msg = m;
    p.receipt = receipt;
    p.startedAt = t + returning;
    if (p.terminating) {
      // SIGTERM came during this long poll: the consumer gives back what its receive returns, unstarted
      events.push(p.startedAt, GIVE_BACK, i, p.seq);
      return;
    }
    const { sleep, work, diesAfter } = processing(stack, world, m, receipt, returning);
    p.sleepEnd = p.startedAt + sleep;
    if (diesAfter !== undefined) events.push(t + diesAfter, DIED, i, p.seq);
    else events.push(t + work, PROCESSED, i, p.seq);
    if (diesAfter !== undefined || work >= stack.visibilityTimeout) events.push(t + stack.visibilityTimeout, VISIBLE_AGAIN, m, receipt);
  };
  const waiting = (i: number) => pods[i]!.state === WAITING;
  /** message m is visible at t: a long-polling consumer takes it at once */
  const becomeVisible = (m: number, t: number, again: boolean) => {
    const i = queue.becomeVisible(m, again, waiting);
    if (i >= 0) give(i, m, t, world.receiveLatency);
  };
  /** the message Pod i holds goes back to the queue now (ChangeMessageVisibility 0) */
  const giveBack = (i: number, t: number) => {
    const p = pods[i]!;
    if (queue.release(p.msg, p.receipt)) becomeVisible(p.msg, t, true);
  };
  /** Pod i's consumer starts a long poll at t */
  const receive = (i: number, t: number) => {
    const p = pods[i]!;
    const m = queue.popVisible();
    if (m >= 0) {
      give(i, m, t, 0);
      return;
    }
    p.state = WAITING;
    p.seq++;
    queue.wait(i);
    events.push(t + LOOP_WAIT_SECONDS, RECEIVE_TIMEOUT, i, p.seq);
  };

  /** the ReplicaSet deletes Pod i at t: SIGTERM */
  const terminate = (i: number, t: number) => {
    const p = pods[i]!;
    p.terminating = true;
    switch (p.state) {
      case STARTING:
        gone(i, t);
        break;
      case WAITING:
        // its receive runs on (RECEIVE_TIMEOUT or a message) until the grace period ends
        events.push(t + stack.terminationGracePeriod, KILLED_BY_GRACE, i, p.seq);
        break;
      case PROCESSING:
        if (t < p.startedAt) {
          // the receive has not returned yet: what it returns is given back unstarted
          p.seq++;
          events.push(p.startedAt, GIVE_BACK, i, p.seq);
        } else if (t < p.sleepEnd) {
          // mid-work: the message goes back at once and is re-delivered
          killed++;
          giveBack(i, t);
          gone(i, t);
        }
        // else its delete is on its way: the message is processed (PROCESSED ends the Pod)
        break;
    }
  };
  const create = (t: number) => {
    const i = pods.length;
    pods.push({
      created: t,
      restarts: 0,
      uid: unit(world.seed, STREAM.uid, i),
      state: STARTING,
      seq: 0,
      terminating: false,
      msg: -1,
      receipt: 0,
      startedAt: 0,
      sleepEnd: 0,
    });
    existing++;
    const { ready, running } = startup(world, i);
    events.push(t + running, POD_RUNNING, i, 0);
    events.push(t + ready, POD_READY, i, 0);
  };
  /** the Deployment scaled to n at t: its ReplicaSet creates or removes Pods at once */
  const scaleTo = (n: number, t: number) => {
    spec = n;
    if (n === 0) scaledToZeroAt = t;
    const active: number[] = [];
    for (let i = 0; i < pods.length; i++) if (pods[i]!.state !== GONE && !pods[i]!.terminating) active.push(i);
    if (active.length < n) for (let k = active.length; k < n; k++) create(t);
    else if (active.length > n) {
      const ranked = active.map((i) => pods[i]!);
      for (const k of podsToDelete(ranked, active.length - n, t)) terminate(active[k]!, t);
    }
    if (existing > peakPods) peakPods = existing;
  };
  const activeCount = () => {
    let n = 0;
    for (const p of pods) if (p.state !== GONE && !p.terminating) n++;
    return n;
  };

  let over = false;
  const firstPoll = world.pollOffset;
  const firstSync = world.pollOffset + HPA_SYNC_SECONDS / 2; // the HPA syncs on its own clock: half a period apart on average
  events.push(Math.max(0, firstPoll - world.countLag), SNAPSHOT, KEDA);
  events.push(firstPoll, POLL);
  events.push(Math.max(0, firstSync - world.countLag), SNAPSHOT, HPA);
  events.push(firstSync, HPA_SYNC);

  for (;;) {
    const te = events.topTime();
    const m = queue.arrivingBy(te);
    if (m >= 0) {
      becomeVisible(m, queue.arrivals[m]!, false);
      continue;
    }
    if (events.size === 0) break;
    events.pop(e);
    const t = e.t;
    const p = e.kind === VISIBLE_AGAIN || e.kind <= HPA_SYNC ? undefined : pods[e.a]!;
    // a Pod's event scheduled before it changed since is stale
    if (p && e.b !== p.seq) continue;
    switch (e.kind) {
      case SNAPSHOT:
        snap[e.a]!.visible = queue.visible;
        snap[e.a]!.inFlight = queue.inFlight;
        break;
      case POLL: {
        polls++;
        if ((queue.final === queue.total && spec === 0 && existing === 0) || t > giveUpAt) {
          samples.push({ t, queue: queue.visible + queue.inFlight, jobs: existing });
          over = true;
          break;
        }
        const metric = snap[KEDA]!.visible + snap[KEDA]!.inFlight; // scaleOnInFlight
        const next = kedaPoll(keda, t, metric > stack.activationQueueLength, spec, stack.cooldownPeriod);
        if (next !== spec) scaleTo(next, t);
        samples.push({ t, queue: queue.visible + queue.inFlight, jobs: existing });
        events.push(t + P - lag(P), SNAPSHOT, KEDA);
        events.push(t + P, POLL);
        break;
      }
      case HPA_SYNC: {
        const metric = snap[HPA]!.visible + snap[HPA]!.inFlight;
        const next = hpa.sync(t, spec, activeCount(), metric);
        if (next !== spec) scaleTo(next, t);
        events.push(t + HPA_SYNC_SECONDS - lag(HPA_SYNC_SECONDS), SNAPSHOT, HPA);
        events.push(t + HPA_SYNC_SECONDS, HPA_SYNC);
        break;
      }
      case POD_RUNNING:
        p!.readyAt = t;
        break;
      case POD_READY:
        if (p!.readyAt === undefined) p!.readyAt = t;
        receive(e.a, t);
        break;
      case RECEIVE_TIMEOUT:
        emptyReceives++;
        if (p!.terminating) gone(e.a, t);
        else {
          // the loop's next long poll; it stays in the waiters' line
          p!.seq++;
          events.push(t + LOOP_WAIT_SECONDS, RECEIVE_TIMEOUT, e.a, p!.seq);
        }
        break;
      case KILLED_BY_GRACE:
        gone(e.a, t);
        break;
      case GIVE_BACK:
        givenBackUnstarted++;
        giveBack(e.a, t);
        gone(e.a, t);
        break;
      case PROCESSED:
        queue.delete(p!.msg, p!.receipt, t);
        if (p!.terminating) gone(e.a, t);
        else receive(e.a, t);
        break;
      case DIED:
        consumersDied++;
        if (p!.terminating) gone(e.a, t);
        else {
          // the container restarts in the same Pod after a back-off; the message comes back after the visibility timeout
          p!.restarts++;
          p!.readyAt = undefined;
          p!.state = STARTING;
          p!.seq++;
          events.push(t + CRASH_BACKOFF_SECONDS + world.consumerStartup, POD_READY, e.a, p!.seq);
        }
        break;
      case VISIBLE_AGAIN:
        if (queue.expire(e.a, e.b, t)) becomeVisible(e.a, t, true);
        break;
    }
    if (over) break;
  }
  // Pods still there when the run gave up count until then
  const end = samples.at(-1)?.t ?? 0;
  for (let i = 0; i < pods.length; i++) if (pods[i]!.state !== GONE) gone(i, Math.max(end, pods[i]!.created));

  // the Job figures: no Jobs here
  return queue.result('deployment', {
    peakJobs: 0,
    jobsCreated: 0,
    emptyJobs: 0,
    failedJobs: 0,
    jobSeconds: 0,
    killed,
    podSeconds,
    peakPods,
    deployment: {
      podsCreated: pods.length,
      emptyReceives,
      consumersDied,
      givenBackUnstarted,
      ...(scaledToZeroAt !== undefined ? { scaledToZeroAt } : {}),
    },
    polls,
    samples,
  });
}
