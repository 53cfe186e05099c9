// Content hashes: a model file's identity (profiles, the repository, model
// bytes sent to workers) is its SHA-256.
import crypto from 'node:crypto';

/** SHA-256 of `bytes`, as 64 lower-case hex digits. */
export function sha256(bytes: Uint8Array): string {
  return crypto.createHash('sha256').update(bytes).digest('hex');
}
