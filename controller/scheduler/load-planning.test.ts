// The scheduler's decisions, driven by explicit times and a fixed table of
// estimates (test/support/scheduler-fixtures.ts): no sockets, no timers, no
// real time. Load planning: loads by demand, placement and LRU eviction.
import { describe, expect, it } from 'vitest';
import type { Decision } from './types.js';
import { MB, infers, loads, unloads, drops, ids, ok, executor, req, setup, accept, runUntilIdle, warm, replicate } from '../../test/support/scheduler-fixtures.js';

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
    expect(ds).toEqual([{ type: 'load', actionId: expect.any(Number), executor: 'w1/0', model: 'a@1', earliest: 0, latest: 1000, expected: 50, lane: 0 }]);
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
  it('a load measured over its estimate that takes the executor past its budget evicts an idle model, so the books stay within it', () => {
    // 250 MB: a@1 and b@1 (100 MB each, estimated) fit; b@1 then reads 180 MB when it loads.
    const { s } = setup({}, [executor('w1/0', 250)]);
    const t = warm(s, 'a@1', 0);
    accept(s, req('b@1', t + 10, 100_000));
    const load = loads(s.tick(t + 10))[0]!;
    expect(load.model).toBe('b@1');
    s.complete(load.actionId, { status: 'ok', start: t + 10, end: t + 90, duration: 80, memory: 180 * MB }, t + 90);
    const e = s.executors.get('w1/0')!;
    expect(e.memoryUsed).toBeLessThanOrEqual(250 * MB);
    expect(e.holds('a@1')).toBe(false); // the idle one made room
    expect(e.holds('b@1')).toBe(true); // never the one just loaded
    const ds = s.tick(t + 90);
    expect(unloads(ds).map((d) => d.model)).toEqual(['a@1']);
  });

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

describe('Scheduler: cold starts', () => {
  it('books an adopted session as loaded: its request runs at once, with no LOAD, and the warm-up skips it', () => {
    const { s } = setup({}, [executor('w1/0', 1000)]);
    expect(s.adopt('w1/0', 'a@1', 0, 0, 0)).toBe(true);
    expect(s.adopt('w1/0', 'a@1', 0, 0, 0), 'held already').toBe(false);
    expect(s.adopt('w1/0', 'nope@1', 0, 0, 0), 'unknown model').toBe(false);
    expect(s.adopt('w9/0', 'b@1', 0, 0, 0), 'unknown executor').toBe(false);
    expect(s.adopt('w1/0', 'b@1', 3, 0, 0), 'no such lane').toBe(false);
    s.preload('w1/0', ['a@1']);
    accept(s, req('a@1', 0, 100), 0);
    const ds = s.tick(0);
    expect(infers(ds).map((d) => d.model)).toEqual(['a@1']);
    expect(loads(ds)).toEqual([]);
  });

  it('warms a joining executor in the background: one load at a time, only while idle and after a lull in traffic, never ahead of a request', () => {
    const { s } = setup({}, [executor('w1/0', 1000)]);
    s.preload('w1/0', ['a@1', 'b@1', 'c@1']);
    const first = loads(s.tick(0));
    expect(first.map((d) => d.model)).toEqual(['a@1']);
    expect(loads(s.tick(10))).toEqual([]); // busy loading: nothing more
    s.complete(first[0]!.actionId, ok(0, 50), 50);
    // A request arrives as the first load ends: it runs first, the warm-up waits until the executor is idle.
    accept(s, req('a@1', 50, 100), 50);
    const ds = s.tick(50);
    expect(infers(ds).map((d) => d.model)).toEqual(['a@1']);
    expect(loads(ds)).toEqual([]);
    const [run] = infers(ds);
    s.complete(run!.actionId, ok(50, 62), 62);
    // Idle again, but traffic came a moment ago: the warm-up waits for a lull (preloadQuietMs after the last admission).
    expect(loads(s.tick(62))).toEqual([]);
    expect(s.nextWakeup(62)).toBe(50 + 1000);
    expect(loads(s.tick(1050)).map((d) => d.model)).toEqual(['b@1']);
  });

  it('books nothing behind a load in flight: what follows is dispatched when the load has ended', () => {
    const { s } = setup();
    accept(s, req('a@1', 0, 1000)); // a@1 resident nowhere: admission makes its load at once
    const first = s.tick(0);
    const [load] = loads(first);
    expect(load).toMatchObject({ model: 'a@1', executor: 'w1/0' });
    expect(infers(first)).toEqual([]);
    expect(infers(s.tick(45))).toEqual([]); // inside the window of the load's predicted end, still nothing
    expect(s.nextWakeup(45)).toBeGreaterThan(900); // no wakeup spins on it (the next is the request's last chance): the load's result brings the tick
    s.complete(load!.actionId, ok(0, 53), 53); // it overran its 50 ms
    const [run] = infers(s.tick(53));
    expect(run).toMatchObject({ model: 'a@1', earliest: 53 });
  });

  it('makes the load admission counted on, on the executor it chose, before another model can take that place', () => {
    const { s } = setup({}, [executor('w1/0'), executor('w2/0')]);
    let t = warm(s, 'b@1', 0);
    // w1/0 holds b@1 (busy with a queue), w2/0 is empty: a@1 is predicted on w2/0 with a load, and loaded there.
    for (let i = 0; i < 3; i++) accept(s, req('b@1', t, 10_000));
    const adm = s.submit(req('a@1', t, 200), t);
    expect(adm).toMatchObject({ ok: true });
    const ds = s.tick(t);
    expect(loads(ds).filter((d) => d.model === 'a@1').map((d) => d.executor)).toEqual(['w2/0']);
    t = runUntilIdle(s, t, ds).t;
    expect(s.queued()).toBe(0);
  });

  it('admits a request for a model with no room anywhere now when its deadline leaves time for the queue ahead to free some', () => {
    const { s } = setup({}, [executor('w1/0', 250)]);
    let t = warm(s, 'a@1', 0);
    t = warm(s, 'b@1', t + 10) + 10;
    for (let i = 0; i < 8; i++) accept(s, req('a@1', t, 10_000));
    accept(s, req('b@1', t, 10_000));
    // Every resident model is busy: c@1 cannot be loaded now, only after the queue has run.
    const lax = s.submit(req('c@1', t, 10_000), t);
    expect(lax.ok).toBe(true);
    expect(lax.predicted).toBeGreaterThan(t + 26 + 25 + 30);
    // A deadline that leaves no such time is refused at once.
    expect(s.submit(req('c@1', t, 60), t)).toMatchObject({ ok: false, code: 'slo_unattainable' });
  });

  it('loads a model whose request was turned away cold, so the requests that come next can be served', () => {
    const { s } = setup();
    // b@1 loads in 80 ms and runs in 25: a 60 ms SLO cannot be met cold.
    const cold = s.submit(req('b@1', 0, 60), 0);
    expect(cold).toMatchObject({ ok: false, code: 'slo_unattainable' });
    const [load] = loads(s.tick(0));
    expect(load).toMatchObject({ model: 'b@1', executor: 'w1/0' });
    s.complete(load!.actionId, ok(0, 80), 80);
    expect(s.submit(req('b@1', 100, 60), 100)).toMatchObject({ ok: true, predicted: 125 });
  });

  it('loads a model turned away cold only while that demand is recent (2 s)', () => {
    const busy = (doneAt: number) => {
      const { s } = setup({}, [executor('w1/0', 150)]);
      const t = warm(s, 'a@1', 0);
      // b@1 is turned away cold; a@1 (queued, so not evictable) holds the memory b@1 would need.
      expect(s.submit(req('b@1', t, 60), t)).toMatchObject({ ok: false });
      for (let i = 0; i < 4; i++) accept(s, req('a@1', t, 10_000));
      const ds = s.tick(t);
      expect(loads(ds).filter((d) => d.model === 'b@1')).toEqual([]);
      const [run] = infers(ds);
      s.complete(run!.actionId, ok(t, t + 18), t + doneAt);
      return loads(s.tick(t + doneAt)).filter((d) => d.model === 'b@1');
    };
    // a@1 idle again soon after: b@1 is loaded in its place. Long after: the old demand loads nothing.
    expect(busy(30)).toHaveLength(1);
    expect(busy(2100)).toEqual([]);
  });

  it('evicts by predicted re-use: a model asked for often recently stays over one used last but rarely asked for', () => {
    // Room for two; a@1 is asked for five times, b@1 once and later; c@1 then needs one of them out.
    const { s } = setup({}, [executor('w1/0', 250)]);
    let t = 0;
    for (let i = 0; i < 5; i++) t = warm(s, 'a@1', t) + 1;
    t = warm(s, 'b@1', t) + 1; // b@1 is the most recently used
    accept(s, req('c@1', t, 10_000));
    const ds = s.tick(t);
    expect(unloads(ds).map((d) => d.model)).toEqual(['b@1']);
    expect(loads(ds).map((d) => d.model)).toEqual(['c@1']);
  });
});

