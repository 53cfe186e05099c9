// The action queue's rules, driven by a ManualClock: no sockets, no timers.
import { describe, expect, it } from 'vitest';
import { ManualClock } from './clock.js';
import { ActionQueue } from './action-queue.js';
import type { ActionWindow } from './executor-contract.js';

interface Item extends ActionWindow {
  id: number;
}

const item = (id: number, earliestMs: number, latestMs: number): Item => ({ id, earliestMs, latestMs });
const ids = (items: readonly Item[]): number[] => items.map((i) => i.id);

describe('ActionQueue', () => {
  it('is idle and asks for no wake-up when empty', () => {
    const q = new ActionQueue<Item>();
    expect(q.poll(0)).toEqual({ refused: [] });
    expect(q.current).toBeUndefined();
  });

  it('never starts an action before its earliest, and asks to be woken then', () => {
    const clock = new ManualClock(100);
    const q = new ActionQueue<Item>();
    q.push(item(1, 150, 200));
    expect(q.poll(clock.now())).toEqual({ refused: [], wakeAtMs: 150 });
    clock.set(149.999);
    expect(q.poll(clock.now()).start).toBeUndefined();
    clock.set(150);
    expect(q.poll(clock.now()).start?.id).toBe(1);
    expect(q.current?.id).toBe(1);
  });

  it('starts an action exactly at latest, refuses it just after', () => {
    const a = new ActionQueue<Item>();
    a.push(item(1, 10, 20));
    expect(a.poll(20).start?.id).toBe(1);

    const b = new ActionQueue<Item>();
    b.push(item(1, 10, 20));
    const step = b.poll(20.001);
    expect(step.start).toBeUndefined();
    expect(ids(step.refused)).toEqual([1]);
    expect(b.size).toBe(0);
  });

  it('refuses an action whose latest is already past when it arrives', () => {
    const q = new ActionQueue<Item>();
    q.push(item(7, 0, 5));
    const step = q.poll(6);
    expect(ids(step.refused)).toEqual([7]);
    expect(step.start).toBeUndefined();
    expect(step.wakeAtMs).toBeUndefined();
  });

  it('refuses a malformed window (latest before earliest) instead of waiting for it', () => {
    const q = new ActionQueue<Item>();
    q.push(item(1, 50, 40));
    expect(q.poll(10)).toEqual({ refused: [], wakeAtMs: 50 });
    expect(ids(q.poll(45).refused)).toEqual([1]);
  });

  it('orders by earliest, not by arrival', () => {
    const q = new ActionQueue<Item>();
    q.push(item(1, 30, 100));
    q.push(item(2, 10, 100));
    q.push(item(3, 20, 100));
    const started: number[] = [];
    for (let t = 30; started.length < 3; t++) {
      const s = q.poll(t);
      if (s.start) {
        started.push(s.start.id);
        q.finish();
      }
    }
    expect(started).toEqual([2, 3, 1]);
  });

  it('keeps arrival order among equal earliest', () => {
    const q = new ActionQueue<Item>();
    for (const id of [5, 3, 9, 1]) q.push(item(id, 10, 100));
    const started: number[] = [];
    for (let i = 0; i < 4; i++) {
      started.push(q.poll(10).start!.id);
      q.finish();
    }
    expect(started).toEqual([5, 3, 9, 1]);
  });

  it('runs one action at a time', () => {
    const q = new ActionQueue<Item>();
    q.push(item(1, 0, 100));
    q.push(item(2, 0, 100));
    expect(q.poll(0).start?.id).toBe(1);
    const busy = q.poll(1);
    expect(busy.start).toBeUndefined();
    expect(busy.wakeAtMs).toBeUndefined(); // finishing wakes the queue, not a timer
    expect(q.finish()?.id).toBe(1);
    expect(q.poll(2).start?.id).toBe(2);
  });

  it('refuses what waited behind a long action past its latest, then starts the next that still fits', () => {
    const clock = new ManualClock(0);
    const q = new ActionQueue<Item>();
    q.push(item(1, 0, 10));
    q.push(item(2, 5, 20)); // will be too late
    q.push(item(3, 6, 100)); // still fine
    expect(q.poll(clock.now()).start?.id).toBe(1);
    clock.advance(50); // action 1 ran 50 ms
    q.finish();
    const step = q.poll(clock.now());
    expect(ids(step.refused)).toEqual([2]);
    expect(step.start?.id).toBe(3);
  });

  it('refuses expired actions even while another one runs', () => {
    const q = new ActionQueue<Item>();
    q.push(item(1, 0, 100));
    q.push(item(2, 0, 10));
    expect(q.poll(0).start?.id).toBe(1);
    const step = q.poll(11);
    expect(ids(step.refused)).toEqual([2]);
    expect(q.size).toBe(0);
    expect(q.current?.id).toBe(1);
  });

  it('an action arriving with an earlier window jumps ahead of one waiting for a later start', () => {
    const q = new ActionQueue<Item>();
    q.push(item(1, 100, 200));
    expect(q.poll(0).wakeAtMs).toBe(100);
    q.push(item(2, 40, 60));
    expect(q.poll(0).wakeAtMs).toBe(40);
    expect(q.poll(40).start?.id).toBe(2);
  });

  it('clear drops the waiting actions but keeps the running one', () => {
    const q = new ActionQueue<Item>();
    q.push(item(1, 0, 100));
    q.push(item(2, 0, 100));
    q.push(item(3, 50, 100));
    q.poll(0);
    expect(ids(q.clear())).toEqual([2, 3]);
    expect(q.size).toBe(0);
    expect(q.current?.id).toBe(1);
    expect(q.poll(60)).toEqual({ refused: [] });
  });

  it('holds its invariants over many random schedules', () => {
    // A small deterministic PRNG, so a failure reproduces.
    let seed = 12345;
    const rand = (): number => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed / 0x7fffffff;
    };
    for (let round = 0; round < 300; round++) {
      const clock = new ManualClock(0);
      const q = new ActionQueue<Item>();
      const n = 1 + Math.floor(rand() * 20);
      const all = new Map<number, Item>();
      // Actions arrive over time; each has a window and a run time.
      const arrivals = Array.from({ length: n }, (_, id) => {
        const at = rand() * 100;
        const earliest = at + rand() * 50;
        const a = item(id, earliest, earliest + rand() * 40);
        all.set(id, a);
        return { at, a, runMs: rand() * 15 };
      }).sort((x, y) => x.at - y.at);
      const outcome = new Map<number, { started?: number; refused?: number }>();
      const starts: { id: number; at: number; end: number }[] = [];
      let runningEnd = Infinity;
      let next = 0;
      const runMs = new Map(arrivals.map((x) => [x.a.id, x.runMs]));
      // Event loop in virtual time: arrivals, finishes, wake-ups.
      let wake = Infinity;
      for (let guard = 0; guard < 10_000; guard++) {
        const arrival = arrivals[next]?.at ?? Infinity;
        const t = Math.min(arrival, q.current ? runningEnd : Infinity, wake);
        if (t === Infinity) break;
        clock.set(t);
        if (q.current && runningEnd <= t) {
          q.finish();
          runningEnd = Infinity;
        }
        while ((arrivals[next]?.at ?? Infinity) <= t) q.push(arrivals[next++]!.a);
        const step = q.poll(clock.now());
        for (const r of step.refused) {
          expect(outcome.has(r.id)).toBe(false);
          outcome.set(r.id, { refused: t });
          expect(t).toBeGreaterThan(r.latestMs);
        }
        if (step.start) {
          const s = step.start;
          expect(outcome.has(s.id)).toBe(false);
          outcome.set(s.id, { started: t });
          expect(t).toBeGreaterThanOrEqual(s.earliestMs);
          expect(t).toBeLessThanOrEqual(s.latestMs);
          runningEnd = t + runMs.get(s.id)!;
          starts.push({ id: s.id, at: t, end: runningEnd });
        }
        wake = step.wakeAtMs ?? Infinity;
        if (step.wakeAtMs !== undefined) expect(step.wakeAtMs).toBeGreaterThan(t);
      }
      // Every action was either started or refused, exactly once.
      expect(outcome.size).toBe(n);
      // One at a time: no two runs overlap.
      for (let i = 1; i < starts.length; i++) expect(starts[i]!.at).toBeGreaterThanOrEqual(starts[i - 1]!.end);
      // Work-conserving: a refused action found the executor busy for its whole window
      // (from when it was both arrived and due, to its latest).
      for (const [id, o] of outcome) {
        if (o.refused === undefined) continue;
        const a = all.get(id)!;
        const readyAt = Math.max(a.earliestMs, arrivals.find((x) => x.a.id === id)!.at);
        if (readyAt > a.latestMs) continue;
        let covered = readyAt;
        for (const s of starts) if (s.at <= covered && s.end > covered) covered = s.end;
        expect(covered).toBeGreaterThan(a.latestMs);
      }
    }
  });
});
