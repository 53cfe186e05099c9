// `punctual up` end to end, as an operator runs it: one command starts a
// controller and a local worker on real models; status and infer talk to it;
// Ctrl-C stops everything.
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { CLI } from './support/cluster.js';

const run = promisify(execFile);

async function cli(args: string[]): Promise<{ code: number; stdout: string }> {
  try {
    const { stdout } = await run(process.execPath, [CLI, ...args], { env: { ...process.env, PUNCTUAL_LOG_LEVEL: 'warn' } });
    return { code: 0, stdout };
  } catch (err) {
    const e = err as { code?: number; stdout?: string };
    return { code: e.code ?? -1, stdout: e.stdout ?? '' };
  }
}

describe('punctual up', () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'punctual-up-'));
  let up: ChildProcess | undefined;

  afterAll(() => {
    if (up && up.exitCode === null) up.kill('SIGKILL');
    fs.rmSync(root, { recursive: true, force: true });
  });

  it('builds the default repository, serves real models, answers status and infer, and stops on Ctrl-C', async () => {
    const repo = path.join(root, 'repo');
    up = spawn(process.execPath, [CLI, 'up', '--port', '0', '--repo', repo, '--json'], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, PUNCTUAL_LOG_LEVEL: 'warn' },
    });
    const child = up;
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const ready = await new Promise<{ controller: string; workers: number; models: { name: string }[] }>((resolve, reject) => {
      const rl = readline.createInterface({ input: child.stdout! });
      rl.on('line', (line) => {
        const msg = JSON.parse(line) as { event?: string; controller?: string; workers?: number; models?: { name: string }[] };
        if (msg.event === 'ready') resolve(msg as { controller: string; workers: number; models: { name: string }[] });
      });
      child.on('exit', (code) => reject(new Error(`up exited with ${code}: ${stderr}`)));
    });
    expect(ready.workers).toBe(1);
    expect(ready.models.map((m) => m.name).sort()).toEqual(['cls', 'det', 'rec']);
    expect(fs.existsSync(path.join(repo, 'det', '1', 'model.onnx'))).toBe(true);
    expect(fs.existsSync(path.join(repo, 'det', '1', 'config.json'))).toBe(true);

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
});
