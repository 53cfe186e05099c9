import { describe, expect, it } from 'vitest';
import { PunctualError, Status } from './errors.js';
import { FrameDecoder, frameHeader } from './length-frames.js';

function frame(body: Buffer): Buffer {
  return Buffer.concat([frameHeader(body.length), body]);
}

function bytes(n: number, seed: number): Buffer {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = (i * 31 + seed) & 0xff;
  return b;
}

describe('FrameDecoder', () => {
  it('hands back several frames merged into one chunk, in order, including an empty one', () => {
    const bodies = [bytes(5, 1), Buffer.alloc(0), bytes(300, 2)];
    const d = new FrameDecoder(1000);
    const frames = d.push(Buffer.concat(bodies.map(frame)));
    expect(frames).toEqual(bodies);
    expect(d.pendingBytes).toBe(0);
  });

  it('reassembles a frame split at every byte, header included', () => {
    const bodies = [bytes(70, 3), bytes(9, 4)];
    const stream = Buffer.concat(bodies.map(frame));
    const d = new FrameDecoder(1000);
    const got: Buffer[] = [];
    for (let i = 0; i < stream.length; i++) got.push(...d.push(stream.subarray(i, i + 1)));
    expect(got).toEqual(bodies);
    expect(d.pendingBytes).toBe(0);
  });

  it('keeps the tail of one frame that ends mid-chunk for the next', () => {
    const a = bytes(10, 5);
    const b = bytes(20, 6);
    const stream = Buffer.concat([frame(a), frame(b)]);
    const d = new FrameDecoder(100);
    expect(d.push(stream.subarray(0, 20))).toEqual([a]);
    expect(d.pendingBytes).toBe(2); // b's header is read; 2 of its 20 bytes are held
    expect(d.push(stream.subarray(20))).toEqual([b]);
  });

  it('accepts a frame exactly at the limit and refuses one over it from its header alone, then stays refused', () => {
    const d = new FrameDecoder(8);
    expect(d.push(frame(bytes(8, 7)))).toEqual([bytes(8, 7)]);
    let err: unknown;
    try {
      d.push(frameHeader(9)); // no body sent: refused before reading it
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(PunctualError);
    expect((err as PunctualError).code).toBe(Status.RESOURCE_EXHAUSTED);
    expect((err as PunctualError).message).toMatch(/9 bytes is over the limit of 8/);
    expect(d.pendingBytes).toBe(0);
    expect(() => d.push(frame(bytes(1, 8)))).toThrow(/over the limit/);
  });

  it('refuses a hostile 4 GiB header without allocating it', () => {
    const d = new FrameDecoder(1 << 20);
    expect(() => d.push(Buffer.from([0xff, 0xff, 0xff, 0xff]))).toThrow(/4294967295 bytes is over the limit/);
  });

  it('rejects lengths a header cannot carry', () => {
    expect(() => frameHeader(-1)).toThrow(RangeError);
    expect(() => frameHeader(2 ** 32)).toThrow(RangeError);
    expect(() => new FrameDecoder(1.5)).toThrow(RangeError);
  });
});
