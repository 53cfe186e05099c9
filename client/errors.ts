// Typed errors of the client library: one class per failure the server
// reports, chosen from ONE table keyed by gRPC status, plus type guards.
// The server's `punctual-reason` trailer (e.g. "slo_unattainable") rides
// along as `reason`, so callers can branch on it without parsing messages.
import { status as Status, type Metadata, type ServiceError } from '@grpc/grpc-js';

/** Everything the client throws for a failed call is a PunctualClientError (or a subclass). */
export class PunctualClientError extends Error {
  override name = 'PunctualClientError';
  /** The gRPC status name, e.g. "RESOURCE_EXHAUSTED". */
  readonly statusName: string;

  constructor(
    /** The gRPC status code. */
    readonly code: Status,
    /** The server's message (gRPC status details), or the client's own for local failures. */
    message: string,
    /** Machine-readable reason from the `punctual-reason` trailer, when the server sent one. */
    readonly reason?: string,
    /** Response trailers, when the failure came from the server. */
    readonly metadata?: Metadata,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.statusName = Status[code] ?? `STATUS_${code}`;
  }
}

/** Admission control rejected the request at arrival: it could not finish within its SLO (RESOURCE_EXHAUSTED). */
export class SloRejectedError extends PunctualClientError {
  override name = 'SloRejectedError';
}

/** No such model, or no such version of it (NOT_FOUND). */
export class ModelNotFoundError extends PunctualClientError {
  override name = 'ModelNotFoundError';
}

/** The inputs do not match the model: name, dtype, shape or size (INVALID_ARGUMENT). */
export class InvalidInputError extends PunctualClientError {
  override name = 'InvalidInputError';
}

/** The controller cannot be reached, or has no capacity/worker to run the model (UNAVAILABLE). */
export class UnavailableError extends PunctualClientError {
  override name = 'UnavailableError';
}

/** The request was accepted but missed its deadline (DEADLINE_EXCEEDED). */
export class DeadlineExceededError extends PunctualClientError {
  override name = 'DeadlineExceededError';
}

/** No token, or a token the server does not accept (UNAUTHENTICATED). */
export class UnauthenticatedError extends PunctualClientError {
  override name = 'UnauthenticatedError';
}

/** The token is valid but not allowed to do this (PERMISSION_DENIED). */
export class PermissionDeniedError extends PunctualClientError {
  override name = 'PermissionDeniedError';
}

type ErrorClass = new (...args: ConstructorParameters<typeof PunctualClientError>) => PunctualClientError;

/** The one mapping from gRPC status to error class. Codes not listed become PunctualClientError. */
export const ERROR_CLASSES: ReadonlyMap<Status, ErrorClass> = new Map<Status, ErrorClass>([
  [Status.RESOURCE_EXHAUSTED, SloRejectedError],
  [Status.NOT_FOUND, ModelNotFoundError],
  [Status.INVALID_ARGUMENT, InvalidInputError],
  [Status.UNAVAILABLE, UnavailableError],
  [Status.DEADLINE_EXCEEDED, DeadlineExceededError],
  [Status.UNAUTHENTICATED, UnauthenticatedError],
  [Status.PERMISSION_DENIED, PermissionDeniedError],
]);

/** Builds the error class the table assigns to `code`. */
export function clientError(
  code: Status,
  message: string,
  reason?: string,
  metadata?: Metadata,
  options?: { cause?: unknown },
): PunctualClientError {
  const Class = ERROR_CLASSES.get(code) ?? PunctualClientError;
  return new Class(code, message, reason, metadata, options);
}

/** A call the caller cancelled through its AbortSignal (status CANCELLED, the signal's reason as cause). */
export function cancelledByCaller(signal: AbortSignal | undefined): PunctualClientError {
  return new PunctualClientError(Status.CANCELLED, 'cancelled by the caller', undefined, undefined, { cause: signal?.reason });
}

function isServiceError(err: unknown): err is ServiceError {
  return err instanceof Error && typeof (err as Partial<ServiceError>).code === 'number';
}

/**
 * Turns what grpc-js hands a callback into a typed error. `address` names the
 * server in transport failures (UNAVAILABLE without a server-sent reason),
 * whose grpc-js message alone does not always say which server was meant.
 */
export function fromServiceError(err: unknown, address?: string): PunctualClientError {
  if (err instanceof PunctualClientError) return err;
  if (!isServiceError(err)) {
    const message = err instanceof Error ? err.message : String(err);
    return new PunctualClientError(Status.UNKNOWN, message, undefined, undefined, { cause: err });
  }
  const reasonValue = err.metadata?.get('punctual-reason')[0];
  const reason = typeof reasonValue === 'string' && reasonValue !== '' ? reasonValue : undefined;
  // grpc-js ends transport failures with an empty "Resolution note: "; drop it.
  let message = err.details.replace(/\s*Resolution note:\s*$/, '');
  if (err.code === Status.UNAVAILABLE && reason === undefined && address !== undefined) {
    message = `cannot reach the controller at ${address}: ${message}`;
  }
  return clientError(err.code, message, reason, err.metadata, { cause: err });
}

export function isPunctualClientError(e: unknown): e is PunctualClientError {
  return e instanceof PunctualClientError;
}
export function isSloRejectedError(e: unknown): e is SloRejectedError {
  return e instanceof SloRejectedError;
}
export function isModelNotFoundError(e: unknown): e is ModelNotFoundError {
  return e instanceof ModelNotFoundError;
}
export function isInvalidInputError(e: unknown): e is InvalidInputError {
  return e instanceof InvalidInputError;
}
export function isUnavailableError(e: unknown): e is UnavailableError {
  return e instanceof UnavailableError;
}
export function isDeadlineExceededError(e: unknown): e is DeadlineExceededError {
  return e instanceof DeadlineExceededError;
}
export function isUnauthenticatedError(e: unknown): e is UnauthenticatedError {
  return e instanceof UnauthenticatedError;
}
export function isPermissionDeniedError(e: unknown): e is PermissionDeniedError {
  return e instanceof PermissionDeniedError;
}
