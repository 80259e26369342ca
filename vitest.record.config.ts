import { defineConfig } from 'vitest/config';

/** `npm run fixtures:record`: re-records the replay fixtures (not part of `npm test`). */
export default defineConfig({
  test: {
    include: ['test/record/**/*.record.ts'],
    globalSetup: ['test/support/globalSetup.ts'],
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
  },
});
