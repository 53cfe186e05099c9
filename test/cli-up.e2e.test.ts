// `punctual up` end to end, as an operator runs it: one command starts a
// controller and a local worker on real models; status and infer talk to it;
// Ctrl-C stops everything. Its workers join with a token made for them, so a
// stranger's worker does not; with an infer token only (Admin closed) it
// still starts and serves; on a non-loopback address without an admin token
// it refuses to start.
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { CLI } from './support/cluster.js';

const run = promisify(execFile);

/** The environment without any token a developer's shell may carry. */
function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, PUNCTUAL_LOG_LEVEL: 'warn', ...extra };
  for (const k of ['PUNCTUAL_ADMIN_TOKEN', 'PUNCTUAL_INFER_TOKEN', 'PUNCTUAL_WORKER_TOKEN', 'PUNCTUAL_TOKEN', 'PUNCTUAL_METRICS_TOKEN']) if (!(k in extra)) delete env[k];
  return env;
}

async function cli(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [CLI, ...args], { env: cleanEnv(env) });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: e.code ?? -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

interface Ready {
  controller: string;
  workers: number;
  models: { name: string }[];
}

/** Starts `punctual up --json …` and resolves with its "ready" line. */
function startUp(args: string[], env: Record<string, string> = {}): { child: ChildProcess; ready: Promise<Ready>; stderr: () => string } {
  const child = spawn(process.execPath, [CLI, 'up', '--port', '0', '--metrics-port', '0', '--http-port', '0', '--json', ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: cleanEnv(env) });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const ready = new Promise<Ready>((resolve, reject) => {
    const rl = readline.createInterface({ input: child.stdout! });
    rl.on('line', (line) => {
      const msg = JSON.parse(line) as Ready & { event?: string };
      if (msg.event === 'ready') resolve(msg);
    });
    child.on('exit', (code) => reject(new Error(`up exited with ${code}: ${stderr}`)));
  });
  return { child, ready, stderr: () => stderr };
}

async function stopUp(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null) return child.exitCode;
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  child.kill('SIGINT');
  return exited;
}

describe('punctual up', () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'punctual-up-'));
  let up: ChildProcess | undefined;
  const others: ChildProcess[] = [];

  afterAll(() => {
    for (const c of [up, ...others]) if (c && c.exitCode === null) c.kill('SIGKILL');
    fs.rmSync(root, { recursive: true, force: true });
  });

  it('builds the default repository, serves real models, answers status and infer, and stops on Ctrl-C', async () => {
    const repo = path.join(root, 'repo');
    up = spawn(process.execPath, [CLI, 'up', '--port', '0', '--http-port', '0', '--repo', repo, '--json'], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, PUNCTUAL_LOG_LEVEL: 'warn' },
    });
    const child = up;
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    let httpPort: number | undefined;
    const ready = await new Promise<{ controller: string; workers: number; models: { name: string }[] }>((resolve, reject) => {
      const rl = readline.createInterface({ input: child.stdout! });
      rl.on('line', (line) => {
        const msg = JSON.parse(line) as { event?: string; controller?: string; workers?: number; models?: { name: string }[]; httpPort?: number };
        if (msg.event === 'listening') httpPort = msg.httpPort;
        if (msg.event === 'ready') resolve(msg as { controller: string; workers: number; models: { name: string }[] });
      });
      child.on('exit', (code) => reject(new Error(`up exited with ${code}: ${stderr}`)));
    });
    expect(ready.workers).toBe(1);
    expect(ready.models.map((m) => m.name).sort()).toEqual(['cls', 'det', 'rec']);
    // V2 REST on the port its listening line gave.
    expect(httpPort).toBeGreaterThan(0);
    const meta = await fetch(`http://127.0.0.1:${httpPort}/v2/models/det`);
    expect(meta.status).toBe(200);
    expect(await meta.json()).toMatchObject({ name: 'det', inputs: [{ name: 'x', datatype: 'FP32' }] });
    expect(fs.existsSync(path.join(repo, 'det', '1', 'model.onnx'))).toBe(true);
    expect(fs.existsSync(path.join(repo, 'det', '1', 'config.json'))).toBe(true);

    // A worker of someone else's, without a token, is turned away: up's own carry one made for them.
    const stranger = spawn(process.execPath, [CLI, '--controller', ready.controller, 'worker', '--metrics-port', '-1', '--health-port', '-1'], { stdio: ['ignore', 'ignore', 'pipe'], env: cleanEnv() });
    others.push(stranger);
    let strangerLog = '';
    stranger.stderr!.on('data', (d: Buffer) => (strangerLog += d.toString()));
    const until = Date.now() + 20_000;
    while (!/needs a token/.test(strangerLog) && Date.now() < until) await new Promise((r) => setTimeout(r, 100));
    expect(strangerLog).toMatch(/needs a token/);
    stranger.kill('SIGKILL');

    const status = await cli(['status', '--controller', ready.controller, '--json']);
    expect(status.code).toBe(0);
    const s = JSON.parse(status.stdout) as { workers: { executors: { device: string }[] }[]; models: { name: string }[] };
    expect(s.workers).toHaveLength(1);
    expect(s.workers[0]!.executors[0]!.device).toBe('cpu');
    expect(s.models.map((m) => m.name).sort()).toEqual(['cls', 'det', 'rec']);

    const ok = await cli(['infer', 'det', '--controller', ready.controller, '--slo-ms', '2000', '--json']);
    expect(ok.code).toBe(0);
    const r = JSON.parse(ok.stdout) as { status: string; latency_ms: number; outputs: Record<string, { shape: number[] }> };
    expect(r.status).toBe('OK');
    expect(r.outputs['sigmoid_0.tmp_0']!.shape).toEqual([1, 1, 224, 224]);
    expect(r.latency_ms).toBeGreaterThan(0);

    const rejected = await cli(['infer', 'det', '--controller', ready.controller, '--slo-ms', '1', '--json']);
    expect(rejected.code).toBe(1);
    const rj = JSON.parse(rejected.stdout) as { status: string; message: string };
    expect(rj.status).toBe('RESOURCE_EXHAUSTED');
    expect(rj.message).toMatch(/slo_unattainable: predicted [\d.]+ ms > slo 1 ms/);

    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    child.kill('SIGINT');
    expect(await exited).toBe(0);
    // Nothing listens any more.
    const after = await cli(['status', '--controller', ready.controller, '--json']);
    expect(after.code).toBe(1);
  });

  it('starts with an infer token only: its worker joins, inference takes the infer token, Admin is closed', async () => {
    const INFER = 'infer-secret-up-5e1a';
    const started = startUp(['--repo', path.join(root, 'repo')], { PUNCTUAL_INFER_TOKEN: INFER });
    others.push(started.child);
    const ready = await started.ready;
    expect(ready.workers).toBe(1);
    expect(ready.models.map((m) => m.name).sort()).toEqual(['cls', 'det', 'rec']);
    const ok = await cli(['infer', 'cls', '--controller', ready.controller, '--slo-ms', '2000', '--json'], { PUNCTUAL_TOKEN: INFER });
    expect(ok.code).toBe(0);
    expect((JSON.parse(ok.stdout) as { status: string }).status).toBe('OK');
    const anonymous = await cli(['infer', 'cls', '--controller', ready.controller, '--slo-ms', '2000', '--json']);
    expect(anonymous.code).toBe(1);
    expect((JSON.parse(anonymous.stdout) as { status: string }).status).toBe('UNAUTHENTICATED');
    const status = await cli(['status', '--controller', ready.controller, '--json'], { PUNCTUAL_TOKEN: INFER });
    expect(status.code).toBe(1);
    const st = JSON.parse(status.stdout) as { status: string; message: string };
    expect(st.status).toBe('PERMISSION_DENIED');
    expect(st.message).toContain('--admin-token');
    expect(started.stderr()).not.toContain(INFER);
    expect(await stopUp(started.child)).toBe(0);
  });

  it('starts with an admin token only: its worker joins with its own token, Admin takes the admin token', async () => {
    const ADMIN = 'admin-secret-up-0c7d';
    const started = startUp(['--repo', path.join(root, 'repo')], { PUNCTUAL_ADMIN_TOKEN: ADMIN });
    others.push(started.child);
    const ready = await started.ready;
    expect(ready.workers).toBe(1);
    const status = await cli(['status', '--controller', ready.controller, '--json'], { PUNCTUAL_TOKEN: ADMIN });
    expect(status.code).toBe(0);
    expect((JSON.parse(status.stdout) as { workers: unknown[] }).workers).toHaveLength(1);
    expect((await cli(['status', '--controller', ready.controller, '--json'])).code).toBe(1);
    const ok = await cli(['infer', 'cls', '--controller', ready.controller, '--slo-ms', '2000', '--json']);
    expect(ok.code).toBe(0);
    expect(await stopUp(started.child)).toBe(0);
  });

  it('refuses a non-loopback --host without an admin token before building anything (exit 2)', async () => {
    const repo = path.join(root, 'never-built');
    const r = await cli(['up', '--host', '0.0.0.0', '--port', '0', '--repo', repo]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('refusing to listen on 0.0.0.0 without an admin token');
    expect(r.stderr).toContain('--insecure');
    expect(fs.existsSync(repo)).toBe(false);
  });
});
