// A worker's liveness deadline, judged with explicit times.
import { describe, expect, it } from 'vitest';
import { Liveness } from './liveness.js';

describe('Liveness', () => {
  it('reports a worker silent past its deadline once, and back when it is heard again', () => {
    const l = new Liveness(0, { deadlineMs: 1000, checkEveryMs: 250 });
    for (let t = 250; t <= 1000; t += 250) expect(l.check(t)).toEqual({ type: 'fine' });
    expect(l.check(1250)).toEqual({ type: 'silent', silentMs: 1250 });
    expect(l.silent).toBe(true);
    expect(l.check(1500)).toEqual({ type: 'fine' }); // reported once
    expect(l.heard(1600)).toBe(true);
    expect(l.silent).toBe(false);
    expect(l.heard(1700)).toBe(false);
    for (let t = 1750; t <= 2700; t += 250) expect(l.check(t).type).toBe('fine');
    expect(l.check(2950)).toEqual({ type: 'silent', silentMs: 1250 });
  });

  it('a worker heard often is never silent', () => {
    const l = new Liveness(0, { deadlineMs: 1000, checkEveryMs: 250 });
    for (let t = 250; t < 20_000; t += 250) {
      l.heard(t - 10);
      expect(l.check(t).type).toBe('fine');
    }
  });

  it('judges nothing on a check that ran late (the controller itself was stalled), and gives the worker a fresh grace', () => {
    const l = new Liveness(0, { deadlineMs: 1000, checkEveryMs: 250 });
    expect(l.check(250).type).toBe('fine');
    // The controller's loop stalled 3 s: the worker's pongs may sit unread in the socket.
    expect(l.check(3250)).toEqual({ type: 'fine' });
    // Still silent once the loop runs again normally: set aside after the deadline counted from the stall.
    expect(l.check(3500).type).toBe('fine');
    expect(l.check(4000).type).toBe('fine');
    expect(l.check(4250)).toMatchObject({ type: 'silent' });
  });
});
