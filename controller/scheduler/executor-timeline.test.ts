// ExecutorTimeline: the planned actions of one executor and how their
// predictions move when a result comes back early, late or not at all.
import { describe, expect, it } from 'vitest';
import { ExecutorTimeline } from './executor-timeline.js';

const spec = { id: 'w1/0', workerId: 'w1', cls: 'cpu', memoryBudget: 1000 };

describe('ExecutorTimeline', () => {
  it('starts free at its creation time', () => {
    const e = new ExecutorTimeline(spec, 42);
    expect(e.freeAt).toBe(42);
    expect(e.inflight).toEqual([]);
    expect(e.freeMemory()).toBe(1000);
  });

  it('plans each action after the previous one, never before its earliest', () => {
    const e = new ExecutorTimeline(spec, 0);
    const a = e.plan(1, 'infer', 'a@1', 10, 5);
    const b = e.plan(2, 'infer', 'a@1', 12, 5);
    const c = e.plan(3, 'infer', 'a@1', 40, 5);
    expect([a.predictedStart, a.predictedEnd]).toEqual([10, 15]);
    expect([b.predictedStart, b.predictedEnd]).toEqual([15, 20]);
    expect([c.predictedStart, c.predictedEnd]).toEqual([40, 45]);
    expect(e.freeAt).toBe(45);
    expect(e.inflight.map((x) => x.id)).toEqual([1, 2, 3]);
  });

  it('a late result moves everything after it by the lateness', () => {
    const e = new ExecutorTimeline(spec, 0);
    e.plan(1, 'infer', 'a@1', 0, 10);
    e.plan(2, 'infer', 'a@1', 10, 10);
    e.plan(3, 'infer', 'a@1', 20, 10);
    expect(e.settle(1, 13)?.id).toBe(1);
    expect(e.inflight.map((x) => [x.predictedStart, x.predictedEnd])).toEqual([
      [13, 23],
      [23, 33],
    ]);
    expect(e.freeAt).toBe(33);
    expect(e.completed).toBe(1);
  });

  it('an early result lets later work start at its own earliest, not before', () => {
    const e = new ExecutorTimeline(spec, 0);
    e.plan(1, 'infer', 'a@1', 0, 10);
    e.plan(2, 'infer', 'a@1', 10, 10);
    e.settle(1, 4);
    expect(e.inflight[0]!.predictedStart).toBe(10);
    expect(e.freeAt).toBe(20);
  });

  it('settling a middle action leaves earlier ones alone and re-anchors later ones after both', () => {
    const e = new ExecutorTimeline(spec, 0);
    e.plan(1, 'load', 'a@1', 0, 50);
    e.plan(2, 'infer', 'a@1', 50, 10);
    e.plan(3, 'infer', 'a@1', 60, 10);
    // Action 2 answers with an anchor before action 1's predicted end: 3 still follows 1.
    e.settle(2, 30);
    expect(e.inflight.map((x) => [x.id, x.predictedStart, x.predictedEnd])).toEqual([
      [1, 0, 50],
      [3, 60, 70],
    ]);
    expect(e.freeAt).toBe(70);
  });

  it('with nothing left, freeAt is the anchor (the last result or now)', () => {
    const e = new ExecutorTimeline(spec, 0);
    e.plan(1, 'infer', 'a@1', 0, 10);
    e.settle(1, 25);
    expect(e.freeAt).toBe(25);
    expect(e.inflight).toEqual([]);
  });

  it('settling an unknown id changes nothing', () => {
    const e = new ExecutorTimeline(spec, 0);
    e.plan(1, 'infer', 'a@1', 0, 10);
    expect(e.settle(99, 500)).toBeUndefined();
    expect(e.freeAt).toBe(10);
    expect(e.completed).toBe(0);
  });

  it('advances by each action\'s typical time and keeps the spreads apart: margin() adds them in quadrature', () => {
    const e = new ExecutorTimeline(spec, 0);
    const a = e.plan(1, 'infer', 'a@1', 0, 20, [], 8); // spread 12
    const b = e.plan(2, 'infer', 'a@1', 0, 15, [], 10); // spread 5
    expect([a.predictedStart, a.predictedEnd, b.predictedStart, b.predictedEnd]).toEqual([0, 8, 8, 18]);
    expect(e.freeAt).toBe(18);
    expect(e.margin()).toBe(13); // √(12² + 5²)
    e.settle(1, 9);
    expect([b.predictedStart, b.predictedEnd]).toEqual([9, 19]);
    expect(e.margin()).toBe(5);
    e.settle(2, 20);
    expect(e.margin()).toBe(0);
    // Without a typical time, an action counts at its expected one, with no spread.
    e.plan(3, 'load', 'a@1', 20, 50);
    expect(e.freeAt).toBe(70);
    expect(e.margin()).toBe(0);
  });
});
