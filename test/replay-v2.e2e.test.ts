// `punctual replay --protocol v2` against Punctual's own V2 endpoint (real
// controller and worker processes, onnxruntime running det), through the CLI
// in-process: over gRPC (inference.GRPCInferenceService on the controller's
// port) and over HTTP (V2 REST on its --http-port, binary-data extension and
// JSON) the summary counts every request, and what it counts — answered,
// rejected and why — is what the controller's own metrics saw. `compare
// --targets` puts two runs side by side and draws compare.svg.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ReplaySummary } from '../traces/replay.js';
import { CLI, randomFloat32, TestCluster } from './support/cluster.js';
import { sample, scrape } from './support/oip-client.js';
import { runCliCaptured as cli } from './support/run-cli.js';

let c: TestCluster;
const dirs: string[] = [];
beforeAll(async () => {
  c = await TestCluster.withDefaultRepo(['det']);
  await c.startController();
  c.startWorker();
  await c.waitForWorkers(1);
  // Warm: det loaded before the runs, so what they measure is serving, not one cold start.
  await c.client.infer('det', { x: randomFloat32([3, 224, 224]) }, { sloMs: 30_000 });
});
afterAll(async () => {
  await c?.stop();
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

function tmp(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'punctual-replay-v2-'));
  dirs.push(d);
  return d;
}

interface Line {
  id: number;
  status: string;
  reason?: string;
  code?: string;
}

/** The controller's request counters for det, by status, and its rejections by reason. */
async function serverCounts(): Promise<{ byStatus: Record<string, number>; rejections: Record<string, number> }> {
  const text = await scrape(c.metricsPort);
  const byStatus: Record<string, number> = {};
  for (const status of ['OK', 'RESOURCE_EXHAUSTED', 'DEADLINE_EXCEEDED', 'UNAVAILABLE', 'INTERNAL', 'INVALID_ARGUMENT']) {
    byStatus[status] = sample(text, 'punctual_requests_total', { model: 'det', status });
  }
  const rejections: Record<string, number> = {};
  for (const reason of ['slo_unattainable', 'model_too_large', 'no_executor']) rejections[reason] = sample(text, 'punctual_admission_rejections_total', { model: 'det', reason });
  return { byStatus, rejections };
}

function minus(a: Record<string, number>, b: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(a).map(([k, v]) => [k, v - (b[k] ?? 0)]).filter(([, v]) => v !== 0));
}

describe('replay --protocol v2 against Punctual’s own V2 endpoints', () => {
  it('over gRPC: every request counted once, and the counts are the controller’s', async () => {
    const before = await serverCounts();
    const out = tmp();
    // ~1.5x what one det executor serves: some answered, some rejected at admission (how many
    // depends on the machine's load: a benchmark figure, not this test's).
    const r = await cli(['--controller', c.address, '--json', 'replay', '--protocol', 'v2', '--workload', 'constant', '--rate', '150', '--duration', '3', '--models', 'det', '--slo-ms', '100', '--out', out]);
    expect(r.code, r.stderr + r.stdout).toBe(0);
    const s = JSON.parse(r.stdout) as ReplaySummary;
    expect(s.config).toMatchObject({ mode: 'replay', protocol: 'v2', transport: 'grpc', target: `grpc://${c.address}`, slo_as: 'timeout', slo_ms: 100 });
    const lines = fs.readFileSync(path.join(out, 'requests.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Line);
    expect(lines.length).toBe(s.requests);
    expect(lines.map((l) => l.id).sort((a, b) => a - b)).toEqual(Array.from({ length: lines.length }, (_, i) => i));
    expect(s.requests).toBeGreaterThan(300);
    expect(s.ok + s.rejected + s.late + s.errors).toBe(s.requests);
    expect(s.ok).toBeGreaterThan(0);
    expect(s.rejected).toBeGreaterThan(0);
    expect(s.errors).toBe(0);

    const after = await serverCounts();
    const seen = minus(after.byStatus, before.byStatus);
    // The controller saw exactly these requests and answered them as the replay counted.
    expect(Object.values(seen).reduce((a, b) => a + b, 0)).toBe(s.requests);
    expect(seen.OK ?? 0).toBe(s.ok);
    expect(seen.RESOURCE_EXHAUSTED ?? 0).toBe(s.rejected);
    expect(seen.DEADLINE_EXCEEDED ?? 0).toBe(s.late);
    // Rejections by reason, from the punctual-reason trailer, are the controller's own.
    expect(s.reasons.rejected).toEqual(minus(after.rejections, before.rejections));
    expect(lines.filter((l) => l.status === 'rejected').every((l) => l.code === 'RESOURCE_EXHAUSTED' && l.reason === 'slo_unattainable')).toBe(true);
    expect(fs.readFileSync(path.join(out, 'report.svg'), 'utf8')).toContain(`V2 against grpc://${c.address}`);
  });

  it('over HTTP with the binary-data extension: the same, rejections as 429 with their reason', async () => {
    expect(c.httpPort).toBeGreaterThan(0);
    const url = `http://127.0.0.1:${c.httpPort}`;
    const before = await serverCounts();
    const out = tmp();
    const r = await cli(['--json', 'replay', '--target', url, '--workload', 'constant', '--rate', '150', '--duration', '3', '--models', 'det', '--slo-ms', '100', '--out', out]);
    expect(r.code, r.stderr + r.stdout).toBe(0);
    const s = JSON.parse(r.stdout) as ReplaySummary;
    expect(s.config).toMatchObject({ protocol: 'v2', transport: 'http', encoding: 'binary', target: url });
    const lines = fs.readFileSync(path.join(out, 'requests.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Line);
    expect(lines.length).toBe(s.requests);
    expect(s.requests).toBeGreaterThan(300);
    expect(s.ok).toBeGreaterThan(0);
    expect(s.rejected).toBeGreaterThan(0);
    expect(s.errors).toBe(0);
    const after = await serverCounts();
    const seen = minus(after.byStatus, before.byStatus);
    expect(Object.values(seen).reduce((a, b) => a + b, 0)).toBe(s.requests);
    expect(seen.OK ?? 0).toBe(s.ok);
    expect(seen.RESOURCE_EXHAUSTED ?? 0).toBe(s.rejected);
    expect(s.reasons.rejected).toEqual(minus(after.rejections, before.rejections));
    expect(lines.filter((l) => l.status === 'rejected').every((l) => l.code === 'HTTP_429' && l.reason === 'slo_unattainable')).toBe(true);
    expect(s.generator.transport_waiting_max).toBeGreaterThanOrEqual(0);
  });

  it('over HTTP with JSON tensors, counted the same', async () => {
    const before = await serverCounts();
    const r = await cli(['--json', 'replay', '--target', `http://127.0.0.1:${c.httpPort}`, '--encoding', 'json', '--workload', 'constant', '--rate', '10', '--duration', '2', '--models', 'det', '--slo-ms', '1000']);
    expect(r.code, r.stderr + r.stdout).toBe(0);
    const s = JSON.parse(r.stdout) as ReplaySummary;
    const seen = minus((await serverCounts()).byStatus, before.byStatus);
    expect(s.requests).toBeGreaterThan(5);
    expect(s.errors).toBe(0);
    expect(Object.values(seen).reduce((a, b) => a + b, 0)).toBe(s.requests);
    expect(seen.OK ?? 0).toBe(s.ok);
    expect(s.ok).toBeGreaterThan(0);
  });

  it('a model the controller lacks is a clear NOT_FOUND, an unreachable target UNAVAILABLE', async () => {
    const a = await cli(['--json', 'replay', '--target', `grpc://${c.address}`, '--workload', 'constant', '--duration', '1', '--models', 'nope']);
    expect(a.code).toBe(1);
    expect(JSON.parse(a.stdout)).toMatchObject({ status: 'NOT_FOUND', message: expect.stringContaining(`model nope: the V2 server at grpc://${c.address} has no such model`) });
    const b = await cli(['--json', 'replay', '--target', 'grpc://127.0.0.1:1', '--workload', 'constant', '--duration', '1', '--models', 'det']);
    expect(b.code).toBe(1);
    expect(JSON.parse(b.stdout)).toMatchObject({ status: 'UNAVAILABLE', message: expect.stringContaining('cannot reach a V2 gRPC server at grpc://127.0.0.1:1') });
    const h = await cli(['--json', 'replay', '--target', `http://127.0.0.1:${c.httpPort}`, '--workload', 'constant', '--duration', '1', '--models', 'nope']);
    expect(h.code).toBe(1);
    expect(JSON.parse(h.stdout)).toMatchObject({ status: 'NOT_FOUND', message: expect.stringContaining(`model nope: the V2 server at http://127.0.0.1:${c.httpPort} has no such model`) });
    // The HTTP client at the gRPC port and back: a clear error, not a crash.
    const w = await cli(['--json', 'replay', '--target', `http://${c.address}`, '--workload', 'constant', '--duration', '1', '--models', 'det']);
    expect(w.code).toBe(1);
    expect(JSON.parse(w.stdout)).toMatchObject({ status: 'UNAVAILABLE', message: expect.stringContaining("is this the server's HTTP port") });
    const g = await cli(['--json', 'replay', '--target', `grpc://127.0.0.1:${c.httpPort}`, '--workload', 'constant', '--duration', '1', '--models', 'det']);
    expect(g.code).toBe(1);
    expect(JSON.parse(g.stdout)).toMatchObject({ status: 'UNAVAILABLE', message: expect.stringContaining("is this the server's gRPC port") });
  });

  it('compare --targets: the same workload against two V2 endpoints, side by side', async () => {
    const out = tmp();
    const r = await cli(['--json', 'compare', '--workload', 'constant', '--rate', '40', '--duration', '1', '--models', 'det', '--slo-ms', '200', '--targets', `a=grpc://${c.address},b=http://127.0.0.1:${c.httpPort}`, '--out', out]);
    expect(r.code, r.stderr + r.stdout).toBe(0);
    const both = JSON.parse(r.stdout) as Record<string, ReplaySummary>;
    expect(Object.keys(both)).toEqual(['a', 'b']);
    // The same arrivals: a seeded workload, mapped onto the same model.
    expect(both.a!.requests).toBe(both.b!.requests);
    expect(both.a!.requests).toBeGreaterThan(20);
    for (const s of Object.values(both)) expect(s.ok + s.rejected + s.late + s.errors).toBe(s.requests);
    const svg = fs.readFileSync(path.join(out, 'compare.svg'), 'utf8');
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg.match(/<svg\b/g)?.length).toBe(3); // the frame and two reports
    expect(svg).toContain('>a</text>');
    expect(fs.existsSync(path.join(out, 'b', 'requests.jsonl'))).toBe(true);
  });
});

describe('compare --targets with a local cluster', () => {
  it('local-http starts a Punctual cluster of its own and replays to its V2 REST, beside a running one', async () => {
    // A repository for the local cluster (never started as a TestCluster itself).
    const repoOnly = await TestCluster.withDefaultRepo(['det']);
    try {
      // As a process of the compiled CLI: the local cluster's processes are started from dist/ beside it.
      const r = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
        execFile(process.execPath, [CLI, '--json', 'compare', '--workload', 'constant', '--rate', '20', '--duration', '1', '--models', 'det', '--slo-ms', '1000', '--repo', repoOnly.repo, '--targets', `local-http,running=grpc://${c.address}`], { timeout: 90_000 }, (err, stdout, stderr) =>
          resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
        );
      });
      expect(r.code, r.stderr + r.stdout).toBe(0);
      const both = JSON.parse(r.stdout) as Record<string, ReplaySummary>;
      expect(Object.keys(both)).toEqual(['local-http', 'running']);
      expect(both['local-http']!.config).toMatchObject({ transport: 'http', target: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+$/) });
      expect(both['local-http']!.requests).toBe(both.running!.requests);
      expect(both['local-http']!.ok).toBeGreaterThan(0);
      expect(both['local-http']!.errors).toBe(0);
    } finally {
      await repoOnly.stop();
    }
  });
});

describe('replay --protocol v2 with tokens', () => {
  const ADMIN = 'admin-token-for-replay-v2';
  const INFER = 'infer-token-for-replay-v2';
  let t: TestCluster;
  beforeAll(async () => {
    t = await TestCluster.withDefaultRepo(['det']);
    t.token = ADMIN; // the worker joins with it, the test client uses it
    await t.startController(['--admin-token', ADMIN, '--infer-token', INFER]);
    t.startWorker();
    await t.waitForWorkers(1);
  });
  afterAll(async () => {
    await t?.stop();
  });

  it('the infer token as bearer: answered over gRPC and HTTP; none: a clear UNAUTHENTICATED before the run', async () => {
    for (const target of [`grpc://${t.address}`, `http://127.0.0.1:${t.httpPort}`]) {
      const ok = await cli(['--json', '--token', INFER, 'replay', '--target', target, '--workload', 'constant', '--rate', '10', '--duration', '1', '--models', 'det', '--slo-ms', '5000']);
      expect(ok.code, ok.stderr + ok.stdout).toBe(0);
      const s = JSON.parse(ok.stdout) as ReplaySummary;
      expect(s.requests).toBeGreaterThan(0);
      expect(s.ok).toBe(s.requests);
      const none = await cli(['--json', 'replay', '--target', target, '--workload', 'constant', '--duration', '1', '--models', 'det']);
      expect(none.code).toBe(1);
      expect(JSON.parse(none.stdout)).toMatchObject({ status: 'UNAUTHENTICATED', message: expect.stringContaining(target) });
    }
  });

  it('without --models, an infer token cannot list the repository: the message says to name them', async () => {
    const r = await cli(['--json', '--token', INFER, 'replay', '--target', `grpc://${t.address}`, '--workload', 'constant', '--duration', '1']);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout)).toMatchObject({ status: 'PERMISSION_DENIED', message: expect.stringMatching(/does not list its models.*name them with --models/) });
  });
});
