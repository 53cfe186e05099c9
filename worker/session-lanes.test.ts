// The lane bookkeeping on its own: one lane sends everything to thread 0; with
// several, a LOAD claims its lane as it starts, INFERs and the UNLOAD follow
// the model, a failed LOAD gives its lane up, and a busy lane is reported.
import { describe, expect, it } from 'vitest';
import { SessionLanes } from './session-lanes.js';

describe('SessionLanes', () => {
  it('with one lane, routes everything to lane 0 and holds nothing', () => {
    const l = new SessionLanes(1);
    expect(l.route('INFER', 'm@1', 0)).toEqual({ lane: 0, claimed: false });
    expect(l.route('UNLOAD', 'm@1', 0)).toEqual({ lane: 0, claimed: false });
    expect(l.route('LOAD', 'm@1', 0)).toEqual({ lane: 0, claimed: false });
    expect(l.holderOf('m@1')).toBeUndefined();
    expect(l.badLane(0)).toBeUndefined();
    expect(l.badLane(1)).toBe('lane 1 does not exist (the executor has 1 lane, 0..0)');
  });

  it('refuses lanes out of range, negative and fractional ones included', () => {
    const l = new SessionLanes(3);
    expect([0, 1, 2].map((x) => l.badLane(x))).toEqual([undefined, undefined, undefined]);
    for (const bad of [3, 7, -1, 1.5, Number.NaN]) expect(l.badLane(bad)).toMatch(/does not exist \(the executor has 3 lanes, 0\.\.2\)/);
  });

  it('sends INFERs and the UNLOAD to the lane that loaded the model', () => {
    const l = new SessionLanes(2);
    expect(l.route('INFER', 'm@1', 0)).toBeUndefined(); // nobody holds it
    expect(l.route('UNLOAD', 'm@1', 0)).toBeUndefined();
    const load = l.route('LOAD', 'm@1', 1)!;
    expect(load).toEqual({ lane: 1, claimed: true });
    expect(l.route('INFER', 'm@1', 0)).toEqual({ lane: 1, claimed: false }); // while the load runs, too
    l.settle('LOAD', 'm@1', load, true);
    expect(l.route('LOAD', 'm@1', 0)).toEqual({ lane: 1, claimed: false }); // already loaded, on lane 1
    const unload = l.route('UNLOAD', 'm@1', 0)!;
    expect(unload.lane).toBe(1);
    l.settle('UNLOAD', 'm@1', unload, true);
    expect(l.holderOf('m@1')).toBeUndefined();
    expect(l.route('LOAD', 'm@1', 0)).toEqual({ lane: 0, claimed: true }); // and now elsewhere
  });

  it('a failed LOAD gives up the lane it claimed, not one held before it', () => {
    const l = new SessionLanes(2);
    const first = l.route('LOAD', 'a@1', 1)!;
    l.settle('LOAD', 'a@1', first, false);
    expect(l.holderOf('a@1')).toBeUndefined();
    l.settle('LOAD', 'b@1', l.route('LOAD', 'b@1', 0)!, true);
    const again = l.route('LOAD', 'b@1', 1)!; // answered on lane 0, where it is
    l.settle('LOAD', 'b@1', again, false);
    expect(l.holderOf('b@1')).toBe(0);
  });

  it('reports a lane busy while another action runs on it', () => {
    const l = new SessionLanes(2);
    expect(l.enter(1)).toBe(false);
    expect(l.enter(0)).toBe(false);
    expect(l.enter(1)).toBe(true);
    l.leave(1);
    l.leave(1);
    expect(l.enter(1)).toBe(false);
  });

  it('forgets every holder on clear', () => {
    const l = new SessionLanes(2);
    l.settle('LOAD', 'm@1', l.route('LOAD', 'm@1', 1)!, true);
    l.clear();
    expect(l.route('INFER', 'm@1', 0)).toBeUndefined();
  });

  it('takes only a positive whole number of lanes', () => {
    expect(() => new SessionLanes(0)).toThrow('lanes must be a positive integer, not 0');
    expect(() => new SessionLanes(2.5)).toThrow('lanes must be a positive integer');
  });
});
