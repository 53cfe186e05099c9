// The executor's cost per action beyond its run: measured from each result
// (back to back from the previous end, else from its arrival), the median of
// a class's recent ones, expiring; booked with every run, so a tiny model's
// actions are planned at what they take the worker, not at their run alone.
import { describe, expect, it } from 'vitest';
import { ActionCosts, actionCost, COST_MAX_AGE_MS } from './action-cost.js';
import { accept, infers, req, setup, warm } from '../../test/support/scheduler-fixtures.js';

const ok = (o: { received?: number; start: number; end: number; duration: number }) => ({ status: 'ok' as const, ...o });

describe('actionCost', () => {
  it('back to back: from the previous end to its end, less its run', () => {
    // Arrived at 0 while the previous ran until 10; started at 10.3, ended at 10.5 after a 0.05 ms run.
    expect(actionCost(ok({ received: 0, start: 10.3, end: 10.5, duration: 0.05 }), 0, 10)).toBeCloseTo(0.45, 9);
  });

  it('after an idle spell: from its arrival (or its window opening, if later) to its end, less its run', () => {
    expect(actionCost(ok({ received: 20, start: 20.2, end: 20.4, duration: 0.1 }), 19, 10)).toBeCloseTo(0.3, 9);
    expect(actionCost(ok({ received: 20, start: 25.2, end: 25.4, duration: 0.1 }), 25, 10)).toBeCloseTo(0.3, 9);
  });

  it('without an arrival time (a simulator), only the time around its run; never negative', () => {
    expect(actionCost(ok({ start: 5, end: 7, duration: 2 }), 0, 1)).toBe(0);
    expect(actionCost(ok({ start: 5, end: 7.5, duration: 2 }), 0, 1)).toBeCloseTo(0.5, 9);
    expect(actionCost(ok({ received: 9, start: 8, end: 9, duration: 2 }), 0, undefined)).toBe(0);
  });
});

describe('ActionCosts', () => {
  it('is the median of a class’s recent costs, 0 for a class with none, and forgets them after COST_MAX_AGE_MS', () => {
    const c = new ActionCosts();
    expect(c.of('cpu/t1', 0)).toBe(0);
    for (const ms of [0.1, 0.2, 0.3, 50, 0.2]) c.observe('cpu/t1', ms, 100); // one pause does not move it
    expect(c.of('cpu/t1', 100)).toBe(0.2);
    expect(c.of('emulated', 100)).toBe(0);
    expect(c.of('cpu/t1', 100 + COST_MAX_AGE_MS + 1)).toBe(0);
  });
});

describe('booking the cost', () => {
  it('an action is planned at its run plus the cost its executor class showed', () => {
    const { s } = setup();
    warm(s, 'c@1', 0); // c@1 runs in 6 ms at batch 1
    accept(s, req('c@1', 100, 1000));
    const [d] = infers(s.tick(100));
    expect(d!.expected).toBe(6);
    // Its worker took 0.5 ms beyond the run: arrival at 100, start 100.3, end 106.5.
    s.complete(d!.actionId, { status: 'ok', received: 100, start: 100.3, end: 106.5, duration: 6 }, 106.6);
    accept(s, req('c@1', 110, 1000));
    const [next] = infers(s.tick(110));
    expect(next!.expected).toBeCloseTo(6.5, 9);
    // Admission books it too: this one waits for the one booked at 110 (both at 6.5 ms).
    const adm = s.submit(req('c@1', 111, 1000), 111);
    expect(adm.ok).toBe(true);
    expect(adm.ok && adm.predicted).toBeGreaterThanOrEqual(110 + 6.5 + 6.5);
  });
});
