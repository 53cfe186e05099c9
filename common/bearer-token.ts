// Bearer tokens, checked in one way wherever Punctual checks one: the
// controller's gRPC services (controller/auth.ts) and the metrics endpoints
// of both processes (common/metrics-server.ts). Tokens are kept and compared
// as SHA-256 digests with timingSafeEqual, so neither their content nor their
// length leaks through timing; they are never logged or echoed.
import crypto from 'node:crypto';

/** A token as kept in memory: its SHA-256 digest. */
export type TokenDigest = Buffer;

export function tokenDigest(token: string): TokenDigest {
  return crypto.createHash('sha256').update(token, 'utf8').digest();
}

/** The token of an `authorization: Bearer <token>` header value, or undefined when there is none. */
export function bearerOf(header: unknown): string | undefined {
  const m = typeof header === 'string' ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
  return m ? m[1] : undefined;
}

/** True when `token` is one of `accepted`; every candidate is compared, in constant time. */
export function tokenMatches(token: string, accepted: readonly TokenDigest[]): boolean {
  const given = tokenDigest(token);
  let ok = false;
  for (const a of accepted) ok = crypto.timingSafeEqual(given, a) || ok;
  return ok;
}
