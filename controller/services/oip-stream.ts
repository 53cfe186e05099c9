// ModelStreamInfer, Triton's bidirectional inference stream: a client sends
// ModelInferRequests on one call and reads one ModelStreamInferResponse per
// request. Each request is its own request in every way that matters here:
//
//   - admitted on its own, with its own SLO clock, started when its message
//     arrived (not when the stream's headers did): its `timeout` parameter,
//     else the model's default, and never past the stream's gRPC deadline;
//   - answered as soon as it is done, so answers come in completion order,
//     each carrying its request's id;
//   - refused on its own: a request that is malformed, names an unknown
//     model or is rejected by admission gets a response whose error_message
//     says why (infer_response carries its id, model and the gRPC status
//     name in parameters["grpc_status"]); the stream stays open.
//
// Bounded: at most maxInFlight requests of one stream are admitted and not
// yet answered. At the cap the stream is read no further (gRPC flow control
// then holds the client back) until an answer goes out; an answer the client
// is slow to read holds reading back too, until it drains. So a stream never
// buffers more than the cap of answers and grpc-js's one read-ahead buffer.
//
// Ends: when the client half-closes, the answers still pending are written
// and then the stream ends (OK). When the client cancels (or the call fails),
// pending answers are dropped as they come; their requests still run, as a
// unary call's do when its client goes, and nothing is left behind.
import type * as grpc from '@grpc/grpc-js';
import type { Clock } from '../../common/clock.js';
import { invalidArgument, PunctualError, statusName } from '../../common/errors.js';
import { undecodableReason } from '../checked-decoding.js';
import type { ModelInferRequest__Output } from '../../protos/generated/inference/ModelInferRequest.js';
import type { ModelInferResponse } from '../../protos/generated/inference/ModelInferResponse.js';
import type { ModelStreamInferResponse } from '../../protos/generated/inference/ModelStreamInferResponse.js';

/** Requests of one stream admitted and not yet answered, at most (beyond, the stream is not read until one is answered). */
export const STREAM_MAX_IN_FLIGHT = 32;

export interface InferStreamDeps {
  clock: Clock;
  /**
   * Answers one request that arrived at `arrival`, admission and all:
   * resolves to its response, or rejects (a PunctualError says why to the
   * client; anything else is logged and answered as an internal error).
   */
  answer(req: ModelInferRequest__Output, arrival: number): Promise<ModelInferResponse>;
  /** Logs an error that was not a PunctualError. */
  unexpected(err: unknown): void;
  /** @default STREAM_MAX_IN_FLIGHT */
  maxInFlight?: number;
}

type InferStream = grpc.ServerDuplexStream<ModelInferRequest__Output, ModelStreamInferResponse>;

/** The stream response for a request that was not answered with outputs. */
export function streamError(req: Pick<ModelInferRequest__Output, 'id' | 'modelName' | 'modelVersion'> | undefined, err: unknown): ModelStreamInferResponse {
  const known = err instanceof PunctualError;
  const message = known ? err.message : 'internal error';
  const id = req?.id ?? '';
  return {
    // Triton's form: the request id first, so a client that reads only the message can match it.
    errorMessage: id !== '' ? `[request id: ${id}] ${message}` : message,
    inferResponse: {
      modelName: req?.modelName ?? '',
      modelVersion: req?.modelVersion ?? '',
      id,
      parameters: {
        grpc_status: { stringParam: known ? statusName(err.code) : 'INTERNAL' },
        ...(known && err.reason ? { reason: { stringParam: err.reason } } : {}),
      },
    },
  };
}

/** Serves one ModelStreamInfer call until it ends. */
export function serveInferStream(call: InferStream, deps: InferStreamDeps): void {
  const max = deps.maxInFlight ?? STREAM_MAX_IN_FLIGHT;
  let inFlight = 0;
  /** The client half-closed: end once the pending answers are out. */
  let ended = false;
  /** Nothing more is written: the stream ended, or the client cancelled, or it failed. */
  let closed = false;
  let paused = false;
  let draining = false;

  const finish = (): void => {
    if (!closed && ended && inFlight === 0) {
      closed = true;
      call.end();
    }
  };
  const maybeResume = (): void => {
    if (paused && !closed && !draining && inFlight < max) {
      paused = false;
      call.resume();
    }
  };
  const send = (res: ModelStreamInferResponse): void => {
    inFlight--;
    if (!closed && !call.write(res) && !draining) {
      // One listener however many answers are written meanwhile.
      draining = true;
      call.once('drain', () => {
        draining = false;
        maybeResume();
      });
    }
    maybeResume();
    finish();
  };

  call.on('data', (req: ModelInferRequest__Output) => {
    // The SLO clock of this request starts now, when its message arrived.
    const arrival = deps.clock.now();
    if (closed) return;
    inFlight++;
    if (inFlight >= max) {
      paused = true;
      call.pause();
    }
    const why = undecodableReason(req);
    if (why !== undefined) {
      send(streamError(undefined, invalidArgument(why)));
      return;
    }
    let answer: Promise<ModelInferResponse>;
    try {
      answer = deps.answer(req, arrival);
    } catch (err) {
      answer = Promise.reject(err);
    }
    answer.then(
      (inferResponse) => send({ errorMessage: '', inferResponse }),
      (err: unknown) => {
        if (!(err instanceof PunctualError)) deps.unexpected(err);
        send(streamError(req, err));
      },
    );
  });
  call.on('end', () => {
    ended = true;
    finish();
  });
  const stop = (): void => {
    closed = true;
  };
  call.on('cancelled', stop);
  call.on('error', stop);
}
