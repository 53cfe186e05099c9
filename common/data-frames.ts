// The data plane's messages (issue 13 point 3): tensors travel between a
// client of our library and the worker the controller names, over a plain
// socket in length-prefixed frames (common/length-frames.ts), instead of
// through the controller. `--only transports` chose it: det's 602 KB in and
// 200 KB out took 0.25-0.31 ms p50 as raw TCP frames against 1.9-2.1 ms as a
// grpc-js unary call.
//
// A frame's body is a 4-byte big-endian length, a JSON header of that many
// bytes (the message: what it is, its ticket, its tensors' names, dtypes and
// shapes), then the tensors' bytes back to back, in the header's order. The
// bytes are never in the JSON, so a 602 KB tensor is written with the header
// in one writev and read as a view into the frame, not copied or encoded. The
// header is small and checked field by field before anything is sized from
// it: a header that is not exactly one of these messages is a protocol error,
// named, and the stream is closed.
//
//   client -> worker   stage    {ticket, tensors}      bytes: the request's inputs
//   worker -> client   answer   {ticket, tensors, execMs}  bytes: its outputs
//   worker -> client   refused  {ticket, code, message}    a stage it will not run
//
// A ticket is 16 random bytes (32 hex characters) the controller makes for one
// admitted request and gives only to its client and to the worker whose action
// names it: a stage with a ticket no action names is refused.
import { clipped, dims, quoted } from './bounded-text.js';
import { bytesPerElement, elementCount, isDType, type DType } from './dtype.js';
import { frameHeader, FRAME_HEADER_BYTES } from './length-frames.js';
import { invalidArgument } from './errors.js';
import { MAX_RANK, type WireTensor } from './tensor.js';

/** Bytes a frame's JSON header may take, at most. */
export const MAX_HEADER_BYTES = 64 * 1024;
/** Tensors one message may carry, at most. */
export const MAX_TENSORS = 64;
/** Characters of a tensor's name, and of a refusal's code and message, at most. */
const MAX_NAME_CHARS = 256;
const MAX_TEXT_CHARS = 1024;

/** What a frame carries about one tensor: its bytes follow the header. */
export interface TensorHeader {
  name: string;
  dtype: DType;
  shape: number[];
}

export type DataMessage =
  | { kind: 'stage'; ticket: string; tensors: TensorHeader[] }
  | { kind: 'answer'; ticket: string; tensors: TensorHeader[]; execMs: number }
  | { kind: 'refused'; ticket: string; code: string; message: string };

/** A decoded frame: the message and, for stage and answer, its tensors with their bytes (views into the frame). */
export interface DataFrame {
  message: DataMessage;
  tensors: WireTensor[];
}

/** A new ticket: 16 random bytes as 32 lower-case hex characters. */
export function newTicket(random: (n: number) => Buffer): string {
  return random(16).toString('hex');
}

const TICKET = /^[0-9a-f]{32}$/;

/**
 * The buffers to write, in order, for `message` and its tensors' bytes (for
 * stage and answer, one per tensor header, same order): the frame header, the
 * JSON header's length and the JSON, then the bytes as they are.
 */
export function encodeDataFrame(message: DataMessage, tensors: readonly Uint8Array[] = []): Buffer[] {
  const headers = message.kind === 'refused' ? [] : message.tensors;
  if (headers.length !== tensors.length) throw new Error(`a ${message.kind} frame names ${headers.length} tensors and carries ${tensors.length}`);
  const json = Buffer.from(JSON.stringify(message), 'utf8');
  if (json.length > MAX_HEADER_BYTES) throw new Error(`a ${message.kind} frame's header takes ${json.length} bytes; at most ${MAX_HEADER_BYTES}`);
  let payload = 0;
  headers.forEach((h, i) => {
    const want = elementCount(h.shape) * bytesPerElement(h.dtype);
    if (tensors[i]!.byteLength !== want) throw new Error(`tensor ${h.name} carries ${tensors[i]!.byteLength} bytes; its shape ${dims(h.shape)} of ${h.dtype} takes ${want}`);
    payload += want;
  });
  const jsonLength = Buffer.allocUnsafe(FRAME_HEADER_BYTES);
  jsonLength.writeUInt32BE(json.length, 0);
  const out = [frameHeader(FRAME_HEADER_BYTES + json.length + payload), jsonLength, json];
  for (const t of tensors) out.push(Buffer.from(t.buffer, t.byteOffset, t.byteLength));
  return out;
}

/** Reads one frame's body (what FrameDecoder hands back); throws INVALID_ARGUMENT naming what is wrong. */
export function decodeDataFrame(body: Buffer): DataFrame {
  if (body.length < FRAME_HEADER_BYTES) throw invalidArgument(`a data frame of ${body.length} bytes is too short for its header's length`);
  const jsonLength = body.readUInt32BE(0);
  if (jsonLength > MAX_HEADER_BYTES) throw invalidArgument(`a data frame's header announces ${jsonLength} bytes; at most ${MAX_HEADER_BYTES}`);
  if (FRAME_HEADER_BYTES + jsonLength > body.length) throw invalidArgument(`a data frame's header announces ${jsonLength} bytes but the frame holds ${body.length - FRAME_HEADER_BYTES}`);
  let raw: unknown;
  try {
    raw = JSON.parse(body.subarray(FRAME_HEADER_BYTES, FRAME_HEADER_BYTES + jsonLength).toString('utf8'));
  } catch (err) {
    throw invalidArgument(`a data frame's header is not JSON (${clipped(err instanceof Error ? err.message : String(err), 120)})`);
  }
  const message = checkMessage(raw);
  const payload = body.subarray(FRAME_HEADER_BYTES + jsonLength);
  const tensors: WireTensor[] = [];
  if (message.kind === 'refused') {
    if (payload.length > 0) throw invalidArgument(`a refused frame carries ${payload.length} bytes after its header; it carries none`);
    return { message, tensors };
  }
  let offset = 0;
  for (const h of message.tensors) {
    const n = elementCount(h.shape) * bytesPerElement(h.dtype);
    if (offset + n > payload.length) throw invalidArgument(`tensor ${quoted(h.name)} (${h.dtype}${dims(h.shape)}) needs ${n} bytes; the frame has ${payload.length - offset} left`);
    tensors.push({ name: h.name, dtype: h.dtype, shape: h.shape, data: payload.subarray(offset, offset + n) });
    offset += n;
  }
  if (offset !== payload.length) throw invalidArgument(`a ${message.kind} frame carries ${payload.length} bytes of tensors; its header names ${offset}`);
  return { message, tensors };
}

function record(v: unknown, what: string): Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw invalidArgument(`${what} must be a JSON object`);
  return v as Record<string, unknown>;
}

function text(o: Record<string, unknown>, key: string, max: number, what: string): string {
  const v = o[key];
  if (typeof v !== 'string') throw invalidArgument(`${what}: "${key}" must be a string`);
  if (v.length > max) throw invalidArgument(`${what}: "${key}" has ${v.length} characters; at most ${max}`);
  return v;
}

function onlyKeys(o: Record<string, unknown>, keys: readonly string[], what: string): void {
  for (const k of Object.keys(o)) if (!keys.includes(k)) throw invalidArgument(`${what}: unknown field ${quoted(k)}`);
}

function checkTensor(v: unknown, i: number): TensorHeader {
  const what = `tensor ${i}`;
  const o = record(v, what);
  onlyKeys(o, ['name', 'dtype', 'shape'], what);
  const name = text(o, 'name', MAX_NAME_CHARS, what);
  const dtype = text(o, 'dtype', 16, what);
  if (!isDType(dtype)) throw invalidArgument(`${what} (${quoted(name)}): dtype ${quoted(dtype)} is not one of the wire's dtypes`);
  const shape = o.shape;
  if (!Array.isArray(shape) || shape.length > MAX_RANK) throw invalidArgument(`${what} (${quoted(name)}): shape must be a list of at most ${MAX_RANK} dimensions`);
  for (const d of shape) {
    if (!Number.isSafeInteger(d) || (d as number) < 0) throw invalidArgument(`${what} (${quoted(name)}): every dimension must be a whole number from 0 to 2^53 - 1`);
  }
  const count = elementCount(shape as number[]) * bytesPerElement(dtype);
  if (!Number.isSafeInteger(count)) throw invalidArgument(`${what} (${quoted(name)}): shape ${dims(shape as number[])} is too large`);
  return { name, dtype, shape: shape as number[] };
}

function checkMessage(raw: unknown): DataMessage {
  const o = record(raw, "a data frame's header");
  const kind = o.kind;
  const what = `a ${typeof kind === 'string' ? clipped(kind, 32) : 'data'} frame`;
  const ticket = text(o, 'ticket', 64, what);
  if (!TICKET.test(ticket)) throw invalidArgument(`${what}: its ticket must be 32 hex characters, not ${quoted(ticket)}`);
  if (kind === 'refused') {
    onlyKeys(o, ['kind', 'ticket', 'code', 'message'], what);
    return { kind, ticket, code: text(o, 'code', 64, what), message: text(o, 'message', MAX_TEXT_CHARS, what) };
  }
  if (kind !== 'stage' && kind !== 'answer') throw invalidArgument(`a data frame's kind must be stage, answer or refused, not ${typeof kind === 'string' ? quoted(kind) : typeof kind}`);
  onlyKeys(o, kind === 'stage' ? ['kind', 'ticket', 'tensors'] : ['kind', 'ticket', 'tensors', 'execMs'], what);
  const list = o.tensors;
  if (!Array.isArray(list) || list.length > MAX_TENSORS) throw invalidArgument(`${what}: "tensors" must be a list of at most ${MAX_TENSORS}`);
  const tensors = list.map(checkTensor);
  if (kind === 'stage') return { kind, ticket, tensors };
  const execMs = o.execMs;
  if (typeof execMs !== 'number' || !Number.isFinite(execMs) || execMs < 0) throw invalidArgument(`${what}: "execMs" must be a non-negative number`);
  return { kind, ticket, tensors, execMs };
}
