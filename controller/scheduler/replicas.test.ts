// The scheduler's decisions, driven by explicit times and a fixed table of
// estimates (test/support/scheduler-fixtures.ts): no sockets, no timers, no
// real time. Replicas of popular models turned away warm, and how a queue
// shared by several holders counts in each one's plan.
import { describe, expect, it } from 'vitest';
import { MB, executor, loads, req, runUntilIdle, setup, unloads } from '../../test/support/scheduler-fixtures.js';
import type { Scheduler } from './scheduler.js';

/** Loads each model on the executor named, and runs until idle; returns the time. */
function holdOn(s: Scheduler, at: Record<string, string[]>, t: number): number {
  for (const [id, models] of Object.entries(at)) s.warm(id, models, t);
  return runUntilIdle(s, t).t;
}

/** Submits `n` requests of `model` at t with `slo`; how many were turned away. */
function submitMany(s: Scheduler, model: string, n: number, t: number, slo: number): number {
  let rejected = 0;
  for (let i = 0; i < n; i++) if (!s.submit(req(model, t, slo), t).ok) rejected++;
  return rejected;
}

describe('Scheduler: replicas of popular models turned away warm', () => {
  // a@1: 12 ms a run, 50 ms to load. With a 40 ms SLO three fit on its one holder; a cold start
  // elsewhere (62 ms) cannot make any, so admission turns the rest away instead of loading it.
  it('a popular model whose holder has no time left gets a replica on an idle executor with free memory', () => {
    const { s } = setup({}, [executor('w1/0'), executor('w2/0')]);
    const t = holdOn(s, { 'w1/0': ['a@1'] }, 0);
    expect(submitMany(s, 'a@1', 20, t, 40)).toBeGreaterThan(10);
    const ds = s.tick(t);
    expect(loads(ds)).toEqual([expect.objectContaining({ model: 'a@1', executor: 'w2/0' })]);
    // Once it is loaded there, requests go to whichever holder is free first.
    const after = runUntilIdle(s, t, ds).t;
    expect(s.executors.get('w2/0')!.holds('a@1')).toBe(true);
    expect(submitMany(s, 'a@1', 6, after, 40)).toBe(0);
  });

  it('a rare model turned away is not replicated: one rejection is not worth the memory', () => {
    const { s } = setup({}, [executor('w1/0'), executor('w2/0')]);
    // b@1: 25 ms a run, 80 ms to load: with a 30 ms SLO one fits, the second is turned away.
    const t = holdOn(s, { 'w1/0': ['b@1'] }, 0);
    expect(submitMany(s, 'b@1', 2, t, 30)).toBe(1);
    const { all } = runUntilIdle(s, t);
    expect(loads(all)).toEqual([]);
    expect(s.executors.get('w2/0')!.holds('b@1')).toBe(false);
  });

  it('a replica evicts nothing: an executor whose memory is held by idle models gets none', () => {
    // w2/0 has room for one 100 MB model, and holds c@1, idle.
    const { s } = setup({}, [executor('w1/0'), executor('w2/0', 150)]);
    const t = holdOn(s, { 'w1/0': ['a@1'], 'w2/0': ['c@1'] }, 0);
    expect(s.executors.get('w2/0')!.memoryUsed).toBe(100 * MB);
    expect(submitMany(s, 'a@1', 20, t, 40)).toBeGreaterThan(10);
    const { all } = runUntilIdle(s, t);
    expect(loads(all)).toEqual([]);
    expect(unloads(all)).toEqual([]);
    expect(s.executors.get('w2/0')!.holds('c@1')).toBe(true);
  });
});

describe('Scheduler: a queue shared by several holders', () => {
  // cpu@1: 12 ms a run, and batching does not pay, so n queued requests are 12·n ms of work.
  it('the holder free first counts the whole queue ahead of a newcomer, not a share of it the others are too busy to take', () => {
    // Booking 100 ms ahead, w2/0 books four b@1 runs (25 ms each): it cannot take cpu@1 requests before t + 60.
    const { s } = setup({ scheduleAheadMs: 100 }, [executor('w1/0'), executor('w2/0')]);
    let t = holdOn(s, { 'w1/0': ['cpu@1'], 'w2/0': ['cpu@1', 'b@1'] }, 0);
    expect(submitMany(s, 'b@1', 4, t, 1000)).toBe(0);
    s.tick(t);
    expect(s.executors.get('w2/0')!.freeAt).toBeGreaterThanOrEqual(t + 60);
    t += 1;
    expect(submitMany(s, 'cpu@1', 4, t, 1000)).toBe(0);
    const adm = s.submit(req('cpu@1', t, 1000), t);
    expect(adm.ok).toBe(true);
    // On w1/0: the four queued (48 ms), then its own run (12 ms). Counting on w2/0 for half of
    // the queue would have predicted 36 ms; w2/0 itself cannot start before 59 ms from now.
    expect(adm.ok && adm.predicted - t).toBeGreaterThanOrEqual(60);
    expect(adm.ok && adm.predicted - t).toBeLessThan(75);
  });

  it('holders free at the same time share the queue', () => {
    const { s } = setup({}, [executor('w1/0'), executor('w2/0')]);
    const t = holdOn(s, { 'w1/0': ['cpu@1'], 'w2/0': ['cpu@1'] }, 0);
    expect(submitMany(s, 'cpu@1', 4, t, 1000)).toBe(0);
    const adm = s.submit(req('cpu@1', t, 1000), t);
    // Two of the four ahead on each (24 ms), then its own run.
    expect(adm.ok && adm.predicted - t).toBeGreaterThanOrEqual(36);
    expect(adm.ok && adm.predicted - t).toBeLessThan(46);
  });
});
