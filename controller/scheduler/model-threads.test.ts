// The scheduler with per-model threads (common/model-threads.ts): a LOAD names
// the session's thread count (the model's own, capped by the executor's), and
// admission, dispatch and what the run teaches follow that session's class.
// Real Estimates seeded from profiles measured at 1 and 2 threads; explicit
// times, no sockets.
import { describe, expect, it } from 'vitest';
import type { ModelProfile } from '../../common/profile.js';
import { infers, loads, ok, req } from '../../test/support/scheduler-fixtures.js';
import { Estimates } from './estimates.js';
import { Scheduler } from './scheduler.js';
import type { ExecutorSpec } from './types.js';

const MB = 1024 * 1024;
const batch = (b: number, p99Ms: number) => ({ batch: b, iterations: 10, meanMs: p99Ms, p50Ms: p99Ms, p99Ms, maxMs: p99Ms });

/** 20 ms at one thread, 8 at two; loads in 40 ms. */
function profile(bestThreads?: number): ModelProfile {
  return {
    model: 'm',
    sha256: 'x',
    measuredAt: '2026-01-01T00:00:00Z',
    host: 'test',
    memoryBytes: 10 * MB,
    classes: {
      'cpu/t1': { cls: 'cpu/t1', threads: 1, batches: [batch(1, 20)], loadMs: 40 },
      'cpu/t2': { cls: 'cpu/t2', threads: 2, batches: [batch(1, 8)], loadMs: 40 },
    },
    ...(bestThreads !== undefined ? { bestThreads } : {}),
  };
}

function setup(cls: string) {
  const clock = { t: 0, now: () => clock.t };
  const est = new Estimates({ clock });
  const s = new Scheduler({ estimates: est });
  for (const [key, best] of [['one@1', 1], ['two@1', 2], ['none@1', undefined]] as const) {
    est.seed(key, profile(best));
    s.addModel(key, [1]);
  }
  const spec: ExecutorSpec = { id: 'w1/0', workerId: 'w1', cls, memoryBudget: 1000 * MB };
  s.addExecutor(spec, 0);
  return { s, est, clock };
}

/** Admits one request for `model` at 0 and returns the LOAD the scheduler plans for it and what admission predicted. */
function coldStart(cls: string, model: string) {
  const { s } = setup(cls);
  const a = s.submit(req(model, 0, 1000), 0);
  expect(a.ok).toBe(true);
  const [load] = loads(s.tick(0));
  return { s, load, predicted: a.ok ? a.predicted : NaN };
}

describe('Scheduler: per-model threads', () => {
  it("names the session's threads in the LOAD: the model's bestThreads capped by the executor's", () => {
    expect(coldStart('cpu/t2', 'one@1').load?.threads).toBe(1);
    expect(coldStart('cpu/t2', 'two@1').load?.threads).toBe(2);
    expect(coldStart('cpu/t1', 'two@1').load?.threads).toBe(1);
    // No bestThreads: no count named, the executor's own (as before).
    expect(coldStart('cpu/t2', 'none@1').load).not.toHaveProperty('threads');
    // A class without a thread count (CUDA) names none either.
    expect(coldStart('cuda', 'one@1').load).not.toHaveProperty('threads');
  });

  it("predicts with the session class's figures: a cold start is the load plus that class's run", () => {
    // 40 ms load (+10 % spread) and 20 ms at one thread, against 8 ms at two.
    expect(coldStart('cpu/t2', 'one@1').predicted).toBeCloseTo(44 + 20, 0);
    expect(coldStart('cpu/t2', 'two@1').predicted).toBeCloseTo(44 + 8, 0);
    expect(coldStart('cpu/t2', 'none@1').predicted).toBeCloseTo(44 + 8, 0);
  });

  it("dispatches with the session class's estimate, and learns the run under it", () => {
    const { s, est, clock } = setup('cpu/t2');
    expect(s.submit(req('one@1', 0, 1000), 0).ok).toBe(true);
    const [load] = loads(s.tick(0));
    clock.t = 45;
    s.complete(load!.actionId, { status: 'ok', start: 0, end: 45, duration: 45, memory: 10 * MB }, 45);
    const [infer] = infers(s.tick(45));
    expect(infer).toMatchObject({ model: 'one@1', expected: 20 });
    clock.t = 75;
    s.complete(infer!.actionId, ok(45, 75), 75);
    // The 30 ms run is a cpu/t1 measurement: one@1 learns it, none@1's cpu/t2 figure is untouched.
    expect(est.exec('one@1', 1, 'cpu/t2')).toBe(30);
    expect(est.exec('one@1', 1, 'cpu/t1')).toBe(30);
    expect(est.exec('none@1', 1, 'cpu/t2')).toBe(8);
  });
});
