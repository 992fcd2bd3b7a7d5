// simulate's flags for the world the ScaledJob runs in, with their rules. Its own module, free of
// imports, so registering the command costs nothing at start-up.
export type WorldKey =
  | 'podStartup'
  | 'consumerStartup'
  | 'receiveLatency'
  | 'deleteLatency'
  | 'jobFinishLatency'
  | 'jitter'
  | 'failureRate'
  | 'countLag'
  | 'pollOffset'
  | 'nodeCpus'
  | 'seed';

/** simulate's flags for the world, with their rules. */
export const WORLD_FLAGS: Record<WorldKey, { flag: string; min: number; max: number; int?: boolean; describe: string }> = {
  podStartup: {
    flag: 'pod-startup',
    min: 0,
    max: 3600,
    describe: "seconds from Job creation until the consumer's receive lands (default 5)",
  },
  consumerStartup: {
    flag: 'consumer-startup',
    min: 0,
    max: 3600,
    describe:
      'of the Pod start-up, seconds the consumer takes after its Pod is Running; KEDA counts the Job pending only before (default 0)',
  },
  receiveLatency: {
    flag: 'receive-latency',
    min: 0,
    max: 3600,
    describe: "seconds a long-polling consumer's receive takes to return once a message arrives (its aws CLI; default 0)",
  },
  deleteLatency: {
    flag: 'delete-latency',
    min: 0,
    max: 3600,
    describe: "seconds from the end of processing until the consumer's delete lands (its aws CLI call; default 0)",
  },
  jobFinishLatency: {
    flag: 'job-finish-latency',
    min: 0,
    max: 3600,
    describe: 'seconds from the delete (or an empty long poll) until the Job counts as finished (default 1)',
  },
  jitter: { flag: 'jitter', min: 0, max: 1, describe: 'start-up and processing times vary by ± this fraction (default 0.2)' },
  failureRate: { flag: 'failure-rate', min: 0, max: 1, describe: 'chance a Job dies while processing (default 0)' },
  countLag: { flag: 'count-lag', min: 0, max: 300, describe: "seconds SQS's approximate counts trail the truth (default 1)" },
  pollOffset: {
    flag: 'poll-offset',
    min: 0,
    max: 3600,
    describe: "seconds after the load starts of KEDA's first poll (it polls on its own clock; default 0)",
  },
  nodeCpus: {
    flag: 'node-cpus',
    min: 0,
    max: 100000,
    describe: "CPUs the consumers' start-ups and deletes share on a busy node (0: as many as they need; default 0)",
  },
  seed: { flag: 'seed', min: 0, max: 2 ** 31 - 1, int: true, describe: 'random seed: the same seed, the same run (default 1)' },
};
