import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    environment: 'node',
    restoreMocks: true,
    projects: [
      {
        extends: true,
        test: { name: 'unit', include: ['test/**/*.test.ts'], exclude: ['test/e2e/**'] },
      },
      {
        extends: true,
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          testTimeout: 300_000,
          hookTimeout: 1_200_000,
          maxWorkers: 1,
          fileParallelism: false,
          // One retry of a failed test (its cluster stays up): a 2-core machine shared with a
          // control plane sometimes misses a deadline; a real regression fails twice.
          retry: 1,
        },
      },
    ],
  },
});
