// An executor running a batch with staged rows (issue 13 point 3), on the
// emulated device (no threads; the batch assembly itself is staged-batch.ts's
// and runs for real in test/data-plane.e2e.test.ts): it waits for the staged
// rows' tensors until the end of the start window, answers each staged row's
// client, and reports the rows that did not come.
import { describe, expect, it } from 'vitest';
import { systemClock } from '../common/clock.js';
import type { WireTensor } from '../common/tensor.js';
import { ExecutorHarness } from '../test/support/executor-harness.js';
import { Staging } from './staging.js';

const T1 = '1'.repeat(32);
const T2 = '2'.repeat(32);
const SPECS = [{ name: 'x', dtype: 'float32', shape: [2] }];
const row = (): WireTensor[] => [{ name: 'x', dtype: 'float32', shape: [1, 2], data: new Uint8Array(8) }];

async function start(holdUnknownMs = 1000, stageWaitMs?: number) {
  const staging = new Staging({ clock: systemClock, maxBytes: 1 << 20, holdUnknownMs });
  const answered: string[] = [];
  const refused: string[] = [];
  const h = await ExecutorHarness.start(
    {
      device: 'emulated',
      memoryBytes: 0,
      dataPlane: { staging, answer: (t) => answered.push(t), refuse: (t, code) => refused.push(`${t}:${code}`), ...(stageWaitMs !== undefined ? { stageWaitMs } : {}) },
    },
    {},
    5_000,
  );
  await h.ok({ type: 'LOAD', expectedMs: 1 });
  return { h, staging, answered, refused };
}

describe('Executor with staged rows', () => {
  it('waits for the staged rows, runs, answers each staged client, and reports none missing', async () => {
    const { h, staging, answered } = await start();
    try {
      const done = h.run({ type: 'INFER', batchSize: 3, expectedMs: 1, staged: [{ row: 0, ticket: T1 }, { row: 2, ticket: T2 }], inputSpecs: SPECS });
      await new Promise((r) => setTimeout(r, 20));
      expect(answered).toEqual([]); // still waiting for its rows
      expect(await staging.stage(T1, row())).toEqual({ ok: true });
      expect(await staging.stage(T2, row())).toEqual({ ok: true });
      const r = await done;
      expect(r.status).toBe('OK');
      expect(r.missingRows).toEqual([]);
      expect(answered.sort()).toEqual([T1, T2]);
    } finally {
      await h.executor.close();
    }
  });

  it('runs at the end of its window with what came: the missing row reported, its client never answered', async () => {
    const { h, staging, answered } = await start();
    try {
      const t0 = systemClock.now();
      const done = h.run({ type: 'INFER', batchSize: 2, expectedMs: 1, latestMs: t0 + 60, staged: [{ row: 1, ticket: T2 }], inputSpecs: SPECS });
      const r = await done;
      expect(systemClock.now() - t0).toBeGreaterThanOrEqual(55);
      expect(r.status).toBe('OK');
      expect(r.missingRows).toEqual([1]);
      expect(answered).toEqual([]);
      // Its bytes, coming now, are refused: the window is over.
      expect(await staging.stage(T2, row())).toMatchObject({ ok: false, code: 'outside_window' });
    } finally {
      await h.executor.close();
    }
  });

  it('expects the staged rows from the moment the action arrives: tensors staged while it waits its turn are taken', async () => {
    const { h, staging, answered } = await start(10); // an unknown ticket is held only 10 ms
    try {
      const t0 = systemClock.now();
      const done = h.run({ type: 'INFER', batchSize: 1, expectedMs: 1, earliestMs: t0 + 80, latestMs: t0 + 2000, staged: [{ row: 0, ticket: T1 }], inputSpecs: SPECS });
      await new Promise((r) => setTimeout(r, 5));
      expect(await staging.stage(T1, row())).toEqual({ ok: true }); // long before it runs
      const r = await done;
      expect(r.missingRows).toEqual([]);
      expect(Number(r.startMs)).toBeGreaterThanOrEqual(t0 + 79);
      expect(answered).toEqual([T1]);
    } finally {
      await h.executor.close();
    }
  });

  it('an action refused for its window cancels its staged rows and tells their clients', async () => {
    const { h, staging, refused } = await start();
    try {
      const t0 = systemClock.now();
      // Its window closed before it arrived: refused at once.
      const r = await h.run({ type: 'INFER', batchSize: 1, expectedMs: 1, earliestMs: t0 - 20, latestMs: t0 - 10, staged: [{ row: 0, ticket: T1 }], inputSpecs: SPECS });
      expect(r.status).toBe('COULD_NOT_START_IN_TIME');
      expect(refused).toEqual([`${T1}:not_run`]);
      expect(staging.expected()).toBe(0);
    } finally {
      await h.executor.close();
    }
  });

  it('waits for a staged row at most stageWaitMs past the start, however long its window, and not at all for a row without a ticket', async () => {
    const { h } = await start(1000, 40);
    try {
      const t0 = systemClock.now();
      const r = await h.run({ type: 'INFER', batchSize: 2, expectedMs: 1, latestMs: t0 + 5000, staged: [{ row: 0, ticket: T1 }, { row: 1, ticket: '' }], inputSpecs: SPECS });
      const took = systemClock.now() - t0;
      expect(r.missingRows).toEqual([0, 1]);
      expect(took).toBeGreaterThanOrEqual(35);
      expect(took).toBeLessThan(1000);
      const t1 = systemClock.now();
      const gone = await h.run({ type: 'INFER', batchSize: 1, expectedMs: 1, latestMs: t1 + 5000, staged: [{ row: 0, ticket: '' }], inputSpecs: SPECS });
      expect(gone.missingRows).toEqual([0]);
      expect(systemClock.now() - t1).toBeLessThan(30);
    } finally {
      await h.executor.close();
    }
  });

  it('without a data plane every staged row is missing at once, and nothing waits', async () => {
    const h = await ExecutorHarness.start({ device: 'emulated', memoryBytes: 0 }, {}, 5_000);
    try {
      await h.ok({ type: 'LOAD', expectedMs: 1 });
      const t0 = systemClock.now();
      const r = await h.ok({ type: 'INFER', batchSize: 1, expectedMs: 1, staged: [{ row: 0, ticket: T1 }], inputSpecs: SPECS });
      expect(r.missingRows).toEqual([0]);
      expect(systemClock.now() - t0).toBeLessThan(1000);
    } finally {
      await h.executor.close();
    }
  });
});
