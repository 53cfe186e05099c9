// REST's answer before the body: the V2 REST twin of the gRPC gate
// (controller/early-admission.ts). A det request is 602 KB, but with the
// binary-data extension everything admission needs — the model (the URL),
// the SLO (the Punctual-Timeout-Ms header, the JSON's parameters.timeout)
// and the batch (the JSON's input shapes) — sits in the body's first
// Inference-Header-Content-Length bytes, the JSON header. This preParsing
// hook reads only those bytes, hands them to `decide` (v2-routes.ts runs
// the normal path's own checks on them), and when that says the request
// is rejected, the 429 leaves before the tensor bytes have been read.
//
// It only ever answers what the normal path would answer; everything it
// cannot be sure of goes on unread, with the bytes it looked at put back
// in front of the stream: no Content-Length (chunked), a body over the
// limit (413 there), a header length that is not a count within the body
// or over PEEK_BYTES (400 or a normal read there), a JSON header that has
// not arrived within PEEK_WAIT_MS.
//
// After an early answer the rest of the body is read and dropped, not left
// on the socket: an HTTP/1.1 connection carries the next request only after
// this one's body, and an unread body would stop the socket (Node pauses it
// when the request's buffer fills) until the request timeout closed it.
// Closing instead would lose answers: a server that closes with the
// client's bytes unread resets the connection, and the client may see the
// reset before the 429. Dropping is bounded by the body limit and the
// request timeout, like any body.
import type { IncomingMessage } from 'node:http';
import { Readable } from 'node:stream';
import type { FastifyReply, FastifyRequest, preParsingHookHandler } from 'fastify';

/** Longest JSON header read before deciding, bytes; a longer one goes on to the normal path. */
export const PEEK_BYTES = 64 * 1024;
/** How long the JSON header is waited for at most before the request goes on, ms. */
export const PEEK_WAIT_MS = 1000;

/** What the hook found: the JSON header's bytes and how many binary bytes follow it (Content-Length minus the header). */
export interface RestPeek {
  header: Buffer;
  binaryBytes: number;
}

/** Answers the request on `reply` and returns true, or returns false to let it go on to the normal path. */
export type EarlyDecision = (req: FastifyRequest, reply: FastifyReply, peek: RestPeek) => boolean;

/** A header's value as a byte count (digits only), else undefined. */
function byteCount(v: string | string[] | undefined): number | undefined {
  if (typeof v !== 'string' || !/^\s*\d{1,15}\s*$/.test(v)) return undefined;
  return Number(v);
}

/** The JSON header's length when this request can be judged from it, else undefined. */
function peekable(req: FastifyRequest, bodyLimit: number): { headerBytes: number; bodyBytes: number } | undefined {
  const body = byteCount(req.headers['content-length']);
  const head = byteCount(req.headers['inference-header-content-length']);
  if (body === undefined || head === undefined) return undefined;
  if (body > bodyLimit || head < 1 || head > body || head > PEEK_BYTES) return undefined;
  if (req.headers['transfer-encoding'] !== undefined) return undefined;
  return { headerBytes: head, bodyBytes: body };
}

/**
 * Waits for the first `n` bytes of `stream`, then puts everything it read
 * back in front of it (in the same tick it was read, so the stream cannot
 * have ended meanwhile) and resolves those bytes; undefined when they did not
 * come within `waitMs` or the stream ended or failed first. `replaced` is set
 * when the stream ended before n bytes: then the bytes read cannot go back,
 * and travel in a new stream.
 */
function peekStream(stream: IncomingMessage, n: number, waitMs: number): Promise<{ bytes?: Buffer; replaced?: Readable }> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let have = 0;
    let settled = false;
    const finish = (out: { bytes?: Buffer; replaced?: Readable }): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      stream.removeListener('readable', onReadable);
      stream.removeListener('end', onEnd);
      stream.removeListener('error', onFail);
      stream.removeListener('close', onFail);
      resolve(out);
    };
    const putBack = (): Buffer => {
      const all = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, have);
      if (have > 0) stream.unshift(all);
      return all;
    };
    const onReadable = (): void => {
      if (settled) return;
      for (let c = stream.read() as Buffer | null; c !== null; c = stream.read() as Buffer | null) {
        chunks.push(c);
        have += c.byteLength;
        if (have >= n) break;
      }
      if (have >= n) finish({ bytes: putBack() });
    };
    // Shorter than its header claims: the normal path says so (400), from these bytes.
    const onEnd = (): void => finish({ replaced: Readable.from(chunks.length > 0 ? [Buffer.concat(chunks, have)] : []) });
    const onFail = (): void => finish({});
    const timer = setTimeout(() => {
      if (!settled) {
        putBack();
        finish({});
      }
    }, waitMs);
    stream.on('readable', onReadable);
    stream.once('end', onEnd);
    stream.once('error', onFail);
    stream.once('close', onFail);
  });
}

/** The rest of an answered request's body, read and dropped. */
function dropBody(raw: IncomingMessage): void {
  if (raw.readableEnded || raw.destroyed) return;
  raw.on('error', () => undefined);
  raw.resume();
}

/**
 * The preParsing hook for the binary-data extension's infer routes: answers
 * through `decide` before the body when it can, else leaves the body to the
 * route's parser untouched.
 */
export function earlyRejection(decide: EarlyDecision, opts: { bodyLimit: number; waitMs?: number }): preParsingHookHandler {
  const waitMs = opts.waitMs ?? PEEK_WAIT_MS;
  // Callback style: an answered request's chain stops here (done is never called), whatever
  // onSend hooks may still be doing with the answer.
  return (req, reply, payload, done) => {
    const at = peekable(req, opts.bodyLimit);
    // Only the raw request can take its bytes back; another hook's stream goes on as it is.
    if (!at || payload !== req.raw || req.raw.readableEnded) {
      done(null, payload);
      return;
    }
    void peekStream(req.raw, at.headerBytes, waitMs).then(({ bytes, replaced }) => {
      if (replaced) return done(null, replaced);
      if (!bytes) return done(null, payload);
      let answered: boolean;
      try {
        answered = decide(req, reply, { header: bytes.subarray(0, at.headerBytes), binaryBytes: at.bodyBytes - at.headerBytes });
      } catch (err) {
        return done(err as Error, payload);
      }
      if (!answered) return done(null, payload);
      dropBody(req.raw);
    });
  };
}
