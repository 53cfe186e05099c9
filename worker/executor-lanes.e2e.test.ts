// An executor with two lanes on real threads: a stand-in thread script shows
// where each action runs (every reply names the thread that made it) and what
// a dying lane takes with it; then real onnxruntime sessions, where a det LOAD
// on lane 1 runs while cls INFERs run on lane 0, and both succeed.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../common/clock.js';
import type { Action__Output, ActionResult } from '../common/wire.js';
import { bundledModelsDir } from '../profiles/bundled-models.js';
import { ModelCache } from './model-cache.js';
import { ExecutorHarness } from '../test/support/executor-harness.js';

/** The thread id a stand-in thread put in an INFER's output. */
function threadOf(r: ActionResult): number {
  const data = r.outputs?.[0]?.data as Uint8Array;
  return new Int32Array(data.buffer.slice(data.byteOffset, data.byteOffset + 4))[0]!;
}

describe('Executor lanes (stand-in threads)', () => {
  let dir: string;
  let script: URL;

  beforeAll(() => {
    // Serves requests one at a time: a load answers memoryBytes = its threadId,
    // an infer answers its threadId as output, and dies on model 'die@1'.
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'punctual-lanes-'));
    const file = path.join(dir, 'lane-thread.mjs');
    fs.writeFileSync(
      file,
      `import { parentPort, threadId } from 'node:worker_threads';
let chain = Promise.resolve();
parentPort.on('message', (m) => {
  chain = chain.then(() => {
    if (m.type === 'infer' && m.modelKey === 'die@1') process.exit(3);
    const data = new Uint8Array(new Int32Array([threadId]).buffer);
    const outputs = m.type === 'infer' ? [{ name: 'thread', dtype: 'int32', shape: [1], data }] : undefined;
    parentPort.postMessage({ id: m.id, ok: true, durationMs: 1, memoryBytes: threadId, outputs });
  });
});
parentPort.postMessage({ type: 'ready' });
`,
    );
    script = pathToFileURL(file);
  });

  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  const bytes = new Uint8Array([1, 2, 3]);
  const cache = (): ModelCache => ModelCache.holding({ 'a@1': bytes, 'b@1': bytes, 'c@1': bytes, 'die@1': bytes });

  it('runs each model on the thread that loaded it', async () => {
    const h = await ExecutorHarness.start({ lanes: 2, threadScript: script, cache: cache() });
    try {
      const onOne = Number((await h.ok({ type: 'LOAD', modelKey: 'a@1', lane: 1 })).memoryBytes);
      const onZero = Number((await h.ok({ type: 'LOAD', modelKey: 'b@1', lane: 0 })).memoryBytes);
      expect(onOne).not.toBe(onZero);
      expect(threadOf(await h.ok({ type: 'INFER', modelKey: 'a@1' }))).toBe(onOne);
      expect(threadOf(await h.ok({ type: 'INFER', modelKey: 'b@1' }))).toBe(onZero);
      // Already loaded on lane 1: asked on lane 0, it is answered there.
      expect(Number((await h.ok({ type: 'LOAD', modelKey: 'a@1', lane: 0 })).memoryBytes)).toBe(onOne);
      // Unloaded, then loaded on the other lane: its INFERs follow it.
      expect(Number((await h.ok({ type: 'UNLOAD', modelKey: 'a@1' })).memoryBytes)).toBe(onOne);
      expect(Number((await h.ok({ type: 'LOAD', modelKey: 'a@1', lane: 0 })).memoryBytes)).toBe(onZero);
      expect(threadOf(await h.ok({ type: 'INFER', modelKey: 'a@1' }))).toBe(onZero);
      const bad = await h.run({ type: 'LOAD', modelKey: 'c@1', lane: 2 });
      expect([bad.status, bad.message]).toEqual(['FAILED', 'LOAD of c@1 on executor 0: lane 2 does not exist (the executor has 2 lanes, 0..1)']);
      expect(h.waits).toEqual([]);
    } finally {
      await h.executor.close();
    }
  });

  it('a dying lane fails the action it held and is replaced; the other lane serves on', async () => {
    const h = await ExecutorHarness.start({ lanes: 2, threadScript: script, cache: cache() });
    try {
      const first = Number((await h.ok({ type: 'LOAD', modelKey: 'die@1', lane: 1 })).memoryBytes);
      const other = Number((await h.ok({ type: 'LOAD', modelKey: 'b@1', lane: 0 })).memoryBytes);
      const doomed = await h.run({ type: 'INFER', modelKey: 'die@1' });
      expect(doomed.status).toBe('FAILED');
      expect(doomed.message).toMatch(/executor thread 0 \(lane 1\) died \(exit code 3\)/);
      expect(threadOf(await h.ok({ type: 'INFER', modelKey: 'b@1' }))).toBe(other);
      const again = Number((await h.ok({ type: 'LOAD', modelKey: 'a@1', lane: 1 })).memoryBytes);
      expect([first, other]).not.toContain(again); // a new thread on lane 1
      expect(threadOf(await h.ok({ type: 'INFER', modelKey: 'a@1' }))).toBe(again);
      expect(h.lines.some((l) => /executor thread 0 \(lane 1\) died .*starting a new one/.test(l))).toBe(true);
    } finally {
      await h.executor.close();
    }
  });
});

describe('Executor lanes (real onnxruntime)', () => {
  const dir = bundledModelsDir();
  const det = new Uint8Array(fs.readFileSync(path.join(dir, 'ch_PP-OCRv4_det_infer.onnx')));
  const cls = new Uint8Array(fs.readFileSync(path.join(dir, 'ch_ppocr_mobile_v2.0_cls_infer.onnx')));
  const clsInput = (): Action__Output['inputs'] => [{ name: 'x', dtype: 'float32', shape: [1, 3, 48, 192], data: Buffer.from(new Float32Array(3 * 48 * 192).fill(0.5).buffer) }];

  it('loads det on lane 1 while cls infers on lane 0, both succeeding', async () => {
    const h = await ExecutorHarness.start({ lanes: 2, cache: ModelCache.holding({ 'det@1': det, 'cls@1': cls }) });
    try {
      await h.ok({ type: 'LOAD', modelKey: 'cls@1', lane: 0 });
      await h.ok({ type: 'INFER', modelKey: 'cls@1', inputs: clsInput() }); // warm
      const now = systemClock.now();
      const load = h.run({ type: 'LOAD', modelKey: 'det@1', lane: 1 });
      // cls every 5 ms for 300 ms, more than a det load takes.
      const infers = Array.from({ length: 60 }, (_, k) => h.run({ type: 'INFER', modelKey: 'cls@1', earliestMs: now + 5 * k, inputs: clsInput() }));
      const loaded = await load;
      expect(loaded.status, loaded.message).toBe('OK');
      expect(Number(loaded.memoryBytes)).toBeGreaterThanOrEqual(det.byteLength);
      const done = await Promise.all(infers);
      for (const r of done) expect(r.status, r.message).toBe('OK');
      const during = done.filter((r) => Number(r.startMs) >= Number(loaded.startMs) && Number(r.endMs) <= Number(loaded.endMs));
      expect(during.length).toBeGreaterThan(0); // whole inferences ran inside the load
      expect(h.waits).toEqual([]);
      // det runs where it was loaded, and cls moves lanes through an UNLOAD.
      const detOut = await h.ok({ type: 'INFER', modelKey: 'det@1', inputs: [{ name: 'x', dtype: 'float32', shape: [1, 3, 224, 224], data: Buffer.alloc(3 * 224 * 224 * 4) }] });
      expect(detOut.outputs?.length).toBe(1);
      await h.ok({ type: 'UNLOAD', modelKey: 'cls@1' });
      await h.ok({ type: 'LOAD', modelKey: 'cls@1', lane: 1 });
      expect((await h.ok({ type: 'INFER', modelKey: 'cls@1', inputs: clsInput() })).outputs?.length).toBe(1);
    } finally {
      await h.executor.close();
    }
  });
});
