// Bearer tokens for the controller's services. Each call carries
// `authorization: Bearer <token>`; which tokens a method accepts depends on
// its role. Tokens are compared in constant time (timingSafeEqual on SHA-256
// digests, so lengths do not leak either) and are never logged or echoed.
import crypto from 'node:crypto';
import type * as grpc from '@grpc/grpc-js';
import { PunctualError, Status, toServiceError } from '../common/errors.js';

export interface TokenOptions {
  /** Required by Admin calls (and accepted everywhere). Unset: Admin is open. */
  adminToken?: string;
  /** Required by Inference (and ListModels) when set; the admin token is accepted too. Unset: inference is open. */
  inferToken?: string;
  /** Accepted on the worker stream. When only the admin token is set, workers present that. */
  workerToken?: string;
}

/**
 * What a method needs: `admin` (operator calls), `infer` (inference),
 * `read` (ListModels: clients read input shapes; same tokens as infer),
 * `worker` (the worker stream).
 */
export type Role = 'admin' | 'infer' | 'read' | 'worker';

const digest = (s: string): Buffer => crypto.createHash('sha256').update(s, 'utf8').digest();

export class Authorizer {
  private readonly admin?: Buffer;
  private readonly infer?: Buffer;
  private readonly worker?: Buffer;

  constructor(opts: TokenOptions) {
    if (opts.adminToken) this.admin = digest(opts.adminToken);
    if (opts.inferToken) this.infer = digest(opts.inferToken);
    if (opts.workerToken) this.worker = digest(opts.workerToken);
  }

  private accepted(role: Role): Buffer[] | undefined {
    const some = (...xs: (Buffer | undefined)[]): Buffer[] => xs.filter((x): x is Buffer => x !== undefined);
    switch (role) {
      case 'admin':
        return this.admin ? some(this.admin) : undefined;
      case 'infer':
      case 'read':
        return this.infer ? some(this.infer, this.admin) : undefined;
      case 'worker':
        return this.worker || this.admin ? some(this.worker, this.admin) : undefined;
    }
  }

  /** Undefined when the call may go on, else the error to answer with. */
  check(metadata: grpc.Metadata, role: Role): PunctualError | undefined {
    const accepted = this.accepted(role);
    if (!accepted) return undefined;
    const header = metadata.get('authorization')[0];
    const m = typeof header === 'string' ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
    if (!m) {
      return new PunctualError(
        Status.UNAUTHENTICATED,
        `this ${role} call needs a token: send "authorization: Bearer <token>" (punctual --token or PUNCTUAL_TOKEN)`,
        'token_missing',
      );
    }
    const given = digest(m[1]!);
    let ok = false;
    for (const a of accepted) ok = crypto.timingSafeEqual(given, a) || ok;
    return ok ? undefined : new PunctualError(Status.PERMISSION_DENIED, `the token is not accepted for ${role} calls`, 'token_rejected');
  }
}

type AnyHandler = (...args: never[]) => unknown;

/**
 * Wraps every handler of a service so it first checks the call's token.
 * The method kind (unary, streaming) comes from the service definition.
 */
export function guardService<H extends object>(def: grpc.ServiceDefinition, handlers: H, roleOf: (method: string) => Role, auth: Authorizer): H {
  const out: Record<string, unknown> = {};
  for (const [method, impl] of Object.entries(handlers) as [string, AnyHandler][]) {
    const spec = def[method];
    const role = roleOf(method);
    if (!spec) {
      out[method] = impl;
    } else if (spec.responseStream) {
      // server-streaming and bidi: the call object is the stream
      out[method] = (call: grpc.ServerWritableStream<unknown, unknown>) => {
        const err = auth.check(call.metadata, role);
        if (err) call.emit('error', toServiceError(err));
        else (impl as (c: typeof call) => void)(call);
      };
    } else {
      // unary and client-streaming: (call, callback)
      out[method] = (call: grpc.ServerUnaryCall<unknown, unknown>, callback: grpc.sendUnaryData<unknown>) => {
        const err = auth.check(call.metadata, role);
        if (err) callback(toServiceError(err) as grpc.ServiceError);
        else (impl as (c: typeof call, cb: typeof callback) => void)(call, callback);
      };
    }
  }
  return out as H;
}
