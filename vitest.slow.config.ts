import { defineConfig } from 'vitest/config';

/** The slow suites (`npm run test:crash`): crash loops against a real broker process, cold-start recovery of a large log. */
export default defineConfig({
  test: {
    include: ['test/slow/**/*.test.ts'],
    testTimeout: 30 * 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    fileParallelism: false,
  },
});
