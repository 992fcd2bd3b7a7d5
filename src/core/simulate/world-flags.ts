// simulate's flags for the world the ScaledJob runs in, with their rules. Its own module, free of
// imports, so registering the command costs nothing at start-up.
export type WorldKey = 'podStartup' | 'jitter' | 'failureRate' | 'countLag' | 'seed';

/** simulate's flags for the world, with their rules. */
export const WORLD_FLAGS: Record<WorldKey, { flag: string; min: number; max: number; int?: boolean; describe: string }> = {
  podStartup: { flag: 'pod-startup', min: 0, max: 3600, describe: 'seconds from Job creation until its Pod runs (default 5)' },
  jitter: { flag: 'jitter', min: 0, max: 1, describe: 'start-up and processing times vary by ± this fraction (default 0.2)' },
  failureRate: { flag: 'failure-rate', min: 0, max: 1, describe: 'chance a Job dies while processing (default 0)' },
  countLag: { flag: 'count-lag', min: 0, max: 300, describe: "seconds SQS's approximate counts trail the truth (default 1)" },
  seed: { flag: 'seed', min: 0, max: 2 ** 31 - 1, int: true, describe: 'random seed: the same seed, the same run (default 1)' },
};
