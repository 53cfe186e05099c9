// The scheduler's decisions, driven by explicit times and a fixed table of
// estimates: no sockets, no timers, no real time.
//
// Model "a@1" runs in 10 + 2·b ms at batch b (12, 14, 18, 26 ms at 1, 2, 4, 8),
// loads in 50 ms and takes 100 MB.
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../common/clock.js';
import { Scheduler, type SchedulerOptions } from './scheduler.js';
import type { ActionOutcome, Decision, EstimateSource, ExecutorSpec, SchedRequest } from './types.js';

const MB = 1024 * 1024;

interface Cost {
  base: number;
  perItem: number;
  load: number;
  memory: number;
  /** Overrides base + perItem·b. */
  exec?: (b: number) => number;
}

const COSTS: Record<string, Cost> = {
  'a@1': { base: 10, perItem: 2, load: 50, memory: 100 * MB },
  'b@1': { base: 20, perItem: 5, load: 80, memory: 100 * MB },
  'c@1': { base: 5, perItem: 1, load: 30, memory: 100 * MB },
  'big@1': { base: 10, perItem: 2, load: 50, memory: 2000 * MB },
  // Batching that does not pay: batch 2 costs more than two batch-1 runs.
  'cpu@1': { base: 0, perItem: 0, load: 50, memory: 100 * MB, exec: (b) => (b === 1 ? 12 : 12 * b + 10) },
  // Batching exactly linear: the same requests per ms at every size.
  'lin@1': { base: 0, perItem: 12, load: 50, memory: 100 * MB },
};

/** Estimates from a fixed table; records what it is told but never learns. */
class TableEstimates implements EstimateSource {
  readonly execs: { model: string; batch: number; ms: number }[] = [];
  readonly loads: { model: string; ms: number }[] = [];
  private cost(model: string): Cost {
    const c = COSTS[model];
    if (!c) throw new Error(`no estimate for ${model}`);
    return c;
  }
  exec(model: string, batch: number): number {
    const c = this.cost(model);
    return c.exec ? c.exec(batch) : c.base + c.perItem * batch;
  }
  load(model: string): number {
    return this.cost(model).load;
  }
  memory(model: string): number {
    return this.cost(model).memory;
  }
  observeExec(model: string, batch: number, _cls: string, ms: number): void {
    this.execs.push({ model, batch, ms });
  }
  observeLoad(model: string, _cls: string, ms: number): void {
    this.loads.push({ model, ms });
  }
}

type Infer = Extract<Decision, { type: 'infer' }>;
type Load = Extract<Decision, { type: 'load' }>;
type Unload = Extract<Decision, { type: 'unload' }>;
type Drop = Extract<Decision, { type: 'drop' }>;
type Action = Infer | Load | Unload;

const infers = (ds: readonly Decision[]): Infer[] => ds.filter((d): d is Infer => d.type === 'infer');
const loads = (ds: readonly Decision[]): Load[] => ds.filter((d): d is Load => d.type === 'load');
const unloads = (ds: readonly Decision[]): Unload[] => ds.filter((d): d is Unload => d.type === 'unload');
const drops = (ds: readonly Decision[]): Drop[] => ds.filter((d): d is Drop => d.type === 'drop');
const ids = (rs: readonly SchedRequest[]): number[] => rs.map((r) => r.id);
const ok = (start: number, end: number): ActionOutcome => ({ status: 'ok', start, end, duration: end - start });

function executor(id: string, memoryMb = 1000): ExecutorSpec {
  return { id, workerId: id.split('/')[0]!, cls: 'cpu', memoryBudget: memoryMb * MB };
}

let nextId = 1;
function req(model: string, arrival: number, slo: number): SchedRequest {
  return { id: nextId++, model, arrival, deadline: arrival + slo };
}

function setup(opts: Partial<SchedulerOptions> = {}, executors: ExecutorSpec[] = [executor('w1/0')], est = new TableEstimates()) {
  const s = new Scheduler({ estimates: est, ...opts });
  s.addModel('a@1', [1, 2, 4, 8]);
  s.addModel('b@1', [1]);
  s.addModel('c@1', [1]);
  s.addModel('big@1', [1]);
  s.addModel('cpu@1', [1, 2, 4]);
  s.addModel('lin@1', [1, 2, 4]);
  for (const e of executors) s.addExecutor(e, 0);
  return { s, est };
}

/** Submits and expects acceptance. */
function accept(s: Scheduler, r: SchedRequest, now = r.arrival): SchedRequest {
  const a = s.submit(r, now);
  expect(a, `request ${r.id} should be accepted`).toMatchObject({ ok: true });
  return r;
}

/** Where the executor's timeline predicts an action starts (windows open at dispatch time). */
function predictedStart(s: Scheduler, actionId: number): number | undefined {
  for (const e of s.executors.values()) {
    const a = e.inflight.find((x) => x.id === actionId);
    if (a) return a.predictedStart;
  }
  return undefined;
}

/**
 * Completes the given actions as a punctual worker would (each starts at its
 * earliest or when the one before it on that executor ends, and takes what
 * was expected), then ticks at the last end, until nothing is left to do.
 * Returns the time everything is done and every decision seen.
 */
function runUntilIdle(s: Scheduler, t: number, first: Decision[] = s.tick(t)): { t: number; all: Decision[] } {
  const all = [...first];
  let ds = first;
  for (let round = 0; round < 1000; round++) {
    const actions = ds.filter((d): d is Action => d.type !== 'drop');
    if (actions.length === 0) {
      if (s.queued() === 0) return { t, all };
      throw new Error(`stuck at ${t} with ${s.queued()} queued`);
    }
    const cursor = new Map<string, number>();
    let last = t;
    for (const d of actions) {
      const start = Math.max(d.earliest, cursor.get(d.executor) ?? t);
      const end = start + d.expected;
      cursor.set(d.executor, end);
      s.complete(d.actionId, ok(start, end), end);
      last = Math.max(last, end);
    }
    t = last;
    ds = s.tick(t);
    all.push(...ds);
  }
  throw new Error('runUntilIdle did not settle');
}

/** Loads `model` through the public API (one request, served) and returns when the executor is idle again. */
function warm(s: Scheduler, model: string, t: number): number {
  accept(s, req(model, t, 100_000));
  return runUntilIdle(s, t).t;
}

/** Loads the model on every executor and runs until idle; returns the time. */
function warmAll(s: Scheduler, model: string, t: number): number {
  for (const id of s.executors.keys()) s.warm(id, [model], t);
  return runUntilIdle(s, t).t;
}

/**
 * Two executors holding a@1: w1/0 has it; enough loose work is admitted that
 * w1/0 alone cannot finish it by its deadlines, so a@1 is loaded on w2/0 too.
 * Returns the load decision and when both are idle.
 */
function replicate(s: Scheduler, t: number): { load: Load | undefined; t: number } {
  for (let i = 0; i < 500; i++) if (!s.submit(req('a@1', t, 300), t).ok) break;
  const first = s.tick(t);
  const load = loads(first).find((d) => d.model === 'a@1' && d.executor === 'w2/0');
  return { load, t: runUntilIdle(s, t, first).t };
}

describe('Scheduler: batching', () => {
  it('8 queued with a loose deadline: one infer of batch 8, window [start, deadline - expected]', () => {
    const { s } = setup();
    const t0 = warm(s, 'a@1', 0);
    expect(t0).toBe(62); // load 0..50, infer 50..62
    const rs = Array.from({ length: 8 }, () => accept(s, req('a@1', 100, 1000)));
    const ds = s.tick(100);
    expect(ds).toHaveLength(1);
    const d = infers(ds)[0]!;
    expect(d).toMatchObject({ executor: 'w1/0', model: 'a@1', earliest: 100, expected: 26, latest: 1100 - 26 });
    expect(ids(d.requests)).toEqual(ids(rs));
    expect(s.queued('a@1')).toBe(0);
  });

  it('a deadline only batch 2 can meet gives batch 2: the largest that finishes before the earliest deadline in it', () => {
    const { s } = setup();
    warm(s, 'a@1', 0);
    // Exec at 2 is 14 ms, at 4 it is 18 ms: a 15 ms SLO allows 2, not 4.
    const tight = accept(s, req('a@1', 100, 15));
    const loose = Array.from({ length: 7 }, () => accept(s, req('a@1', 100, 1000)));
    const first = infers(s.tick(100));
    expect(first).toHaveLength(1);
    expect(ids(first[0]!.requests)).toEqual([tight.id, loose[0]!.id]);
    expect(first[0]).toMatchObject({ earliest: 100, expected: 14, latest: 101 });
    expect(first[0]!.earliest + first[0]!.expected).toBeLessThanOrEqual(tight.deadline);
    // 6 left: the next batch is 4 (8 > 6 queued), right after the first, with the loose deadline.
    const second = infers(s.tick(105));
    expect(second).toHaveLength(1);
    expect(ids(second[0]!.requests)).toEqual(ids(loose.slice(1, 5)));
    expect(second[0]).toMatchObject({ earliest: 105, expected: 18, latest: 1100 - 18 });
    expect(predictedStart(s, second[0]!.actionId)).toBe(114);
    expect(s.queued('a@1')).toBe(2);
  });

  it('3 queued: batch 2, then batch 1 right after it', () => {
    const { s } = setup({ scheduleAheadMs: 50 });
    warm(s, 'a@1', 0);
    const rs = Array.from({ length: 3 }, () => accept(s, req('a@1', 100, 1000)));
    const ds = infers(s.tick(100));
    expect(ds.map((d) => d.requests.length)).toEqual([2, 1]);
    expect(ids(ds[0]!.requests)).toEqual([rs[0]!.id, rs[1]!.id]);
    expect(ids(ds[1]!.requests)).toEqual([rs[2]!.id]);
    expect(ds[0]).toMatchObject({ earliest: 100, expected: 14 });
    expect(ds[1]).toMatchObject({ earliest: 100, expected: 12, latest: 1100 - 12 });
    expect(predictedStart(s, ds[1]!.actionId)).toBe(114);
  });

  it('a batch that runs fewer requests per ms than a smaller one is not used', () => {
    const { s } = setup({ scheduleAheadMs: 30 });
    warm(s, 'cpu@1', 0);
    for (let i = 0; i < 4; i++) accept(s, req('cpu@1', 100, 1000));
    const ds = infers(s.tick(100));
    expect(ds.map((d) => d.requests.length)).toEqual([1, 1, 1]);
    expect(ds.map((d) => d.earliest)).toEqual([100, 100, 100]);
    expect(ds.map((d) => predictedStart(s, d.actionId))).toEqual([100, 112, 124]);
  });

  it('with linear batching cost, the largest batch that fits is used', () => {
    const { s } = setup();
    warm(s, 'lin@1', 0);
    for (let i = 0; i < 4; i++) accept(s, req('lin@1', 100, 1000));
    expect(infers(s.tick(100)).map((d) => [d.requests.length, d.expected])).toEqual([[4, 48]]);
  });

  it('a model must support batch 1', () => {
    const { s } = setup();
    expect(() => s.addModel('x@1', [2, 4])).toThrow(/batch sizes must include 1/);
  });

  it('among the models an executor holds, the head with the least slack goes first', () => {
    const { s } = setup();
    let t = warm(s, 'a@1', 0);
    t = warm(s, 'b@1', t + 10);
    const t0 = t + 10;
    const ra = accept(s, req('a@1', t0, 500)); // slack 500 - 12
    const rb = accept(s, req('b@1', t0, 200)); // slack 200 - 25
    const first = infers(s.tick(t0));
    expect(first).toHaveLength(1);
    expect(ids(first[0]!.requests)).toEqual([rb.id]);
    const second = infers(s.tick(t0 + 20));
    expect(ids(second[0]!.requests)).toEqual([ra.id]);
  });
});

describe('Scheduler: schedule-ahead', () => {
  it('an executor booked beyond scheduleAheadMs gets no new infer until time moves; nextWakeup says when', () => {
    const { s } = setup({ scheduleAheadMs: 10 });
    warm(s, 'a@1', 0);
    for (let i = 0; i < 16; i++) accept(s, req('a@1', 100, 1000));
    const first = infers(s.tick(100));
    expect(first).toHaveLength(1);
    expect(first[0]).toMatchObject({ earliest: 100, expected: 26 }); // booked until 126
    expect(s.queued('a@1')).toBe(8);
    expect(s.tick(100)).toEqual([]);
    expect(s.tick(110)).toEqual([]);
    const wake = s.nextWakeup(110);
    // The executor enters its window (freeAt 126 - 10 ms) at 116.
    expect(wake).toBeGreaterThanOrEqual(116);
    expect(wake).toBeLessThan(126);
    expect(s.tick(115.9)).toEqual([]);
    const second = infers(s.tick(117));
    expect(second).toHaveLength(1);
    expect(second[0]).toMatchObject({ earliest: 117, expected: 26 });
    expect(predictedStart(s, second[0]!.actionId)).toBe(126);
    expect(s.queued('a@1')).toBe(0);
  });

  it('nextWakeup is undefined with nothing to do, and never in the past', () => {
    const { s } = setup();
    expect(s.nextWakeup(0)).toBeUndefined();
    const t = warm(s, 'a@1', 0);
    expect(s.nextWakeup(t)).toBeUndefined();
    accept(s, req('a@1', t, 1000));
    expect(s.nextWakeup(t + 5)).toBeGreaterThanOrEqual(t + 5);
  });
});

describe('Scheduler: nextWakeup drives a virtual-time loop', () => {
  // A simulator (or the live controller) sleeps until nextWakeup() and ticks.
  // If tick at that time decides nothing and nextWakeup() names the same
  // instant again, a virtual-time driver spins forever.
  function progresses(s: Scheduler, from: number): { t: number; decided: Decision[] } {
    let t = from;
    for (let i = 0; i < 50; i++) {
      const w = s.nextWakeup(t);
      if (w === undefined) return { t, decided: [] };
      const ds = s.tick(w);
      if (ds.length > 0) return { t: w, decided: ds };
      expect(s.nextWakeup(w), `tick(${w}) decided nothing and nextWakeup(${w}) names ${w} again`).toBeGreaterThan(w);
      t = w;
    }
    throw new Error('no progress after 50 wakeups');
  }

  it('ticking at the wakeup for the schedule-ahead window dispatches', () => {
    const { s } = setup({ scheduleAheadMs: 10 });
    warm(s, 'a@1', 0);
    for (let i = 0; i < 16; i++) accept(s, req('a@1', 100, 1000));
    expect(infers(s.tick(100))).toHaveLength(1);
    const { decided } = progresses(s, 100);
    expect(infers(decided)).toHaveLength(1);
  });

  it('ticking at the wakeup for a hopeless request drops it', () => {
    const { s } = setup({}, [executor('w1/0'), executor('w2/0')]);
    const t0 = warm(s, 'a@1', 0) + 38; // w1/0 holds a@1, w2/0 holds nothing
    const r = accept(s, req('a@1', t0, 30));
    expect(infers(s.tick(t0))).toHaveLength(1);
    s.removeWorker('w1', t0 + 5);
    s.tick(t0 + 5); // a@1 starts loading on w2/0 (50 ms): r cannot make it
    const { decided } = progresses(s, t0 + 5);
    expect(drops(decided).map((d) => d.request.id)).toEqual([r.id]);
  });
});

describe('Scheduler: admission', () => {
  it('rejects when load + exec is past the deadline, accepts at exactly the deadline', () => {
    const { s } = setup();
    // Not loaded: 0 + load 50 + exec 12 = 62.
    const late = s.submit(req('a@1', 0, 61), 0);
    expect(late).toMatchObject({ ok: false, code: 'slo_unattainable', predicted: 62 });
    if (late.ok) throw new Error('unreachable');
    expect(late.message).toContain('predicted');
    expect(late.message).toContain('slo');
    expect(late.message).toMatch(/predicted 62(\.0)? ms > slo 61 ms/);
    expect(s.queued('a@1')).toBe(0);
    expect(s.submit(req('a@1', 0, 62), 0)).toEqual({ ok: true, predicted: 62 });
    expect(s.queued('a@1')).toBe(1);
  });

  it('a loaded model on an idle executor is predicted at now + exec', () => {
    const { s } = setup();
    const t = warm(s, 'a@1', 0);
    expect(s.submit(req('a@1', t + 10, 12), t + 10)).toEqual({ ok: true, predicted: t + 22 });
  });

  it('rejects with no executor, a model too large for every executor, an unknown model', () => {
    const none = setup({}, []).s;
    expect(none.submit(req('a@1', 0, 1000), 0)).toMatchObject({ ok: false, code: 'no_executor' });

    const { s } = setup({}, [executor('w1/0', 1000), executor('w2/0', 1500)]);
    const big = s.submit(req('big@1', 0, 100_000), 0);
    expect(big).toMatchObject({ ok: false, code: 'model_too_large' });
    if (!big.ok) expect(big.message).toMatch(/big@1/);
    expect(s.submit(req('nope@1', 0, 1000), 0)).toMatchObject({ ok: false, code: 'unknown_model' });
    expect(s.queued()).toBe(0);
  });

  it('work in flight counts: a booked executor predicts from when it is free', () => {
    const { s } = setup();
    warm(s, 'a@1', 0);
    for (let i = 0; i < 8; i++) accept(s, req('a@1', 100, 1000));
    expect(infers(s.tick(100))[0]).toMatchObject({ earliest: 100, expected: 26 });
    expect(s.submit(req('a@1', 101, 100), 101)).toEqual({ ok: true, predicted: 126 + 12 });
  });

  it('backlog counts: after many accepted requests fill the queue, a tight-SLO request is rejected', () => {
    const { s } = setup();
    warm(s, 'a@1', 0);
    accept(s, req('a@1', 100, 50)); // predicted 112: fine on an empty queue
    for (let i = 0; i < 20; i++) accept(s, req('a@1', 100, 1000));
    const a = s.submit(req('a@1', 100, 50), 100);
    expect(a).toMatchObject({ ok: false, code: 'slo_unattainable' });
    if (a.ok) throw new Error('unreachable');
    expect(a.predicted).toBeGreaterThan(150);
    expect(a.message).toMatch(/^slo_unattainable: predicted [\d.]+ ms > slo 50 ms$/);
    expect(s.queued('a@1')).toBe(21);
  });
});

describe('Scheduler: drops, never late', () => {
  it('a request that can no longer finish by its deadline is dropped, never dispatched', () => {
    const { s } = setup();
    warm(s, 'a@1', 0);
    const r = accept(s, req('a@1', 100, 100)); // deadline 200, exec 12
    const ds = s.tick(189);
    expect(infers(ds)).toEqual([]);
    expect(drops(ds)).toHaveLength(1);
    expect(drops(ds)[0]).toMatchObject({ type: 'drop', code: 'deadline', request: { id: r.id } });
    expect(drops(ds)[0]!.reason).toMatch(/never run late/);
    expect(s.queued('a@1')).toBe(0);
    expect(s.tick(300)).toEqual([]);
  });

  it('at the last moment it is still dispatched, with earliest = latest', () => {
    const { s } = setup();
    warm(s, 'a@1', 0);
    const r = accept(s, req('a@1', 100, 100));
    const d = infers(s.tick(188));
    expect(d).toHaveLength(1);
    expect(d[0]).toMatchObject({ earliest: 188, latest: 188, expected: 12 });
    expect(ids(d[0]!.requests)).toEqual([r.id]);
  });

  it('when the executor runs late, the request behind it is dropped rather than run late', () => {
    const clock = new ManualClock(100);
    const { s } = setup();
    warm(s, 'a@1', 0);
    const r0 = accept(s, req('a@1', clock.now(), 1000));
    const [d0] = infers(s.tick(clock.now())); // 100..112
    const r1 = accept(s, req('a@1', clock.now(), 24)); // predicted 112 + 12 = 124 = deadline
    expect(ids(d0!.requests)).toEqual([r0.id]);
    // The first result is late: it ends at 113.
    clock.set(113);
    s.complete(d0!.actionId, ok(100, 113), clock.now());
    const ds = s.tick(clock.now());
    expect(infers(ds)).toEqual([]);
    expect(drops(ds).map((d) => [d.request.id, d.code])).toEqual([[r1.id, 'deadline']]);
  });
});

describe('Scheduler: loads by demand', () => {
  it('no demand, no load', () => {
    const { s } = setup();
    expect(s.tick(0)).toEqual([]);
    expect(s.tick(1000)).toEqual([]);
  });

  it('a request for a model nobody holds yields one load, then the infer after the load completes', () => {
    const { s, est } = setup();
    const r = accept(s, req('a@1', 0, 1000));
    const ds = s.tick(0);
    expect(ds).toEqual([{ type: 'load', actionId: expect.any(Number), executor: 'w1/0', model: 'a@1', earliest: 0, latest: 1000, expected: 50 }]);
    // No second load while it loads, no infer before it is ready.
    expect(s.tick(5)).toEqual([]);
    expect(s.complete(loads(ds)[0]!.actionId, { status: 'ok', start: 0, end: 48, duration: 48, memory: 90 * MB }, 48)).toBeUndefined();
    expect(est.loads).toEqual([{ model: 'a@1', ms: 48 }]);
    const after = s.tick(48);
    expect(infers(after)).toHaveLength(1);
    expect(infers(after)[0]).toMatchObject({ executor: 'w1/0', model: 'a@1', earliest: 48, expected: 12 });
    expect(ids(infers(after)[0]!.requests)).toEqual([r.id]);
    expect(loads(after)).toEqual([]);
  });

  it('a holder with room for the demand means no load elsewhere', () => {
    const { s } = setup({}, [executor('w1/0'), executor('w2/0')]);
    const t = warm(s, 'a@1', 0);
    accept(s, req('a@1', t, 1000));
    const ds = s.tick(t);
    expect(loads(ds)).toEqual([]);
    expect(infers(ds)[0]).toMatchObject({ executor: 'w1/0' });
  });

  it('demand beyond what the holders can finish by the deadlines loads the model on a second executor', () => {
    const { s } = setup({}, [executor('w1/0'), executor('w2/0')]);
    const t = warm(s, 'a@1', 0);
    const { load } = replicate(s, t + 100);
    expect(load).toMatchObject({ type: 'load', executor: 'w2/0', model: 'a@1' });
  });
});

describe('Scheduler: LRU eviction', () => {
  // Executor memory 250 MB: two of the 100 MB models fit, not three.
  it('the third model evicts the least recently used idle one, unload before load', () => {
    const { s } = setup({}, [executor('w1/0', 250)]);
    let t = warm(s, 'a@1', 0);
    t = warm(s, 'b@1', t + 10);
    t += 10;
    accept(s, req('c@1', t, 10_000));
    let ds = s.tick(t);
    expect(ds.map((d) => [d.type, 'model' in d ? d.model : ''])).toEqual([
      ['unload', 'a@1'],
      ['load', 'c@1'],
    ]);
    expect(unloads(ds)[0]!.earliest).toBeLessThanOrEqual(loads(ds)[0]!.earliest);
    t = runUntilIdle(s, t, ds).t + 10;
    // Now b is the least recently used of {b, c}.
    accept(s, req('a@1', t, 10_000));
    ds = s.tick(t);
    expect(ds.map((d) => [d.type, 'model' in d ? d.model : ''])).toEqual([
      ['unload', 'b@1'],
      ['load', 'a@1'],
    ]);
  });

  it('a least-recently-used model with queued requests is not evicted; the idle one is', () => {
    const { s } = setup({}, [executor('w1/0', 250)]);
    let t = warm(s, 'a@1', 0);
    t = warm(s, 'b@1', t + 10) + 10;
    accept(s, req('a@1', t, 10_000));
    accept(s, req('c@1', t, 10_000));
    const ds = s.tick(t);
    expect(unloads(ds).map((d) => d.model)).toEqual(['b@1']);
    expect(loads(ds).map((d) => d.model)).toEqual(['c@1']);
  });

  it('with every resident model busy (in-flight infer, queued requests), nothing is evicted and nothing loads', () => {
    const { s } = setup({}, [executor('w1/0', 250)]);
    let t = warm(s, 'a@1', 0);
    t = warm(s, 'b@1', t + 10) + 10;
    for (let i = 0; i < 8; i++) accept(s, req('a@1', t, 10_000));
    const [ia] = infers(s.tick(t)); // a@1 booked t..t+26: beyond the window
    expect(ia).toMatchObject({ model: 'a@1', expected: 26 });
    accept(s, req('b@1', t, 10_000)); // queued behind it
    accept(s, req('c@1', t, 10_000));
    expect(s.tick(t + 1)).toEqual([]);
    expect(s.tick(t + 5)).toEqual([]);
    // a@1's infer ends: a@1 is idle now and gives way; b@1 still has its request.
    s.complete(ia!.actionId, ok(t, t + 26), t + 26);
    const ds = s.tick(t + 26);
    expect(unloads(ds).map((d) => d.model)).toEqual(['a@1']);
    expect(loads(ds).map((d) => d.model)).toEqual(['c@1']);
  });

  it('a load for another model does not push an admitted request of a resident model past its deadline', () => {
    // a@1 and b@1 resident and idle; a tight request for a@1 is admitted
    // (predicted now + 12), then a request for c@1 needs b@1 evicted and c@1
    // loaded. The load must not take the slot the admitted request was promised.
    const { s } = setup({}, [executor('w1/0', 250)]);
    let t = warm(s, 'a@1', 0);
    t = warm(s, 'b@1', t + 10) + 10;
    const tight = accept(s, req('a@1', t, 20));
    accept(s, req('c@1', t, 10_000));
    const all: Decision[] = [];
    for (let now = t; now <= t + 20; now += 1) all.push(...s.tick(now));
    expect(drops(all).map((d) => d.request.id)).not.toContain(tight.id);
    const served = infers(all).find((d) => d.requests.some((r) => r.id === tight.id));
    expect(served, 'the admitted request is dispatched').toBeDefined();
    expect(served!.earliest + served!.expected).toBeLessThanOrEqual(tight.deadline);
  });
});

describe('Scheduler: re-anchoring and lost results', () => {
  function twoPlanned() {
    const { s, est } = setup({ scheduleAheadMs: 30 });
    warm(s, 'a@1', 0);
    for (let i = 0; i < 3; i++) accept(s, req('a@1', 100, 1000));
    const [first, second] = infers(s.tick(100));
    expect(first).toMatchObject({ earliest: 100, expected: 14 });
    expect(second).toMatchObject({ earliest: 100, expected: 12 });
    const e = s.executors.get('w1/0')!;
    expect(predictedStart(s, second!.actionId)).toBe(114);
    expect(e.freeAt).toBe(126);
    return { s, est, e, first: first!, second: second! };
  }

  it('a result 30 ms late moves freeAt and the start of what is queued after it by 30 ms', () => {
    const { s, est, e, first, second } = twoPlanned();
    const done = s.complete(first.actionId, ok(100, 144), 144);
    expect(done?.action.id).toBe(first.actionId);
    expect(ids(done!.action.requests)).toEqual(ids(first.requests));
    expect(est.execs.at(-1)).toEqual({ model: 'a@1', batch: 2, ms: 44 });
    expect(e.inflight.map((a) => [a.id, a.predictedStart, a.predictedEnd])).toEqual([[second.actionId, 144, 156]]);
    expect(e.freeAt).toBe(156);
    // Admission sees it too: a new request is predicted after the moved timeline,
    // plus the reserve learned from this miss (the first request was predicted at 112, answered at 144).
    expect(s.reserve('a@1', 1000, 144)).toBe(32);
    expect(s.submit(req('a@1', 144, 1000), 144)).toEqual({ ok: true, predicted: 156 + 12 + 32 });
  });

  it('an early result pulls later work forward: windows open at dispatch, so the worker starts it at once', () => {
    const { s, e, first, second } = twoPlanned();
    s.complete(first.actionId, ok(100, 105), 105);
    expect(e.inflight.map((a) => [a.id, a.predictedStart, a.predictedEnd])).toEqual([[second.actionId, 105, 117]]);
    expect(e.freeAt).toBe(117);
    expect(s.submit(req('a@1', 105, 1000), 105)).toEqual({ ok: true, predicted: 117 + 12 });
  });

  it('a lost infer sets its executor aside: its requests are re-planned on another at once, and its late result is ignored but brings the executor back', () => {
    const told: { actionId: number; executor: string; type: string; model: string; why: string }[] = [];
    const { s } = setup({ lostAfterMs: 1000, onLost: (a) => told.push(a) }, [executor('w1/0'), executor('w2/0')]);
    warmAll(s, 'a@1', 0);
    s.executors.get('w2/0')!.draining = true; // the first batch lands on w1/0
    const rs = Array.from({ length: 8 }, () => accept(s, req('a@1', 100, 5000)));
    const [d] = infers(s.tick(100)); // predicted end 126
    expect(d!.executor).toBe('w1/0');
    s.executors.get('w2/0')!.draining = false;
    expect(s.nextWakeup(100)).toBe(126 + 1000);
    expect(s.tick(1125)).toEqual([]);
    expect(s.lostActions).toBe(0);
    expect(told).toEqual([]);
    const ds = s.tick(1126);
    expect(s.lostActions).toBe(1);
    expect(told).toEqual([{ actionId: d!.actionId, executor: 'w1/0', type: 'infer', model: 'a@1', why: 'overdue' }]);
    const w1 = s.executors.get('w1/0')!;
    expect(w1.usable).toBe(false);
    expect(w1.suspended).toBe(true);
    const again = infers(ds);
    expect(again).toHaveLength(1);
    expect(again[0]!.executor).toBe('w2/0');
    expect(again[0]!.actionId).not.toBe(d!.actionId);
    expect(again[0]!.earliest).toBe(1126);
    expect(ids(again[0]!.requests)).toEqual(ids(rs));
    expect(again[0]!.requests.every((r) => r.retried === true)).toBe(true);
    // Nothing new goes to the set-aside executor, even when the other is busy.
    const more = Array.from({ length: 4 }, () => accept(s, req('a@1', 1127, 5000)));
    expect(infers(s.tick(1127)).every((x) => x.executor === 'w2/0')).toBe(true);
    // The first attempt's result, if it ever comes, answers nobody a second time, and shows its executor is alive.
    expect(s.complete(d!.actionId, ok(100, 1130), 1130)).toBeUndefined();
    expect(w1.usable).toBe(true);
    expect(s.complete(again[0]!.actionId, ok(1126, 1152), 1152)?.action.requests).toHaveLength(8);
    expect(more).toHaveLength(4);
  });

  it('everything in flight on a set-aside executor is given up on at once (it waits behind the missing action)', () => {
    const told: { actionId: number; why: string }[] = [];
    const { s } = setup({ lostAfterMs: 1000, scheduleAheadMs: 100, onLost: (a) => told.push(a) }, [executor('w1/0'), executor('w2/0')]);
    warmAll(s, 'a@1', 0);
    s.executors.get('w2/0')!.draining = true; // everything lands on w1/0
    // Booked far ahead: several actions are in flight at once.
    for (let i = 0; i < 3; i++) accept(s, req('a@1', 100, 5000));
    const planned = infers(s.tick(100));
    expect(planned.length).toBeGreaterThan(1);
    s.executors.get('w2/0')!.draining = false;
    const first = s.executors.get('w1/0')!.inflight[0]!;
    s.tick(first.predictedEnd + 1000);
    expect(told.map((t) => t.actionId).sort((a, b) => a - b)).toEqual(planned.map((p) => p.actionId).sort((a, b) => a - b));
    expect(s.executors.get('w1/0')!.inflight).toEqual([]);
  });

  it('a lost infer on the only executor waits for it: nothing is planned there until it answers or the retry interval passes', () => {
    const { s } = setup({ lostAfterMs: 1000, suspendRetryMs: 2000 });
    warm(s, 'a@1', 0);
    accept(s, req('a@1', 100, 100_000));
    const [d] = infers(s.tick(100)); // predicted end 112
    expect(infers(s.tick(1112))).toEqual([]);
    expect(s.queued('a@1')).toBe(1);
    // It comes back when its worker still answers pings and the retry interval has passed...
    expect(s.nextWakeup(1113)).toBe(1112 + 2000);
    expect(infers(s.tick(3111))).toEqual([]);
    const retried = infers(s.tick(3112));
    expect(retried).toHaveLength(1);
    expect(retried[0]!.executor).toBe('w1/0');
    expect(d).toBeDefined();
  });

  it('a lost load is given up: an unload frees it on the set-aside worker, and the demand loads it elsewhere', () => {
    const { s } = setup({ lostAfterMs: 1000 }, [executor('w1/0'), executor('w2/0')]);
    accept(s, req('a@1', 0, 100_000));
    const [l] = loads(s.tick(0)); // predicted end 50
    const ds = s.tick(1050);
    expect(s.lostActions).toBe(1);
    expect(ds.map((d) => [d.type, 'model' in d ? d.model : '', 'executor' in d ? d.executor : ''])).toEqual([
      ['unload', 'a@1', l!.executor],
      ['load', 'a@1', l!.executor === 'w1/0' ? 'w2/0' : 'w1/0'],
    ]);
    expect(loads(ds)[0]!.actionId).not.toBe(l!.actionId);
  });
});

describe('Scheduler: workers that stop answering', () => {
  it('an unresponsive worker is set aside: its work in flight is re-planned elsewhere at once, admission and dispatch skip it', () => {
    const told: { actionId: number; why: string }[] = [];
    const { s } = setup({ onLost: (a) => told.push(a) }, [executor('w1/0'), executor('w2/0')]);
    warmAll(s, 'a@1', 0);
    s.executors.get('w2/0')!.draining = true; // the first work lands on w1/0
    const rs = Array.from({ length: 2 }, () => accept(s, req('a@1', 100, 1000)));
    const first = infers(s.tick(100));
    s.executors.get('w2/0')!.draining = false;
    const onW1 = first.filter((d) => d.executor === 'w1/0');
    expect(onW1.length).toBeGreaterThan(0);
    expect(s.suspendWorker('w1', 150)).toBe(onW1.length);
    expect(told.every((t) => t.why === 'unresponsive')).toBe(true);
    const replanned = infers(s.tick(150));
    expect(replanned.every((d) => d.executor === 'w2/0')).toBe(true);
    expect(replanned.flatMap((d) => ids(d.requests)).sort()).toEqual(onW1.flatMap((d) => ids(d.requests)).sort());
    // New requests are predicted on w2 only, and go there.
    const r = accept(s, req('a@1', 151, 1000));
    expect(infers(s.tick(151)).every((d) => d.executor === 'w2/0')).toBe(true);
    // Answering again: taken back.
    s.resumeWorker('w1', 200);
    expect(s.executors.get('w1/0')!.usable).toBe(true);
    accept(s, req('a@1', 200, 1000));
    accept(s, req('a@1', 200, 1000));
    expect(infers(s.tick(200)).some((d) => d.executor === 'w1/0')).toBe(true);
    expect(rs.length + [r].length).toBe(3);
  });

  it('with every worker set aside, admission answers no_executor, not a prediction', () => {
    const { s } = setup();
    warm(s, 'a@1', 0);
    s.suspendWorker('w1', 10);
    const a = s.submit(req('a@1', 10, 1000), 10);
    expect(a).toMatchObject({ ok: false, code: 'no_executor' });
    expect(a.ok ? '' : a.message).toContain('not answering');
  });
});

describe('Scheduler: requests admitted as a whole', () => {
  it('admits a group when its last item can make the deadline, predicting the last item', () => {
    const { s } = setup();
    warm(s, 'a@1', 0);
    const group = Array.from({ length: 4 }, () => req('a@1', 100, 1000));
    const a = s.submitAll(group, 100);
    // 4 items in the largest batches: one batch of 4 at 18 ms.
    expect(a).toEqual({ ok: true, predicted: 100 + 18 });
    expect(s.queued('a@1')).toBe(4);
  });

  it('rejects a group whole when the last item would miss: nothing of it is queued', () => {
    const { s } = setup();
    warm(s, 'a@1', 0);
    // 8 items: one batch of 8 at 26 ms; an SLO of 20 ms fits one item (12 ms) but not all.
    expect(s.submit(req('a@1', 100, 20), 100)).toMatchObject({ ok: true });
    const before = s.queued('a@1');
    const group = Array.from({ length: 8 }, () => req('a@1', 100, 20));
    const a = s.submitAll(group, 100);
    expect(a).toMatchObject({ ok: false, code: 'slo_unattainable' });
    expect(a.ok ? '' : a.message).toContain('for all 8 items');
    expect(s.queued('a@1')).toBe(before);
  });

  it('refuses a group whose items disagree on model, arrival or deadline (a caller bug)', () => {
    const { s } = setup();
    expect(() => s.submitAll([req('a@1', 0, 10), req('a@1', 0, 20)], 0)).toThrow(/share/);
    expect(() => s.submitAll([], 0)).toThrow(/at least one/);
  });
});

describe('Scheduler: refused and failed actions', () => {
  it('a refused infer puts its requests back in the queue, to be dispatched again', () => {
    const { s } = setup();
    warm(s, 'a@1', 0);
    const rs = Array.from({ length: 8 }, () => accept(s, req('a@1', 100, 1000)));
    const [d] = infers(s.tick(100));
    const refused: ActionOutcome = { status: 'refused', message: 'COULD_NOT_START_IN_TIME' };
    expect(s.complete(d!.actionId, refused, 105)).toBeUndefined();
    expect(s.queued('a@1')).toBe(8);
    const again = infers(s.tick(105));
    expect(again).toHaveLength(1);
    expect(again[0]!.earliest).toBe(105);
    expect(ids(again[0]!.requests)).toEqual(ids(rs));
  });

  it('a refused infer whose requests can no longer make it drops them (deadline)', () => {
    const { s } = setup();
    warm(s, 'a@1', 0);
    const r = accept(s, req('a@1', 100, 20));
    const [d] = infers(s.tick(100));
    s.complete(d!.actionId, { status: 'refused', message: 'COULD_NOT_START_IN_TIME' }, 110);
    const ds = s.tick(110);
    expect(infers(ds)).toEqual([]);
    expect(drops(ds).map((x) => [x.request.id, x.code])).toEqual([[r.id, 'deadline']]);
  });

  it('a failed infer is retried once, then dropped as failed', () => {
    const { s } = setup();
    let t = warm(s, 'a@1', 0);
    const r = accept(s, req('a@1', t, 10_000));
    const [d1] = infers(s.tick(t));
    s.complete(d1!.actionId, { status: 'failed', message: 'bad tensor' }, t + 5);
    expect(s.queued('a@1')).toBe(1);
    // The model is forgotten there (unload), reloaded, and the request runs again.
    let ds = s.tick(t + 5);
    expect(unloads(ds).map((x) => x.model)).toEqual(['a@1']);
    expect(loads(ds).map((x) => x.model)).toEqual(['a@1']);
    t = 200;
    for (const x of ds) if (x.type !== 'drop') s.complete(x.actionId, ok(x.earliest, x.earliest + x.expected), t);
    const [d2] = infers(s.tick(t));
    expect(ids(d2!.requests)).toEqual([r.id]);
    s.complete(d2!.actionId, { status: 'failed', message: 'bad tensor' }, t + 5);
    ds = s.tick(t + 5);
    expect(drops(ds).map((x) => [x.request.id, x.code])).toEqual([[r.id, 'failed']]);
    expect(drops(ds)[0]!.reason).toMatch(/bad tensor/);
  });

  it('three failed loads in a row: the model’s queued requests are dropped as failed, naming the error', () => {
    const { s } = setup();
    const rs = [accept(s, req('a@1', 0, 100_000)), accept(s, req('a@1', 0, 100_000))];
    const fail: ActionOutcome = { status: 'failed', message: 'onnx: invalid model file' };
    let t = 0;
    for (let attempt = 1; attempt <= 3; attempt++) {
      const ds = s.tick(t);
      expect(drops(ds), `no drop before failure ${attempt}`).toEqual([]);
      expect(loads(ds).map((d) => d.model)).toEqual(['a@1']);
      t += 10;
      expect(s.complete(loads(ds)[0]!.actionId, fail, t)).toBeUndefined();
    }
    const ds = s.tick(t);
    expect(loads(ds)).toEqual([]);
    expect(drops(ds).map((d) => d.request.id)).toEqual(ids(rs));
    for (const d of drops(ds)) {
      expect(d.code).toBe('failed');
      expect(d.reason).toContain('onnx: invalid model file');
    }
    expect(s.queued('a@1')).toBe(0);
    expect(s.tick(t + 10)).toEqual([]);
  });

  it('a successful load resets the failure count', () => {
    const { s } = setup();
    accept(s, req('a@1', 0, 100_000));
    const fail: ActionOutcome = { status: 'failed', message: 'flaky disk' };
    let [l] = loads(s.tick(0));
    s.complete(l!.actionId, fail, 10);
    [l] = loads(s.tick(10));
    s.complete(l!.actionId, fail, 20);
    [l] = loads(s.tick(20));
    s.complete(l!.actionId, ok(20, 70), 70);
    let t = runUntilIdle(s, 70).t;
    // Evict it by failing an infer, then fail two loads: not three in a row.
    accept(s, req('a@1', t, 100_000));
    const [d] = infers(s.tick(t));
    s.complete(d!.actionId, { status: 'failed', message: 'oops' }, t + 1);
    t += 1;
    for (let i = 0; i < 2; i++) {
      const ds = s.tick(t);
      t += 10;
      for (const x of ds) if (x.type === 'unload') s.complete(x.actionId, ok(t, t), t);
      s.complete(loads(ds)[0]!.actionId, fail, t);
    }
    expect(drops(s.tick(t))).toEqual([]);
    expect(s.queued('a@1')).toBe(1);
  });
});

describe('Scheduler: workers leaving', () => {
  it('in-flight requests of a leaving worker are retried on another executor holding the model', () => {
    const { s } = setup({}, [executor('w1/0'), executor('w2/0')]);
    const t0 = warm(s, 'a@1', 0);
    const { load, t } = replicate(s, t0 + 100);
    expect(load).toBeDefined();
    const rs = Array.from({ length: 8 }, () => accept(s, req('a@1', t + 10, 200)));
    const [d] = infers(s.tick(t + 10));
    expect(ids(d!.requests)).toEqual(ids(rs));
    const gone = d!.executor;
    const other = gone === 'w1/0' ? 'w2/0' : 'w1/0';
    s.removeWorker(gone.split('/')[0]!, t + 15);
    expect(s.executors.has(gone)).toBe(false);
    const ds = s.tick(t + 15);
    expect(drops(ds)).toEqual([]);
    const again = infers(ds);
    expect(again).toHaveLength(1);
    expect(again[0]).toMatchObject({ executor: other, earliest: t + 15 });
    expect(ids(again[0]!.requests)).toEqual(ids(rs));
    // Its old action is unknown now: a stray result answers nobody twice.
    expect(s.complete(d!.actionId, ok(t + 10, t + 36), t + 36)).toBeUndefined();
  });

  it('in-flight requests go to an executor that is still loading the model when the deadline allows', () => {
    const { s } = setup({}, [executor('w1/0'), executor('w2/0')]);
    const t = warm(s, 'a@1', 0) + 38; // 100
    const r = accept(s, req('a@1', t, 500));
    expect(infers(s.tick(t))[0]).toMatchObject({ executor: 'w1/0' });
    s.removeWorker('w1', t + 5);
    const ds = s.tick(t + 5);
    const [l] = loads(ds);
    expect(l).toMatchObject({ executor: 'w2/0', model: 'a@1', earliest: t + 5 });
    expect(drops(ds)).toEqual([]);
    s.complete(l!.actionId, ok(t + 5, t + 55), t + 55);
    const [d] = infers(s.tick(t + 55));
    expect(d).toMatchObject({ executor: 'w2/0' });
    expect(ids(d!.requests)).toEqual([r.id]);
  });

  /** w1/0 runs a 30 ms-SLO request and leaves; w2/0 would need 50 ms to load a@1. */
  function leaveWithTightRequest() {
    const { s } = setup({}, [executor('w1/0'), executor('w2/0')]);
    const t = warm(s, 'a@1', 0) + 38; // w1/0 holds a@1, w2/0 nothing
    const r = accept(s, req('a@1', t, 30));
    expect(infers(s.tick(t))[0]).toMatchObject({ executor: 'w1/0' });
    s.removeWorker('w1', t + 5);
    const ds = [...s.tick(t + 5), ...s.tick(t + 19)];
    return { r, ds };
  }

  it('in-flight requests of a leaving worker that no one can finish in time are dropped, never run late', () => {
    const { r, ds } = leaveWithTightRequest();
    expect(infers(ds)).toEqual([]);
    expect(drops(ds).map((d) => d.request.id)).toEqual([r.id]);
  });

  it('that drop is UNAVAILABLE (the worker left), not a plain deadline miss', () => {
    const { ds } = leaveWithTightRequest();
    const [d] = drops(ds);
    expect(d?.code).toBe('unavailable');
    expect(d?.request.retried).toBe(true);
    expect(d?.reason).toMatch(/worker/);
  });

  it('the last worker leaving drops every queued and in-flight request as unavailable: no worker connected', () => {
    const { s } = setup();
    warm(s, 'a@1', 0);
    const rs = Array.from({ length: 12 }, () => accept(s, req('a@1', 100, 10_000)));
    const [d] = infers(s.tick(100));
    expect(d!.requests).toHaveLength(8);
    expect(s.queued('a@1')).toBe(4);
    s.removeWorker('w1', 101);
    const ds = s.tick(101);
    expect(infers(ds)).toEqual([]);
    expect(loads(ds)).toEqual([]);
    expect(drops(ds).map((x) => x.request.id).sort((x, y) => x - y)).toEqual(ids(rs));
    for (const x of drops(ds)) {
      expect(x.code).toBe('unavailable');
      expect(x.reason).toContain('no worker connected');
    }
    expect(s.queued()).toBe(0);
    expect(s.complete(d!.actionId, ok(100, 126), 126)).toBeUndefined();
    expect(s.submit(req('a@1', 102, 1000), 102)).toMatchObject({ ok: false, code: 'no_executor' });
  });
});

/** TableEstimates whose typical (mean) run takes half its high figure: a spread of exec/2 per run. */
class SpreadEstimates extends TableEstimates {
  typical(model: string, batch: number): number {
    return this.exec(model, batch) / 2;
  }
}

function spreadSetup(opts: Partial<SchedulerOptions> = {}) {
  const { s, est } = setup(opts, [executor('w1/0')], new SpreadEstimates());
  return { s, est, e: s.executors.get('w1/0')! };
}

describe('Scheduler: typical times and one margin for a sequence', () => {
  it('one run alone is predicted at its high figure: typical + its whole spread', () => {
    const { s } = spreadSetup();
    const t = warm(s, 'a@1', 0);
    expect(s.submit(req('a@1', t + 10, 1000), t + 10)).toEqual({ ok: true, predicted: t + 10 + 6 + 6 });
  });

  it('a queue ahead adds its typical time, and the spreads add in quadrature, not one after another', () => {
    const { s } = spreadSetup();
    const t = warm(s, 'a@1', 0);
    for (let i = 0; i < 3; i++) accept(s, req('a@1', t, 1000), t);
    // Queued 3 run as batches of 2 and 1: typical 7 + 6, spreads 7 and 6; own run typical 6, spread 6.
    const predicted = t + 7 + 6 + 6 + Math.sqrt(7 ** 2 + 6 ** 2 + 6 ** 2);
    expect(s.submit(req('a@1', t, predicted - t - 0.5), t)).toMatchObject({ ok: false, code: 'slo_unattainable', predicted });
    expect(s.submit(req('a@1', t, 1000), t)).toEqual({ ok: true, predicted });
    // The high figures one after another would have said t + 14 + 12 + 12 = t + 38.
    expect(predicted).toBeLessThan(t + 38);
  });

  it('booked actions advance the timeline by their typical time and carry their spread in margin()', () => {
    const { s, e } = spreadSetup({ scheduleAheadMs: 30 });
    const t = warm(s, 'a@1', 0);
    for (let i = 0; i < 3; i++) accept(s, req('a@1', t, 1000), t);
    const [first, second] = infers(s.tick(t));
    // The worker is told the high figure (its window allows for it)...
    expect(first).toMatchObject({ expected: 14 });
    expect(second).toMatchObject({ expected: 12 });
    // ...the timeline moves by the typical one.
    expect(predictedStart(s, second!.actionId)).toBe(t + 7);
    expect(e.freeAt).toBe(t + 13);
    expect(e.margin()).toBeCloseTo(Math.sqrt(49 + 36), 9);
    expect(s.submit(req('a@1', t, 1000), t)).toEqual({ ok: true, predicted: t + 13 + 6 + Math.sqrt(49 + 36 + 36) });
    // A settled action takes its spread with it.
    s.complete(first!.actionId, ok(t, t + 9), t + 9);
    expect(e.margin()).toBeCloseTo(6, 9);
    s.complete(second!.actionId, ok(t + 9, t + 15), t + 15);
    expect(e.margin()).toBe(0);
  });
});

describe('Scheduler: the answer’s way back', () => {
  /** a@1 warm on w1/0, then three requests whose results reach the scheduler `delay` ms after the worker's end. */
  function withReturn(delay: number, opts: Partial<SchedulerOptions> = {}) {
    const { s } = setup(opts);
    let t = warm(s, 'a@1', 0);
    for (let i = 0; i < 3; i++) {
      accept(s, req('a@1', t, 1000), t);
      const [d] = infers(s.tick(t));
      s.complete(d!.actionId, ok(t, t + 12), t + 12 + delay);
      t += 12 + delay;
    }
    return { s, t };
  }

  it('admission sets aside the recent return time: an answer must reach the controller by the deadline', () => {
    const { s, t } = withReturn(15, { maxReserveShare: 1 });
    const rejected = s.submit(req('a@1', t, 26), t);
    expect(rejected).toMatchObject({ ok: false, code: 'slo_unattainable', predicted: t + 12 + 15 });
    if (!rejected.ok) expect(rejected.message).toBe('slo_unattainable: predicted 27.0 ms > slo 26 ms (with a 15.0 ms reserve: recent answers came up to that much later than predicted)');
    expect(s.submit(req('a@1', t, 27), t)).toEqual({ ok: true, predicted: t + 12 + 15 });
  });

  it('maxReserveShare 0 turns the reserve off', () => {
    const { s, t } = withReturn(15, { maxReserveShare: 0 });
    expect(s.recentError('a@1', t)).toBe(15);
    expect(s.reserve('a@1', 1000, t)).toBe(0);
    expect(s.submit(req('a@1', t, 1000), t)).toEqual({ ok: true, predicted: t + 12 });
  });

  it('the reserve is per model and forgets errors older than reserveMaxAgeMs', () => {
    const { s, t } = withReturn(15, { maxReserveShare: 1, reserveMaxAgeMs: 5000, reserveStaleMs: 60_000 });
    expect(s.reserve('a@1', 1000, t)).toBe(15);
    expect(s.reserve('c@1', 1000, t)).toBe(0); // another model's predictions were not wrong
    expect(s.reserve('a@1', 1000, t + 4000)).toBe(15);
    expect(s.reserve('a@1', 1000, t + 6000)).toBe(0);
  });

  it('a reserve whose model has had no outcome for reserveStaleMs is stale: an idle model is never locked out by it', () => {
    const { s, t } = withReturn(40, { maxReserveShare: 1, reserveStaleMs: 1000 });
    expect(s.reserve('a@1', 1000, t)).toBe(40);
    // SLO 50: 12 ms of run + 40 ms of reserve does not fit, so everything is rejected and nothing new is learned...
    expect(s.submit(req('a@1', t + 10, 50), t + 10)).toMatchObject({ ok: false, code: 'slo_unattainable' });
    expect(s.reserve('a@1', 1000, t + 999)).toBe(40);
    // ...until the reserve goes stale: admitted again on the prediction alone.
    expect(s.reserve('a@1', 1000, t + 1000)).toBe(0);
    const r = req('a@1', t + 1000, 50);
    expect(s.submit(r, t + 1000)).toEqual({ ok: true, predicted: t + 1000 + 12 });
    // Its outcome brings the learned errors back while outcomes keep coming.
    const [d] = infers(s.tick(t + 1000));
    s.complete(d!.actionId, ok(t + 1000, t + 1012), t + 1013);
    expect(s.reserve('a@1', 1000, t + 1013)).toBe(40);
  });

  it('a request retried after its worker failed does not count as a prediction error', () => {
    const { s } = setup({ maxReserveShare: 1 }, [executor('w1/0'), executor('w2/0')]);
    const t = warm(s, 'a@1', 0);
    s.tick(t);
    const r = accept(s, req('a@1', t, 1000), t);
    const [d] = infers(s.tick(t));
    s.removeWorker(d!.executor.split('/')[0]!, t + 5); // r goes back to its queue, retried
    const ds = runUntilIdle(s, t + 5).all;
    expect(infers(ds).some((x) => ids(x.requests).includes(r.id))).toBe(true);
    expect(s.reserve('a@1', 1000, t + 500)).toBe(0);
  });

  it('sets aside at most maxReturnShare of the SLO, so a swamped moment cannot shut admission', () => {
    const { s, t } = withReturn(500, { maxReserveShare: 0.2 });
    // SLO 100: at most 20 ms of it for the way back.
    expect(s.submit(req('a@1', t, 100), t)).toEqual({ ok: true, predicted: t + 12 + 20 });
  });

  it('dispatch leaves the typical return time in the window: latest = deadline − return − expected', () => {
    const { s, t } = withReturn(8);
    const r = accept(s, req('a@1', t, 100), t);
    const [d] = infers(s.tick(t));
    expect(ids(d!.requests)).toEqual([r.id]);
    expect(d!.latest).toBe(r.deadline - 8 - 12);
    // And a queued request that could start only past that point is dropped, never run late.
    const late = accept(s, req('a@1', t, 100), t);
    const ds = s.tick(late.deadline - 8 - 12 + 1);
    expect(drops(ds).map((x) => x.request.id)).toEqual([late.id]);
  });
});

describe('Scheduler: a draining worker', () => {
  it('gets nothing new: requests go to the other executor, its in-flight work finishes and is answered', () => {
    const { s } = setup({}, [executor('w1/0'), executor('w2/0')]);
    const t = warm(s, 'c@1', 0);
    // Book one on whichever executor holds c@1, then drain that worker.
    const first = accept(s, req('c@1', t, 1000), t);
    const [d] = infers(s.tick(t));
    expect(ids(d!.requests)).toEqual([first.id]);
    const drainingWorker = d!.executor.split('/')[0]!;
    s.drainWorker(drainingWorker);
    const other = drainingWorker === 'w1' ? 'w2/0' : 'w1/0';
    // New work is planned on the other executor only (a load first: it does not hold c@1).
    const r = accept(s, req('c@1', t, 1000), t);
    const { all } = runUntilIdle(s, t, s.tick(t));
    const planned = all.filter((x) => x.type !== 'drop' && 'executor' in x) as Action[];
    expect(planned.every((x) => x.executor === other)).toBe(true);
    expect(infers(all).some((x) => ids(x.requests).includes(r.id))).toBe(true);
    // The action already on the draining executor completes normally.
    expect(s.complete(d!.actionId, ok(t, t + 6), t + 6)?.action.requests.map((x) => x.id)).toEqual([first.id]);
  });

  it('with every worker draining, new requests are refused UNAVAILABLE-style (no_executor), saying why', () => {
    const { s } = setup();
    warm(s, 'a@1', 0);
    s.drainWorker('w1');
    const a = s.submit(req('a@1', 100, 1000), 100);
    expect(a).toMatchObject({ ok: false, code: 'no_executor' });
    if (!a.ok) expect(a.message).toMatch(/draining/);
  });
});
