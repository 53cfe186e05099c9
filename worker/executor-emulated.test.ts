// The emulated device as a stand-in for a real one (issue 13): its runs take
// what the model's profile says (the figures its LOAD carried), not the
// action's expected time, so the controller's estimates, which learn from
// these runs and set the next action's expected time, stay where the profile
// put them. Before, each run slept the estimate, lasted a little longer, and
// the estimate climbed run after run (test/emulated-stand-in.test.ts runs
// that loop). Real timers: the runs are a few ms.
import { describe, expect, it } from 'vitest';
import type { EmulatedModel__Output } from '../common/wire.js';
import { ExecutorHarness } from '../test/support/executor-harness.js';

/** cls's bundled cpu/t1 figures at batch 1 (profiles/bundled/cls.json), and a p99 = p50 batch 4. */
const CLS: EmulatedModel__Output = { loadMs: 6, batches: [{ batch: 1, p50Ms: 1.03, p99Ms: 1.2 }, { batch: 4, p50Ms: 3, p99Ms: 3 }] };

function start(): Promise<ExecutorHarness> {
  return ExecutorHarness.start({ device: 'emulated', memoryBytes: 0 }, {}, 5_000);
}

describe('Executor on the emulated device', () => {
  it("takes the profile's times for a LOAD and its INFERs, whatever the expected time says", async () => {
    const h = await start();
    try {
      const load = await h.ok({ type: 'LOAD', expectedMs: 300, emulated: CLS });
      expect(Number(load.durationMs)).toBeGreaterThanOrEqual(4);
      expect(Number(load.durationMs)).toBeLessThan(150);
      const four = await h.ok({ type: 'INFER', batchSize: 4, expectedMs: 200 });
      expect(Number(four.durationMs)).toBeGreaterThanOrEqual(3);
      expect(Number(four.durationMs)).toBeLessThan(100);
      // Batch 2 is not in the figures: batch 1 × 2, about 2 ms.
      const two = await h.ok({ type: 'INFER', batchSize: 2, expectedMs: 200 });
      expect(Number(two.durationMs)).toBeGreaterThanOrEqual(1);
      expect(Number(two.durationMs)).toBeLessThan(100);
    } finally {
      await h.executor.close();
    }
  });

  it('without figures (a LOAD from a controller before them), the expected time stands', async () => {
    const h = await start();
    try {
      await h.ok({ type: 'LOAD', expectedMs: 1 });
      const run = await h.ok({ type: 'INFER', expectedMs: 25 });
      expect(Number(run.durationMs)).toBeGreaterThanOrEqual(25);
    } finally {
      await h.executor.close();
    }
  });
});
