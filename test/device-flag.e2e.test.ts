// Reading a device flag never loads onnxruntime: the device words live in
// common/device.ts, which imports nothing, so `punctual worker --device …`,
// the CLI's parsers and anything else that only names a device (the
// controller reading a worker's announcement) stay free of the native
// library, which only worker/ort-session.ts loads. Each case runs the
// compiled package (dist/, built by `npm test`; a missing or stale file fails
// the case, see common/thread-script.ts assertBuilt) in a child node with a
// preloaded probe that, as the child exits, lists the onnxruntime files it
// holds: the shared objects in the process (its diagnostic report) and the
// CommonJS modules in require.cache (onnxruntime-node is CommonJS, so an ESM
// import of it lands there too). A control case imports
// worker/ort-session.js and must see both.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertBuilt } from '../common/thread-script.js';

const root = path.resolve(import.meta.dirname, '..');
const dist = (rel: string): string => path.join(root, 'dist', rel);

const PROBE = `
import fs from 'node:fs';
import { createRequire } from 'node:module';
const cache = createRequire(import.meta.url).cache;
process.on('exit', () => {
  const native = process.report.getReport().sharedObjects.filter((f) => /onnxruntime/i.test(f));
  const modules = Object.keys(cache).filter((f) => /[\\\\/]onnxruntime-(node|common)[\\\\/]/.test(f));
  fs.writeFileSync(process.env.ORT_PROBE_OUT, JSON.stringify({ native, modules }));
});
`;

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
  /** onnxruntime's shared objects loaded in the child (libonnxruntime, the binding). */
  native: string[];
  /** onnxruntime-node / onnxruntime-common modules the child loaded. */
  modules: string[];
}

let dir: string;
let probe: string;

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'punctual-device-flag-'));
  probe = path.join(dir, 'probe.mjs');
  fs.writeFileSync(probe, PROBE);
});

afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** Runs node with the probe preloaded; `args` after node's own. */
function run(name: string, args: string[]): Run {
  const out = path.join(dir, `${name}.json`);
  const r = spawnSync(process.execPath, ['--import', pathToFileURL(probe).href, ...args], {
    cwd: root,
    env: { ...process.env, ORT_PROBE_OUT: out },
    encoding: 'utf8',
    timeout: 30_000,
  });
  if (!fs.existsSync(out)) throw new Error(`the probe wrote nothing (status ${r.status}, signal ${r.signal}):\n${r.stderr}`);
  const seen = JSON.parse(fs.readFileSync(out, 'utf8')) as { native: string[]; modules: string[] };
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, ...seen };
}

/** Runs an ES module body in the child (dist/ files imported by absolute URL). */
function runModule(name: string, body: string): Run {
  return run(name, ['--input-type=module', '-e', body]);
}

const url = (rel: string): string => JSON.stringify(pathToFileURL(dist(rel)).href);

describe('reading a device flag never loads onnxruntime', () => {
  it('sees onnxruntime when worker/ort-session.js is imported (the probe can tell)', () => {
    assertBuilt(dist('worker/ort-session.js'), root);
    const r = runModule('control', `await import(${url('worker/ort-session.js')});`);
    expect(r.status, r.stderr).toBe(0);
    expect(r.native.some((f) => path.basename(f).startsWith('onnxruntime_binding'))).toBe(true);
    expect(r.native.some((f) => path.basename(f).startsWith('libonnxruntime'))).toBe(true);
    expect(r.modules.some((f) => f.includes(`${path.sep}onnxruntime-node${path.sep}`))).toBe(true);
  });

  it('common/device.js and cli/args.js parse devices and name executor classes without it', () => {
    assertBuilt(dist('cli/args.js'), root);
    assertBuilt(dist('common/device.js'), root);
    const r = runModule(
      'parsers',
      `const device = await import(${url('common/device.js')});
       const args = await import(${url('cli/args.js')});
       console.log([device.parseDevice('cuda:02'), args.parseDevice('emulated'), device.executorClass(args.parseDevice('cpu'), 3)].join(' '));`,
    );
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout.trim()).toBe('cuda:2 emulated cpu/t3');
    expect({ native: r.native, modules: r.modules }).toEqual({ native: [], modules: [] });
  });

  it('punctual worker refuses a bad --device without it', () => {
    assertBuilt(dist('cli/main.js'), root);
    const r = run('bad-device', [dist('cli/main.js'), 'worker', '--device', 'gpu']);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('device must be cpu, cuda:N or emulated, not "gpu".');
    expect({ native: r.native, modules: r.modules }).toEqual({ native: [], modules: [] });
  });

  it('punctual worker takes a good --device without it (and stops at the next, bad, flag)', () => {
    assertBuilt(dist('cli/main.js'), root);
    const r = run('good-device', [dist('cli/main.js'), 'worker', '--device', 'cuda:1', '--executors', '0']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/--executors/);
    expect(r.stderr).not.toMatch(/device must be/);
    expect({ native: r.native, modules: r.modules }).toEqual({ native: [], modules: [] });
  });
});
