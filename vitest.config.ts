import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'controller/**/*.test.ts', 'worker/**/*.test.ts', 'client/**/*.test.ts', 'common/**/*.test.ts', 'traces/**/*.test.ts', 'profiles/**/*.test.ts', 'cli/**/*.test.ts'],
    exclude: ['dist/**', 'node_modules/**'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Integration tests start real processes; two cores do not like many at once.
    fileParallelism: false,
  },
});
