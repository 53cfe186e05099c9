// A short open-loop replay against a real cluster (controller and worker
// processes, onnxruntime running det), through the CLI in-process: the three
// output files are written and agree — every sent request appears exactly
// once. The fifo controller answers every request too, late ones included.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCliCaptured } from './support/run-cli.js';
import type { ReplaySummary } from '../traces/replay.js';
import { randomFloat32, TestCluster } from './support/cluster.js';

const cli = runCliCaptured;

const clusters: TestCluster[] = [];
const dirs: string[] = [];
afterAll(async () => {
  for (const c of clusters) await c.stop();
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

async function cluster(policy: 'punctual' | 'fifo'): Promise<TestCluster> {
  const c = await TestCluster.withDefaultRepo(['det']);
  clusters.push(c);
  await c.startController(['--policy', policy]);
  c.startWorker();
  await c.waitForWorkers(1);
  // Warm: det loaded before the run, so what it measures is serving, not one cold start under load.
  await c.client.infer('det', { x: randomFloat32([3, 224, 224]) }, { sloMs: 30_000 });
  return c;
}

interface Line {
  id: number;
  model: string;
  arrival_ms: number;
  status: string;
  latency_ms: number;
  server_ms?: number;
}

describe('replay against a live cluster', () => {
  it('writes requests.jsonl, summary.json and report.svg with consistent counts', async () => {
    const c = await cluster('punctual');
    expect((await c.client.clusterStatus()).policy).toBe('punctual');
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'punctual-replay-'));
    dirs.push(out);
    // ~1.5× what one det executor serves: some accepted, some rejected.
    const r = await cli(['--controller', c.address, '--json', 'replay', '--workload', 'constant', '--rate', '150', '--duration', '3', '--models', 'det', '--slo-ms', '100', '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    const printed = JSON.parse(r.stdout) as ReplaySummary;
    const summary = JSON.parse(fs.readFileSync(path.join(out, 'summary.json'), 'utf8')) as ReplaySummary;
    expect(summary).toEqual(printed);
    const lines = fs.readFileSync(path.join(out, 'requests.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Line);
    expect(lines.length).toBe(summary.requests);
    expect(summary.requests).toBeGreaterThan(300);
    const ids = lines.map((l) => l.id).sort((a, b) => a - b);
    expect(ids).toEqual(Array.from({ length: lines.length }, (_, i) => i)); // each sent request exactly once
    expect(summary.ok + summary.rejected + summary.late + summary.errors).toBe(summary.requests);
    expect(lines.filter((l) => l.status === 'ok').length).toBe(summary.ok);
    expect(lines.filter((l) => l.status === 'rejected').length).toBe(summary.rejected);
    // 1.5x overload: the controller serves a share and rejects the rest at arrival.
    // (How large a share is a benchmark figure, and on a loaded machine a small one; here only that both happen.)
    expect(summary.ok).toBeGreaterThan(0);
    expect(summary.rejected).toBeGreaterThan(0);
    expect(summary.errors).toBe(0);
    expect(summary.per_model['det']?.requests).toBe(summary.requests);
    expect(lines.every((l) => l.model === 'det' && l.arrival_ms >= 0 && l.arrival_ms < 3000)).toBe(true);
    expect(lines.filter((l) => l.status === 'ok').every((l) => typeof l.server_ms === 'number')).toBe(true);
    expect(summary.config).toMatchObject({ mode: 'replay', workload: 'constant', rate_rps: 150, slo_ms: 100 });
    expect(summary.generator.lag_p50_ms).toBeGreaterThanOrEqual(0);
    const svg = fs.readFileSync(path.join(out, 'report.svg'), 'utf8');
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg.trimEnd().endsWith('</svg>')).toBe(true);
    expect(svg).toContain('goodput (ok within SLO)');
    expect(svg).toContain(`${summary.requests} requests`);
  });

  // Retried once: in 2 of 6 full-suite runs on 2026-12-02 (never in 23 runs of this file alone) nearly
  // every request of this case missed the client's deadline, a stall of the fifo cluster for ~10 s.
  // The likely cause, mended in 520e091: a worker slowed for a second (a busy machine) had its actions
  // given up as lost, its executor set aside for 5 s and their requests queued again, to run twice
  // (fifo drops nothing). A lost action now needs its worker to answer a ping sent after it should
  // have ended. The retry stays until full-suite runs show it is gone; a failure writes its diagnostics
  // (named on stderr), and a second failure fails the suite.
  it('a fifo controller accepts everything and still answers every request', { retry: 1 }, async () => {
    const c = await cluster('fifo');
    expect((await c.client.clusterStatus()).policy).toBe('fifo');
    // One second of 1.5x overload: its backlog drains well within the client's deadline (SLO + 10 s)
    // even on a slow machine (two seconds of it once took a CI run past that deadline).
    const r = await cli(['--controller', c.address, '--json', 'replay', '--workload', 'constant', '--rate', '150', '--duration', '1', '--models', 'det', '--slo-ms', '100']);
    expect(r.code, r.stderr).toBe(0);
    const s = JSON.parse(r.stdout) as ReplaySummary;
    try {
      expect(s.rejected).toBe(0);
      expect(s.late + s.errors).toBe(0);
      expect(s.ok).toBe(s.requests);
      expect(s.ok_within_slo).toBeLessThan(s.ok); // overload turned into queueing
    } catch (err) {
      // Keep what the intermittent stall leaves behind: the summary, the cluster's status, its
      // scheduler metrics and the processes' warnings, in a file named on stderr.
      const file = path.join(os.tmpdir(), `punctual-fifo-stall-${Date.now()}.txt`);
      const status = await c.client.clusterStatus().catch((e: unknown) => String(e));
      const metrics = await c.metricsText().catch((e: unknown) => String(e));
      const scheduler = metrics.split('\n').filter((l) => /^punctual_(actions|requests|exec_prediction|model_loads|workers|queue_depth|slo)/.test(l));
      fs.writeFileSync(file, [JSON.stringify(s, null, 2), JSON.stringify(status, null, 2), scheduler.join('\n'), c.logText()].join('\n\n'));
      console.error(`fifo replay failed; diagnostics in ${file}\n${scheduler.join('\n')}\n${c.logText().slice(-4000)}`);
      throw err;
    }
  });
});
