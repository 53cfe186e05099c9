// Every gRPC status the server sends becomes the right typed error, with the
// server's message and `punctual-reason`, over a real gRPC call (table-driven).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PunctualError, Status } from '../common/errors.js';
import {
  DeadlineExceededError,
  InvalidInputError,
  ModelNotFoundError,
  PermissionDeniedError,
  PunctualClient,
  PunctualClientError,
  SloRejectedError,
  UnauthenticatedError,
  UnavailableError,
  isDeadlineExceededError,
  isInvalidInputError,
  isModelNotFoundError,
  isPermissionDeniedError,
  isPunctualClientError,
  isSloRejectedError,
  isUnauthenticatedError,
  isUnavailableError,
} from '../client/index.js';
import { startFakeBackend, type FakeBackend } from './support/fake-backend.js';

type Guard = (e: unknown) => boolean;

const GUARDS: Guard[] = [
  isSloRejectedError,
  isModelNotFoundError,
  isInvalidInputError,
  isUnavailableError,
  isDeadlineExceededError,
  isUnauthenticatedError,
  isPermissionDeniedError,
];

const CASES: { code: Status; cls: typeof PunctualClientError; guard: Guard | undefined; message: string; reason?: string }[] = [
  { code: Status.RESOURCE_EXHAUSTED, cls: SloRejectedError, guard: isSloRejectedError, message: 'slo_unattainable: predicted 41.2 ms > slo 30 ms', reason: 'slo_unattainable' },
  { code: Status.NOT_FOUND, cls: ModelNotFoundError, guard: isModelNotFoundError, message: 'model ghost is not registered', reason: 'not_found' },
  { code: Status.INVALID_ARGUMENT, cls: InvalidInputError, guard: isInvalidInputError, message: 'input x has shape [2], expected [3]', reason: 'invalid_argument' },
  { code: Status.UNAVAILABLE, cls: UnavailableError, guard: isUnavailableError, message: 'no workers', reason: 'no_capacity' },
  { code: Status.DEADLINE_EXCEEDED, cls: DeadlineExceededError, guard: isDeadlineExceededError, message: 'missed deadline by 3 ms', reason: 'late' },
  { code: Status.UNAUTHENTICATED, cls: UnauthenticatedError, guard: isUnauthenticatedError, message: 'missing token', reason: 'no_token' },
  { code: Status.PERMISSION_DENIED, cls: PermissionDeniedError, guard: isPermissionDeniedError, message: 'token may not infer', reason: 'forbidden' },
  { code: Status.RESOURCE_EXHAUSTED, cls: SloRejectedError, guard: isSloRejectedError, message: 'queue full' }, // no reason trailer
  { code: Status.INTERNAL, cls: PunctualClientError, guard: undefined, message: 'boom', reason: 'internal' },
  { code: Status.ABORTED, cls: PunctualClientError, guard: undefined, message: 'aborted', reason: 'x' },
  { code: Status.FAILED_PRECONDITION, cls: PunctualClientError, guard: undefined, message: 'not ready' },
];

let backend: FakeBackend;
let client: PunctualClient;

beforeAll(async () => {
  backend = await startFakeBackend();
  client = new PunctualClient(backend.address);
});
afterAll(async () => {
  client.close();
  await backend.close();
});

describe('status → error class', () => {
  it.each(CASES)('$code → $cls.name (reason $reason)', async ({ code, cls, guard, message, reason }) => {
    backend.onInfer = () => {
      throw new PunctualError(code, message, reason);
    };
    const err = await client.infer('m', { u: { data: new Uint8Array(1), shape: [1] } }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(cls);
    expect((err as Error).constructor).toBe(cls);
    expect(isPunctualClientError(err)).toBe(true);
    const e = err as PunctualClientError;
    expect(e.code).toBe(code);
    expect(e.statusName).toBe(Status[code]);
    expect(e.message).toBe(message);
    expect(e.reason).toBe(reason);
    expect(e.name).toBe(cls.name);
    for (const g of GUARDS) expect(g(err)).toBe(g === guard);
  });

  it('a plain Error thrown by the server arrives as INTERNAL without its detail', async () => {
    backend.onInfer = () => {
      throw new Error('secret stack detail');
    };
    const err = await client.infer('m', { u: { data: new Uint8Array(1), shape: [1] } }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PunctualClientError);
    expect((err as PunctualClientError).statusName).toBe('INTERNAL');
    expect((err as Error).message).not.toContain('secret');
  });
});
