import crypto from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { sha256 } from './hash.js';

describe('sha256', () => {
  it('is the SHA-256 of the bytes as 64 lower-case hex digits', () => {
    // FIPS 180-2's "abc" test vector, and the empty input.
    expect(sha256(new TextEncoder().encode('abc'))).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(sha256(new Uint8Array(0))).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  });

  it('hashes only the view it is given, not the rest of its buffer', () => {
    const whole = Uint8Array.from({ length: 64 }, (_, i) => i);
    const view = whole.subarray(8, 24);
    expect(sha256(view)).toBe(crypto.createHash('sha256').update(Uint8Array.from(view)).digest('hex'));
    expect(sha256(view)).not.toBe(sha256(whole));
  });
});
