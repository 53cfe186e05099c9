// What a CLI process loads (issue 11: `punctual status` at 4,000 models was
// the CLI's own start-up, not the RPC): `punctual status --json` loads its
// own command and the client, and no other command, nothing of the
// controller, the worker, the simulator or the profiler, no onnxruntime, no
// logger or metrics library, and no .proto parsing (the punctual.v1 services
// come from JSON descriptors, common/protos.ts). The compiled package runs in
// a child node with a preloaded probe that records every ES module it loads
// (a module hook) and, as it exits, the CommonJS modules in require.cache; a
// control case, `punctual --help`, must see every command module.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { COMMANDS } from '../cli/program.js';
import { assertBuilt } from '../common/thread-script.js';
import { startFakeBackend, type FakeBackend } from './support/fake-backend.js';

const root = path.resolve(import.meta.dirname, '..');
const dist = (rel: string): string => path.join(root, 'dist', rel);

const HOOKS = `
import fs from 'node:fs';
let out;
export function initialize(file) { out = file; }
export async function load(url, context, next) {
  fs.appendFileSync(out, url + '\\n');
  return next(url, context);
}
`;

const PROBE = (hooks: string): string => `
import fs from 'node:fs';
import { createRequire, register } from 'node:module';
register(${JSON.stringify(hooks)}, { data: process.env.STARTUP_PROBE_ESM });
const cache = createRequire(import.meta.url).cache;
process.on('exit', () => fs.writeFileSync(process.env.STARTUP_PROBE_CJS, Object.keys(cache).join('\\n')));
`;

let dir: string;
let probe: string;
let backend: FakeBackend;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'punctual-cli-startup-'));
  const hooks = path.join(dir, 'hooks.mjs');
  fs.writeFileSync(hooks, HOOKS);
  probe = path.join(dir, 'probe.mjs');
  fs.writeFileSync(probe, PROBE(pathToFileURL(hooks).href));
  backend = await startFakeBackend();
});

afterAll(async () => {
  await backend.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
  /** Every file the child loaded: relative to the package root (node_modules/… or dist/…), and node: builtins. */
  loaded: string[];
  /** The same with each file of the bundle replaced by the modules in it. */
  modules: string[];
}

/** Runs the CLI in a child (asynchronously: the fake backend answers from this process). */
async function punctual(name: string, args: string[]): Promise<Run> {
  const esm = path.join(dir, `${name}.esm`);
  const cjs = path.join(dir, `${name}.cjs`);
  fs.writeFileSync(esm, '');
  const env = { ...process.env, PUNCTUAL_CONTROLLER: '', PUNCTUAL_TOKEN: '', STARTUP_PROBE_ESM: esm, STARTUP_PROBE_CJS: cjs };
  const r = await new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve) => {
    execFile(process.execPath, ['--import', pathToFileURL(probe).href, dist('cli/main.js'), ...args], { cwd: root, env, timeout: 30_000 }, (err, stdout, stderr) => {
      resolve({ status: err ? (typeof err.code === 'number' ? err.code : null) : 0, stdout, stderr });
    });
  });
  if (!fs.existsSync(cjs)) throw new Error(`the probe wrote nothing (status ${r.status}):\n${r.stderr}`);
  const urls = fs.readFileSync(esm, 'utf8').split('\n').filter((u) => u !== '');
  const files = [...urls.map((u) => (u.startsWith('file:') ? fileURLToPath(u) : u)), ...fs.readFileSync(cjs, 'utf8').split('\n')];
  const loaded = [...new Set(files.filter((f) => f !== '').map((f) => (path.isAbsolute(f) ? path.relative(root, f).split(path.sep).join('/') : f)))];
  // A file of the bundle stands for the modules in it (dist/cli/bundle/meta.json, cli/build-bundle.ts).
  const modules = [...new Set(loaded.flatMap((f) => bundleMeta()[f] ?? [f]))];
  return { ...r, loaded, modules };
}

/** dist/cli/bundle/meta.json: each file of the bundle and the modules in it. */
function bundleMeta(): Record<string, string[]> {
  return JSON.parse(fs.readFileSync(dist('cli/bundle/meta.json'), 'utf8')) as Record<string, string[]>;
}

const commandModule = (name: string): string => `dist/cli/commands/${name}.js`;

describe('what a CLI process loads', () => {
  beforeAll(() => {
    assertBuilt(dist('cli/main.js'), root);
    for (const [name] of COMMANDS) assertBuilt(dist(`cli/commands/${name}.js`), root);
  });

  it('punctual --help loads every command (the probe can tell), from the modules tsc wrote, not the bundle', async () => {
    const r = await punctual('help', ['--help']);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain('Usage: punctual');
    for (const [name] of COMMANDS) expect(r.loaded).toContain(commandModule(name));
    expect(r.loaded.some((m) => m.startsWith('dist/controller/'))).toBe(true);
    expect(r.loaded.filter((m) => m.startsWith('dist/cli/bundle/'))).toEqual([]);
  });

  it('punctual status --json runs from the bundle: a handful of files, none from node_modules', async () => {
    const r = await punctual('bundled', ['--controller', backend.address, 'status', '--json']);
    expect(r.status, r.stderr).toBe(0);
    const files = r.loaded.filter((m) => !m.startsWith('node:'));
    expect(files.filter((m) => !m.startsWith('dist/cli/bundle/'))).toEqual(['dist/cli/main.js', 'dist/cli/fast-path.js']);
    expect(files.length).toBeLessThan(12);
    // A bundled command's own help comes from the bundle too.
    const help = await punctual('models-help', ['models', '--help']);
    expect(help.status, help.stderr).toBe(0);
    expect(help.stdout).toMatch(/register/);
    expect(help.loaded.filter((m) => m.startsWith('node_modules/'))).toEqual([]);
  });

  it('punctual status --json loads the status command and the client, nothing of the servers, the simulator or onnxruntime, and parses no .proto', async () => {
    const r = await punctual('status', ['--controller', backend.address, 'status', '--json']);
    expect(r.status, r.stderr).toBe(0);
    const st = JSON.parse(r.stdout) as { policy: string; models: Array<{ name: string }> };
    expect([st.policy, st.models.map((m) => m.name)]).toEqual(['punctual', backend.models.map((m) => m.name)]);
    expect(r.modules).toContain(commandModule('status'));
    expect(r.modules).toContain('dist/client/client.js');
    for (const [name] of COMMANDS.filter(([n]) => n !== 'status')) expect(r.modules).not.toContain(commandModule(name));
    const unwanted = /^(dist\/(controller|worker|traces|profiles)\/|node_modules\/(onnxruntime-node|onnxruntime-common|@grpc\/proto-loader|pino|prom-client|cli-progress)\/|node_modules\/protobufjs\/src\/parse\.js$)/;
    expect(r.modules.filter((m) => unwanted.test(m))).toEqual([]);
  });
});
