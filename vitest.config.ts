import { defineConfig } from 'vitest/config';

// Tests that measure the machine (the simulator against the real KEDA operator compares drain times) run
// alone, after everything else: other files' load during the measured run is what they cannot account for.
const ALONE = ['test/e2e/simulate-vs-real.test.ts'];

export default defineConfig({
  test: {
    // integration tests share one moto server and one kube-apiserver, started once
    globalSetup: ['test/support/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 600_000,
    pool: 'forks',
    // the AWS credential chain must never reach for instance metadata (169.254.169.254) in tests
    env: { AWS_EC2_METADATA_DISABLED: 'true' },
    projects: [
      {
        extends: true,
        test: {
          name: 'suite',
          include: ['test/**/*.test.ts', 'test/**/*.test.tsx'],
          exclude: ALONE,
          maxWorkers: 2,
          sequence: { groupOrder: 0 },
        },
      },
      { extends: true, test: { name: 'alone', include: ALONE, maxWorkers: 1, sequence: { groupOrder: 1 } } },
    ],
  },
});
