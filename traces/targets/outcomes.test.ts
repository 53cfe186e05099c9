import { status as Status } from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import { clientDeadline, grpcFailure, httpFailure, malformed } from './outcomes.js';

describe('grpcFailure', () => {
  it('Punctual’s rejection: RESOURCE_EXHAUSTED with its reason trailer', () => {
    expect(grpcFailure(Status.RESOURCE_EXHAUSTED, 'cannot finish within 100 ms', 'slo_unattainable')).toEqual({
      status: 'rejected',
      code: 'RESOURCE_EXHAUSTED',
      reason: 'slo_unattainable',
      message: 'cannot finish within 100 ms',
    });
    expect(grpcFailure(Status.RESOURCE_EXHAUSTED, 'busy')).toMatchObject({ status: 'rejected', reason: 'resource_exhausted' });
  });

  it('Triton’s full queue is a rejection, its queue timeout a late answer', () => {
    expect(grpcFailure(Status.UNAVAILABLE, 'Exceeds maximum queue size')).toMatchObject({ status: 'rejected', code: 'UNAVAILABLE', reason: 'queue_full' });
    expect(grpcFailure(Status.UNAVAILABLE, 'Request timeout expired')).toMatchObject({ status: 'late', reason: 'queue_timeout' });
  });

  it('deadline is late; other statuses are errors named by their status', () => {
    expect(grpcFailure(Status.DEADLINE_EXCEEDED, 'Deadline exceeded')).toMatchObject({ status: 'late', reason: 'deadline' });
    expect(grpcFailure(Status.DEADLINE_EXCEEDED, 'dropped', 'deadline')).toMatchObject({ status: 'late', reason: 'deadline' });
    expect(grpcFailure(Status.UNAVAILABLE, 'no executor', 'no_executor')).toMatchObject({ status: 'error', reason: 'no_executor' });
    expect(grpcFailure(Status.UNAVAILABLE, 'connection refused')).toMatchObject({ status: 'error', reason: 'unavailable' });
    expect(grpcFailure(Status.NOT_FOUND, 'no model')).toMatchObject({ status: 'error', code: 'NOT_FOUND', reason: 'not_found' });
    expect(grpcFailure(Status.INTERNAL, 'x')).toMatchObject({ status: 'error', reason: 'internal' });
    expect(grpcFailure(99, 'x')).toMatchObject({ status: 'error', code: 'STATUS_99' });
  });

  it('a reason trailer wins over message matching', () => {
    expect(grpcFailure(Status.UNAVAILABLE, 'Exceeds maximum queue size', 'draining')).toMatchObject({ status: 'error', reason: 'draining' });
  });

  it('clips long messages', () => {
    expect(grpcFailure(Status.INTERNAL, 'x'.repeat(10_000)).message.length).toBeLessThan(400);
  });
});

describe('httpFailure', () => {
  it('429 is a rejection, with the server’s reason when it gives one', () => {
    expect(httpFailure(429, 'cannot finish in time', 'slo_unattainable')).toEqual({ status: 'rejected', code: 'HTTP_429', reason: 'slo_unattainable', message: 'cannot finish in time' });
    expect(httpFailure(429, 'rate limited')).toMatchObject({ status: 'rejected', reason: 'too_many_requests' });
  });

  it('503: a full Triton queue is a rejection, a queue timeout late, anything else an error', () => {
    expect(httpFailure(503, 'Exceeds maximum queue size')).toMatchObject({ status: 'rejected', reason: 'queue_full' });
    expect(httpFailure(503, 'Request timeout expired')).toMatchObject({ status: 'late', reason: 'queue_timeout' });
    expect(httpFailure(503, 'no healthy upstream')).toMatchObject({ status: 'error', code: 'HTTP_503', reason: 'unavailable' });
  });

  it('504 and 408 are late; 4xx and 5xx errors', () => {
    expect(httpFailure(504, 'gateway timeout')).toMatchObject({ status: 'late', reason: 'deadline' });
    expect(httpFailure(408, 'timeout')).toMatchObject({ status: 'late' });
    expect(httpFailure(400, 'bad input')).toMatchObject({ status: 'error', reason: 'bad_request' });
    expect(httpFailure(404, 'no model')).toMatchObject({ status: 'error', reason: 'not_found' });
    expect(httpFailure(401, 'no token')).toMatchObject({ status: 'error', reason: 'unauthenticated' });
    expect(httpFailure(500, 'boom')).toMatchObject({ status: 'error', reason: 'internal' });
    expect(httpFailure(418, 'teapot')).toMatchObject({ status: 'error', reason: 'http_418' });
  });
});

describe('client-side failures', () => {
  it('the client’s own deadline is late, a malformed answer an error', () => {
    expect(clientDeadline(10_100)).toMatchObject({ status: 'late', reason: 'client_deadline' });
    expect(malformed('no outputs')).toMatchObject({ status: 'error', code: 'MALFORMED_RESPONSE' });
  });
});
