// Token checks per role: what is open, what needs which token, and the
// status a missing or wrong token gets.
import * as grpc from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import { Status } from '../common/errors.js';
import { Authorizer, type Role } from './auth.js';

const md = (header?: string): grpc.Metadata => {
  const m = new grpc.Metadata();
  if (header !== undefined) m.set('authorization', header);
  return m;
};
const code = (a: Authorizer, header: string | undefined, role: Role): string => {
  const err = a.check(md(header), role);
  return err ? Status[err.code]! : 'OK';
};

describe('Authorizer', () => {
  it('leaves everything open without tokens', () => {
    const a = new Authorizer({});
    for (const role of ['admin', 'infer', 'read', 'worker'] as const) expect(code(a, undefined, role)).toBe('OK');
  });

  it('guards admin and worker with the admin token, leaves inference open', () => {
    const a = new Authorizer({ adminToken: 'A' });
    expect(code(a, undefined, 'admin')).toBe('UNAUTHENTICATED');
    expect(code(a, 'Basic A', 'admin')).toBe('UNAUTHENTICATED');
    expect(code(a, 'Bearer B', 'admin')).toBe('PERMISSION_DENIED');
    expect(code(a, 'Bearer AA', 'admin')).toBe('PERMISSION_DENIED');
    expect(code(a, 'Bearer A', 'admin')).toBe('OK');
    expect(code(a, 'bearer A', 'worker')).toBe('OK');
    expect(code(a, undefined, 'worker')).toBe('UNAUTHENTICATED');
    expect(code(a, undefined, 'infer')).toBe('OK');
    expect(code(a, undefined, 'read')).toBe('OK');
  });

  it('accepts the infer or the admin token for inference once an infer token is set; a worker token only on the worker stream', () => {
    const a = new Authorizer({ adminToken: 'A', inferToken: 'I', workerToken: 'W' });
    expect(code(a, undefined, 'infer')).toBe('UNAUTHENTICATED');
    expect(code(a, 'Bearer I', 'infer')).toBe('OK');
    expect(code(a, 'Bearer A', 'infer')).toBe('OK');
    expect(code(a, 'Bearer W', 'infer')).toBe('PERMISSION_DENIED');
    expect(code(a, 'Bearer I', 'admin')).toBe('PERMISSION_DENIED');
    expect(code(a, 'Bearer W', 'worker')).toBe('OK');
    expect(code(a, 'Bearer I', 'read')).toBe('OK');
  });
});
