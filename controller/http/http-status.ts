// How a PunctualError is answered over V2 REST: the HTTP status for its
// gRPC status (admission's RESOURCE_EXHAUSTED is 429, not 503: load
// balancers eject backends that answer 503), and the Retry-After a client
// turned away by admission is given.
import { Status, type PunctualError } from '../../common/errors.js';
import type { ServedModel } from '../model-registry.js';

/** Retry-After of a model no executor can hold: until a larger worker joins, s. */
const TOO_LARGE_RETRY_S = 60;

/** The HTTP status a PunctualError's gRPC status is answered with. */
export function httpStatus(code: Status): number {
  switch (code) {
    case Status.INVALID_ARGUMENT:
    case Status.OUT_OF_RANGE:
    case Status.FAILED_PRECONDITION:
      return 400;
    case Status.UNAUTHENTICATED:
      return 401;
    case Status.PERMISSION_DENIED:
      return 403;
    case Status.NOT_FOUND:
      return 404;
    case Status.ALREADY_EXISTS:
    case Status.ABORTED:
      return 409;
    // On this port only admission answers RESOURCE_EXHAUSTED (slo_unattainable, model_too_large).
    case Status.RESOURCE_EXHAUSTED:
      return 429;
    case Status.UNIMPLEMENTED:
      return 501;
    case Status.UNAVAILABLE:
      return 503;
    case Status.DEADLINE_EXCEEDED:
      return 504;
    default:
      return 500;
  }
}

/** Seconds a client turned away by admission should wait (Retry-After, at least 1). */
export function retryAfterSeconds(err: PunctualError, model: ServedModel | undefined): number {
  if (err.reason === 'model_too_large') return TOO_LARGE_RETRY_S;
  // What stood in its way is admitted work, which finishes by its deadlines: about one SLO.
  return Math.max(1, Math.ceil((model?.config.defaultSloMs ?? 1000) / 1000));
}
