// One executor on its own, no gRPC: one action at a time on real timers,
// results dropped after its controller left and the next adopted nothing, and a replacement thread after one dies.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../common/clock.js';
import type { Action__Output, ActionResult } from '../common/wire.js';
import { Executor } from './executor.js';
import { ModelCache } from './model-cache.js';

/** Collects results and lets a test await one by action id. */
class Results {
  private readonly got = new Map<number, ActionResult>();
  private readonly waiting = new Map<number, (r: ActionResult) => void>();
  readonly all: ActionResult[] = [];

  readonly add = (r: ActionResult): void => {
    this.all.push(r);
    const id = Number(r.actionId);
    const w = this.waiting.get(id);
    if (w) {
      this.waiting.delete(id);
      w(r);
    } else this.got.set(id, r);
  };

  of(id: number, timeoutMs = 5_000): Promise<ActionResult> {
    const r = this.got.get(id);
    if (r) return Promise.resolve(r);
    return new Promise<ActionResult>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no result for action ${id} within ${timeoutMs} ms`)), timeoutMs);
      this.waiting.set(id, (x) => {
        clearTimeout(timer);
        resolve(x);
      });
    });
  }
}

let nextId = 1;
function action(a: Partial<Action__Output>): Action__Output {
  const now = systemClock.now();
  return {
    id: nextId++,
    type: 'INFER',
    executor: 0,
    modelKey: 'm@1',
    earliestMs: now,
    latestMs: now + 5_000,
    expectedMs: 1,
    batchSize: 1,
    inputs: [],
    lane: 0,
    threads: 0,
    emulated: null,
    staged: [],
    inputSpecs: [],
    ...a,
  };
}

const quiet = (): void => {};

describe('Executor (emulated)', () => {
  it('runs one action at a time, in earliest order', async () => {
    const results = new Results();
    const e = await Executor.start({ index: 0, device: 'emulated', threads: 1, memoryBytes: 0, clock: systemClock, cache: new ModelCache(), onResult: results.add, log: quiet });
    try {
      const now = systemClock.now();
      const load = action({ type: 'LOAD', expectedMs: 1 });
      const late = action({ earliestMs: now + 30, latestMs: now + 5_000, expectedMs: 10 });
      const a = action({ expectedMs: 15 });
      const b = action({ expectedMs: 15 });
      for (const x of [late, load, a, b]) e.submit(x, now);
      const rs = await Promise.all([load, a, b, late].map((x) => results.of(x.id)));
      expect(rs.map((r) => r.status)).toEqual(['OK', 'OK', 'OK', 'OK']);
      for (let i = 1; i < rs.length; i++) expect(Number(rs[i]!.startMs)).toBeGreaterThanOrEqual(Number(rs[i - 1]!.endMs));
      expect(Number(rs[3]!.startMs)).toBeGreaterThanOrEqual(late.earliestMs);
      expect(Number(rs[0]!.memoryBytes)).toBe(0); // no bytes cached: the emulated load reports 0
    } finally {
      await e.close();
    }
  });

  it('after its controller left and the next adopted nothing, answers nothing from before it and holds nothing loaded', async () => {
    const results = new Results();
    const e = await Executor.start({ index: 2, device: 'emulated', threads: 1, memoryBytes: 0, clock: systemClock, cache: new ModelCache(), onResult: results.add, log: quiet });
    try {
      const load = action({ type: 'LOAD' });
      e.submit(load, systemClock.now());
      expect((await results.of(load.id)).status).toBe('OK');
      const running = action({ expectedMs: 20 });
      const waiting = action({ expectedMs: 1 });
      e.submit(running, systemClock.now());
      e.submit(waiting, systemClock.now());
      e.detach();
      e.keepOnly(new Set());
      const after = action({ expectedMs: 1 });
      e.submit(after, systemClock.now());
      const r = await results.of(after.id);
      expect(r.status).toBe('FAILED');
      expect(r.message).toBe('model m@1 is not loaded on executor 2');
      expect(results.all.map((x) => Number(x.actionId))).toEqual([load.id, after.id]);
    } finally {
      await e.close();
    }
  });
});

describe('Executor (thread dies)', () => {
  let dir: string;
  let script: URL;

  beforeAll(() => {
    // A stand-in thread that serves every request but dies on 'infer'.
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'punctual-executor-'));
    const file = path.join(dir, 'crashing-thread.mjs');
    fs.writeFileSync(
      file,
      `import { parentPort } from 'node:worker_threads';
parentPort.on('message', (m) => {
  if (m.type === 'infer') process.exit(3);
  parentPort.postMessage({ id: m.id, ok: true, durationMs: 1, memoryBytes: 42 });
});
parentPort.postMessage({ type: 'ready' });
`,
    );
    script = pathToFileURL(file);
  });

  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('fails the action it held and serves the next one on a new thread', async () => {
    const results = new Results();
    const e = await Executor.start({ index: 1, device: 'cpu', threads: 1, memoryBytes: 0, clock: systemClock, cache: new ModelCache(), onResult: results.add, log: quiet, threadScript: script });
    try {
      const doomed = action({ type: 'INFER' });
      const next = action({ type: 'UNLOAD' });
      e.submit(doomed, systemClock.now());
      e.submit(next, systemClock.now());
      const r = await results.of(doomed.id);
      expect(r.status).toBe('FAILED');
      expect(r.message).toMatch(/executor thread 1 died \(exit code 3\)/);
      const n = await results.of(next.id);
      expect(n.status).toBe('OK');
      expect(Number(n.memoryBytes)).toBe(42);
    } finally {
      await e.close();
    }
  });
});
