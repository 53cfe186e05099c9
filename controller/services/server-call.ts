// The one adapter between grpc-js and the controller's handlers, after
// nice-grpc's server: a handler is a plain function of its request that
// returns (or resolves to) its answer and throws a PunctualError to refuse.
// serveService turns a service's handlers into grpc-js ones, and every call
// of every service goes through the same steps in the same order:
//
//   1. auth: the call's token is checked for its method's role (auth.ts);
//      a refusal is answered at once and the handler never runs.
//   2. decoding: a unary or server-streaming request that was not a valid
//      protobuf message (checked-decoding.ts) is INVALID_ARGUMENT.
//   3. the handler. An `admitted` method (the inference path) first notes
//      when its request arrived, then runs its checks through
//      core.beforeAdmission, so whatever they throw is counted as not
//      admitted, and only then submits.
//   4. errors: anything thrown or rejected becomes a status through
//      toServiceError (common/errors.ts); what is not a PunctualError is
//      logged through core.unexpected (rate-limited) and answered INTERNAL
//      without its detail.
//
// Bidi streams (the worker stream) get steps 1 and 4 only: their handler
// owns the stream, and a message that does not decode arrives as one with no
// fields, which it already treats as a protocol error.
import type * as grpc from '@grpc/grpc-js';
import type { Clock } from '../../common/clock.js';
import { invalidArgument, PunctualError, toServiceError } from '../../common/errors.js';
import { arrivalOf } from '../arrival.js';
import type { Role } from '../auth.js';
import { undecodableReason } from '../checked-decoding.js';

/** What the adapter needs of the serving core (ServingCore has it). */
export interface CallCore {
  /** Runs a request's checks before admission; what they throw is counted as not admitted and rethrown. */
  beforeAdmission<T>(check: () => T): T;
  /** A request that arrived (headers) at `arrival` reached its handler now. */
  noteIntake(arrival: number): void;
  /** Logs an unexpected error on a request path, at most once per interval. */
  unexpected(rpc: string, err: unknown): void;
}

/** Who may call what (the Authorizer). */
export interface CallAuth {
  /** Undefined when the call may go on, else the error to answer with. */
  check(metadata: grpc.Metadata, role: Role): PunctualError | undefined;
}

export interface ServerCallDeps {
  auth: CallAuth;
  core: CallCore;
  clock: Clock;
}

/** Unary: the answer, or a throw. */
export type UnaryMethod<Req, Res> = (req: Req, call: grpc.ServerUnaryCall<Req, Res>) => Res | Promise<Res>;
/** Client streaming: reads the call, resolves to the answer. */
export type ClientStreamMethod<Req, Res> = (call: grpc.ServerReadableStream<Req, Res>) => Promise<Res>;
/** Server streaming: writes to the call and resolves when done; the adapter ends the call. */
export type ServerStreamMethod<Req, Res> = (req: Req, call: grpc.ServerWritableStream<Req, Res>) => Promise<void>;
/** Bidi: owns its stream. */
export type BidiMethod<Req, Res> = (call: grpc.ServerDuplexStream<Req, Res>) => void;

/** A unary method on the inference path: its checks are counted as not admitted when they throw. */
export interface AdmittedSpec<Req, Res, Checked> {
  /** Resolves and checks what the request names (model, inputs, SLO), before admission. */
  check(req: Req, call: grpc.ServerUnaryCall<Req, Res>, arrival: number): Checked;
  /** Submits what `check` returned (admission may still reject it) and answers. */
  run(checked: Checked, req: Req, arrival: number): Promise<Res>;
}

/** Made by `admitted`; serveService tells it from a plain unary method. */
export class AdmittedMethod<Req, Res> {
  /** @internal */
  constructor(readonly handle: (req: Req, call: grpc.ServerUnaryCall<Req, Res>, core: CallCore, clock: Clock) => Promise<Res>) {}
}

/** A unary method whose `check` runs before admission (counted as not admitted when it throws), then `run`. */
export function admitted<Req, Res, Checked>(spec: AdmittedSpec<Req, Res, Checked>): AdmittedMethod<Req, Res> {
  return new AdmittedMethod((req, call, core, clock) => {
    const arrival = arrivalOf(call.metadata, clock);
    core.noteIntake(arrival);
    const checked = core.beforeAdmission(() => spec.check(req, call, arrival));
    return spec.run(checked, req, arrival);
  });
}

/** The handler shape for one grpc-js method type (server streaming is tried before bidi: a bidi call would fit it). */
export type MethodImpl<F> =
  F extends grpc.handleServerStreamingCall<infer Req, infer Res>
    ? ServerStreamMethod<Req, Res>
    : F extends grpc.handleBidiStreamingCall<infer Req, infer Res>
      ? BidiMethod<Req, Res>
      : F extends grpc.handleClientStreamingCall<infer Req, infer Res>
        ? ClientStreamMethod<Req, Res>
        : F extends grpc.handleUnaryCall<infer Req, infer Res>
          ? UnaryMethod<Req, Res> | AdmittedMethod<Req, Res>
          : never;

/** A generated handlers type (e.g. AdminHandlers) without its index signature: its methods only. */
type Methods<H> = { [K in keyof H as string extends K ? never : number extends K ? never : K]: H[K] };

/** The names of a service's methods. */
export type MethodName<H> = keyof Methods<H> & string;

/** A service's handlers in the adapter's shape, one per method of `H` (e.g. AdminHandlers). */
export type ServiceImpl<H> = { [K in keyof Methods<H>]: MethodImpl<Methods<H>[K]> };

/** The role (which tokens it takes) of every method of a service. */
export type ServiceRoles<H> = Readonly<Record<MethodName<H>, Role>>;

type AnyImpl = (...args: never[]) => unknown;

/**
 * grpc-js handlers for `impl`, each going through auth, decoding, the
 * handler and error mapping (see the top of this file). The method kinds
 * come from `def`; add the service with `checkedDecoding(def)` so that
 * undecodable requests reach the handlers as markers.
 */
export function serveService<H extends grpc.UntypedServiceImplementation>(def: grpc.ServiceDefinition, impl: ServiceImpl<H>, roles: ServiceRoles<H>, deps: ServerCallDeps): H {
  const { auth, core, clock } = deps;
  const out: grpc.UntypedServiceImplementation = {};
  for (const [method, fn] of Object.entries(impl) as [string, AnyImpl | AdmittedMethod<unknown, unknown>][]) {
    const spec = def[method];
    const role = (roles as Record<string, Role | undefined>)[method];
    if (!spec || !role) throw new Error(`${method}: not a method of this service, or no role given for it`);
    /** The status to answer a failure with; an unexpected one is logged first. */
    const failure = (err: unknown): Partial<grpc.ServiceError> => {
      if (!(err instanceof PunctualError)) core.unexpected(method, err);
      return toServiceError(err);
    };
    if (!spec.requestStream && !spec.responseStream) {
      const run: (req: unknown, call: grpc.ServerUnaryCall<unknown, unknown>) => unknown =
        fn instanceof AdmittedMethod ? (req, call) => fn.handle(req, call, core, clock) : (fn as UnaryMethod<unknown, unknown>);
      out[method] = (call: grpc.ServerUnaryCall<unknown, unknown>, callback: grpc.sendUnaryData<unknown>) => {
        const refused = auth.check(call.metadata, role);
        if (refused) return callback(toServiceError(refused));
        const why = undecodableReason(call.request);
        if (why !== undefined) return callback(toServiceError(invalidArgument(why)));
        const fail = (err: unknown): void => callback(failure(err));
        try {
          const answer = run(call.request, call);
          if (answer instanceof Promise) answer.then((res: unknown) => callback(null, res), fail);
          else callback(null, answer);
        } catch (err) {
          fail(err);
        }
      };
    } else if (spec.requestStream && !spec.responseStream) {
      const run = fn as ClientStreamMethod<unknown, unknown>;
      out[method] = (call: grpc.ServerReadableStream<unknown, unknown>, callback: grpc.sendUnaryData<unknown>) => {
        const refused = auth.check(call.metadata, role);
        if (refused) return callback(toServiceError(refused));
        Promise.resolve()
          .then(() => run(call))
          .then(
            (res) => callback(null, res),
            (err: unknown) => callback(failure(err)),
          );
      };
    } else if (!spec.requestStream) {
      const run = fn as ServerStreamMethod<unknown, unknown>;
      out[method] = (call: grpc.ServerWritableStream<unknown, unknown>) => {
        const refused = auth.check(call.metadata, role);
        if (refused) return void call.emit('error', toServiceError(refused));
        const why = undecodableReason(call.request);
        if (why !== undefined) return void call.emit('error', toServiceError(invalidArgument(why)));
        Promise.resolve()
          .then(() => run(call.request, call))
          .then(
            () => call.end(),
            (err: unknown) => call.emit('error', failure(err)),
          );
      };
    } else {
      const run = fn as BidiMethod<unknown, unknown>;
      out[method] = (call: grpc.ServerDuplexStream<unknown, unknown>) => {
        const refused = auth.check(call.metadata, role);
        if (refused) return void call.emit('error', toServiceError(refused));
        try {
          run(call);
        } catch (err) {
          call.emit('error', failure(err));
        }
      };
    }
  }
  return out as H;
}
