// Online estimates: p99 of a sliding window of measurements, seeded from a
// stored profile, with fallbacks when a class or batch size has no data.
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../common/clock.js';
import { Estimates, type PredictionError } from './estimates.js';
import type { ModelProfile } from '../../common/profile.js';

const MB = 1024 * 1024;

function profile(): ModelProfile {
  const batch = (b: number, p99Ms: number) => ({ batch: b, iterations: 10, meanMs: p99Ms - 1, p50Ms: p99Ms - 1, p99Ms, maxMs: p99Ms + 1 });
  return {
    model: 'a@1',
    sha256: 'x',
    measuredAt: '2025-01-01T00:00:00Z',
    host: 'test',
    memoryBytes: 100 * MB,
    classes: {
      'cpu/t1': { cls: 'cpu/t1', threads: 1, batches: [batch(1, 12), batch(2, 14), batch(4, 18)], loadMs: 50 },
      cuda: { cls: 'cuda', threads: 1, batches: [batch(1, 3), batch(8, 6)], loadMs: 200 },
    },
  };
}

describe('Estimates', () => {
  it('knows nothing about an unknown model: defaults, overridable', () => {
    const e = new Estimates();
    expect(e.exec('x@1', 1, 'cpu/t1')).toBe(100);
    expect(e.typicalLoad('x@1', 'cpu/t1')).toBe(1000);
    expect(e.memory('x@1')).toBe(0);
    const f = new Estimates({ unknownExecMs: 7, unknownLoadMs: 70 });
    expect(f.exec('x@1', 1, 'cpu/t1')).toBe(7);
    expect(f.typicalLoad('x@1', 'cpu/t1')).toBe(70);
    // Larger batches of an unknown model scale batch 1 linearly.
    expect(f.exec('x@1', 4, 'cpu/t1')).toBe(28);
  });

  it('is seeded from a profile: exec per batch and class, load per class, memory', () => {
    const e = new Estimates();
    e.seed('a@1', profile());
    expect(e.exec('a@1', 1, 'cpu/t1')).toBe(12);
    expect(e.exec('a@1', 4, 'cpu/t1')).toBe(18);
    expect(e.exec('a@1', 8, 'cuda')).toBe(6);
    expect(e.typicalLoad('a@1', 'cpu/t1')).toBe(50);
    expect(e.typicalLoad('a@1', 'cuda')).toBe(200);
    expect(e.memory('a@1')).toBe(100 * MB);
  });

  it('falls back across classes, then to batch 1 scaled linearly', () => {
    const e = new Estimates();
    e.seed('a@1', profile());
    // A class with no profile takes another class's figure for that batch size.
    expect(e.exec('a@1', 2, 'cpu/t4')).toBe(14);
    expect(e.exec('a@1', 8, 'cpu/t4')).toBe(6);
    expect(e.typicalLoad('a@1', 'cpu/t4')).toBe(50);
    // A batch size no class measured: batch 1 of this class, times the batch.
    expect(e.exec('a@1', 16, 'cpu/t1')).toBe(12 * 16);
  });

  it('measurements replace the seed for their (model, batch, class) only', () => {
    const e = new Estimates();
    e.seed('a@1', profile());
    e.observeExec('a@1', 1, 'cpu/t1', 10); // faster than the profile's 12
    expect(e.exec('a@1', 1, 'cpu/t1')).toBe(10);
    expect(e.exec('a@1', 2, 'cpu/t1')).toBe(14); // a faster batch 1 does not make batch 2 look faster
    expect(e.exec('a@1', 1, 'cuda')).toBe(3);
    e.observeLoad('a@1', 'cuda', 250);
    expect(e.typicalLoad('a@1', 'cuda')).toBe(250);
    expect(e.typicalLoad('a@1', 'cpu/t1')).toBe(50);
  });

  it('a batch 1 slower than its profile slows the larger batches by the same factor until they have slower figures of their own', () => {
    const e = new Estimates();
    e.seed('a@1', profile());
    e.observeExec('a@1', 1, 'cpu/t1', 24); // twice the profile's 12 ms: a busy machine
    expect(e.exec('a@1', 1, 'cpu/t1')).toBe(24);
    expect(e.exec('a@1', 2, 'cpu/t1')).toBe(28); // 14 × 2
    expect(e.exec('a@1', 4, 'cpu/t1')).toBe(36); // 18 × 2: batching keeps the profile's cost ratio
    e.observeExec('a@1', 4, 'cpu/t1', 50);
    expect(e.exec('a@1', 4, 'cpu/t1')).toBe(50); // its own slower measurement wins
    e.observeExec('a@1', 2, 'cpu/t1', 20);
    expect(e.exec('a@1', 2, 'cpu/t1')).toBe(28); // a faster one does not undercut the scaled profile
    expect(e.exec('a@1', 8, 'cuda')).toBe(6); // other classes are untouched
  });

  it('is the p99 of the last 10 measurements: one outlier counts until it slides out', () => {
    const e = new Estimates();
    e.observeExec('a@1', 1, 'cpu', 100);
    for (let i = 0; i < 9; i++) e.observeExec('a@1', 1, 'cpu', 5 + i * 0.1);
    expect(e.exec('a@1', 1, 'cpu')).toBe(100);
    e.observeExec('a@1', 1, 'cpu', 6);
    // The 100 ms outlier is the 11th most recent now: gone.
    expect(e.exec('a@1', 1, 'cpu')).toBe(6);
    for (let i = 0; i < 10; i++) e.observeExec('a@1', 1, 'cpu', 3);
    expect(e.exec('a@1', 1, 'cpu')).toBe(3);
  });

  it('window and percentile are options: p99 of 100 values is the 99th', () => {
    const e = new Estimates({ window: 100 });
    for (let v = 100; v >= 1; v--) e.observeExec('a@1', 1, 'cpu', v);
    expect(e.exec('a@1', 1, 'cpu')).toBe(99);
    const p50 = new Estimates({ window: 4, percentile: 50 });
    for (const v of [40, 10, 30, 20]) p50.observeExec('a@1', 1, 'cpu', v);
    expect(p50.exec('a@1', 1, 'cpu')).toBe(20);
    p50.observeExec('a@1', 1, 'cpu', 1); // replaces 40
    expect(p50.exec('a@1', 1, 'cpu')).toBe(10);
  });

  it('a load is predicted with a margin: its high figure at least loadSpread over its mean, over one measurement too', () => {
    const e = new Estimates({ window: 3 });
    e.seed('a@1', profile());
    expect(e.typicalLoad('a@1', 'cpu/t1')).toBe(50);
    expect(e.load('a@1', 'cpu/t1')).toBeCloseTo(55, 9);
    e.observeLoad('a@1', 'cpu/t1', 60);
    expect(e.load('a@1', 'cpu/t1')).toBeCloseTo(66, 9);
    e.observeLoad('a@1', 'cpu/t1', 62);
    expect(e.typicalLoad('a@1', 'cpu/t1')).toBe(61);
    expect(e.load('a@1', 'cpu/t1')).toBeCloseTo(67.1, 9);
    const none = new Estimates({ loadSpread: 0 });
    none.seed('a@1', profile());
    expect(none.load('a@1', 'cpu/t1')).toBe(50);
  });

  it('load estimates slide the same way', () => {
    const e = new Estimates({ window: 3 });
    for (const v of [90, 40, 50]) e.observeLoad('a@1', 'cpu', v);
    expect(e.load('a@1', 'cpu')).toBe(90);
    e.observeLoad('a@1', 'cpu', 45);
    expect(e.load('a@1', 'cpu')).toBe(50);
  });

  it('memory is the largest recent reading or the profile figure; zero or absent readings are ignored', () => {
    const e = new Estimates();
    e.seed('a@1', profile());
    e.observeLoad('a@1', 'cpu/t1', 50, 80 * MB);
    expect(e.memory('a@1')).toBe(100 * MB);
    e.observeLoad('a@1', 'cpu/t1', 50, 120 * MB);
    expect(e.memory('a@1')).toBe(120 * MB);
    e.observeLoad('a@1', 'cpu/t1', 50, 0);
    e.observeLoad('a@1', 'cpu/t1', 50);
    expect(e.memory('a@1')).toBe(120 * MB);
    e.setMemory('a@1', 10 * MB);
    expect(e.memory('a@1')).toBe(10 * MB);
  });

  it('a memory reading too high ages out: after five later loads, or a minute, the profile figure is back', () => {
    let now = 0;
    const e = new Estimates({ clock: { now: () => now } });
    e.seed('a@1', profile());
    e.observeLoad('a@1', 'cpu/t1', 50, 900 * MB); // blurred by other work
    expect(e.memory('a@1')).toBe(900 * MB);
    for (let i = 0; i < 4; i++) e.observeLoad('a@1', 'cpu/t1', 50, 90 * MB);
    expect(e.memory('a@1')).toBe(900 * MB);
    e.observeLoad('a@1', 'cpu/t1', 50, 90 * MB);
    expect(e.memory('a@1')).toBe(100 * MB);
    // With no further load (a model too large for every budget is never loaded again), time alone.
    e.observeLoad('a@1', 'cpu/t1', 50, 900 * MB);
    now = 59_999;
    expect(e.memory('a@1')).toBe(900 * MB);
    now = 60_001;
    expect(e.memory('a@1')).toBe(100 * MB);
  });

  it('forget drops seeds and measurements of that model only', () => {
    const e = new Estimates();
    e.seed('a@1', profile());
    e.observeExec('a@1', 1, 'cpu/t1', 20);
    e.observeExec('a@10', 1, 'cpu/t1', 33);
    e.forget('a@1');
    expect(e.exec('a@1', 1, 'cpu/t1')).toBe(100);
    expect(e.typicalLoad('a@1', 'cpu/t1')).toBe(1000);
    expect(e.memory('a@1')).toBe(0);
    expect(e.exec('a@10', 1, 'cpu/t1')).toBe(33);
  });

  it('reports each measurement with what was predicted for it', () => {
    const e = new Estimates();
    e.seed('a@1', profile());
    const seen: PredictionError[] = [];
    e.onPrediction = (p) => seen.push(p);
    e.observeExec('a@1', 2, 'cpu/t1', 16);
    e.observeExec('a@1', 2, 'cpu/t1', 15);
    expect(seen).toEqual([
      { model: 'a@1', batch: 2, cls: 'cpu/t1', predicted: 14, measured: 16 },
      { model: 'a@1', batch: 2, cls: 'cpu/t1', predicted: 16, measured: 15 },
    ]);
  });

  it('typical(): seeded from the profile p50, then the mean of the window, never above exec()', () => {
    const e = new Estimates();
    e.seed('a@1', profile());
    expect(e.typical('a@1', 1, 'cpu/t1')).toBe(11); // p50 of the seed
    expect(e.exec('a@1', 1, 'cpu/t1')).toBe(12);
    for (const ms of [10, 10, 10, 30]) e.observeExec('a@1', 1, 'cpu/t1', ms);
    expect(e.typical('a@1', 1, 'cpu/t1')).toBe(15); // mean of 10, 10, 10, 30
    expect(e.exec('a@1', 1, 'cpu/t1')).toBe(30); // p99 of the window
    // A batch with no measurements of its own slows with batch 1, from its own p50.
    expect(e.typical('a@1', 4, 'cpu/t1')).toBeCloseTo(17 * (15 / 11), 9);
    expect(e.typical('a@1', 4, 'cpu/t1')).toBeLessThanOrEqual(e.exec('a@1', 4, 'cpu/t1'));
    // Unknown models: typical is the same default as exec.
    expect(e.typical('x@1', 1, 'cpu/t1')).toBe(e.exec('x@1', 1, 'cpu/t1'));
  });

  it('every estimate recovers: a window with no measurement for maxAgeMs is stale and the profile stands in again', () => {
    const clock = new ManualClock(0);
    const e = new Estimates({ clock, maxAgeMs: 1000 });
    e.seed('a@1', profile());
    // A flood: batch 1 measured at 80 ms against a 12 ms profile; batch 4 scales with it.
    for (let i = 0; i < 10; i++) e.observeExec('a@1', 1, 'cpu/t1', 80);
    e.observeLoad('a@1', 'cpu/t1', 900);
    expect(e.exec('a@1', 1, 'cpu/t1')).toBe(80);
    expect(e.exec('a@1', 4, 'cpu/t1')).toBeCloseTo(18 * (80 / 12), 9);
    expect(e.typicalLoad('a@1', 'cpu/t1')).toBe(900);
    // Nothing runs (every request is rejected on that figure): no new measurement comes.
    clock.set(999);
    expect(e.exec('a@1', 1, 'cpu/t1')).toBe(80);
    clock.set(1000);
    expect(e.exec('a@1', 1, 'cpu/t1')).toBe(12);
    expect(e.typical('a@1', 1, 'cpu/t1')).toBe(11);
    expect(e.exec('a@1', 4, 'cpu/t1')).toBe(18);
    expect(e.typicalLoad('a@1', 'cpu/t1')).toBe(50);
    // The next measurement starts the window afresh: the old samples say nothing about now.
    e.observeExec('a@1', 1, 'cpu/t1', 13);
    expect(e.exec('a@1', 1, 'cpu/t1')).toBe(13);
    expect(e.typical('a@1', 1, 'cpu/t1')).toBe(13);
  });

  it('a window kept busy keeps its last N measurements, however old the oldest', () => {
    const clock = new ManualClock(0);
    const e = new Estimates({ clock, maxAgeMs: 1000, unknownExecMs: 7 });
    e.observeExec('a@1', 1, 'cpu', 100);
    for (let i = 1; i < 10; i++) {
      clock.advance(900);
      e.observeExec('a@1', 1, 'cpu', 5);
    }
    // The 100 ms outlier is 8.1 s old, but the window was never stale: it still counts.
    expect(e.exec('a@1', 1, 'cpu')).toBe(100);
    clock.advance(999);
    expect(e.exec('a@1', 1, 'cpu')).toBe(100);
    clock.advance(1);
    expect(e.exec('a@1', 1, 'cpu')).toBe(7); // stale now: no profile, so the default stands in
  });
});


describe('recovery after a slowdown, with the scheduler', () => {
  it('an idle cluster admits default-SLO requests again once the inflated estimates have aged out', async () => {
    const { Scheduler } = await import('./scheduler.js');
    const clock = new ManualClock(0);
    const est = new Estimates({ clock, maxAgeMs: 1000 });
    est.seed('a@1', profile());
    const s = new Scheduler({ estimates: est });
    s.addModel('a@1', [1, 2, 4]);
    s.addExecutor({ id: 'w1/0', workerId: 'w1', cls: 'cpu/t1', memoryBudget: 1e9 }, 0);
    s.warm('w1/0', ['a@1'], 0);
    for (const d of s.tick(0)) if (d.type === 'load') s.complete(d.actionId, { status: 'ok', start: 0, end: 50, duration: 50 }, 50);
    // A throttled worker: ten runs of 250 ms against a 12 ms profile.
    clock.set(100);
    for (let i = 0; i < 10; i++) est.observeExec('a@1', 1, 'cpu/t1', 250);
    let id = 1;
    const ask = (t: number) => {
      clock.set(t);
      return s.submit({ id: id++, model: 'a@1', arrival: t, deadline: t + 100 }, t);
    };
    // Every default-SLO request is rejected, so nothing runs and nothing new is measured...
    for (let t = 200; t < 1100; t += 100) expect(ask(t)).toMatchObject({ ok: false, code: 'slo_unattainable' });
    // ...until the measurements are a second old: the profile stands in, and admission opens again.
    expect(ask(1100)).toMatchObject({ ok: true });
  });
});

describe('Estimates: per-model threads', () => {
  const batch = (b: number, p99Ms: number) => ({ batch: b, iterations: 10, meanMs: p99Ms - 1, p50Ms: p99Ms - 1, p99Ms, maxMs: p99Ms + 1 });
  /** Measured at 1 and 2 threads (`punctual profile --max-threads 2`). */
  function threaded(bestThreads?: number): ModelProfile {
    return {
      ...profile(),
      classes: {
        'cpu/t1': { cls: 'cpu/t1', threads: 1, batches: [batch(1, 12), batch(4, 40)], loadMs: 50 },
        'cpu/t2': { cls: 'cpu/t2', threads: 2, batches: [batch(1, 7), batch(4, 22)], loadMs: 60 },
      },
      threadTrials: [
        { threads: 1, p50Ms: 11, p99Ms: 12 },
        { threads: 2, p50Ms: 6, p99Ms: 7 },
      ],
      ...(bestThreads !== undefined ? { bestThreads } : {}),
    };
  }

  it("reads a model's figures under its session's class: bestThreads capped by the executor's", () => {
    const e = new Estimates();
    e.seed('one@1', threaded(1));
    e.seed('two@1', threaded(2));
    e.seed('none@1', threaded());
    // On a 2-thread executor: bestThreads 1 runs (and is estimated) as cpu/t1, 2 as cpu/t2.
    expect(e.exec('one@1', 1, 'cpu/t2')).toBe(12);
    expect(e.exec('one@1', 4, 'cpu/t2')).toBe(40);
    expect(e.typical('one@1', 1, 'cpu/t2')).toBe(11);
    expect(e.load('one@1', 'cpu/t2')).toBeCloseTo(55);
    expect(e.exec('two@1', 1, 'cpu/t2')).toBe(7);
    expect(e.typicalLoad('two@1', 'cpu/t2')).toBe(60);
    // On a 1-thread executor the cap wins: two@1 gets one thread there.
    expect(e.exec('two@1', 1, 'cpu/t1')).toBe(12);
    // No bestThreads: the executor's own class, as before.
    expect(e.exec('none@1', 1, 'cpu/t2')).toBe(7);
    expect(e.exec('none@1', 1, 'cpu/t1')).toBe(12);
    expect(e.threads('one@1')).toBe(1);
    expect(e.threads('none@1')).toBeUndefined();
    expect(e.classOf('one@1', 'cpu/t2')).toBe('cpu/t1');
    expect(e.classOf('none@1', 'cpu/t2')).toBe('cpu/t2');
    expect(e.classOf('one@1', 'cuda')).toBe('cuda');
  });

  it('keeps measurements under the session class, so a 1-thread session never skews the 2-thread figures', () => {
    const clock = new ManualClock();
    const e = new Estimates({ clock });
    e.seed('one@1', threaded(1));
    e.seed('none@1', threaded());
    for (let i = 0; i < 10; i++) e.observeExec('one@1', 1, 'cpu/t2', 30);
    expect(e.exec('one@1', 1, 'cpu/t2')).toBe(30);
    expect(e.exec('one@1', 1, 'cpu/t1')).toBe(30); // the same session class
    expect(e.exec('none@1', 1, 'cpu/t2')).toBe(7);
    const seen: PredictionError[] = [];
    e.onPrediction = (p) => seen.push(p);
    e.observeExec('one@1', 1, 'cpu/t2', 31);
    expect(seen).toEqual([{ model: 'one@1', batch: 1, cls: 'cpu/t1', predicted: 30, measured: 31 }]);
  });

  it("follows an explicit count over bestThreads, and a new profile's bestThreads", () => {
    const e = new Estimates();
    e.seed('m@1', threaded(1));
    expect(e.exec('m@1', 1, 'cpu/t2')).toBe(12);
    e.setThreads('m@1', 2);
    expect(e.exec('m@1', 1, 'cpu/t2')).toBe(7);
    e.setThreads('m@1', undefined);
    expect(e.exec('m@1', 1, 'cpu/t2')).toBe(12);
    e.seed('m@1', threaded(2));
    expect(e.exec('m@1', 1, 'cpu/t2')).toBe(7);
    e.forget('m@1');
    expect(e.threads('m@1')).toBeUndefined();
  });

  it('without a profile at the session count: the nearest class with fewer threads, else more threads scaled; said once', () => {
    const e = new Estimates();
    const said: unknown[] = [];
    e.onFallback = (f) => said.push(f);
    const onlyT1 = { ...profile(), classes: { 'cpu/t1': threaded().classes['cpu/t1']! } };
    e.seed('up@1', onlyT1);
    e.setThreads('up@1', 2);
    // Two threads wanted, only one measured: cpu/t1's figures stand in (a 2-thread run is rarely slower).
    expect(e.exec('up@1', 1, 'cpu/t2')).toBe(12);
    expect(e.exec('up@1', 4, 'cpu/t2')).toBe(40);
    expect(e.exec('up@1', 1, 'cpu/t2')).toBe(12);
    expect(said).toEqual([{ model: 'up@1', cls: 'cpu/t2', from: 'cpu/t1', scale: 1 }]);

    const onlyT2 = { ...profile(), classes: { 'cpu/t2': threaded().classes['cpu/t2']! }, bestThreads: 1 };
    e.seed('down@1', onlyT2);
    // One thread wanted, only two measured: twice cpu/t2's figures (no run parallelises better than perfectly).
    expect(e.exec('down@1', 1, 'cpu/t2')).toBe(14);
    expect(e.exec('down@1', 4, 'cpu/t4')).toBe(44);
    expect(e.typicalLoad('down@1', 'cpu/t2')).toBe(60);
    expect(said).toHaveLength(2);
    expect(said[1]).toEqual({ model: 'down@1', cls: 'cpu/t1', from: 'cpu/t2', scale: 2 });
    // Its own measurements take over.
    for (let i = 0; i < 10; i++) e.observeExec('down@1', 1, 'cpu/t2', 9);
    expect(e.exec('down@1', 1, 'cpu/t2')).toBe(9);
    // A new profile with that class replaces the stand-in.
    e.seed('down@1', threaded(1));
    expect(e.exec('down@1', 4, 'cpu/t2')).toBe(40);
    // No class of the device at all: another class's figure, as for any class, said once however many executor classes lead there.
    e.seed('gpu@1', { ...profile(), classes: { cuda: profile().classes.cuda! }, bestThreads: 2 });
    expect(e.exec('gpu@1', 1, 'cpu/t2')).toBe(3);
    expect(e.exec('gpu@1', 1, 'cpu/t4')).toBe(3);
    expect(said.slice(2)).toEqual([{ model: 'gpu@1', cls: 'cpu/t2', scale: 1 }]);
  });
});
