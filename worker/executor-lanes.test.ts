// An executor with lanes on the emulated device (no threads, no onnxruntime;
// each action takes its expected time on a timer): with two lanes a LOAD runs
// while an INFER runs, each of the two queues still refuses what it cannot
// start in time, INFERs follow the lane that loaded their model (and wait
// behind it when it is busy, counted), and a LOAD on a lane that does not
// exist fails. With one lane, a LOAD still holds up the INFERs behind it.
import { describe, expect, it } from 'vitest';
import { systemClock } from '../common/clock.js';
import type { ActionResult } from '../common/wire.js';
import { ExecutorHarness } from '../test/support/executor-harness.js';

/** An emulated executor (5 s windows) whose results and lane waits a test can await. */
function start(lanes: number | undefined, index = 0): Promise<ExecutorHarness> {
  return ExecutorHarness.start({ index, device: 'emulated', memoryBytes: 0, ...(lanes !== undefined ? { lanes } : {}) }, {}, 5_000);
}

const overlap = (x: ActionResult, y: ActionResult): boolean => Number(x.startMs) < Number(y.endMs) && Number(y.startMs) < Number(x.endMs);

describe('Executor lanes (emulated)', () => {
  it('announces its lanes; one by default', async () => {
    const one = await start(undefined);
    const two = await start(2, 3);
    try {
      expect(one.executor.info()).toEqual({ index: 0, device: 'emulated', threads: 1, memoryBytes: 0, lanes: 1, loaded: [] });
      expect(two.executor.info().lanes).toBe(2);
    } finally {
      await Promise.all([one.executor.close(), two.executor.close()]);
    }
  });

  it('keeps its sessions when the controller goes away, announces them, and releases what the next one does not adopt', async () => {
    const h = await start(2);
    try {
      await h.ok({ type: 'LOAD', modelKey: 'a@1', lane: 0 });
      await h.ok({ type: 'LOAD', modelKey: 'b@1', lane: 1 });
      await h.ok({ type: 'LOAD', modelKey: 'c@1', lane: 1 });
      await h.ok({ type: 'UNLOAD', modelKey: 'c@1' });
      h.executor.detach();
      expect((h.executor.info().loaded ?? []).map((l) => [l.modelKey, l.lane])).toEqual([['a@1', 0], ['b@1', 1]]);
      // The next controller adopted a@1 only: b@1 is released, a@1 still runs on its lane.
      h.executor.keepOnly(new Set(['a@1']));
      expect((h.executor.info().loaded ?? []).map((l) => l.modelKey)).toEqual(['a@1']);
      expect((await h.ok({ type: 'INFER', modelKey: 'a@1' })).status).toBe('OK');
      expect((await h.run({ type: 'INFER', modelKey: 'b@1' })).status).toBe('FAILED');
      // A controller that adopts nothing: every one is released.
      h.executor.detach();
      h.executor.keepOnly(new Set());
      expect(h.executor.info().loaded).toEqual([]);
    } finally {
      await h.executor.close();
    }
  });

  it('with two lanes, runs a LOAD while an INFER runs', async () => {
    const h = await start(2);
    try {
      await h.ok({ type: 'LOAD', modelKey: 'a@1', lane: 0 });
      const [load, infer] = await Promise.all([h.ok({ type: 'LOAD', modelKey: 'b@1', lane: 1, expectedMs: 60 }), h.ok({ type: 'INFER', modelKey: 'a@1', expectedMs: 60 })]);
      expect(overlap(load, infer)).toBe(true);
      expect(h.waits).toEqual([]);
      // And the other way round: an INFER of b (on lane 1) beside an UNLOAD of a (on lane 0).
      const [unload, inferB] = await Promise.all([h.ok({ type: 'UNLOAD', modelKey: 'a@1', expectedMs: 60 }), h.ok({ type: 'INFER', modelKey: 'b@1', expectedMs: 60 })]);
      expect(overlap(unload, inferB)).toBe(true);
      expect(h.waits).toEqual([]);
    } finally {
      await h.executor.close();
    }
  });

  it('with one lane, a LOAD holds up the INFER behind it, as before lanes', async () => {
    const h = await start(1);
    try {
      await h.ok({ type: 'LOAD', modelKey: 'a@1' });
      const [load, infer] = await Promise.all([h.ok({ type: 'LOAD', modelKey: 'b@1', expectedMs: 40 }), h.ok({ type: 'INFER', modelKey: 'a@1', expectedMs: 10 })]);
      expect(Number(infer.startMs)).toBeGreaterThanOrEqual(Number(load.endMs));
    } finally {
      await h.executor.close();
    }
  });

  it('each queue refuses what cannot start in time, while the other one runs', async () => {
    const h = await start(2);
    try {
      await h.ok({ type: 'LOAD', modelKey: 'a@1', lane: 0 });
      const now = systemClock.now();
      // The load queue is busy for 80 ms: a second LOAD due within 10 ms is refused; the INFERs run.
      const slow = h.run({ type: 'LOAD', modelKey: 'b@1', lane: 1, expectedMs: 80 });
      const lateLoad = h.run({ type: 'LOAD', modelKey: 'c@1', lane: 1, latestMs: now + 10 });
      const infers = [h.run({ type: 'INFER', modelKey: 'a@1', expectedMs: 5 }), h.run({ type: 'INFER', modelKey: 'a@1', expectedMs: 5 })];
      // Refused at its queue's next look (the slow load's end: a busy queue arms no timer), never run.
      expect((await lateLoad).status).toBe('COULD_NOT_START_IN_TIME');
      const done = await Promise.all(infers);
      expect(done.map((r) => r.status)).toEqual(['OK', 'OK']);
      expect((await slow).status).toBe('OK');
      for (const r of done) expect(overlap(r, await slow)).toBe(true);
      // The infer queue busy for 80 ms: a second INFER due within 10 ms is refused; a LOAD runs.
      const then = systemClock.now();
      const long = h.run({ type: 'INFER', modelKey: 'a@1', expectedMs: 80 });
      const lateInfer = h.run({ type: 'INFER', modelKey: 'a@1', latestMs: then + 10 });
      const load = h.run({ type: 'LOAD', modelKey: 'c@1', lane: 1, expectedMs: 5 });
      expect((await lateInfer).status).toBe('COULD_NOT_START_IN_TIME');
      expect((await load).status).toBe('OK');
      expect((await long).status).toBe('OK');
      expect(overlap(await load, await long)).toBe(true);
    } finally {
      await h.executor.close();
    }
  });

  it('runs an INFER on the lane that loaded its model, waiting (and counted) when that lane is busy', async () => {
    const h = await start(2, 4);
    try {
      await h.ok({ type: 'LOAD', modelKey: 'a@1', lane: 1 });
      const [load, infer] = await Promise.all([h.ok({ type: 'LOAD', modelKey: 'b@1', lane: 1, expectedMs: 50 }), h.ok({ type: 'INFER', modelKey: 'a@1', expectedMs: 5 })]);
      expect(h.waits).toEqual([{ executor: 4, lane: 1, type: 'INFER' }]);
      expect(Number(infer.endMs)).toBeGreaterThanOrEqual(Number(load.endMs)); // it ran after the load, on lane 1
      // A LOAD asking for lane 0 of a model on lane 1 finds it loaded there.
      await h.ok({ type: 'LOAD', modelKey: 'a@1', lane: 0 });
      const [, again] = await Promise.all([h.ok({ type: 'LOAD', modelKey: 'c@1', lane: 0, expectedMs: 50 }), h.ok({ type: 'INFER', modelKey: 'a@1', expectedMs: 5 })]);
      expect(h.waits).toHaveLength(1); // lane 1 was free: no wait behind the load on lane 0
      expect(Number(again.endMs) - Number(again.startMs)).toBeLessThan(45);
    } finally {
      await h.executor.close();
    }
  });

  it('after an UNLOAD, loads the model again on another lane', async () => {
    const h = await start(2);
    try {
      await h.ok({ type: 'LOAD', modelKey: 'a@1', lane: 1 });
      await h.ok({ type: 'UNLOAD', modelKey: 'a@1' });
      expect((await h.run({ type: 'INFER', modelKey: 'a@1' })).message).toBe('model a@1 is not loaded on executor 0');
      await h.ok({ type: 'LOAD', modelKey: 'a@1', lane: 0 });
      // Now on lane 0: a long LOAD on lane 1 does not hold it up.
      await Promise.all([h.ok({ type: 'LOAD', modelKey: 'b@1', lane: 1, expectedMs: 50 }), h.ok({ type: 'INFER', modelKey: 'a@1', expectedMs: 5 })]);
      expect(h.waits).toEqual([]);
    } finally {
      await h.executor.close();
    }
  });

  it('fails a LOAD on a lane the executor does not have, and keeps serving', async () => {
    const two = await start(2, 1);
    const one = await start(1, 2);
    try {
      const r = await two.run({ type: 'LOAD', modelKey: 'a@1', lane: 2 });
      expect(r.status).toBe('FAILED');
      expect(r.message).toBe('LOAD of a@1 on executor 1: lane 2 does not exist (the executor has 2 lanes, 0..1)');
      const s = await one.run({ type: 'LOAD', modelKey: 'a@1', lane: 1 });
      expect(s.status).toBe('FAILED');
      expect(s.message).toBe('LOAD of a@1 on executor 2: lane 1 does not exist (the executor has 1 lane, 0..0)');
      // lane is not read for INFER and UNLOAD.
      await two.ok({ type: 'LOAD', modelKey: 'a@1', lane: 1 });
      await two.ok({ type: 'INFER', modelKey: 'a@1', lane: 9 });
      await two.ok({ type: 'UNLOAD', modelKey: 'a@1', lane: 9 });
    } finally {
      await Promise.all([two.executor.close(), one.executor.close()]);
    }
  });

  it('after its controller left and the next adopted nothing, holds nothing on any lane', async () => {
    const h = await start(2);
    try {
      await h.ok({ type: 'LOAD', modelKey: 'a@1', lane: 1 });
      h.executor.detach();
      h.executor.keepOnly(new Set());
      expect((await h.run({ type: 'INFER', modelKey: 'a@1' })).message).toBe('model a@1 is not loaded on executor 0');
      await h.ok({ type: 'LOAD', modelKey: 'a@1', lane: 0 });
      await h.ok({ type: 'INFER', modelKey: 'a@1' });
    } finally {
      await h.executor.close();
    }
  });
});
