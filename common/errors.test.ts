// PunctualError is an answer with a status, not a fault: it keeps its code,
// message and reason, and captures no stack trace (most of what making an
// error costs), leaving other errors' stack traces as they were.
import { describe, expect, it } from 'vitest';
import { PunctualError, Status, toServiceError } from './errors.js';

describe('PunctualError', () => {
  it('carries code, message and reason, and no stack frames', () => {
    const before = Error.stackTraceLimit;
    const e = new PunctualError(Status.RESOURCE_EXHAUSTED, 'predicted 120 ms > slo 100 ms', 'slo_unattainable');
    expect(e).toBeInstanceOf(Error);
    expect([e.code, e.message, e.reason, e.name]).toEqual([Status.RESOURCE_EXHAUSTED, 'predicted 120 ms > slo 100 ms', 'slo_unattainable', 'PunctualError']);
    expect(e.stack).toBe('PunctualError: predicted 120 ms > slo 100 ms');
    expect(Error.stackTraceLimit).toBe(before);
    expect(new Error('a fault').stack!.split('\n').length).toBeGreaterThan(1);
    expect(toServiceError(e)).toMatchObject({ code: Status.RESOURCE_EXHAUSTED, details: 'predicted 120 ms > slo 100 ms' });
  });
});
