// Length-prefixed frames over a byte stream (a TCP socket, a pipe): each
// frame is a 4-byte big-endian length and that many bytes. A stream hands
// bytes over in chunks that need not line up with frames (one chunk can hold
// several frames, or a frame can span many chunks), so the decoder buffers
// what it has been given and hands back whole frames. What it buffers is
// bounded: a header announcing more than maxFrameBytes is refused before any
// of its body is read, and the decoder stays refused (the stream has lost its
// framing; the caller closes it). Used by bench/transports.ts to measure a
// raw loopback copy of det's payloads, the floor a worker-stream transport is
// compared with (issue 13).
import { PunctualError, Status } from './errors.js';

export const FRAME_HEADER_BYTES = 4;
/** Largest length a header can carry. */
export const MAX_FRAME_BYTES = 0xffff_ffff;

/** The header to write before a frame of `length` bytes. */
export function frameHeader(length: number): Buffer {
  if (!Number.isInteger(length) || length < 0 || length > MAX_FRAME_BYTES) {
    throw new RangeError(`frame length must be an integer in 0..${MAX_FRAME_BYTES}, got ${length}`);
  }
  const h = Buffer.allocUnsafe(FRAME_HEADER_BYTES);
  h.writeUInt32BE(length, 0);
  return h;
}

export class FrameDecoder {
  private chunks: Buffer[] = [];
  private buffered = 0;
  /** Body length of the frame being read, or -1 while its header is not in. */
  private need = -1;
  private refused: PunctualError | undefined;

  constructor(readonly maxFrameBytes: number) {
    if (!Number.isInteger(maxFrameBytes) || maxFrameBytes < 0 || maxFrameBytes > MAX_FRAME_BYTES) {
      throw new RangeError(`maxFrameBytes must be an integer in 0..${MAX_FRAME_BYTES}, got ${maxFrameBytes}`);
    }
  }

  /** Bytes held for a frame not yet complete (a header already read is not counted). */
  get pendingBytes(): number {
    return this.buffered;
  }

  /** Takes the next chunk of the stream; returns the frames it completes, in order. */
  push(chunk: Buffer): Buffer[] {
    if (this.refused) throw this.refused;
    if (chunk.length > 0) {
      this.chunks.push(chunk);
      this.buffered += chunk.length;
    }
    const frames: Buffer[] = [];
    for (;;) {
      if (this.need < 0) {
        if (this.buffered < FRAME_HEADER_BYTES) break;
        const length = this.take(FRAME_HEADER_BYTES).readUInt32BE(0);
        if (length > this.maxFrameBytes) {
          this.chunks = [];
          this.buffered = 0;
          this.refused = new PunctualError(
            Status.RESOURCE_EXHAUSTED,
            `a frame of ${length} bytes is over the limit of ${this.maxFrameBytes} bytes; the stream is closed`,
            'frame_too_large',
          );
          throw this.refused;
        }
        this.need = length;
      }
      if (this.buffered < this.need) break;
      frames.push(this.take(this.need));
      this.need = -1;
    }
    return frames;
  }

  /** The next n buffered bytes: a view when one chunk holds them, else one copy. */
  private take(n: number): Buffer {
    if (n === 0) return Buffer.alloc(0);
    const first = this.chunks[0]!;
    let out: Buffer;
    if (first.length >= n) {
      out = first.subarray(0, n);
      if (first.length === n) this.chunks.shift();
      else this.chunks[0] = first.subarray(n);
    } else {
      out = Buffer.allocUnsafe(n);
      let off = 0;
      while (off < n) {
        const c = this.chunks[0]!;
        const k = Math.min(c.length, n - off);
        c.copy(out, off, 0, k);
        if (k === c.length) this.chunks.shift();
        else this.chunks[0] = c.subarray(k);
        off += k;
      }
    }
    this.buffered -= n;
    return out;
  }
}
