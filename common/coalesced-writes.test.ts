// Coalesced writes: a message goes out at once when nothing is in flight;
// those sent meanwhile leave together, in order, when the write in flight
// finishes; packRuns folds runs of one kind into batches within their
// limits and keeps every other message in its place.
import { describe, expect, it } from 'vitest';
import { CoalescedWrites, PACK_MAX_BYTES, PACK_MAX_ITEMS, packRuns, tensorBytes } from './coalesced-writes.js';

type Msg = { item?: { n: number; bytes?: number } } | { other: string } | { batch: { n: number; bytes?: number }[] };

const pack = packRuns<Msg, { n: number; bytes?: number }>(
  (m) => ('item' in m ? m.item : undefined),
  (items) => ({ batch: items }),
  (i) => i.bytes ?? 0,
);

/** A stream whose writes finish only when the test says so. */
function stream(): { written: Msg[]; finish: () => void; pending: () => number; w: CoalescedWrites<Msg> } {
  const written: Msg[] = [];
  const callbacks: (() => void)[] = [];
  const w = new CoalescedWrites<Msg>((m, done) => {
    written.push(m);
    callbacks.push(done);
  }, pack);
  return { written, finish: () => callbacks.shift()!(), pending: () => callbacks.length, w };
}

describe('CoalescedWrites', () => {
  it('writes at once while idle, and what comes during a write in one message after it', () => {
    const s = stream();
    s.w.send({ item: { n: 1 } });
    expect(s.written).toEqual([{ item: { n: 1 } }]);
    s.w.send({ item: { n: 2 } });
    s.w.send({ item: { n: 3 } });
    s.w.send({ item: { n: 4 } });
    expect(s.written).toHaveLength(1); // waiting behind the first
    expect(s.w.waiting).toBe(3);
    s.finish();
    expect(s.written).toEqual([{ item: { n: 1 } }, { batch: [{ n: 2 }, { n: 3 }, { n: 4 }] }]);
    expect(s.w.waiting).toBe(0);
    s.finish();
    // Idle again: the next goes alone, at once.
    s.w.send({ item: { n: 5 } });
    expect(s.written.at(-1)).toEqual({ item: { n: 5 } });
    expect(s.w.writes).toBe(3);
  });

  it('keeps other messages in their place between runs, and a lone item unbatched', () => {
    const s = stream();
    s.w.send({ other: 'first' });
    s.w.send({ item: { n: 1 } });
    s.w.send({ item: { n: 2 } });
    s.w.send({ other: 'ping' });
    s.w.send({ item: { n: 3 } });
    s.finish();
    expect(s.written).toEqual([{ other: 'first' }, { batch: [{ n: 1 }, { n: 2 }] }, { other: 'ping' }, { item: { n: 3 } }]);
    // Only the last of a flush's writes carries on: three in flight, the next waits for the last.
    s.finish();
    s.finish();
    s.w.send({ item: { n: 4 } });
    expect(s.written).toHaveLength(4);
    s.finish();
    expect(s.written.at(-1)).toEqual({ item: { n: 4 } });
  });

  it('carries on after a failed write (its callback still comes) and loses nothing sent', () => {
    const written: Msg[] = [];
    const w = new CoalescedWrites<Msg>((m, done) => {
      written.push(m);
      queueMicrotask(done); // a failed stream calls back with its error
    }, pack);
    for (let n = 0; n < 5; n++) w.send({ item: { n } });
    return new Promise<void>((resolve) => {
      setImmediate(() => {
        const items = written.flatMap((m) => ('batch' in m ? m.batch : 'item' in m && m.item ? [m.item] : []));
        expect(items.map((i) => i.n)).toEqual([0, 1, 2, 3, 4]);
        expect(w.waiting).toBe(0);
        resolve();
      });
    });
  });
});

describe('packRuns', () => {
  it('splits a run at PACK_MAX_ITEMS items', () => {
    const queued: Msg[] = Array.from({ length: PACK_MAX_ITEMS + 3 }, (_, n) => ({ item: { n } }));
    const out = pack(queued);
    expect(out).toHaveLength(2);
    expect((out[0] as { batch: unknown[] }).batch).toHaveLength(PACK_MAX_ITEMS);
    expect((out[1] as { batch: unknown[] }).batch).toHaveLength(3);
  });

  it('splits a run at PACK_MAX_BYTES of data; an item over the limit goes alone', () => {
    const half = PACK_MAX_BYTES / 2;
    const out = pack([{ item: { n: 1, bytes: half } }, { item: { n: 2, bytes: half } }, { item: { n: 3, bytes: 1 } }, { item: { n: 4, bytes: PACK_MAX_BYTES * 2 } }, { item: { n: 5, bytes: 1 } }]);
    expect(out).toEqual([{ batch: [{ n: 1, bytes: half }, { n: 2, bytes: half }] }, { item: { n: 3, bytes: 1 } }, { item: { n: 4, bytes: PACK_MAX_BYTES * 2 } }, { item: { n: 5, bytes: 1 } }]);
  });

  it('counts tensor bytes of buffers and strings', () => {
    expect(tensorBytes([{ data: new Uint8Array(10) }, { data: 'abc' }, { data: null }, {}])).toBe(13);
    expect(tensorBytes(undefined)).toBe(0);
  });
});
