// What a client sent, echoed boundedly.
import { describe, expect, it } from 'vitest';
import { capMessage, dims, MAX_MESSAGE_CHARS, quoted, someOf } from './bounded-text.js';
import { PunctualError, Status, toServiceError } from './errors.js';

describe('bounded text', () => {
  it('quotes short strings whole and clips long ones with their length', () => {
    expect(quoted('det')).toBe('"det"');
    const long = 'x'.repeat(1_000_000);
    const q = quoted(long);
    expect(q.length).toBeLessThan(100);
    expect(q).toContain('(1000000 characters)');
  });

  it('clips shapes and lists', () => {
    expect(dims([1, 3, 224, 224])).toBe('[1, 3, 224, 224]');
    const d = dims(Array.from({ length: 1_000_000 }, () => 7));
    expect(d.length).toBeLessThan(60);
    expect(d).toContain('(1000000 dimensions)');
    expect(someOf(['a', 'b'])).toBe('a, b');
    expect(someOf(Array.from({ length: 1000 }, (_, i) => `m${i}`))).toMatch(/m19 and 980 more$/);
  });

  it('caps every status message sent, however it was built', () => {
    expect(capMessage('short')).toBe('short');
    const capped = capMessage('y'.repeat(100_000));
    expect(capped.length).toBeLessThanOrEqual(MAX_MESSAGE_CHARS);
    expect(capped).toMatch(/truncated\)$/);
    const e = toServiceError(new PunctualError(Status.NOT_FOUND, `model ${'z'.repeat(1_000_000)} not found`));
    expect(e.code).toBe(Status.NOT_FOUND);
    expect(e.details!.length).toBeLessThanOrEqual(MAX_MESSAGE_CHARS);
  });
});
