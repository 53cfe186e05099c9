import crypto from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { decodeDataFrame, encodeDataFrame, MAX_HEADER_BYTES, newTicket, type DataMessage } from './data-frames.js';
import { PunctualError, Status } from './errors.js';
import { FrameDecoder } from './length-frames.js';

const TICKET = 'a'.repeat(32);

/** The frame's body, as a FrameDecoder hands it back from the encoded buffers. */
function body(message: DataMessage, tensors: Uint8Array[] = []): Buffer {
  const frames = new FrameDecoder(1 << 24).push(Buffer.concat(encodeDataFrame(message, tensors)));
  expect(frames).toHaveLength(1);
  return frames[0]!;
}

/** A body with this JSON header (as text) and payload. */
function raw(json: string, payload = Buffer.alloc(0)): Buffer {
  const j = Buffer.from(json, 'utf8');
  const len = Buffer.alloc(4);
  len.writeUInt32BE(j.length, 0);
  return Buffer.concat([len, j, payload]);
}

function refusal(b: Buffer): string {
  try {
    decodeDataFrame(b);
  } catch (err) {
    expect(err).toBeInstanceOf(PunctualError);
    expect((err as PunctualError).code).toBe(Status.INVALID_ARGUMENT);
    return (err as Error).message;
  }
  throw new Error('decoded');
}

describe('data frames', () => {
  it('carries a stage: the header as sent, each tensor its own bytes, as views into the frame', () => {
    const x = new Uint8Array(new Float32Array([1, 2, 3, 4, 5, 6]).buffer);
    const mask = new Uint8Array([1, 0, 1]);
    const msg: DataMessage = { kind: 'stage', ticket: TICKET, tensors: [{ name: 'x', dtype: 'float32', shape: [1, 2, 3] }, { name: 'm', dtype: 'bool', shape: [1, 3] }] };
    const b = body(msg, [x, mask]);
    const { message, tensors } = decodeDataFrame(b);
    expect(message).toEqual(msg);
    expect(tensors.map((t) => [t.name, t.dtype, t.shape])).toEqual([['x', 'float32', [1, 2, 3]], ['m', 'bool', [1, 3]]]);
    expect([...new Float32Array(new Uint8Array(tensors[0]!.data).buffer)]).toEqual([1, 2, 3, 4, 5, 6]);
    expect([...tensors[1]!.data]).toEqual([1, 0, 1]);
    expect(tensors[0]!.data.buffer).toBe(b.buffer); // not copied
  });

  it('carries an answer with its exec time, and a refusal without bytes', () => {
    const y = new Uint8Array(8).fill(7);
    const answer: DataMessage = { kind: 'answer', ticket: TICKET, tensors: [{ name: 'y', dtype: 'int64', shape: [1] }], execMs: 7.25 };
    expect(decodeDataFrame(body(answer, [y])).message).toEqual(answer);
    const refused: DataMessage = { kind: 'refused', ticket: TICKET, code: 'no_admission', message: 'no action names this ticket' };
    expect(decodeDataFrame(body(refused))).toEqual({ message: refused, tensors: [] });
  });

  it('will not encode bytes that do not match their header', () => {
    expect(() => encodeDataFrame({ kind: 'stage', ticket: TICKET, tensors: [{ name: 'x', dtype: 'float32', shape: [2] }] }, [new Uint8Array(7)])).toThrow(/7 bytes.*takes 8/);
    expect(() => encodeDataFrame({ kind: 'stage', ticket: TICKET, tensors: [] }, [new Uint8Array(1)])).toThrow(/names 0 tensors and carries 1/);
  });

  it('makes tickets of 32 hex characters that a frame accepts', () => {
    const t = newTicket(crypto.randomBytes);
    expect(t).toMatch(/^[0-9a-f]{32}$/);
    expect(decodeDataFrame(body({ kind: 'stage', ticket: t, tensors: [] })).message.ticket).toBe(t);
  });

  it('refuses every malformed header with INVALID_ARGUMENT naming what is wrong', () => {
    const stage = (extra: Record<string, unknown>) => JSON.stringify({ kind: 'stage', ticket: TICKET, tensors: [], ...extra });
    const cases: [Buffer, RegExp][] = [
      [Buffer.from([0, 0]), /too short/],
      [(() => { const b = Buffer.alloc(8); b.writeUInt32BE(MAX_HEADER_BYTES + 1, 0); return b; })(), /announces 65537 bytes; at most 65536/],
      [(() => { const b = Buffer.alloc(8); b.writeUInt32BE(100, 0); return b; })(), /announces 100 bytes but the frame holds 4/],
      [raw('{nope'), /not JSON/],
      [raw('[1,2]'), /must be a JSON object/],
      [raw('null'), /must be a JSON object/],
      [raw(JSON.stringify({ kind: 'launch', ticket: TICKET })), /kind must be stage, answer or refused, not "launch"/],
      [raw(JSON.stringify({ kind: 'stage', ticket: 'xyz', tensors: [] })), /ticket must be 32 hex characters, not "xyz"/],
      [raw(JSON.stringify({ kind: 'stage', tensors: [] })), /"ticket" must be a string/],
      [raw(stage({ admin: true })), /unknown field "admin"/],
      [raw(stage({ tensors: {} })), /"tensors" must be a list of at most 64/],
      [raw(stage({ tensors: Array.from({ length: 65 }, () => ({ name: 'x', dtype: 'int8', shape: [0] })) })), /at most 64/],
      [raw(stage({ tensors: [{ name: 'x', dtype: 'float128', shape: [1] }] })), /dtype "float128" is not one of/],
      [raw(stage({ tensors: [{ name: 'x', dtype: 'float32', shape: [-1] }] })), /every dimension must be a whole number/],
      [raw(stage({ tensors: [{ name: 'x', dtype: 'float32', shape: [1.5] }] })), /every dimension must be a whole number/],
      [raw(stage({ tensors: [{ name: 'x', dtype: 'float32', shape: Array(17).fill(1) }] })), /at most 16 dimensions/],
      [raw(stage({ tensors: [{ name: 'x', dtype: 'float32', shape: [2 ** 40, 2 ** 40] }] })), /too large/],
      [raw(stage({ tensors: [{ name: 'x'.repeat(300), dtype: 'float32', shape: [1] }] })), /300 characters; at most 256/],
      [raw(stage({ tensors: [{ name: 'x', dtype: 'float32', shape: [1], extra: 1 }] })), /unknown field "extra"/],
      [raw(stage({ tensors: [{ name: 'x', dtype: 'float32', shape: [4] }] }), Buffer.alloc(8)), /needs 16 bytes; the frame has 8 left/],
      [raw(stage({ tensors: [{ name: 'x', dtype: 'float32', shape: [1] }] }), Buffer.alloc(8)), /carries 8 bytes of tensors; its header names 4/],
      [raw(JSON.stringify({ kind: 'refused', ticket: TICKET, code: 'x', message: 'y' }), Buffer.alloc(1)), /carries 1 bytes after its header/],
      [raw(JSON.stringify({ kind: 'answer', ticket: TICKET, tensors: [], execMs: -1 })), /"execMs" must be a non-negative number/],
      [raw(JSON.stringify({ kind: 'refused', ticket: TICKET, code: 'x', message: 'm'.repeat(2000) })), /2000 characters; at most 1024/],
    ];
    for (const [b, message] of cases) expect(refusal(b)).toMatch(message);
  });

  it('never throws anything but INVALID_ARGUMENT on random bytes and random corruptions of a good frame', () => {
    const good = body({ kind: 'stage', ticket: TICKET, tensors: [{ name: 'x', dtype: 'float32', shape: [1, 4] }] }, [new Uint8Array(16)]);
    let seed = 7;
    const rand = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
    for (let i = 0; i < 2000; i++) {
      const b = i % 2 === 0 ? Buffer.from(Array.from({ length: Math.floor(rand() * 64) }, () => Math.floor(rand() * 256))) : Buffer.from(good);
      if (i % 2 === 1) for (let k = 0; k < 3; k++) b[Math.floor(rand() * b.length)] = Math.floor(rand() * 256);
      try {
        decodeDataFrame(b);
      } catch (err) {
        expect(err).toBeInstanceOf(PunctualError);
        expect((err as PunctualError).code).toBe(Status.INVALID_ARGUMENT);
      }
    }
  });
});
