// The statistics accumulator: what each event adds, per model version, in
// Triton's units (ns), and that its memory stays bounded.
import { describe, expect, it } from 'vitest';
import { MAX_BATCH_SIZES, ModelStatistics } from './model-statistics.js';

describe('ModelStatistics', () => {
  it('starts at zero for a model with no traffic, with its name and version from the key', () => {
    const s = new ModelStatistics();
    expect(s.snapshot('cls@2')).toEqual({
      name: 'cls',
      version: 2,
      lastInference: 0,
      inferenceCount: 0,
      executionCount: 0,
      success: { count: 0, ns: 0 },
      fail: { count: 0, ns: 0 },
      queue: { count: 0, ns: 0 },
      computeInput: { count: 0, ns: 0 },
      computeInfer: { count: 0, ns: 0 },
      computeOutput: { count: 0, ns: 0 },
      batches: [],
    });
    expect(s.size).toBe(0);
  });

  it('an answer adds one success whose parts (queue, compute) add up to its duration, and sets last_inference', () => {
    let wall = 1_700_000_000_000;
    const s = new ModelStatistics({ wallClock: () => wall });
    s.answered('m@1', { totalMs: 10, queueMs: 3, execMs: 5 });
    wall += 50;
    s.answered('m@1', { totalMs: 4.5, queueMs: 1, execMs: 2 });
    const st = s.snapshot('m@1');
    expect(st.lastInference).toBe(1_700_000_000_050);
    expect(st.inferenceCount).toBe(2);
    expect(st.success).toEqual({ count: 2, ns: 14_500_000 });
    expect(st.queue).toEqual({ count: 2, ns: 4_000_000 });
    expect(st.computeInput).toEqual({ count: 2, ns: 0 });
    expect(st.computeInfer).toEqual({ count: 2, ns: 7_000_000 });
    expect(st.computeOutput).toEqual({ count: 2, ns: 3_500_000 });
    expect(st.queue.ns + st.computeInput.ns + st.computeInfer.ns + st.computeOutput.ns).toBe(st.success.ns);
    // Other versions are their own.
    expect(s.snapshot('m@2').success.count).toBe(0);
  });

  it('rejections at admission and failures after it both count as fail, with their time from arrival', () => {
    const s = new ModelStatistics();
    s.rejected('m@1', 'slo_unattainable', { waitedMs: 0.25 });
    s.failed('m@1', 'DEADLINE_EXCEEDED', 'dropped_deadline', { totalMs: 40 });
    s.failed('m@1', 'UNAVAILABLE', 'x'); // an observer call without timing counts with 0 ns
    const st = s.snapshot('m@1');
    expect(st.fail).toEqual({ count: 3, ns: 40_250_000 });
    expect(st.success.count).toBe(0);
    expect(st.inferenceCount).toBe(0);
    expect(st.lastInference).toBe(0);
  });

  it('each executed action counts once, in its batch size, ascending', () => {
    const s = new ModelStatistics();
    s.executed('m@1', { batch: 4, durationMs: 8, outputMs: 1 });
    s.executed('m@1', { batch: 1, durationMs: 2, outputMs: 0.5 });
    s.executed('m@1', { batch: 4, durationMs: 9, outputMs: 1 });
    const st = s.snapshot('m@1');
    expect(st.executionCount).toBe(3);
    expect(st.batches).toEqual([
      { batchSize: 1, computeInput: { count: 1, ns: 0 }, computeInfer: { count: 1, ns: 2_000_000 }, computeOutput: { count: 1, ns: 500_000 } },
      { batchSize: 4, computeInput: { count: 2, ns: 0 }, computeInfer: { count: 2, ns: 17_000_000 }, computeOutput: { count: 2, ns: 2_000_000 } },
    ]);
  });

  it('never counts a negative, infinite or NaN duration', () => {
    const s = new ModelStatistics();
    s.answered('m@1', { totalMs: 1, queueMs: 2, execMs: Number.NaN }); // clock skew: queue past the total
    s.failed('m@1', 'X', '', { totalMs: -5 });
    s.executed('m@1', { batch: 1, durationMs: Infinity, outputMs: -1 });
    const st = s.snapshot('m@1');
    expect(st.computeOutput).toEqual({ count: 1, ns: 0 });
    expect(st.computeInfer).toEqual({ count: 1, ns: 0 });
    expect(st.fail).toEqual({ count: 1, ns: 0 });
    expect(st.batches[0]!.computeInfer.ns).toBe(0);
  });

  it('a snapshot is a copy: later traffic does not change it', () => {
    const s = new ModelStatistics();
    s.answered('m@1', { totalMs: 1, queueMs: 0, execMs: 1 });
    const before = s.snapshot('m@1');
    s.answered('m@1', { totalMs: 1, queueMs: 0, execMs: 1 });
    expect(before.success.count).toBe(1);
    expect(s.snapshot('m@1').success.count).toBe(2);
  });

  it('stays bounded: versions no longer registered are dropped, batch sizes are capped', () => {
    const live = new Set<string>();
    const s = new ModelStatistics({ isLive: (k) => live.has(k) });
    // 10,000 models registered, used once and removed, one after another: only a few entries are ever held.
    for (let i = 0; i < 10_000; i++) {
      const key = `m${i}@1`;
      live.add(key);
      s.answered(key, { totalMs: 1, queueMs: 0, execMs: 1 });
      live.delete(key);
    }
    expect(s.size).toBeLessThanOrEqual(17);
    // The ones still registered are kept.
    live.add('keep@1');
    s.answered('keep@1', { totalMs: 1, queueMs: 0, execMs: 1 });
    for (let i = 0; i < 100; i++) s.answered(`gone${i}@1`, { totalMs: 1, queueMs: 0, execMs: 1 });
    expect(s.snapshot('keep@1').success.count).toBe(1);
    for (let b = 1; b <= MAX_BATCH_SIZES + 50; b++) s.executed('keep@1', { batch: b, durationMs: 1, outputMs: 0 });
    const st = s.snapshot('keep@1');
    expect(st.batches).toHaveLength(MAX_BATCH_SIZES);
    expect(st.executionCount).toBe(MAX_BATCH_SIZES + 50);
  });
});
