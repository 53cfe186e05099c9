// One error type crosses the wire. Server code throws PunctualError with a
// gRPC status; toServiceError maps anything else to INTERNAL without leaking
// its detail (the caller logs it), and caps every message it sends (a status
// message travels in an HTTP/2 trailer, which has a size limit).
import { status as Status, Metadata, type ServiceError } from '@grpc/grpc-js';
import { capMessage } from './bounded-text.js';

export { Status };

/**
 * An answer with a status, not a fault: it carries no stack trace. Capturing
 * one is most of what making an error costs (a controller rejecting 5,000
 * requests a second spent 7 % of its time there, bench --only
 * controller-throughput), and a rejection's place in the code says nothing
 * its message does not; faults are the other errors, which keep theirs.
 */
export class PunctualError extends Error {
  constructor(
    readonly code: Status,
    message: string,
    /** Machine-readable reason, e.g. "slo_unattainable". Sent as metadata `punctual-reason`. */
    readonly reason?: string,
    /** More trailers to send with it (e.g. `punctual-owner` for a model another controller owns). */
    readonly trailers?: Readonly<Record<string, string>>,
  ) {
    super(stacklessFor(message));
    Error.stackTraceLimit = savedStackTraceLimit;
    this.name = 'PunctualError';
  }
}

let savedStackTraceLimit = Error.stackTraceLimit;

/** Turns stack capture off for the Error constructor about to run (PunctualError puts it back right after). */
function stacklessFor(message: string): string {
  savedStackTraceLimit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  return message;
}

export function invalidArgument(message: string): PunctualError {
  return new PunctualError(Status.INVALID_ARGUMENT, message, 'invalid_argument');
}

export function notFound(message: string): PunctualError {
  return new PunctualError(Status.NOT_FOUND, message, 'not_found');
}

export function unavailable(message: string, reason = 'unavailable'): PunctualError {
  return new PunctualError(Status.UNAVAILABLE, message, reason);
}

/** Turns any thrown value into what a gRPC handler hands its callback. */
export function toServiceError(err: unknown): Partial<ServiceError> {
  if (err instanceof PunctualError) {
    const metadata = new Metadata();
    if (err.reason) metadata.set('punctual-reason', err.reason);
    if (err.trailers) for (const [k, v] of Object.entries(err.trailers)) metadata.set(k, v);
    return { code: err.code, details: capMessage(err.message), metadata };
  }
  return { code: Status.INTERNAL, details: 'internal error (see controller log)' };
}

export function statusName(code: number): string {
  return Status[code] ?? `STATUS_${code}`;
}
