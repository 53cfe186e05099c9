// Shared pieces of the benchmarks: percentiles, spawning real processes of
// the compiled CLI, and a default repository in a temp folder.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { stopChild, waitForListeningPort } from '../cli/child-process.js';
import { SERVER_NODE_FLAGS } from '../common/node-flags.js';
import type { WireTensor } from '../common/tensor.js';
import { ensureDefaultRepository } from '../controller/default-repository.js';
import { buildAddModel } from '../test/support/onnx-builder.js';

const here = path.dirname(fileURLToPath(import.meta.url));

/** A float32 input 'x' of [batch, ...shape], filled with a fixed hash pattern (the same bytes every time). */
export function patternInput(shape: readonly number[], batch: number): WireTensor {
  const n = batch * shape.reduce((a, b) => a * b, 1);
  const values = new Float32Array(n);
  for (let i = 0; i < n; i++) values[i] = ((i * 2654435761) >>> 0) / 4294967296;
  return { name: 'x', dtype: 'float32', shape: [batch, ...shape], data: new Uint8Array(values.buffer) };
}

/** This process's peak RSS (VmHWM), bytes; 0 where /proc is missing. */
export function peakRss(): number {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(fs.readFileSync('/proc/self/status', 'utf8'));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}
/**
 * Runs `script --child JSON(job)` in a fresh Node process (a measurement that
 * needs a process of its own: RSS is process-wide) and parses the last line
 * it prints as the result.
 */
export function runJsonChild<T>(script: string, job: unknown, env: NodeJS.ProcessEnv = process.env): Promise<T> {
  return new Promise((resolve, reject) => {
    const c = spawn(process.execPath, [script, '--child', JSON.stringify(job)], { stdio: ['ignore', 'pipe', 'inherit'], env });
    let out = '';
    c.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    c.on('error', reject);
    c.on('exit', (code) => {
      if (code !== 0) reject(new Error(`${path.basename(script)} child exited with ${code}`));
      else resolve(JSON.parse(out.trim().split('\n').pop()!) as T);
    });
  });
}

/** dist/cli/main.js, from dist/bench/. */
export const CLI = path.resolve(here, '..', 'cli', 'main.js');

export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return NaN;
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]!;
}

export function machine(): string {
  return `${os.cpus().length} cores (${os.cpus()[0]?.model ?? 'unknown'}), ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}`;
}

export async function tempRepo(only?: string[]): Promise<{ dir: string; cleanup: () => void }> {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'punctual-bench-'));
  const dir = path.join(root, 'models');
  await ensureDefaultRepository(dir, only);
  return { dir, cleanup: () => fs.rmSync(root, { recursive: true, force: true }) };
}

/** Adds the tiny model (y = x + 1 over 16 floats, test/support/onnx-builder.ts) to a repository as tiny@1; the controller profiles it on first sight. */
export function addTinyModel(repoDir: string, maxBatch: number): void {
  const dir = path.join(repoDir, 'tiny', '1');
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'model.onnx'), buildAddModel({ dims: ['N', 16] }));
  fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify({ inputs: [{ name: 'x', dtype: 'float32', shape: [16] }], maxBatch, defaultSloMs: 100 }));
}

export function spawnCli(args: string[]): ChildProcess {
  return spawn(process.execPath, [...SERVER_NODE_FLAGS, CLI, ...args], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, PUNCTUAL_LOG_LEVEL: 'warn' },
  });
}

/** Starts `punctual controller` on a free port and resolves with its address. */
export async function spawnController(repo: string): Promise<{ child: ChildProcess; address: string }> {
  const child = spawnCli(['controller', '--port', '0', '--host', '127.0.0.1', '--http-port', '-1', '--repo', repo]);
  const { port } = await waitForListeningPort(child);
  return { child, address: `127.0.0.1:${port}` };
}

export function spawnWorker(address: string, extra: string[] = []): ChildProcess {
  return spawnCli(['worker', '--controller', address, '--executors', '1', '--threads', '1', '--memory', '1GiB', ...extra]);
}

export async function stopAll(children: ChildProcess[]): Promise<void> {
  await Promise.all(children.map((c) => stopChild(c, 3000)));
}

export interface Figure {
  name: string;
  value: number;
  unit: string;
  target?: string;
  note?: string;
}

export function fmt(v: number, digits = 3): string {
  return Number.isFinite(v) ? v.toFixed(digits) : String(v);
}

/** A port free on 127.0.0.1 now (for processes that must know each other's ports before they start, e.g. a ring). */
export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
