// The scheduler's decisions, driven by explicit times and a fixed table of
// estimates (test/support/scheduler-fixtures.ts): no sockets, no timers, no
// real time. Admission at arrival: predictions, rejections with their reasons, requests admitted as a whole, typical times and one margin for a sequence.
import { describe, expect, it } from 'vitest';
import { infers, ok, executor, req, setup, accept, predictedStart, warm, spreadSetup } from '../../test/support/scheduler-fixtures.js';

describe('Scheduler: admission', () => {
  it('rejects when load + exec is past the deadline, accepts at exactly the deadline', () => {
    const { s } = setup();
    // Not loaded: 0 + load 50 + exec 12 = 62.
    const late = s.submit(req('a@1', 0, 61), 0);
    expect(late).toMatchObject({ ok: false, code: 'slo_unattainable', predicted: 62 });
    if (late.ok) throw new Error('unreachable');
    expect(late.message).toContain('predicted');
    expect(late.message).toContain('slo');
    expect(late.message).toMatch(/predicted 62(\.0)? ms > slo 61 ms/);
    expect(s.queued('a@1')).toBe(0);
    expect(s.submit(req('a@1', 0, 62), 0)).toEqual({ ok: true, predicted: 62 });
    expect(s.queued('a@1')).toBe(1);
  });

  it('a loaded model on an idle executor is predicted at now + exec', () => {
    const { s } = setup();
    const t = warm(s, 'a@1', 0);
    expect(s.submit(req('a@1', t + 10, 12), t + 10)).toEqual({ ok: true, predicted: t + 22 });
  });

  it('rejects with no executor, a model too large for every executor, an unknown model', () => {
    const none = setup({}, []).s;
    expect(none.submit(req('a@1', 0, 1000), 0)).toMatchObject({ ok: false, code: 'no_executor' });

    const { s } = setup({}, [executor('w1/0', 1000), executor('w2/0', 1500)]);
    const big = s.submit(req('big@1', 0, 100_000), 0);
    expect(big).toMatchObject({ ok: false, code: 'model_too_large' });
    if (!big.ok) expect(big.message).toMatch(/big@1/);
    expect(s.submit(req('nope@1', 0, 1000), 0)).toMatchObject({ ok: false, code: 'unknown_model' });
    expect(s.queued()).toBe(0);
  });

  it('work in flight counts: a booked executor predicts from when it is free', () => {
    const { s } = setup();
    warm(s, 'a@1', 0);
    for (let i = 0; i < 8; i++) accept(s, req('a@1', 100, 1000));
    expect(infers(s.tick(100))[0]).toMatchObject({ earliest: 100, expected: 26 });
    expect(s.submit(req('a@1', 101, 100), 101)).toEqual({ ok: true, predicted: 126 + 12 });
  });

  it('a tight request overtakes lax queued ones, as dispatch will run it (least slack first), instead of queuing behind them', () => {
    const { s } = setup();
    warm(s, 'a@1', 0);
    for (let i = 0; i < 20; i++) accept(s, req('a@1', 100, 1000));
    // 20 queued run in batches of 8, 8, 4: 70 ms in all. Behind them a 50 ms SLO could not be met; ahead of them it is.
    const a = s.submit(req('a@1', 100, 50), 100);
    expect(a).toEqual({ ok: true, predicted: 100 + 12 });
    expect(s.queued('a@1')).toBe(21);
  });

  it('a request admitted ahead of queued ones moves their predicted answers by its run (the reserve does not learn that delay as an error)', () => {
    const { s } = setup();
    warm(s, 'a@1', 0);
    const lax = Array.from({ length: 20 }, () => accept(s, req('a@1', 100, 1000)));
    const before = lax.map((r) => r.predicted!);
    // The tight one goes first: every lax one now waits for its run (a@1 at batch 1: 12 ms, typical and high alike in
    // the fixture's table).
    accept(s, req('a@1', 100, 50));
    expect(lax.map((r, i) => r.predicted! - before[i]!)).toEqual(lax.map(() => 12));
    // One that goes behind them moves nothing.
    const after = lax.map((r) => r.predicted!);
    accept(s, req('a@1', 100, 5000));
    expect(lax.map((r) => r.predicted!)).toEqual(after);
  });

  it('rejects a request whose place ahead of admitted ones would push them past their deadlines, and says so', () => {
    const { s } = setup();
    warm(s, 'a@1', 0);
    // 10 queued with a 60 ms SLO run in batches of 8 and 2 (26 + 14 = 40 ms): 4 ms each in the plan, the last done
    // at 140 with 20 ms to spare before 160.
    for (let i = 0; i < 10; i++) accept(s, req('a@1', 100, 60));
    // One tight request goes first and costs them 12 ms: fine. Eight at once would cost them 26 ms: no.
    expect(s.submit(req('a@1', 100, 30), 100)).toMatchObject({ ok: true });
    const group = Array.from({ length: 8 }, () => req('a@1', 100, 40));
    const a = s.submitAll(group, 100);
    expect(a).toMatchObject({ ok: false, code: 'slo_unattainable' });
    if (a.ok) throw new Error('unreachable');
    expect(a.message).toMatch(/would push requests already admitted past their deadlines/);
    expect(s.queued('a@1')).toBe(11);
  });
});

describe('Scheduler: requests admitted as a whole', () => {
  it('admits a group when its last item can make the deadline, predicting the last item', () => {
    const { s } = setup();
    warm(s, 'a@1', 0);
    const group = Array.from({ length: 4 }, () => req('a@1', 100, 1000));
    const a = s.submitAll(group, 100);
    // 4 items in the largest batches: one batch of 4 at 18 ms.
    expect(a).toEqual({ ok: true, predicted: 100 + 18 });
    expect(s.queued('a@1')).toBe(4);
  });

  it('rejects a group whole when the last item would miss: nothing of it is queued', () => {
    const { s } = setup();
    warm(s, 'a@1', 0);
    // 8 items: one batch of 8 at 26 ms; an SLO of 20 ms fits one item (12 ms) but not all.
    expect(s.submit(req('a@1', 100, 20), 100)).toMatchObject({ ok: true });
    const before = s.queued('a@1');
    const group = Array.from({ length: 8 }, () => req('a@1', 100, 20));
    const a = s.submitAll(group, 100);
    expect(a).toMatchObject({ ok: false, code: 'slo_unattainable' });
    expect(a.ok ? '' : a.message).toContain('for all 8 items');
    expect(s.queued('a@1')).toBe(before);
  });

  it('refuses a group whose items disagree on model, arrival or deadline (a caller bug)', () => {
    const { s } = setup();
    expect(() => s.submitAll([req('a@1', 0, 10), req('a@1', 0, 20)], 0)).toThrow(/share/);
    expect(() => s.submitAll([], 0)).toThrow(/at least one/);
  });
});

describe('Scheduler: typical times and one margin for a sequence', () => {
  it('one run alone is predicted at its high figure: typical + its whole spread', () => {
    const { s } = spreadSetup();
    const t = warm(s, 'a@1', 0);
    expect(s.submit(req('a@1', t + 10, 1000), t + 10)).toEqual({ ok: true, predicted: t + 10 + 6 + 6 });
  });

  it('a queue ahead adds its typical time, and the spreads add in quadrature, not one after another', () => {
    const { s } = spreadSetup();
    const t = warm(s, 'a@1', 0);
    // Queued 3 run as batches of 2 and 1: typical 7 + 6, spreads 7 and 6; own run typical 6, spread 6.
    const predicted = t + 7 + 6 + 6 + Math.sqrt(7 ** 2 + 6 ** 2 + 6 ** 2);
    const slo = predicted - t - 0.5;
    for (let i = 0; i < 3; i++) accept(s, req('a@1', t, slo), t);
    // The same deadline queues behind them (ties go to the earlier arrival): half a millisecond short.
    const short = s.submit(req('a@1', t, slo), t);
    expect(short).toMatchObject({ ok: false, code: 'slo_unattainable' });
    expect(short.predicted).toBeCloseTo(predicted, 9);
    const fine = s.submit(req('a@1', t, 1000), t);
    expect(fine.ok).toBe(true);
    expect(fine.predicted).toBeCloseTo(predicted, 9);
    // The high figures one after another would have said t + 14 + 12 + 12 = t + 38.
    expect(predicted).toBeLessThan(t + 38);
  });

  it('booked actions advance the timeline by their typical time and carry their spread in margin()', () => {
    const { s, e } = spreadSetup({ scheduleAheadMs: 30 });
    const t = warm(s, 'a@1', 0);
    for (let i = 0; i < 3; i++) accept(s, req('a@1', t, 1000), t);
    const [first, second] = infers(s.tick(t));
    // The worker is told the high figure (its window allows for it)...
    expect(first).toMatchObject({ expected: 14 });
    expect(second).toMatchObject({ expected: 12 });
    // ...the timeline moves by the typical one.
    expect(predictedStart(s, second!.actionId)).toBe(t + 7);
    expect(e.freeAt).toBe(t + 13);
    expect(e.margin()).toBeCloseTo(Math.sqrt(49 + 36), 9);
    expect(s.submit(req('a@1', t, 1000), t)).toEqual({ ok: true, predicted: t + 13 + 6 + Math.sqrt(49 + 36 + 36) });
    // A settled action takes its spread with it.
    s.complete(first!.actionId, ok(t, t + 9), t + 9);
    expect(e.margin()).toBeCloseTo(6, 9);
    s.complete(second!.actionId, ok(t + 9, t + 15), t + 15);
    expect(e.margin()).toBe(0);
  });
});
