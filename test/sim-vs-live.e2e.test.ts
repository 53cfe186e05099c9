// `punctual compare --sim-vs-live`: the same workload simulated and replayed
// against a local cluster of the same shape (real processes, real
// onnxruntime), mapped onto the same models in the same order. Checked here:
// both runs see exactly the same requests, every one ends once, and the
// differences are reported; how close they are is a benchmark's question
// (BENCHMARKS.md, "Simulated vs live").
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { CLI } from './support/cluster.js';
import type { Summary } from '../traces/summary.js';

const run = promisify(execFile);
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'punctual-svl-'));

afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('compare --sim-vs-live', () => {
  it('runs one workload simulated and live on the same models and shows both, with their differences', async () => {
    const args = [CLI, 'compare', '--sim-vs-live', '--workload', 'constant', '--rate', '20', '--duration', '4', '--models', 'cls,det', '--repo', path.join(dir, 'repo'), '--json'];
    const { stdout } = await run(process.execPath, args, { cwd: dir, timeout: 120_000, maxBuffer: 64 * 2 ** 20 });
    const out = JSON.parse(stdout.trim().split('\n').pop()!) as { simulated: Summary; live: Summary; difference: Record<string, number> };
    expect(out.live.requests).toBe(out.simulated.requests);
    expect(out.simulated.requests).toBeGreaterThan(40); // Poisson arrivals at 20/s for 4 s
    for (const s of [out.simulated, out.live]) {
      expect(s.ok + s.rejected + s.late + s.errors).toBe(s.requests);
      expect(Object.keys(s.per_model).map((k) => k.split('@')[0]).sort()).toEqual(['cls', 'det']);
    }
    // The same arrivals went to the same models in both.
    for (const m of ['cls', 'det']) {
      // The simulator names a model by its key (cls@1), a replay by the name it sent (cls).
      const n = (s: Summary): number => Object.entries(s.per_model).find(([k]) => k.split('@')[0] === m)![1].requests;
      expect(n(out.live)).toBe(n(out.simulated));
    }
    expect(out.live.errors).toBe(0);
    expect(out.difference.goodput_ratio).toBeCloseTo(out.live.goodput_rps / out.simulated.goodput_rps, 9);
    expect(out.difference.slo_attainment_points).toBeCloseTo(100 * (out.live.slo_attainment - out.simulated.slo_attainment), 9);
  });

  it('refuses --model-instances, which only a simulation has', async () => {
    const err = await run(process.execPath, [CLI, 'compare', '--sim-vs-live', '--workload', 'constant', '--model-instances', '5'], { cwd: dir }).catch((e: { code: number; stderr: string }) => e);
    expect(err).toMatchObject({ code: 1 });
    expect((err as { stderr: string }).stderr).toMatch(/--model-instances is for simulation alone/);
  });
});
