// One table from what a server answered to how a replay counts it: a
// rejection at admission, a late answer, or an error, with a reason. It has
// to read servers that say "no" differently:
//
//   Punctual        RESOURCE_EXHAUSTED / HTTP 429 + reason (`punctual-reason`: slo_unattainable, model_too_large)
//   Triton          UNAVAILABLE / HTTP 503 "Exceeds maximum queue size" (a full queue: max_queue_size)
//                   UNAVAILABLE / HTTP 503 "Request timeout expired" (dropped from the queue at its `timeout`)
//   KServe, MLServer, gateways   HTTP 429 (rate limits), 503 (no capacity), 504 (gateway timeout)
//
// RESOURCE_EXHAUSTED and 429 are rejections; a full queue is one too (the
// request was turned away on arrival, just with another status). A request
// dropped for its deadline is late. Any other 503 or UNAVAILABLE is an
// error (the server or the way to it was not there), as a replay over
// punctual.v1 counts it (traces/summary.ts outcomeOfStatus).
import { status as Status } from '@grpc/grpc-js';
import { outcomeOfStatus } from '../summary.js';
import type { Failure } from './target.js';

/** Triton's message for a full queue (max_queue_size), on both transports. */
const QUEUE_FULL = /exceeds maximum queue size/i;
/** Triton's message for a request dropped from the queue at its timeout. */
const QUEUE_TIMEOUT = /request timeout expired/i;

/** Longest server message kept, characters (it goes into every requests.jsonl line). */
const MAX_MESSAGE = 300;

function clip(message: string): string {
  return message.length > MAX_MESSAGE ? `${message.slice(0, MAX_MESSAGE)}…` : message;
}

/** A failure read from a gRPC status, its details and the `punctual-reason` trailer (when sent). */
export function grpcFailure(code: number, details: string, reason?: string): Failure {
  const name = Status[code] ?? `STATUS_${code}`;
  const message = clip(details);
  if (code === Status.UNAVAILABLE && reason === undefined) {
    if (QUEUE_FULL.test(details)) return { status: 'rejected', code: name, reason: 'queue_full', message };
    if (QUEUE_TIMEOUT.test(details)) return { status: 'late', code: name, reason: 'queue_timeout', message };
  }
  const status = outcomeOfStatus(name);
  const fallback = code === Status.DEADLINE_EXCEEDED ? 'deadline' : name.toLowerCase();
  return { status, code: name, reason: reason ?? fallback, message };
}

/** The gRPC status an HTTP status stands for (as Triton and KServe map them), for the outcome. */
function statusOfHttp(http: number): Status {
  switch (http) {
    case 400:
      return Status.INVALID_ARGUMENT;
    case 401:
      return Status.UNAUTHENTICATED;
    case 403:
      return Status.PERMISSION_DENIED;
    case 404:
      return Status.NOT_FOUND;
    case 408:
    case 504:
      return Status.DEADLINE_EXCEEDED;
    case 429:
      return Status.RESOURCE_EXHAUSTED;
    case 501:
      return Status.UNIMPLEMENTED;
    case 502:
    case 503:
      return Status.UNAVAILABLE;
    default:
      return http >= 500 ? Status.INTERNAL : Status.UNKNOWN;
  }
}

const HTTP_REASONS: Record<number, string> = {
  400: 'bad_request',
  401: 'unauthenticated',
  403: 'permission_denied',
  404: 'not_found',
  408: 'deadline',
  429: 'too_many_requests',
  500: 'internal',
  501: 'unimplemented',
  502: 'bad_gateway',
  503: 'unavailable',
  504: 'deadline',
};

/** A failure read from an HTTP status, the error message of its body (V2: `{"error": "…"}`) and a reason the server gave (header or body). */
export function httpFailure(http: number, message: string, reason?: string): Failure {
  const code = `HTTP_${http}`;
  const text = clip(message);
  if (http === 503 && reason === undefined) {
    if (QUEUE_FULL.test(message)) return { status: 'rejected', code, reason: 'queue_full', message: text };
    if (QUEUE_TIMEOUT.test(message)) return { status: 'late', code, reason: 'queue_timeout', message: text };
  }
  const status = outcomeOfStatus(Status[statusOfHttp(http)] ?? 'UNKNOWN');
  return { status, code, reason: reason ?? HTTP_REASONS[http] ?? `http_${http}`, message: text };
}

/** The client gave up: no answer by its deadline (the SLO plus the grace). */
export function clientDeadline(deadlineMs: number): Failure {
  return { status: 'late', code: 'DEADLINE_EXCEEDED', reason: 'client_deadline', message: `no answer within the client's deadline of ${Math.round(deadlineMs)} ms` };
}

/** An answer that is not what the protocol promises (missing outputs, sizes that do not add up, not JSON). */
export function malformed(message: string): Failure {
  return { status: 'error', code: 'MALFORMED_RESPONSE', reason: 'malformed_response', message: clip(message) };
}

/** The connection failed (refused, reset, TLS): an error, the request never got an answer. */
export function transportFailure(message: string): Failure {
  return { status: 'error', code: 'UNAVAILABLE', reason: 'connection', message: clip(message) };
}
