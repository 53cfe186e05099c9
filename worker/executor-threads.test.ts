// A LOAD's intra-op threads (Action.threads) on the executor: created with the
// count it names, the executor's own when it names none, refused above the
// executor's. A stand-in thread (no onnxruntime) answers each load with the
// count it was asked for, so what reached the thread is what is checked.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ModelCache } from './model-cache.js';
import { ExecutorHarness } from '../test/support/executor-harness.js';

let dir: string;
let script: URL;

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'punctual-executor-threads-'));
  const file = path.join(dir, 'echo-threads.mjs');
  // memoryBytes carries the 'threads' field of the request (0: none sent).
  fs.writeFileSync(
    file,
    `import { parentPort } from 'node:worker_threads';
parentPort.on('message', (m) => {
  if (m.type === 'load') parentPort.postMessage({ id: m.id, ok: true, durationMs: 1, memoryBytes: m.threads ?? 0, source: 'raw', ...(m.threads ? { threads: m.threads } : {}) });
  else parentPort.postMessage({ id: m.id, ok: true, durationMs: 1, memoryBytes: 0 });
});
parentPort.postMessage({ type: 'ready' });
`,
  );
  script = pathToFileURL(file);
});

afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function cacheWith(...keys: string[]): ModelCache {
  const cache = new ModelCache();
  const bytes = new Uint8Array([1, 2, 3]);
  for (const modelKey of keys) {
    const sha256 = '039058c6f2c0cb492c533b0a4d14ef77cc0f78abccced5287d84a1a2011cfb81'; // of 01 02 03
    const r = cache.receive({ modelKey, offset: 0, totalSize: bytes.length, chunk: bytes, last: true, sha256 });
    expect(r?.ok, r?.message).toBe(true);
  }
  return cache;
}

describe('Executor: per-load intra-op threads', () => {
  it("creates each session with the LOAD's count, the executor's when it names none, and says so", async () => {
    const h = await ExecutorHarness.start({ threads: 2, threadScript: script, cache: cacheWith('one@1', 'two@1', 'dflt@1') });
    try {
      expect(Number((await h.ok({ type: 'LOAD', modelKey: 'one@1', threads: 1 })).memoryBytes)).toBe(1);
      expect(Number((await h.ok({ type: 'LOAD', modelKey: 'two@1', threads: 2 })).memoryBytes)).toBe(2);
      expect(Number((await h.ok({ type: 'LOAD', modelKey: 'dflt@1', threads: 0 })).memoryBytes)).toBe(2);
      expect(h.loads.map((l) => [l.modelKey, l.threads])).toEqual([
        ['one@1', 1],
        ['two@1', 2],
        ['dflt@1', 2],
      ]);
    } finally {
      await h.executor.close();
    }
  });

  it("refuses a LOAD that asks for more threads than the executor's share, without touching the thread", async () => {
    const h = await ExecutorHarness.start({ index: 3, threads: 2, threadScript: script, cache: cacheWith('m@1') });
    try {
      for (const threads of [3, 64, 1.5, -1]) {
        const r = await h.run({ type: 'LOAD', modelKey: 'm@1', threads });
        expect(r.status).toBe('FAILED');
        expect(r.message).toContain(`LOAD of m@1 on executor 3 asks for ${threads} intra-op threads; this executor's sessions may have 1 to 2 (the worker's --threads)`);
      }
      expect(h.loads).toEqual([]);
      // And takes the next one that fits.
      await h.ok({ type: 'LOAD', modelKey: 'm@1', threads: 1 });
      expect(h.loads.map((l) => l.threads)).toEqual([1]);
    } finally {
      await h.executor.close();
    }
  });
});
