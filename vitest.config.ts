import { defineConfig } from 'vitest/config';

// Two projects. Which one a test file belongs to:
//
//   integration: every `*.e2e.test.ts`. A test is integration when it needs `npm run build`
//     or loads the machine: it spawns Punctual processes (dist/cli/main.js),
//     starts executor or profile threads (their scripts come from dist/), or
//     runs onnxruntime sessions. They run one file at a time (the machine
//     has 2 cores and the processes would crowd each other).
//   unit: everything else. In-process and fast: a manual clock, temp files,
//     and at most an in-process gRPC or HTTP server on port 0 (the fake
//     backend). They run files in parallel and need no build, so
//     `npm run test:unit` is the quick loop. A unit test that starts a
//     thread from dist/ by mistake fails loudly when dist/ is stale
//     (common/thread-script.ts).
const DIRS = ['test', 'controller', 'worker', 'client', 'common', 'traces', 'profiles', 'cli'];

const E2E = DIRS.map((d) => `${d}/**/*.e2e.test.ts`);

export default defineConfig({
  test: {
    exclude: ['dist/**', 'node_modules/**'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: DIRS.map((d) => `${d}/**/*.test.ts`),
          exclude: E2E,
          // One file per core. Vitest's default leaves a core to itself,
          // which on a 2-core machine means one file at a time.
          maxWorkers: '100%',
          sequence: { groupOrder: 0 },
        },
      },
      {
        extends: true,
        test: {
          name: 'integration',
          include: E2E,
          fileParallelism: false,
          // After the unit project, never beside it.
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});
