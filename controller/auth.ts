// Bearer tokens for the controller's services. Each call carries
// `authorization: Bearer <token>`; which tokens a method accepts depends on
// its role. Secure by default: once any token is configured, Admin and the
// worker stream are guarded too — by their own token, or, when that token was
// not configured, closed to everyone (a half-configured controller must not
// leave model removal or joining as a worker open). Tokens are compared in
// constant time (common/bearer-token.ts) and are never logged or echoed.
// Every call is checked against its method's role by the server-call adapter
// (services/server-call.ts) before its handler runs.
import type * as grpc from '@grpc/grpc-js';
import { bearerOf, tokenDigest, tokenMatches, type TokenDigest } from '../common/bearer-token.js';
import { PunctualError, Status } from '../common/errors.js';

export interface TokenOptions {
  /** Required by Admin calls (and accepted everywhere). Unset while another token is set: Admin is closed. Unset with no token at all: Admin is open. */
  adminToken?: string;
  /** Required by Inference (and ListModels) when set; the admin token is accepted too. Unset: inference is open. */
  inferToken?: string;
  /** Accepted on the worker stream, as is the admin token. Neither set while an infer token is: the worker stream is closed. */
  workerToken?: string;
  /**
   * A token for workers this process launched itself (`punctual up` makes a
   * random one when no worker token is given). Accepted on the worker stream,
   * which it closes to everyone without a token. It is not an operator's
   * token, so unlike the three above it does not close Admin.
   */
  localWorkerToken?: string;
}

/**
 * What a method needs: `admin` (operator calls), `infer` (inference),
 * `read` (ListModels: clients read input shapes; same tokens as infer),
 * `worker` (the worker stream).
 */
export type Role = 'admin' | 'infer' | 'read' | 'worker';

/** What the configured tokens make of a role. */
export type Access =
  | { kind: 'open' }
  | { kind: 'token'; accepted: TokenDigest[] }
  /** Guarded, but its token was not configured: refused to everyone, with how to open it. */
  | { kind: 'closed'; message: string };

const CLOSED: Record<'admin' | 'worker', string> = {
  admin:
    'Admin is closed: this controller has tokens configured but no admin token. ' +
    'Start the controller with --admin-token (or PUNCTUAL_ADMIN_TOKEN) to open it, then call with that token (punctual --token or PUNCTUAL_TOKEN)',
  worker:
    'the worker stream is closed: this controller has an infer token but no worker or admin token. ' +
    'Start the controller with --worker-token (or PUNCTUAL_WORKER_TOKEN) or --admin-token, and give workers that token (punctual worker --token or PUNCTUAL_TOKEN)',
};

export class Authorizer {
  private readonly admin?: TokenDigest;
  private readonly infer?: TokenDigest;
  private readonly worker?: TokenDigest;
  private readonly localWorker?: TokenDigest;

  constructor(opts: TokenOptions) {
    if (opts.adminToken) this.admin = tokenDigest(opts.adminToken);
    if (opts.inferToken) this.infer = tokenDigest(opts.inferToken);
    if (opts.workerToken) this.worker = tokenDigest(opts.workerToken);
    if (opts.localWorkerToken) this.localWorker = tokenDigest(opts.localWorkerToken);
  }

  /** Who may call a method of this role. */
  access(role: Role): Access {
    const some = (...xs: (TokenDigest | undefined)[]): Access => ({ kind: 'token', accepted: xs.filter((x): x is TokenDigest => x !== undefined) });
    const operatorTokens = this.admin !== undefined || this.infer !== undefined || this.worker !== undefined;
    switch (role) {
      case 'admin':
        if (this.admin) return some(this.admin);
        return operatorTokens ? { kind: 'closed', message: CLOSED.admin } : { kind: 'open' };
      case 'infer':
      case 'read':
        return this.infer ? some(this.infer, this.admin) : { kind: 'open' };
      case 'worker':
        if (this.worker || this.admin || this.localWorker) return some(this.worker, this.admin, this.localWorker);
        return operatorTokens ? { kind: 'closed', message: CLOSED.worker } : { kind: 'open' };
    }
  }

  /** Undefined when the call may go on, else the error to answer with. */
  check(metadata: grpc.Metadata, role: Role): PunctualError | undefined {
    const access = this.access(role);
    if (access.kind === 'open') return undefined;
    if (access.kind === 'closed') return new PunctualError(Status.PERMISSION_DENIED, access.message, 'surface_closed');
    const token = bearerOf(metadata.get('authorization')[0]);
    if (token === undefined) {
      return new PunctualError(
        Status.UNAUTHENTICATED,
        `this ${role} call needs a token: send "authorization: Bearer <token>" (punctual --token or PUNCTUAL_TOKEN)`,
        'token_missing',
      );
    }
    return tokenMatches(token, access.accepted) ? undefined : new PunctualError(Status.PERMISSION_DENIED, `the token is not accepted for ${role} calls`, 'token_rejected');
  }
}
