// The memory a LOAD reports (executor-thread.ts): the RSS growth across the
// session's creation when nothing else in the process ran meanwhile, and only
// the model's size (its floor) when another thread's work overlapped it,
// since RSS is process-wide and the growth is theirs as much as its.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUNDLED_MODELS, bundledModelsDir } from '../profiles/bundled-models.js';
import { ThreadClient } from './thread-client.js';
import type { ThreadReply } from './thread-protocol.js';

/** A model's bytes in a SharedArrayBuffer, as the worker's cache holds them. */
function shared(name: string): Uint8Array {
  const file = BUNDLED_MODELS.find((m) => m.config.name === name)!.file;
  const bytes = fs.readFileSync(path.join(bundledModelsDir(), file));
  const out = new Uint8Array(new SharedArrayBuffer(bytes.byteLength));
  out.set(bytes);
  return out;
}

function memoryOf(r: ThreadReply): number {
  if (!r.ok) throw new Error(r.message);
  return r.memoryBytes ?? 0;
}

describe('load memory', () => {
  const quiet = (): void => {};
  const a = new ThreadClient({ index: 0, device: 'cpu', threads: 1, log: quiet });
  const b = new ThreadClient({ index: 1, device: 'cpu', threads: 1, log: quiet });
  const det = shared('det');
  const cls = shared('cls');

  beforeAll(async () => {
    await Promise.all([a.start(), b.start()]);
  });
  afterAll(async () => {
    await Promise.all([a.close(), b.close()]);
  });

  it('reports the growth of a load that had the process to itself', async () => {
    // A det session from the raw bytes grows RSS by several times its 4.7 MB
    // file (onnxruntime optimizes the graph and pre-packs the weights).
    expect(memoryOf(await a.request({ type: 'load', modelKey: 'det@1', bytes: det }))).toBeGreaterThan(det.byteLength);
  });

  it('reports only the floor for a load that another thread overlapped', async () => {
    // b's det load takes several times as long as a's cls load, and both
    // threads are idle when they are posted: b's request begins or runs across a's.
    const [other, mine] = await Promise.all([
      b.request({ type: 'load', modelKey: 'det@1', bytes: det }),
      a.request({ type: 'load', modelKey: 'cls@1', bytes: cls }),
    ]);
    expect(memoryOf(mine)).toBe(cls.byteLength);
    expect(memoryOf(other)).toBe(det.byteLength); // nor does b count a's
  });
});
