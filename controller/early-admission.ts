// Admission from a request's first bytes. Every inference request's SLO
// clock starts when its headers arrive; the model, version, V2 `timeout`
// and input shape arrive in the first DATA frame, long before the rest of a
// 602 KB tensor. When admission would reject the request anyway, it is
// answered there and then (RESOURCE_EXHAUSTED, the same message as ever)
// and its stream reset, so the controller never reads, copies or decodes
// the tensor and the client stops sending it. Under a flood this is the
// difference between rejecting in a millisecond and queueing rejections for
// seconds (bench/overload.ts): a bare grpc-js server took ~0.6 of a core to
// reject 1,300 det requests a second, 0.17 with the check in front of it.
//
// It only ever rejects what the normal path would reject: anything it cannot
// read with certainty (compressed, malformed, unknown model, no SLO it can
// trust, a bad token, a draining controller) goes on to grpc-js and the
// handlers, which check everything and admit for real. It also stamps each
// stream's arrival time into its headers (controller/arrival.ts).
import http2 from 'node:http2';
import * as grpc from '@grpc/grpc-js';
import type { Clock } from '../common/clock.js';
import { capMessage } from '../common/bounded-text.js';
import type { PunctualError } from '../common/errors.js';
import { MAX_SLO_MS, parseModelVersion } from '../common/model-config.js';
import type { StreamGate } from '../common/protos.js';
import { ARRIVAL_KEY, sloFromArrival } from './arrival.js';
import type { Authorizer } from './auth.js';
import type { ServedModel } from './model-registry.js';
import { peekRequest, type PeekedRequest } from './request-peek.js';
import type { ServingCore } from './serving-core.js';

/** Paths checked early, and which message they carry. */
const GATED: Record<string, 'v1' | 'v2'> = {
  '/inference.GRPCInferenceService/ModelInfer': 'v2',
  '/punctual.v1.Inference/Infer': 'v1',
};

/** A punctual.v1 request's SLO as a header: PunctualClient sends it beside slo_ms, which comes after the tensors. */
export const SLO_HEADER = 'punctual-slo-ms';

/** Bytes of a request's start read at most. */
const PEEK_BYTES = 64 * 1024;
/** How long the first bytes are waited for at most before the request goes on unread, ms. */
const PEEK_WAIT_MS = 1000;

const TIMEOUT_UNITS_MS: Record<string, number> = { H: 3_600_000, M: 60_000, S: 1000, m: 1, u: 0.001, n: 0.000001 };

/** A grpc-timeout header ("100m", "5S") in ms, or undefined. */
export function grpcTimeoutMs(v: string | string[] | undefined): number | undefined {
  const m = typeof v === 'string' ? /^(\d{1,8})([HMSmun])$/.exec(v) : null;
  return m ? Number(m[1]) * TIMEOUT_UNITS_MS[m[2]!]! : undefined;
}

export interface EarlyAdmissionDeps {
  core: ServingCore;
  auth: Authorizer;
  clock: Clock;
}

export function earlyAdmission(deps: EarlyAdmissionDeps): StreamGate {
  const { core, auth, clock } = deps;
  /** The model a peeked request names, when it resolves. */
  const modelOf = (protocol: 'v1' | 'v2', p: PeekedRequest): ServedModel | undefined => {
    let version = 0;
    if (p.version !== '' && p.version !== '0') {
      const v = parseModelVersion(p.version);
      if (v === undefined) return undefined;
      version = v;
    } else if (protocol === 'v2' && p.version === '0') return undefined; // V2 versions are 1..; let the handler say so
    try {
      return core.registry.resolve(p.model, version);
    } catch {
      return undefined;
    }
  };

  /** The SLO the handler would use (the same precedence: sloFromArrival), or undefined when it cannot be known from here. */
  const sloOf = (protocol: 'v1' | 'v2', p: PeekedRequest, headers: http2.IncomingHttpHeaders, model: ServedModel, arrival: number): number | undefined => {
    const deadline = grpcTimeoutMs(headers['grpc-timeout']);
    let own: number | undefined;
    // V2 timeout 0 is "no timeout" (as Triton): the deadline, else the model's default, as the handler does.
    if (protocol === 'v2' && p.timeoutUs !== undefined && p.timeoutUs !== 0) own = p.timeoutUs / 1000;
    if (protocol === 'v1') {
      const h = headers[SLO_HEADER];
      if (typeof h === 'string') own = Number(h);
      // Without the header the body's slo_ms is unknown here: only the deadline bounds it.
      else if (deadline === undefined) return undefined;
    }
    if (own !== undefined && !(own > 0 && own <= MAX_SLO_MS)) return undefined;
    return sloFromArrival(own, deadline === undefined ? Infinity : Date.now() + deadline, model.config.defaultSloMs, arrival, clock);
  };

  /** The error to answer with, when admission would reject this request now. */
  const verdict = (protocol: 'v1' | 'v2', p: PeekedRequest, headers: http2.IncomingHttpHeaders, arrival: number): PunctualError | undefined => {
    if (core.draining) return undefined;
    if (auth.check(grpc.Metadata.fromHttp2Headers(headers), 'infer')) return undefined;
    const model = modelOf(protocol, p);
    if (!model) return undefined;
    let n = 1;
    const spec = model.config.inputs[0];
    if (protocol === 'v2' && p.firstShape && spec) {
      // Without its batch axis the handler refuses it (INVALID_ARGUMENT): not admission's to answer.
      if (p.firstShape.length !== spec.shape.length + 1) return undefined;
      n = p.firstShape[0]!;
    }
    if (!(Number.isSafeInteger(n) && n >= 1 && n <= model.config.maxBatch)) return undefined;
    const slo = sloOf(protocol, p, headers, model, arrival);
    if (slo === undefined) return undefined;
    return core.rejectEarly(model, n, slo, arrival);
  };

  const answer = (stream: http2.ServerHttp2Stream, err: PunctualError): void => {
    try {
      stream.respond(
        {
          ':status': 200,
          'content-type': 'application/grpc+proto',
          'grpc-status': String(err.code),
          'grpc-message': encodeURI(capMessage(err.message)),
          ...(err.reason ? { 'punctual-reason': err.reason } : {}),
        },
        { endStream: true },
      );
      // The answer is complete: ask the client to stop sending the rest of the request (RFC 9113 §8.1).
      stream.close(http2.constants.NGHTTP2_NO_ERROR);
    } catch {
      // the client is gone already
    }
  };

  return (stream, headers, pass) => {
    const arrival = clock.now();
    headers[ARRIVAL_KEY] = String(arrival);
    const protocol = GATED[String(headers[':path'])];
    if (!protocol || stream.endAfterHeaders) {
      pass();
      return;
    }
    let decided = false;
    const finish = (chunk: Buffer | null, p: PeekedRequest | undefined): void => {
      if (decided) return;
      decided = true;
      clearTimeout(timer);
      stream.removeListener('readable', onReadable);
      stream.removeListener('close', onClose);
      const err = p ? verdict(protocol, p, headers, arrival) : undefined;
      if (err) {
        answer(stream, err);
        // Nobody reads the request: what is left of it is dropped as it comes, so that the stream
        // ends and Node frees it. A stream closed with NO_ERROR waits for its readable side to end,
        // and one holding unread bytes (put back, or still arriving) never did: every rejected
        // request kept its stream and first bytes, ~20 KB, for good (2.3 GB after 93,000).
        stream.resume();
        return;
      }
      // Put the bytes back in the same tick they were read: the stream cannot have ended meanwhile.
      if (chunk) stream.unshift(chunk);
      pass();
    };
    // One look at what has arrived with the first data (one read() returns all of it): decide
    // from it, or let the request through. Reading an empty buffer would end the stream
    // before grpc-js listens, so an empty one waits for the next event.
    const onReadable = (): void => {
      if (decided || stream.readableLength === 0) return;
      const chunk = stream.read() as Buffer | null;
      const p = chunk ? peekRequest(protocol, chunk, PEEK_BYTES) : undefined;
      finish(chunk, p?.type === 'request' ? p : undefined);
    };
    const onClose = (): void => {
      decided = true;
      clearTimeout(timer);
    };
    const timer = setTimeout(() => finish(null, undefined), PEEK_WAIT_MS);
    // A peer's reset (or any stream error) while nobody else listens must not take the process
    // down; grpc-js adds its own listener once the stream is passed on.
    stream.on('error', () => undefined);
    stream.on('readable', onReadable);
    stream.once('close', onClose);
  };
}
