import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'test/**/*.test.tsx'],
    // integration tests share one moto server and one kube-apiserver, started once
    globalSetup: ['test/support/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 600_000,
    pool: 'forks',
    // the AWS credential chain must never reach for instance metadata (169.254.169.254) in tests
    env: { AWS_EC2_METADATA_DISABLED: 'true' },
    maxWorkers: 2,
  },
});
