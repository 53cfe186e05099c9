// The scheduler's decisions, driven by explicit times and a fixed table of
// estimates (test/support/scheduler-fixtures.ts): no sockets, no timers, no
// real time. Dispatch (least slack, batches, the schedule-ahead window, drops, the answer's way back) and the wakeups that drive it.
import { describe, expect, it } from 'vitest';
import { type Scheduler, type SchedulerOptions } from './scheduler.js';
import type { Decision } from './types.js';
import { ManualClock } from '../../common/clock.js';
import { infers, drops, ids, ok, executor, req, setup, accept, predictedStart, runUntilIdle, warm } from '../../test/support/scheduler-fixtures.js';

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
