// Lint: the type-aware rules that catch real bugs (floating promises, misused
// promises), import cycles, and the layering (which folder may import which).
import tseslint from 'typescript-eslint';
import importX, { createNodeResolver } from 'eslint-plugin-import-x';

// The layering. Each zone: files in `target` may not import from `from`
// (except `except`, paths relative to `from`).
const SCHEDULER_ONLY_COMMON = {
  target: './controller/scheduler',
  from: '.',
  except: ['./controller/scheduler', './common', './node_modules'],
  message:
    'The scheduler imports only controller/scheduler/ and common/: it is pure decisions (state and a clock in, actions out), shared by the live controller and the simulator, so it cannot depend on sockets, processes or the CLI.',
};
const NOTHING_IMPORTS_CLI = {
  target: ['./common', './controller', './worker', './client', './profiles'],
  from: './cli',
  message: 'Nothing imports cli/: the CLI is the top layer, it parses flags and prints; what others need from it belongs in the folder of its concept (common/, traces/, …).',
};
const BENCH_STARTS_PROCESSES_ONLY = {
  target: './bench',
  from: './cli',
  except: ['./child-process.ts', './local-cluster.ts'],
  message:
    'The benchmarks import from cli/ only what starts and stops its processes (child-process.ts, local-cluster.ts): they measure the punctual processes the way a user runs them; anything else they need belongs outside cli/.',
};
const TRACES_NOT_CLI = {
  target: './traces',
  from: './cli',
  message: 'traces/ (workloads, replay, the simulator) does not import cli/: the CLI drives traces/, not the other way round.',
};
const CONTROLLER_NOT_WORKER = {
  target: './controller',
  from: './worker',
  message:
    'controller/ does not import worker/: the controller talks to workers over gRPC only, and worker/ loads onnxruntime (worker/ort-session.ts); shared words live in common/ (device.ts, model-signature.ts).',
};
const WORKER_NOT_CONTROLLER = {
  target: './worker',
  from: './controller',
  message: 'worker/ does not import controller/: a worker does what the controller tells it over gRPC; shared words live in common/.',
};
const PROFILES_NOT_CONTROLLER = {
  target: './profiles',
  from: './controller',
  message: 'profiles/ does not import controller/: the controller uses the profiler, not the other way round; what both need lives in profiles/ or common/.',
};
const COMMON_ONLY_COMMON = {
  target: './common',
  from: '.',
  except: ['./common', './protos/generated', './node_modules'],
  message: 'common/ imports only common/ and the generated protos: every other folder builds on it.',
};
const CLIENT_ONLY_COMMON = {
  target: './client',
  from: '.',
  except: ['./client', './common', './protos/generated', './node_modules'],
  message: 'client/ (the library applications use) imports only client/, common/ and the generated protos, never the server side.',
};
const PRODUCT_NOT_TEST = {
  target: ['./common', './controller', './worker', './client', './cli', './profiles', './traces'],
  from: './test',
  message: 'Product code does not import test/: test support is not shipped (dist/ holds product code and the benchmarks).',
};

const productZones = [
  SCHEDULER_ONLY_COMMON,
  NOTHING_IMPORTS_CLI,
  BENCH_STARTS_PROCESSES_ONLY,
  TRACES_NOT_CLI,
  CONTROLLER_NOT_WORKER,
  WORKER_NOT_CONTROLLER,
  PROFILES_NOT_CONTROLLER,
  COMMON_ONLY_COMMON,
  CLIENT_ONLY_COMMON,
  PRODUCT_NOT_TEST,
];
// Tests beside the code they test may also use test/support/ and seeded
// workloads (traces/random.ts), but keep to the arrows between the processes,
// and only those in test/ (or cli/ itself) import the CLI.
const testZones = [NOTHING_IMPORTS_CLI, TRACES_NOT_CLI, CONTROLLER_NOT_WORKER, WORKER_NOT_CONTROLLER, PROFILES_NOT_CONTROLLER];

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'protos/generated/**', '**/*.js', 'bench/out/**', '.punctual/**'] },
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    languageOptions: {
      parserOptions: { project: './tsconfig.check.json', tsconfigRootDir: import.meta.dirname },
    },
    plugins: { 'import-x': importX },
    settings: {
      // Sources import each other as './x.js' (what runs from dist/); resolve that to './x.ts'.
      // Without it import-x resolves no relative import, and no-cycle and the zones check
      // nothing; no-unresolved makes sure it keeps resolving them.
      'import-x/resolver-next': [createNodeResolver({ extensionAlias: { '.js': ['.ts', '.js'] } })],
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/await-thenable': 'error',
      '@typescript-eslint/no-explicit-any': 'error',
      // A switch over a union names every member (or says default): adding a
      // decision type, a status or an action type then fails here, not at run time.
      '@typescript-eslint/switch-exhaustiveness-check': ['error', { requireDefaultForNonUnion: false, considerDefaultExhaustiveForUnions: true }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'import-x/no-cycle': 'error',
      'import-x/no-unresolved': 'error',
      'import-x/no-restricted-paths': ['error', { basePath: import.meta.dirname, zones: productZones }],
    },
  },
  {
    files: ['**/*.test.ts'],
    rules: {
      'import-x/no-restricted-paths': ['error', { basePath: import.meta.dirname, zones: testZones }],
    },
  },
);
