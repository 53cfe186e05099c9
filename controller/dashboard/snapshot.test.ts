// The dashboard's JSON from a real serving core, driven by a manual clock
// and a fake worker that answers what it is sent: rolling attainment,
// goodput and percentiles per model, rejections by reason, residency,
// executor memory and utilisation, and the bounds (rows, names, pruning).
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../common/clock.js';
import { createLogger } from '../../common/log.js';
import type { ActionResult__Output, ControllerMessage } from '../../common/wire.js';
import { ModelRegistry } from '../model-registry.js';
import { Estimates } from '../scheduler/estimates.js';
import { ServingCore } from '../serving-core.js';
import type { WorkerConnection } from '../worker-connection.js';
import { DashboardStats, SERIES_SECONDS } from './dashboard-stats.js';
import { buildDashboardSnapshot } from './snapshot.js';

interface Sent {
  id: number;
  type: string;
  modelKey: string;
  batch: number;
}

function fakeWorker(id: string, name = id, memoryBytes = 1e9): { conn: WorkerConnection; sent: Sent[] } {
  const sent: Sent[] = [];
  const conn = {
    id,
    name,
    closed: false,
    draining: false,
    unresponsive: false,
    connectedAt: 0,
    offset: 0,
    rtt: 0,
    adopted: [],
    executors: [{ index: 0, device: 'cpu', threads: 1, memoryBytes }],
    send: (msg: ControllerMessage) => {
      const a = msg.action;
      if (a) sent.push({ id: Number(a.id), type: String(a.type), modelKey: String(a.modelKey), batch: a.inputs?.[0]?.shape?.[0] ? Number(a.inputs[0].shape[0]) : 1 });
    },
    toWorker: (t: number) => t,
    toController: (t: number) => t,
    close: () => undefined,
  } as unknown as WorkerConnection;
  return { conn, sent };
}

const input = [{ name: 'x', dtype: 'float32' as const, shape: [1, 2], data: new Uint8Array(8) }];

function setup(names: string[] = ['a', 'b']) {
  const clock = new ManualClock(100_000);
  const registry = new ModelRegistry();
  const estimates = new Estimates({ unknownExecMs: 10, unknownLoadMs: 50, clock });
  const core = new ServingCore({ clock, registry, estimates, log: createLogger('test', 'silent') });
  const stats = new DashboardStats(clock);
  core.observers.push(stats);
  const models = names.map((name) => {
    const m = registry.add({
      key: `${name}@1`,
      config: { name, version: 1, inputs: [{ name: 'x', dtype: 'float32', shape: [2] }], outputs: [{ name: 'y', dtype: 'float32', shape: [2] }], maxBatch: 1, batchSizes: [1], defaultSloMs: 100 },
      dir: '',
      file: '',
      size: 0,
      sha256: name,
    });
    core.addModel(m);
    return m;
  });
  const result = (a: Sent, start: number, end: number, memoryBytes = 1000): ActionResult__Output =>
    ({
      actionId: a.id,
      status: 'OK',
      message: '',
      receivedMs: start,
      startMs: start,
      endMs: end,
      durationMs: end - start,
      memoryBytes,
      outputs: a.type === 'INFER' ? [{ name: 'y', dtype: 'float32', shape: [a.batch, 2], data: Buffer.alloc(8 * a.batch) }] : [],
    }) as unknown as ActionResult__Output;
  /** Answers every action sent and not yet answered, each taking `ms`, advancing the clock. */
  const answerAll = (conn: WorkerConnection, sent: Sent[], done: Set<number>, ms: number): void => {
    for (;;) {
      const a = sent.find((s) => !done.has(s.id));
      if (!a) return;
      done.add(a.id);
      const start = clock.now();
      clock.advance(ms);
      core.onResult(conn, result(a, start, clock.now()));
    }
  };
  return { clock, core, estimates, stats, models, answerAll };
}

let cleanup: (() => void) | undefined;
afterEach(() => {
  cleanup?.();
  cleanup = undefined;
});

describe('buildDashboardSnapshot', () => {
  it('shows every model with zeros and no percentiles before any traffic, and no executors without workers', () => {
    const { core, estimates, stats, clock } = setup();
    cleanup = () => core.close();
    const s = buildDashboardSnapshot(core, estimates, stats, clock.now());
    expect(s.models.map((m) => m.key)).toEqual(['a@1', 'b@1']);
    expect(s.models[0]).toMatchObject({ name: 'a', sloMs: 100, queued: 0, loadedOn: [], window: { requests: 0, attainment: null, goodputRps: 0, p50Ms: null, p99Ms: null } });
    expect(s.models[0]!.series.within).toHaveLength(SERIES_SECONDS);
    expect(s.workers).toEqual([]);
    expect(s.summary).toMatchObject({ models: 2, workers: 0, executors: 0 });
    expect(s.window.attainment).toBeNull();
  });

  it('counts a rejection by its reason: no executor before a worker joins', () => {
    const { core, estimates, stats, models, clock } = setup();
    cleanup = () => core.close();
    expect(() => core.submit(models[0]!, input, 100, clock.now())).toThrow(/no executor|no worker/i);
    const s = buildDashboardSnapshot(core, estimates, stats, clock.now());
    const a = s.models.find((m) => m.key === 'a@1')!;
    expect(a.window).toMatchObject({ requests: 1, rejected: 1, within: 0, attainment: 0, rejectedBy: { no_executor: 1 } });
    expect(a.total).toMatchObject({ rejected: 1, rejectedBy: { no_executor: 1 } });
    expect(a.series.rejected.at(-1)).toBe(1);
    expect(s.window).toMatchObject({ requests: 1, rejected: 1 });
  });

  it('rolling attainment, goodput and p50/p99 from answers, residency and executor figures from the scheduler', () => {
    const { core, estimates, stats, models, clock, answerAll } = setup();
    cleanup = () => core.close();
    const { conn, sent } = fakeWorker('w1', 'worker-one');
    core.addWorker(conn);
    const done = new Set<number>();
    answerAll(conn, sent, done, 50); // the loads of the warm-up

    // 20 requests of a, one at a time, each running 5 ms: all within 100 ms.
    for (let i = 0; i < 20; i++) {
      const p = core.submit(models[0]!, input, 100, clock.now());
      answerAll(conn, sent, done, 5);
      void p;
      clock.advance(95);
    }
    // One that cannot make 1 ms: slo_unattainable.
    expect(() => core.submit(models[0]!, input, 1, clock.now())).toThrow(/slo_unattainable/);

    const s = buildDashboardSnapshot(core, estimates, stats, 0);
    const a = s.models.find((m) => m.key === 'a@1')!;
    expect(a.window.within).toBe(20);
    expect(a.window.rejectedBy).toEqual({ slo_unattainable: 1 });
    expect(a.window.attainment).toBeCloseTo(20 / 21, 6);
    // 20 answers in the last 10 s window (the requests spanned 2 s): goodput = 20 / span.
    expect(a.window.goodputRps).toBeGreaterThan(1);
    expect(a.window.p50Ms).toBe(5);
    expect(a.window.p99Ms).toBe(5);
    expect(a.total).toMatchObject({ ok: 20, rejected: 1, late: 0 });
    expect(a.loadedOn).toEqual(['w1/0']);
    expect(a.series.within.reduce((x, y) => x + y, 0)).toBe(20);

    expect(s.workers).toHaveLength(1);
    const w = s.workers[0]!;
    expect(w).toMatchObject({ id: 'w1', name: 'worker-one', draining: false, unresponsive: false });
    const e = w.executors[0]!;
    expect(e).toMatchObject({ id: 'w1/0', device: 'cpu', memoryBudgetBytes: 1e9 });
    expect(e.memoryUsedBytes).toBeGreaterThan(0);
    expect(e.holds.map((h) => h.model).sort()).toEqual(['a@1', 'b@1']);
    expect(e.holds.every((h) => h.state === 'loaded')).toBe(true);
    // 20 × 5 ms of inference in a window of about 2 s (the stats began at 100 s; now is about 102.1 s).
    expect(e.utilisation).toBeCloseTo(100 / (clock.now() - 100_000), 2);
    expect(e.utilisationSeries.reduce((x, y) => x + y, 0)).toBeCloseTo(0.1, 6);
    expect(s.summary).toMatchObject({ requestsOk: 20, requestsRejected: 1, workers: 1, executors: 1 });
  });

  it('counts an answer past its deadline as late, not within', () => {
    const { core, estimates, stats, models, clock, answerAll } = setup();
    cleanup = () => core.close();
    const { conn, sent } = fakeWorker('w1');
    core.addWorker(conn);
    const done = new Set<number>();
    answerAll(conn, sent, done, 50);
    const p = core.submit(models[1]!, input, 100, clock.now());
    // It runs 150 ms instead of the predicted 10: answered, after its deadline.
    answerAll(conn, sent, done, 150);
    void p;
    const b = buildDashboardSnapshot(core, estimates, stats, 0).models.find((m) => m.key === 'b@1')!;
    expect(b.window).toMatchObject({ requests: 1, within: 0, late: 1, attainment: 0, p50Ms: 150 });
    expect(b.total.late).toBe(1);
  });

  it('forgets the window after it passes, keeps the totals', () => {
    const { core, estimates, stats, models, clock, answerAll } = setup();
    cleanup = () => core.close();
    const { conn, sent } = fakeWorker('w1');
    core.addWorker(conn);
    const done = new Set<number>();
    answerAll(conn, sent, done, 50);
    void core.submit(models[0]!, input, 100, clock.now());
    answerAll(conn, sent, done, 5);
    clock.advance(61_000);
    const a = buildDashboardSnapshot(core, estimates, stats, 0).models.find((m) => m.key === 'a@1')!;
    expect(a.window).toMatchObject({ requests: 0, attainment: null, p50Ms: null });
    expect(a.series.within.every((n) => n === 0)).toBe(true);
    expect(a.total.ok).toBe(1);
  });

  it('shows at most maxModels rows: the busiest, in key order, and says how many are left out', () => {
    const names = Array.from({ length: 30 }, (_, i) => `m${String(i).padStart(2, '0')}`);
    const { core, estimates, stats, models, clock } = setup(names);
    cleanup = () => core.close();
    // No worker: each submit is rejected (no_executor), which is traffic all the same.
    for (const i of [25, 3, 17]) expect(() => core.submit(models[i]!, input, 100, clock.now())).toThrow();
    const s = buildDashboardSnapshot(core, estimates, stats, 0, { maxModels: 5 });
    expect(s.models).toHaveLength(5);
    expect(s.modelsHidden).toBe(25);
    const keys = s.models.map((m) => m.key);
    expect(keys).toEqual([...keys].sort());
    for (const k of ['m03@1', 'm17@1', 'm25@1']) expect(keys).toContain(k);
  });

  it('clips a long worker name and drops the stats of a model no longer registered', () => {
    const { core, estimates, stats, models, clock } = setup();
    cleanup = () => core.close();
    expect(() => core.submit(models[0]!, input, 100, clock.now())).toThrow();
    expect(stats.model('a@1')).toBeDefined();
    core.registry.remove('a@1');
    core.removeModel('a@1');
    const { conn } = fakeWorker('w1', `<b>${'x'.repeat(10_000)}</b>`);
    core.addWorker(conn);
    const s = buildDashboardSnapshot(core, estimates, stats, 0);
    expect(stats.model('a@1')).toBeUndefined();
    expect(s.models.map((m) => m.key)).toEqual(['b@1']);
    expect(s.workers[0]!.name.length).toBeLessThan(120);
    expect(s.workers[0]!.name.startsWith('<b>xxx')).toBe(true);
  });
});
