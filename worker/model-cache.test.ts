// Assembling model bytes from chunks: integrity, ordering, sharing.
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ModelCache, type ModelChunk } from './model-cache.js';

function chunksOf(modelKey: string, bytes: Uint8Array, size: number, sha256 = sha(bytes)): ModelChunk[] {
  const out: ModelChunk[] = [];
  for (let offset = 0; offset < bytes.byteLength || out.length === 0; offset += size) {
    const last = offset + size >= bytes.byteLength;
    out.push({ modelKey, offset, totalSize: bytes.byteLength, chunk: bytes.subarray(offset, offset + size), last, sha256: last ? sha256 : '' });
  }
  return out;
}

function sha(b: Uint8Array): string {
  return createHash('sha256').update(b).digest('hex');
}

const data = Uint8Array.from({ length: 10_000 }, (_, i) => (i * 31) & 0xff);

describe('ModelCache', () => {
  it('assembles chunks into a SharedArrayBuffer and acks ok on the last one only', () => {
    const cache = new ModelCache();
    const chunks = chunksOf('m@1', data, 3_000);
    expect(chunks).toHaveLength(4);
    for (const c of chunks.slice(0, -1)) expect(cache.receive(c)).toBeUndefined();
    expect(cache.has('m@1')).toBe(false);
    expect(cache.receive(chunks.at(-1)!)).toEqual({ modelKey: 'm@1', ok: true, message: '' });
    const got = cache.get('m@1')!;
    expect(got.buffer).toBeInstanceOf(SharedArrayBuffer);
    expect(Buffer.from(got).equals(Buffer.from(data))).toBe(true);
    expect(cache.keys()).toEqual(['m@1']);
    expect(cache.bytes()).toBe(data.byteLength);
  });

  it('takes a model sent in one chunk', () => {
    const cache = new ModelCache();
    const [only] = chunksOf('one@1', data, 1 << 20);
    expect(cache.receive(only!)?.ok).toBe(true);
    expect(cache.get('one@1')?.byteLength).toBe(data.byteLength);
  });

  it('refuses a wrong sha256 and caches nothing', () => {
    const cache = new ModelCache();
    const chunks = chunksOf('m@1', data, 4_000, 'ab'.repeat(32));
    const outcomes = chunks.map((c) => cache.receive(c));
    const last = outcomes.at(-1)!;
    expect(last.ok).toBe(false);
    expect(last.message).toMatch(/sha256 mismatch/);
    expect(cache.has('m@1')).toBe(false);
  });

  it('accepts an upper-case sha256', () => {
    const cache = new ModelCache();
    const chunks = chunksOf('m@1', data, 4_000, sha(data).toUpperCase());
    expect(chunks.map((c) => cache.receive(c)).at(-1)?.ok).toBe(true);
  });

  it('refuses a last chunk without sha256', () => {
    const cache = new ModelCache();
    const chunks = chunksOf('m@1', data, 4_000, '');
    expect(chunks.map((c) => cache.receive(c)).at(-1)).toMatchObject({ ok: false, message: expect.stringMatching(/no sha256/) });
  });

  it('refuses chunks out of order, reporting once on the last chunk', () => {
    const cache = new ModelCache();
    const [a, , c] = chunksOf('m@1', data, 4_000);
    expect(cache.receive(a!)).toBeUndefined();
    expect(cache.receive(c!)).toMatchObject({ ok: false, message: expect.stringMatching(/offset 8000, expected 4000/) });
    expect(cache.has('m@1')).toBe(false);
  });

  it('refuses a transfer that ends short of total_size', () => {
    const cache = new ModelCache();
    const [a] = chunksOf('m@1', data, 4_000);
    expect(cache.receive({ ...a!, last: true, sha256: sha(data) })).toMatchObject({ ok: false, message: expect.stringMatching(/4000 of 10000/) });
  });

  it('refuses a chunk that overflows total_size', () => {
    const cache = new ModelCache();
    const r = cache.receive({ modelKey: 'm@1', offset: 0, totalSize: 10, chunk: new Uint8Array(20), last: true, sha256: 'x' });
    expect(r).toMatchObject({ ok: false, message: expect.stringMatching(/overflows/) });
  });

  it('refuses a transfer that does not start at offset 0', () => {
    const cache = new ModelCache();
    const r = cache.receive({ modelKey: 'm@1', offset: 5, totalSize: 10, chunk: new Uint8Array(5), last: true, sha256: 'x' });
    expect(r).toMatchObject({ ok: false, message: expect.stringMatching(/without a transfer started at offset 0/) });
  });

  it('restarts a transfer when offset 0 comes again, and recovers after a failure', () => {
    const cache = new ModelCache();
    const chunks = chunksOf('m@1', data, 4_000);
    cache.receive(chunks[0]!);
    cache.receive(chunks[1]!);
    for (const c of chunks) cache.receive(c); // the sender restarted
    expect(cache.get('m@1')?.byteLength).toBe(data.byteLength);
    expect(Buffer.from(cache.get('m@1')!).equals(Buffer.from(data))).toBe(true);
  });

  it('keeps transfers of different models apart', () => {
    const cache = new ModelCache();
    const other = data.map((x) => 255 - x);
    const a = chunksOf('a@1', data, 3_000);
    const b = chunksOf('b@1', other, 3_000);
    const outcomes = a.flatMap((c, i) => [cache.receive(c), cache.receive(b[i]!)]).filter((o) => o !== undefined);
    expect(outcomes.map((o) => o.ok)).toEqual([true, true]);
    expect(Buffer.from(cache.get('b@1')!).equals(Buffer.from(other))).toBe(true);
  });

  it('forget drops the bytes', () => {
    const cache = new ModelCache();
    for (const c of chunksOf('m@1', data, 4_000)) cache.receive(c);
    expect(cache.forget('m@1')).toBe(true);
    expect(cache.has('m@1')).toBe(false);
    expect(cache.keys()).toEqual([]);
    expect(cache.forget('m@1')).toBe(false);
  });
  it('holds bytes sent again for another model once, and frees them with the last model using them', () => {
    const cache = new ModelCache();
    for (const c of chunksOf('a@1', data, 4_000)) cache.receive(c);
    for (const c of chunksOf('b@1', data, 4_000)) cache.receive(c);
    expect(cache.keys().sort()).toEqual(['a@1', 'b@1']);
    expect(cache.get('b@1')).toBe(cache.get('a@1'));
    expect(cache.bytes()).toBe(data.byteLength);
    expect(cache.contents()).toBe(1);
    cache.forget('a@1');
    expect(Buffer.from(cache.get('b@1')!).equals(Buffer.from(data))).toBe(true);
    expect(cache.bytes()).toBe(data.byteLength);
    cache.forget('b@1');
    expect(cache.bytes()).toBe(0);
    expect(cache.contents()).toBe(0);
  });

  it('adopts bytes it holds by SHA-256 and size, without a transfer', () => {
    const cache = new ModelCache();
    for (const c of chunksOf('a@1', data, 4_000)) cache.receive(c);
    expect(cache.adopt('copy@1', sha(data).toUpperCase(), data.byteLength)).toEqual({ modelKey: 'copy@1', ok: true, message: '' });
    expect(cache.get('copy@1')).toBe(cache.get('a@1'));
    expect(cache.keys().sort()).toEqual(['a@1', 'copy@1']);
    expect(cache.bytes()).toBe(data.byteLength);
    // Forgetting the model that brought them leaves the adopted copy whole.
    cache.forget('a@1');
    expect(cache.get('copy@1')?.byteLength).toBe(data.byteLength);
  });

  it('refuses to adopt bytes it does not hold, saying the content is unknown', () => {
    const cache = new ModelCache();
    expect(cache.adopt('x@1', sha(data), data.byteLength)).toMatchObject({ ok: false, contentUnknown: true, message: expect.stringMatching(/no bytes with sha256/) });
    for (const c of chunksOf('a@1', data, 4_000)) cache.receive(c);
    expect(cache.adopt('x@1', sha(data), data.byteLength + 1)).toMatchObject({ ok: false, contentUnknown: true });
    expect(cache.has('x@1')).toBe(false);
  });

  it('a model given other bytes lets go of its old ones', () => {
    const cache = new ModelCache();
    const other = data.map((x) => 255 - x);
    for (const c of chunksOf('m@1', data, 4_000)) cache.receive(c);
    for (const c of chunksOf('m@1', other, 4_000)) cache.receive(c);
    expect(Buffer.from(cache.get('m@1')!).equals(Buffer.from(other))).toBe(true);
    expect(cache.contents()).toBe(1);
    expect(cache.bytes()).toBe(other.byteLength);
  });
});
