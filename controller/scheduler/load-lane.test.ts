// The load lane (ExecutorSpec.lanes ≥ 2): loads run beside the inferences on
// a line of their own, each on one session thread; a model's inferences wait
// while its own thread loads another. Explicit times, the fixed table of
// estimates (test/support/scheduler-fixtures.ts): a@1 runs in 12 ms at batch
// 1 and loads in 50 ms, b@1 25 / 80 ms, c@1 6 / 30 ms.
import { describe, expect, it } from 'vitest';
import type { ExecutorSpec } from './types.js';
import { accept, executor, infers, loads, ok, req, runUntilIdle, setup, unloads } from '../../test/support/scheduler-fixtures.js';

function laned(id: string, lanes = 2, memoryMb = 1000): ExecutorSpec {
  return { ...executor(id, memoryMb), lanes };
}

/** Serves `n` requests of model, spaced by 20 ms from t, so that its demand is n; returns when idle. */
function ask(s: ReturnType<typeof setup>['s'], model: string, n: number, t: number): number {
  for (let i = 0; i < n; i++) {
    accept(s, req(model, t, 1000));
    t = runUntilIdle(s, t).t + 20;
  }
  return t;
}

/**
 * Makes a cold model popular before it loads: 12 requests turned away (their
 * 30 ms SLO is shorter than any cold start) count as demand, and the load
 * made for the requests that come next finds it popular. Returns when idle.
 */
function popular(s: ReturnType<typeof setup>['s'], model: string, t: number): number {
  for (let i = 0; i < 12; i++) expect(s.submit(req(model, t, 30), t)).toMatchObject({ ok: false });
  return runUntilIdle(s, t, s.tick(t)).t + 10;
}

describe('Scheduler: the load lane', () => {
  it('inferences of a resident model keep being dispatched while another model loads (one lane: none until the load is done)', () => {
    for (const lanes of [1, 2]) {
      const { s } = setup({}, [laned('w1/0', lanes)]);
      let t = popular(s, 'a@1', 0);
      expect(s.executors.get('w1/0')!.models.get('a@1')).toMatchObject({ state: 'loaded', lane: 0 });
      accept(s, req('c@1', t, 1000)); // rare and cold: a load, on thread 1 with two lanes
      const load = loads(s.tick(t))[0]!;
      expect(load).toMatchObject({ model: 'c@1', lane: lanes === 1 ? 0 : 1 });
      t += 1;
      accept(s, req('a@1', t, 1000));
      const during = s.tick(t);
      if (lanes === 1) expect(infers(during)).toEqual([]);
      else expect(infers(during)).toEqual([expect.objectContaining({ model: 'a@1', earliest: t })]);
    }
  });

  it('popular models load on thread 0, rare ones on the least wanted of the other threads', () => {
    const { s } = setup({}, [laned('w1/0', 3)]);
    let t = popular(s, 'a@1', 0);
    const e = s.executors.get('w1/0')!;
    expect(e.models.get('a@1')!.lane).toBe(0);
    // b@1, asked for once: threads 1 and 2 equally unwanted, the lowest.
    accept(s, req('b@1', t, 10_000));
    let ds = s.tick(t);
    expect(loads(ds)[0]).toMatchObject({ model: 'b@1', lane: 1 });
    t = runUntilIdle(s, t, ds).t + 10;
    // c@1, asked for once: thread 2, which holds nothing wanted.
    accept(s, req('c@1', t, 10_000));
    ds = s.tick(t);
    expect(loads(ds)[0]).toMatchObject({ model: 'c@1', lane: 2 });
    t = runUntilIdle(s, t, ds).t + 10;
    // A model asked for often since its first load goes on thread 0 when it loads again.
    t = ask(s, 'c@1', 12, t);
    expect(s.unloadIdle('c@1', t)).toBe(1);
    t = runUntilIdle(s, t).t;
    accept(s, req('c@1', t, 10_000));
    expect(loads(s.tick(t))[0]).toMatchObject({ model: 'c@1', lane: 0 });
  });

  it("while a thread loads, its other models wait for the load's result; the other thread's run", () => {
    const { s } = setup({}, [laned('w1/0')]);
    let t = popular(s, 'a@1', 0); // thread 0
    accept(s, req('b@1', t, 10_000));
    t = runUntilIdle(s, t).t + 10; // rare: thread 1
    const e = s.executors.get('w1/0')!;
    expect([e.models.get('a@1')!.lane, e.models.get('b@1')!.lane]).toEqual([0, 1]);
    // c@1 (rare) loads on thread 1, beside b@1.
    accept(s, req('c@1', t, 10_000));
    const load = loads(s.tick(t))[0]!;
    expect(load).toMatchObject({ model: 'c@1', lane: 1 });
    // b@1 (same thread) waits; a@1 (other thread) runs now.
    t += 1;
    const b = accept(s, req('b@1', t, 10_000));
    accept(s, req('a@1', t, 10_000));
    const during = s.tick(t);
    expect(infers(during).map((d) => d.model)).toEqual(['a@1']);
    // b@1's answer was predicted after the load's end, not now.
    expect(b.predicted!).toBeGreaterThanOrEqual(load.earliest + 30);
    s.complete(load.actionId, ok(t - 1, t + 29), t + 29);
    expect(infers(s.tick(t + 29)).map((d) => d.model)).toContain('b@1');
  });

  it('a load does not start before the inferences already dispatched for models of its thread have ended', () => {
    const { s } = setup({}, [laned('w1/0')]);
    accept(s, req('b@1', 0, 10_000));
    const t = runUntilIdle(s, 0).t + 10; // b@1, rare: thread 1
    accept(s, req('b@1', t, 10_000));
    const inferB = infers(s.tick(t))[0]!;
    expect(inferB).toMatchObject({ model: 'b@1' });
    // c@1 is rare too: thread 1, where b@1 runs until t + 25.
    accept(s, req('c@1', t, 10_000));
    const load = loads(s.tick(t))[0]!;
    expect(load).toMatchObject({ model: 'c@1', lane: 1 });
    expect(load.earliest).toBeGreaterThanOrEqual(t + 25);
  });

  it('admission counts a cold start on the load lane after the loads already on it', () => {
    const { s } = setup({ maxLoadsInFlight: 4 }, [laned('w1/0')]);
    accept(s, req('b@1', 0, 10_000));
    const first = loads(s.tick(0))[0]!;
    expect(first).toMatchObject({ model: 'b@1' });
    // a@1 arrives while b@1 loads (80 ms): its load comes after, so its answer after 80 + 50 + 12 ms at the least.
    const a = accept(s, req('a@1', 1, 10_000));
    expect(a.predicted!).toBeGreaterThanOrEqual(80 + 50 + 12);
    // With an SLO shorter than that it is turned away, although an idle executor could have made it (50 + 12 ms).
    const tight = s.submit(req('a@1', 2, 100), 2);
    expect(tight).toMatchObject({ ok: false, code: 'slo_unattainable' });
  });

  it('an eviction unloads on the thread holding the model', () => {
    const { s } = setup({}, [laned('w1/0', 2, 250)]);
    accept(s, req('a@1', 0, 10_000));
    let t = runUntilIdle(s, 0).t + 10;
    accept(s, req('b@1', t, 10_000));
    t = runUntilIdle(s, t).t + 10;
    const e = s.executors.get('w1/0')!;
    const laneA = e.models.get('a@1')!.lane;
    accept(s, req('c@1', t, 10_000));
    const ds = s.tick(t);
    expect(unloads(ds)).toEqual([expect.objectContaining({ model: 'a@1', lane: laneA })]);
    expect(loads(ds)).toEqual([expect.objectContaining({ model: 'c@1' })]);
  });

  it('an unanswered load on the load lane is found lost like any action', () => {
    const lost: string[] = [];
    const { s } = setup({ lostAfterMs: 100, onLost: (a) => lost.push(`${a.type} ${a.model}`) }, [laned('w1/0')]);
    accept(s, req('a@1', 0, 10_000));
    const load = loads(s.tick(0))[0]!;
    expect(s.executors.get('w1/0')!.loadLine.map((a) => a.id)).toEqual([load.actionId]);
    s.tick(50 + 99);
    expect(lost).toEqual([]);
    s.tick(50 + 100);
    expect(lost).toEqual(['load a@1']);
  });

  it('a load planned in front of queued requests moves their predicted answers by its length (not an error for the reserve)', () => {
    const { s } = setup({}, [executor('w1/0'), executor('w2/0')]);
    // a@1 on w1/0 with requests queued beyond what is dispatched; a load of c@1 there pushes them by 30 ms.
    let t = 0;
    accept(s, req('a@1', t, 10_000));
    t = runUntilIdle(s, t).t + 10;
    const queued = Array.from({ length: 5 }, () => accept(s, req('a@1', t, 10_000)));
    const before = queued.map((r) => r.predicted!);
    s.tick(t); // dispatches what fits in the schedule-ahead window, leaves the rest queued
    const e = s.executors.get('w1/0')!;
    const q = s.models.get('a@1')!.queue;
    const still = new Set(Array.from({ length: q.length }, (_, i) => q.at(i)));
    const waiting = queued.filter((r) => still.has(r));
    expect(waiting.length).toBeGreaterThan(0);
    s.warm('w1/0', ['c@1'], t);
    expect(e.models.get('c@1')?.state).toBe('loading');
    for (const r of waiting) expect(r.predicted).toBe(before[queued.indexOf(r)]! + 30);
  });
});
