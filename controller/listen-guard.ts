// Protected mode (after Redis'): a controller reachable from other machines
// with no admin token would let anyone who can reach it register and remove
// models and join as a worker, receiving every model file and client input.
// startController refuses that unless told `insecure`; every entry point
// (CLI controller, up, code) goes through it.
import { PunctualError, Status } from '../common/errors.js';
import { isLoopbackHost } from '../common/listen-address.js';
import { Authorizer, type TokenOptions } from './auth.js';

/** Refusing to listen where anyone could take the cluster over. */
export class InsecureListenError extends PunctualError {
  constructor(readonly host: string) {
    super(
      Status.FAILED_PRECONDITION,
      `refusing to listen on ${host} without an admin token: anyone who can reach that address could register and remove models ` +
        'and join as a worker, receiving every model file and the clients\' inputs. Either ' +
        'set an admin token (--admin-token, or PUNCTUAL_ADMIN_TOKEN), ' +
        'or listen on this machine only (--host 127.0.0.1), ' +
        'or, on a network you trust, start with --insecure',
      'insecure_listen',
    );
    this.name = 'InsecureListenError';
  }
}

export function isInsecureListenError(err: unknown): err is InsecureListenError {
  return err instanceof InsecureListenError;
}

/**
 * Throws InsecureListenError for a non-loopback `host` without an admin
 * token, unless `insecure`. Returns the warning to log when it lets an
 * insecure listener through (naming what is open to the network), else
 * undefined.
 */
export function checkListenSafety(host: string, tokens: TokenOptions, insecure: boolean): string | undefined {
  if (tokens.adminToken || isLoopbackHost(host)) return undefined;
  if (!insecure) throw new InsecureListenError(host);
  const auth = new Authorizer(tokens);
  const open = [
    ...(auth.access('admin').kind === 'open' ? ['register and remove models'] : []),
    ...(auth.access('worker').kind === 'open' ? ['join as a worker'] : []),
    ...(auth.access('infer').kind === 'open' ? ['run inference'] : []),
  ];
  return open.length > 0
    ? `listening on ${host} without an admin token (--insecure): anyone who can reach it can ${open.join(', ')}`
    : `listening on ${host} without an admin token (--insecure): Admin is closed to everyone`;
}
