import { describe, expect, it } from 'vitest';
import { contentKey, newActivityCounters, ProcessActivity, SessionMemory } from './load-memory.js';

const MB = 1e6;

function bytesOf(n: number, seed: number): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = (i * 31 + seed * 7919) & 0xff;
  return b;
}

describe('ProcessActivity', () => {
  it('calls a measurement clean only when its request ran alone and nothing moved', () => {
    const counters = newActivityCounters();
    const mine = new ProcessActivity(counters);
    const other = new ProcessActivity(counters); // another thread, same counters

    mine.begin();
    let alone = mine.watch();
    expect(alone()).toBe(true);
    mine.end();

    // Another request starts and ends inside the measurement.
    mine.begin();
    alone = mine.watch();
    other.begin();
    other.end();
    expect(alone()).toBe(false);
    mine.end();

    // Another request was already running when it started.
    other.begin();
    mine.begin();
    alone = mine.watch();
    expect(alone()).toBe(false);
    other.end();
    mine.end();

    // Model bytes arrived meanwhile.
    mine.begin();
    alone = mine.watch();
    other.note();
    expect(alone()).toBe(false);
    mine.end();
  });
});

describe('contentKey', () => {
  it('is the same for copies and differs for other bytes, of the same length or not', () => {
    const a = bytesOf(3 * MB, 1);
    expect(contentKey(new Uint8Array(a))).toBe(contentKey(a));
    const b = new Uint8Array(a);
    const sampled = Math.floor((3 * MB) / 256) * 200; // the 200th of the 256 sampled windows
    b[sampled] = (b[sampled]! + 1) & 0xff;
    expect(contentKey(b)).not.toBe(contentKey(a));
    expect(contentKey(bytesOf(3 * MB - 1, 1))).not.toBe(contentKey(a));
    expect(contentKey(new Uint8Array(0))).toBe('0:811c9dc5');
  });
});

describe('SessionMemory', () => {
  const model = bytesOf(600_000, 2);
  const other = bytesOf(600_000, 3);

  it('reports the floor, the model size, for a reading that was blurred or came out lower', () => {
    const m = new SessionMemory();
    expect(m.report({ bytes: model, growth: undefined, optimized: true })).toBe(model.byteLength);
    expect(m.report({ bytes: model, growth: 100_000, optimized: true })).toBe(model.byteLength);
  });

  it("reports a copy's remembered growth when its own reading reused freed pages or was blurred", () => {
    const m = new SessionMemory();
    expect(m.report({ bytes: model, growth: 2 * MB, optimized: true })).toBe(2 * MB);
    expect(m.report({ bytes: new Uint8Array(model), growth: 0, optimized: true })).toBe(2 * MB);
    expect(m.report({ bytes: model, growth: undefined, optimized: true })).toBe(2 * MB);
    expect(m.report({ bytes: other, growth: undefined, optimized: true })).toBe(other.byteLength); // not another model's
  });

  it('does not remember loads from the raw bytes, which also pay one-time costs', () => {
    const m = new SessionMemory();
    expect(m.report({ bytes: model, growth: 29 * MB, optimized: false })).toBe(29 * MB);
    expect(m.report({ bytes: model, growth: undefined, optimized: false })).toBe(model.byteLength);
  });

  it('lets an inflated reading age out after `window` clean ones', () => {
    const m = new SessionMemory(3);
    m.report({ bytes: model, growth: 9 * MB, optimized: true });
    for (let i = 0; i < 2; i++) expect(m.report({ bytes: model, growth: 2 * MB, optimized: true })).toBe(9 * MB);
    expect(m.report({ bytes: model, growth: 2 * MB, optimized: true })).toBe(2 * MB);
  });
});
