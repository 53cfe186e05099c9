// The scheduler's decisions, driven by explicit times and a fixed table of
// estimates (test/support/scheduler-fixtures.ts): no sockets, no timers, no
// real time. Outcomes: re-anchoring on results, lost actions, refused and failed actions, workers that stop answering, drain or leave.
import { describe, expect, it } from 'vitest';
import type { ActionOutcome } from './types.js';
import { infers, loads, unloads, drops, ids, ok, executor, req, setup, accept, predictedStart, runUntilIdle, warm, warmAll, replicate, type Action } from '../../test/support/scheduler-fixtures.js';

describe('Scheduler: re-anchoring and lost results', () => {
  function twoPlanned() {
    const { s, est } = setup({ scheduleAheadMs: 30 });
    warm(s, 'a@1', 0);
    for (let i = 0; i < 3; i++) accept(s, req('a@1', 100, 1000));
    const [first, second] = infers(s.tick(100));
    expect(first).toMatchObject({ earliest: 100, expected: 14 });
    expect(second).toMatchObject({ earliest: 100, expected: 12 });
    const e = s.executors.get('w1/0')!;
    expect(predictedStart(s, second!.actionId)).toBe(114);
    expect(e.freeAt).toBe(126);
    return { s, est, e, first: first!, second: second! };
  }

  it('a result 30 ms late moves freeAt and the start of what is queued after it by 30 ms', () => {
    const { s, est, e, first, second } = twoPlanned();
    const done = s.complete(first.actionId, ok(100, 144), 144);
    expect(done?.action.id).toBe(first.actionId);
    expect(ids(done!.action.requests)).toEqual(ids(first.requests));
    expect(est.execs.at(-1)).toEqual({ model: 'a@1', batch: 2, ms: 44 });
    expect(e.inflight.map((a) => [a.id, a.predictedStart, a.predictedEnd])).toEqual([[second.actionId, 144, 156]]);
    expect(e.freeAt).toBe(156);
    // Admission sees it too: a new request is predicted after the moved timeline,
    // plus the reserve learned from this miss (the first request was predicted at 112, answered at 144).
    expect(s.reserve('a@1', 1000, 144)).toBe(32);
    expect(s.submit(req('a@1', 144, 1000), 144)).toEqual({ ok: true, predicted: 156 + 12 + 32 });
  });

  it('an early result pulls later work forward: windows open at dispatch, so the worker starts it at once', () => {
    const { s, e, first, second } = twoPlanned();
    s.complete(first.actionId, ok(100, 105), 105);
    expect(e.inflight.map((a) => [a.id, a.predictedStart, a.predictedEnd])).toEqual([[second.actionId, 105, 117]]);
    expect(e.freeAt).toBe(117);
    expect(s.submit(req('a@1', 105, 1000), 105)).toEqual({ ok: true, predicted: 117 + 12 });
  });

  it('a lost infer sets its executor aside: its requests are re-planned on another at once, and its late result is ignored but brings the executor back', () => {
    const told: { actionId: number; executor: string; type: string; model: string; why: string }[] = [];
    const { s } = setup({ lostAfterMs: 1000, onLost: (a) => told.push(a) }, [executor('w1/0'), executor('w2/0')]);
    warmAll(s, 'a@1', 0);
    s.executors.get('w2/0')!.draining = true; // the first batch lands on w1/0
    const rs = Array.from({ length: 8 }, () => accept(s, req('a@1', 100, 5000)));
    const [d] = infers(s.tick(100)); // predicted end 126
    expect(d!.executor).toBe('w1/0');
    s.executors.get('w2/0')!.draining = false;
    expect(s.nextWakeup(100)).toBe(126 + 1000);
    expect(s.tick(1125)).toEqual([]);
    expect(s.lostActions).toBe(0);
    expect(told).toEqual([]);
    const ds = s.tick(1126);
    expect(s.lostActions).toBe(1);
    expect(told).toEqual([{ actionId: d!.actionId, executor: 'w1/0', type: 'infer', model: 'a@1', why: 'overdue' }]);
    const w1 = s.executors.get('w1/0')!;
    expect(w1.usable).toBe(false);
    expect(w1.suspended).toBe(true);
    const again = infers(ds);
    expect(again).toHaveLength(1);
    expect(again[0]!.executor).toBe('w2/0');
    expect(again[0]!.actionId).not.toBe(d!.actionId);
    expect(again[0]!.earliest).toBe(1126);
    expect(ids(again[0]!.requests)).toEqual(ids(rs));
    expect(again[0]!.requests.every((r) => r.retried === true)).toBe(true);
    // Nothing new goes to the set-aside executor, even when the other is busy.
    const more = Array.from({ length: 4 }, () => accept(s, req('a@1', 1127, 5000)));
    expect(infers(s.tick(1127)).every((x) => x.executor === 'w2/0')).toBe(true);
    // The first attempt's result, if it ever comes, answers nobody a second time, and shows its executor is alive.
    expect(s.complete(d!.actionId, ok(100, 1130), 1130)).toBeUndefined();
    expect(w1.usable).toBe(true);
    expect(s.complete(again[0]!.actionId, ok(1126, 1152), 1152)?.action.requests).toHaveLength(8);
    expect(more).toHaveLength(4);
  });

  it('everything in flight on a set-aside executor is given up on at once (it waits behind the missing action)', () => {
    const told: { actionId: number; why: string }[] = [];
    const { s } = setup({ lostAfterMs: 1000, scheduleAheadMs: 100, onLost: (a) => told.push(a) }, [executor('w1/0'), executor('w2/0')]);
    warmAll(s, 'a@1', 0);
    s.executors.get('w2/0')!.draining = true; // everything lands on w1/0
    // Booked far ahead: several actions are in flight at once.
    for (let i = 0; i < 3; i++) accept(s, req('a@1', 100, 5000));
    const planned = infers(s.tick(100));
    expect(planned.length).toBeGreaterThan(1);
    s.executors.get('w2/0')!.draining = false;
    const first = s.executors.get('w1/0')!.inflight[0]!;
    s.tick(first.predictedEnd + 1000);
    expect(told.map((t) => t.actionId).sort((a, b) => a - b)).toEqual(planned.map((p) => p.actionId).sort((a, b) => a - b));
    expect(s.executors.get('w1/0')!.inflight).toEqual([]);
  });

  it('an overdue infer on a worker that answers pings is lost only once a ping sent after it should have ended is answered; a slow one answers after its result', () => {
    const told: number[] = [];
    const { s } = setup({ lostAfterMs: 1000, onLost: (a) => told.push(a.actionId) }, [executor('w1/0')]);
    warmAll(s, 'a@1', 0);
    s.answered('w1', 50, 60);
    accept(s, req('a@1', 100, 100_000));
    const [d] = infers(s.tick(100)); // predicted end 112: overdue at 1112
    // The worker's last answered ping was sent long before: no verdict at 1112, and no timer for one.
    expect(s.nextWakeup(1000)).toBeUndefined();
    s.tick(1112);
    expect(told).toEqual([]);
    // A slow machine: the ping sent at 500 comes back only now, and the result right after it (same stream, in order).
    s.answered('w1', 500, 1300);
    expect(s.tick(1300)).toEqual([]);
    expect(told).toEqual([]);
    expect(s.complete(d!.actionId, ok(1250, 1262), 1310)?.action.requests).toHaveLength(1);
    expect(s.lostActions).toBe(0);
    // A stuck executor: its worker answers a ping sent at 2400 (after the next action's end + 500), no result.
    accept(s, req('a@1', 2000, 100_000));
    const [e] = infers(s.tick(2000)); // predicted end 2012: overdue at 3012
    s.answered('w1', 2600, 2601);
    expect(s.nextWakeup(2601)).toBe(3012);
    s.tick(3012);
    expect(told).toEqual([e!.actionId]);
  });

  it('a lost infer on the only executor waits for it: nothing is planned there until it answers or the retry interval passes', () => {
    const { s } = setup({ lostAfterMs: 1000, suspendRetryMs: 2000 });
    warm(s, 'a@1', 0);
    accept(s, req('a@1', 100, 100_000));
    const [d] = infers(s.tick(100)); // predicted end 112
    expect(infers(s.tick(1112))).toEqual([]);
    expect(s.queued('a@1')).toBe(1);
    // It comes back when its worker still answers pings and the retry interval has passed...
    expect(s.nextWakeup(1113)).toBe(1112 + 2000);
    expect(infers(s.tick(3111))).toEqual([]);
    const retried = infers(s.tick(3112));
    expect(retried).toHaveLength(1);
    expect(retried[0]!.executor).toBe('w1/0');
    expect(d).toBeDefined();
  });

  it('a lost load is given up: an unload frees it on the set-aside worker, and the demand loads it elsewhere', () => {
    const { s } = setup({ lostAfterMs: 1000 }, [executor('w1/0'), executor('w2/0')]);
    accept(s, req('a@1', 0, 100_000));
    const [l] = loads(s.tick(0)); // predicted end 50
    const ds = s.tick(1050);
    expect(s.lostActions).toBe(1);
    expect(ds.map((d) => [d.type, 'model' in d ? d.model : '', 'executor' in d ? d.executor : ''])).toEqual([
      ['unload', 'a@1', l!.executor],
      ['load', 'a@1', l!.executor === 'w1/0' ? 'w2/0' : 'w1/0'],
    ]);
    expect(loads(ds)[0]!.actionId).not.toBe(l!.actionId);
  });
});

describe('Scheduler: workers that stop answering', () => {
  it('an unresponsive worker is set aside: its work in flight is re-planned elsewhere at once, admission and dispatch skip it', () => {
    const told: { actionId: number; why: string }[] = [];
    const { s } = setup({ onLost: (a) => told.push(a) }, [executor('w1/0'), executor('w2/0')]);
    warmAll(s, 'a@1', 0);
    s.executors.get('w2/0')!.draining = true; // the first work lands on w1/0
    const rs = Array.from({ length: 2 }, () => accept(s, req('a@1', 100, 1000)));
    const first = infers(s.tick(100));
    s.executors.get('w2/0')!.draining = false;
    const onW1 = first.filter((d) => d.executor === 'w1/0');
    expect(onW1.length).toBeGreaterThan(0);
    expect(s.suspendWorker('w1', 150)).toBe(onW1.length);
    expect(told.every((t) => t.why === 'unresponsive')).toBe(true);
    const replanned = infers(s.tick(150));
    expect(replanned.every((d) => d.executor === 'w2/0')).toBe(true);
    expect(replanned.flatMap((d) => ids(d.requests)).sort()).toEqual(onW1.flatMap((d) => ids(d.requests)).sort());
    // New requests are predicted on w2 only, and go there.
    const r = accept(s, req('a@1', 151, 1000));
    expect(infers(s.tick(151)).every((d) => d.executor === 'w2/0')).toBe(true);
    // Answering again: taken back.
    s.resumeWorker('w1', 200);
    expect(s.executors.get('w1/0')!.usable).toBe(true);
    accept(s, req('a@1', 200, 1000));
    accept(s, req('a@1', 200, 1000));
    expect(infers(s.tick(200)).some((d) => d.executor === 'w1/0')).toBe(true);
    expect(rs.length + [r].length).toBe(3);
  });

  it('with every worker set aside, admission answers no_executor, not a prediction', () => {
    const { s } = setup();
    warm(s, 'a@1', 0);
    s.suspendWorker('w1', 10);
    const a = s.submit(req('a@1', 10, 1000), 10);
    expect(a).toMatchObject({ ok: false, code: 'no_executor' });
    expect(a.ok ? '' : a.message).toContain('not answering');
  });
});

describe('Scheduler: refused and failed actions', () => {
  it('a refused infer puts its requests back in the queue, to be dispatched again', () => {
    const { s } = setup();
    warm(s, 'a@1', 0);
    const rs = Array.from({ length: 8 }, () => accept(s, req('a@1', 100, 1000)));
    const [d] = infers(s.tick(100));
    const refused: ActionOutcome = { status: 'refused', message: 'COULD_NOT_START_IN_TIME' };
    expect(s.complete(d!.actionId, refused, 105)).toBeUndefined();
    expect(s.queued('a@1')).toBe(8);
    const again = infers(s.tick(105));
    expect(again).toHaveLength(1);
    expect(again[0]!.earliest).toBe(105);
    expect(ids(again[0]!.requests)).toEqual(ids(rs));
  });

  it('a refused infer whose requests can no longer make it drops them (deadline)', () => {
    const { s } = setup();
    warm(s, 'a@1', 0);
    const r = accept(s, req('a@1', 100, 20));
    const [d] = infers(s.tick(100));
    s.complete(d!.actionId, { status: 'refused', message: 'COULD_NOT_START_IN_TIME' }, 110);
    const ds = s.tick(110);
    expect(infers(ds)).toEqual([]);
    expect(drops(ds).map((x) => [x.request.id, x.code])).toEqual([[r.id, 'deadline']]);
  });

  it('a failed infer is retried once, then dropped as failed', () => {
    const { s } = setup();
    let t = warm(s, 'a@1', 0);
    const r = accept(s, req('a@1', t, 10_000));
    const [d1] = infers(s.tick(t));
    s.complete(d1!.actionId, { status: 'failed', message: 'bad tensor' }, t + 5);
    expect(s.queued('a@1')).toBe(1);
    // The model is forgotten there (unload), reloaded, and the request runs again.
    let ds = s.tick(t + 5);
    expect(unloads(ds).map((x) => x.model)).toEqual(['a@1']);
    expect(loads(ds).map((x) => x.model)).toEqual(['a@1']);
    t = 200;
    for (const x of ds) if (x.type !== 'drop') s.complete(x.actionId, ok(x.earliest, x.earliest + x.expected), t);
    const [d2] = infers(s.tick(t));
    expect(ids(d2!.requests)).toEqual([r.id]);
    s.complete(d2!.actionId, { status: 'failed', message: 'bad tensor' }, t + 5);
    ds = s.tick(t + 5);
    expect(drops(ds).map((x) => [x.request.id, x.code])).toEqual([[r.id, 'failed']]);
    expect(drops(ds)[0]!.reason).toMatch(/bad tensor/);
  });

  it('three failed loads in a row: the model’s queued requests are dropped as failed, naming the error', () => {
    const { s } = setup();
    const rs = [accept(s, req('a@1', 0, 100_000)), accept(s, req('a@1', 0, 100_000))];
    const fail: ActionOutcome = { status: 'failed', message: 'onnx: invalid model file' };
    let t = 0;
    for (let attempt = 1; attempt <= 3; attempt++) {
      const ds = s.tick(t);
      expect(drops(ds), `no drop before failure ${attempt}`).toEqual([]);
      expect(loads(ds).map((d) => d.model)).toEqual(['a@1']);
      t += 10;
      expect(s.complete(loads(ds)[0]!.actionId, fail, t)).toBeUndefined();
    }
    const ds = s.tick(t);
    expect(loads(ds)).toEqual([]);
    expect(drops(ds).map((d) => d.request.id)).toEqual(ids(rs));
    for (const d of drops(ds)) {
      expect(d.code).toBe('failed');
      expect(d.reason).toContain('onnx: invalid model file');
    }
    expect(s.queued('a@1')).toBe(0);
    expect(s.tick(t + 10)).toEqual([]);
  });

  it('a successful load resets the failure count', () => {
    const { s } = setup();
    accept(s, req('a@1', 0, 100_000));
    const fail: ActionOutcome = { status: 'failed', message: 'flaky disk' };
    let [l] = loads(s.tick(0));
    s.complete(l!.actionId, fail, 10);
    [l] = loads(s.tick(10));
    s.complete(l!.actionId, fail, 20);
    [l] = loads(s.tick(20));
    s.complete(l!.actionId, ok(20, 70), 70);
    let t = runUntilIdle(s, 70).t;
    // Evict it by failing an infer, then fail two loads: not three in a row.
    accept(s, req('a@1', t, 100_000));
    const [d] = infers(s.tick(t));
    s.complete(d!.actionId, { status: 'failed', message: 'oops' }, t + 1);
    t += 1;
    for (let i = 0; i < 2; i++) {
      const ds = s.tick(t);
      t += 10;
      for (const x of ds) if (x.type === 'unload') s.complete(x.actionId, ok(t, t), t);
      s.complete(loads(ds)[0]!.actionId, fail, t);
    }
    expect(drops(s.tick(t))).toEqual([]);
    expect(s.queued('a@1')).toBe(1);
  });
});

describe('Scheduler: workers leaving', () => {
  it('in-flight requests of a leaving worker are retried on another executor holding the model', () => {
    const { s } = setup({}, [executor('w1/0'), executor('w2/0')]);
    const t0 = warm(s, 'a@1', 0);
    const { load, t } = replicate(s, t0 + 100);
    expect(load).toBeDefined();
    const rs = Array.from({ length: 8 }, () => accept(s, req('a@1', t + 10, 200)));
    const [d] = infers(s.tick(t + 10));
    expect(ids(d!.requests)).toEqual(ids(rs));
    const gone = d!.executor;
    const other = gone === 'w1/0' ? 'w2/0' : 'w1/0';
    s.removeWorker(gone.split('/')[0]!, t + 15);
    expect(s.executors.has(gone)).toBe(false);
    const ds = s.tick(t + 15);
    expect(drops(ds)).toEqual([]);
    const again = infers(ds);
    expect(again).toHaveLength(1);
    expect(again[0]).toMatchObject({ executor: other, earliest: t + 15 });
    expect(ids(again[0]!.requests)).toEqual(ids(rs));
    // Its old action is unknown now: a stray result answers nobody twice.
    expect(s.complete(d!.actionId, ok(t + 10, t + 36), t + 36)).toBeUndefined();
  });

  it('in-flight requests go to an executor that is still loading the model when the deadline allows', () => {
    const { s } = setup({}, [executor('w1/0'), executor('w2/0')]);
    const t = warm(s, 'a@1', 0) + 38; // 100
    const r = accept(s, req('a@1', t, 500));
    expect(infers(s.tick(t))[0]).toMatchObject({ executor: 'w1/0' });
    s.removeWorker('w1', t + 5);
    const ds = s.tick(t + 5);
    const [l] = loads(ds);
    expect(l).toMatchObject({ executor: 'w2/0', model: 'a@1', earliest: t + 5 });
    expect(drops(ds)).toEqual([]);
    s.complete(l!.actionId, ok(t + 5, t + 55), t + 55);
    const [d] = infers(s.tick(t + 55));
    expect(d).toMatchObject({ executor: 'w2/0' });
    expect(ids(d!.requests)).toEqual([r.id]);
  });

  /** w1/0 runs a 30 ms-SLO request and leaves; w2/0 would need 50 ms to load a@1. */
  function leaveWithTightRequest() {
    const { s } = setup({}, [executor('w1/0'), executor('w2/0')]);
    const t = warm(s, 'a@1', 0) + 38; // w1/0 holds a@1, w2/0 nothing
    const r = accept(s, req('a@1', t, 30));
    expect(infers(s.tick(t))[0]).toMatchObject({ executor: 'w1/0' });
    s.removeWorker('w1', t + 5);
    const ds = [...s.tick(t + 5), ...s.tick(t + 19)];
    return { r, ds };
  }

  it('in-flight requests of a leaving worker that no one can finish in time are dropped, never run late', () => {
    const { r, ds } = leaveWithTightRequest();
    expect(infers(ds)).toEqual([]);
    expect(drops(ds).map((d) => d.request.id)).toEqual([r.id]);
  });

  it('that drop is UNAVAILABLE (the worker left), not a plain deadline miss', () => {
    const { ds } = leaveWithTightRequest();
    const [d] = drops(ds);
    expect(d?.code).toBe('unavailable');
    expect(d?.request.retried).toBe(true);
    expect(d?.reason).toMatch(/worker/);
  });

  it('the last worker leaving drops every queued and in-flight request as unavailable: no worker connected', () => {
    const { s } = setup();
    warm(s, 'a@1', 0);
    const rs = Array.from({ length: 12 }, () => accept(s, req('a@1', 100, 10_000)));
    const [d] = infers(s.tick(100));
    expect(d!.requests).toHaveLength(8);
    expect(s.queued('a@1')).toBe(4);
    s.removeWorker('w1', 101);
    const ds = s.tick(101);
    expect(infers(ds)).toEqual([]);
    expect(loads(ds)).toEqual([]);
    expect(drops(ds).map((x) => x.request.id).sort((x, y) => x - y)).toEqual(ids(rs));
    for (const x of drops(ds)) {
      expect(x.code).toBe('unavailable');
      expect(x.reason).toContain('no worker connected');
    }
    expect(s.queued()).toBe(0);
    expect(s.complete(d!.actionId, ok(100, 126), 126)).toBeUndefined();
    expect(s.submit(req('a@1', 102, 1000), 102)).toMatchObject({ ok: false, code: 'no_executor' });
  });
});

describe('Scheduler: a draining worker', () => {
  it('gets nothing new: requests go to the other executor, its in-flight work finishes and is answered', () => {
    const { s } = setup({}, [executor('w1/0'), executor('w2/0')]);
    const t = warm(s, 'c@1', 0);
    // Book one on whichever executor holds c@1, then drain that worker.
    const first = accept(s, req('c@1', t, 1000), t);
    const [d] = infers(s.tick(t));
    expect(ids(d!.requests)).toEqual([first.id]);
    const drainingWorker = d!.executor.split('/')[0]!;
    s.drainWorker(drainingWorker);
    const other = drainingWorker === 'w1' ? 'w2/0' : 'w1/0';
    // New work is planned on the other executor only (a load first: it does not hold c@1).
    const r = accept(s, req('c@1', t, 1000), t);
    const { all } = runUntilIdle(s, t, s.tick(t));
    const planned = all.filter((x) => x.type !== 'drop' && 'executor' in x) as Action[];
    expect(planned.every((x) => x.executor === other)).toBe(true);
    expect(infers(all).some((x) => ids(x.requests).includes(r.id))).toBe(true);
    // The action already on the draining executor completes normally.
    expect(s.complete(d!.actionId, ok(t, t + 6), t + 6)?.action.requests.map((x) => x.id)).toEqual([first.id]);
  });

  it('with every worker draining, new requests are refused UNAVAILABLE-style (no_executor), saying why', () => {
    const { s } = setup();
    warm(s, 'a@1', 0);
    s.drainWorker('w1');
    const a = s.submit(req('a@1', 100, 1000), 100);
    expect(a).toMatchObject({ ok: false, code: 'no_executor' });
    if (!a.ok) expect(a.message).toMatch(/draining/);
  });
});
