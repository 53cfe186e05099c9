// Optimized loads on real executor threads with onnxruntime and the bundled
// cls model: the first LOAD comes from the raw bytes and has the model
// optimized in the optimizer's thread; the next one comes from the optimized
// model and answers bitwise what a raw session answers; optimized bytes that
// do not load, and an optimization that fails, leave loads on the raw bytes,
// logged once.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundledModelsDir } from '../profiles/bundled-models.js';
import { ModelCache } from './model-cache.js';
import { ExecutorHarness } from '../test/support/executor-harness.js';
import { ModelOptimizer, threadBackend, type OptimizerBackend } from './model-optimizer.js';

const CLS = fs.readFileSync(path.join(bundledModelsDir(), 'ch_ppocr_mobile_v2.0_cls_infer.onnx'));
const KEY = 'cls@1';

const cacheWithCls = (): ModelCache => ModelCache.holding({ [KEY]: CLS });

/** Fixed inputs in [0, 1). */
function fixedInput(n: number): Buffer {
  const v = new Float32Array(n);
  for (let i = 0; i < n; i++) v[i] = ((i * 7919) % 1000) / 1000;
  return Buffer.from(v.buffer);
}

/** An executor on the real thread script, LOADs of cls by default. */
function start(cache: ModelCache, optimizer: ModelOptimizer | false, index = 0): Promise<ExecutorHarness> {
  return ExecutorHarness.start({ index, cache, optimizer }, { type: 'LOAD', modelKey: KEY });
}

/** One cls INFER on fixed inputs: its output bytes. */
async function infer(h: ExecutorHarness): Promise<Buffer> {
  const r = await h.ok({ type: 'INFER', inputs: [{ name: 'x', dtype: 'float32', shape: [1, 3, 48, 192], data: fixedInput(3 * 48 * 192) }] });
  return Buffer.from(r.outputs![0]!.data as Uint8Array);
}

/** Wraps the real backend, replacing what optimize() answers when told. */
function scripted(real: OptimizerBackend, optimize?: (bytes: Uint8Array) => Promise<Uint8Array>): OptimizerBackend {
  return { digest: (b) => real.digest(b), optimize: optimize ?? ((b) => real.optimize(b)), close: () => real.close() };
}

describe('optimized loads (real onnxruntime)', () => {
  const quiet = (): void => {};
  let raw: ExecutorHarness;
  let rawOutput: Buffer;

  beforeAll(async () => {
    raw = await start(cacheWithCls(), false, 9);
    await raw.ok({ type: 'LOAD' });
    rawOutput = await infer(raw);
  });

  afterAll(async () => {
    await raw.executor.close();
  });

  it('loads raw first, then from the optimized model, with bitwise the same outputs', async () => {
    const cache = cacheWithCls();
    const optimizer = new ModelOptimizer({ device: 'cpu', threads: 1, log: quiet, backend: threadBackend({ device: 'cpu', threads: 1, log: quiet }) });
    const h = await start(cache, optimizer);
    try {
      expect(raw.loads.map((l) => l.source)).toEqual(['raw']); // optimizer: false never optimizes
      await h.ok({ type: 'LOAD' });
      expect(h.loads.map((l) => l.source)).toEqual(['raw']);
      await optimizer.prepare(KEY, cache.get(KEY)!); // the one the first load started
      const optimized = optimizer.optimized(cache.get(KEY)!);
      expect(optimized).toBeDefined();
      expect(Buffer.from(optimized!).equals(CLS)).toBe(false); // onnxruntime rewrote the graph
      expect(optimizer.heldBytes()).toBe(optimized!.byteLength);
      await h.ok({ type: 'UNLOAD' });
      const load = await h.ok({ type: 'LOAD' });
      expect(h.loads.map((l) => l.source)).toEqual(['raw', 'optimized']);
      expect(h.loads[1]!.durationMs).toBeCloseTo(Number(load.durationMs), 6);
      expect((await infer(h)).equals(rawOutput)).toBe(true);
      expect(h.lines).toEqual([]);
    } finally {
      await h.executor.close();
      await optimizer.close();
    }
  });

  it('falls back to the raw bytes when the optimized model does not load, and logs it once', async () => {
    const cache = cacheWithCls();
    const real = threadBackend({ device: 'cpu', threads: 1, log: quiet });
    const junk = (): Promise<Uint8Array> => Promise.resolve(new Uint8Array(new SharedArrayBuffer(64)).fill(7));
    const lines: string[] = [];
    const optimizer = new ModelOptimizer({ device: 'cpu', threads: 1, log: (l) => lines.push(l), backend: scripted(real, junk) });
    const h = await start(cache, optimizer);
    try {
      await h.ok({ type: 'LOAD' });
      await optimizer.prepare(KEY, cache.get(KEY)!);
      expect(optimizer.optimized(cache.get(KEY)!)).toBeDefined();
      await h.ok({ type: 'UNLOAD' });
      await h.ok({ type: 'LOAD' });
      expect(h.loads.map((l) => l.source)).toEqual(['raw', 'raw']);
      expect(h.loads[1]!.fallback).toBeDefined();
      expect((await infer(h)).equals(rawOutput)).toBe(true);
      await h.ok({ type: 'UNLOAD' });
      await h.ok({ type: 'LOAD' });
      expect(h.loads.map((l) => l.fallback === undefined)).toEqual([true, false, true]);
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(/^the optimized model of cls@1 did not load \(.+\); its loads use the raw bytes$/);
    } finally {
      await h.executor.close();
      await optimizer.close();
    }
  });

  it('keeps loading the raw bytes when optimizing fails, and logs it once', async () => {
    const cache = cacheWithCls();
    const real = threadBackend({ device: 'cpu', threads: 1, log: quiet });
    const broken = (): Promise<Uint8Array> => Promise.reject(new Error('no space left on device'));
    const lines: string[] = [];
    const optimizer = new ModelOptimizer({ device: 'cpu', threads: 1, log: (l) => lines.push(l), backend: scripted(real, broken) });
    const h = await start(cache, optimizer);
    try {
      for (let i = 0; i < 3; i++) {
        await h.ok({ type: 'LOAD' });
        await optimizer.prepare(KEY, cache.get(KEY)!);
        await h.ok({ type: 'UNLOAD' });
      }
      expect(h.loads.map((l) => l.source)).toEqual(['raw', 'raw', 'raw']);
      expect(lines).toEqual(['optimizing cls@1 for cpu/1 failed (no space left on device); its loads use the raw bytes']);
    } finally {
      await h.executor.close();
      await optimizer.close();
    }
  });

  it('optimizes in the optimizer thread with the real script (no executor thread involved)', async () => {
    const backend = threadBackend({ device: 'cpu', threads: 1, log: quiet });
    try {
      const bytes = new Uint8Array(new SharedArrayBuffer(CLS.byteLength));
      bytes.set(CLS);
      expect(await backend.digest(bytes)).toBe(createHash('sha256').update(CLS).digest('hex'));
      const out = await backend.optimize(bytes);
      expect(out.buffer).toBeInstanceOf(SharedArrayBuffer);
      expect(out.byteLength).toBeGreaterThan(1000);
    } finally {
      await backend.close();
    }
  });
});
