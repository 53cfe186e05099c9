// Token checks per role for every token configuration: what is open, what
// needs which token, what is closed to everyone (and says how to open it),
// and the status a missing or wrong token gets. The expected tables are
// written out, not computed, so a change of policy shows here line by line.
import * as grpc from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import { Status } from '../common/errors.js';
import { Authorizer, type Role, type TokenOptions } from './auth.js';

const md = (header?: string): grpc.Metadata => {
  const m = new grpc.Metadata();
  if (header !== undefined) m.set('authorization', header);
  return m;
};
const code = (a: Authorizer, header: string | undefined, role: Role): string => {
  const err = a.check(md(header), role);
  return err ? Status[err.code]! : 'OK';
};

// Short names: the expected outcome of a call.
const OK = 'OK';
const UN = 'UNAUTHENTICATED';
const PD = 'PERMISSION_DENIED';

/** What the call carries: nothing, a wrong token, or one of the tokens A (admin), I (infer), W (worker), L (local worker). */
const CALLS = { none: undefined, wrong: 'Bearer nope', A: 'Bearer A', I: 'Bearer I', W: 'Bearer W', L: 'Bearer L' } as const;
type Call = keyof typeof CALLS;
type Row = Record<Call, string>;
const row = (none: string, wrong: string, A: string, I: string, W: string, L: string): Row => ({ none, wrong, A, I, W, L });
const open = row(OK, OK, OK, OK, OK, OK);
const closed = row(PD, PD, PD, PD, PD, PD);

const TOKENS: Record<string, string> = { adminToken: 'A', inferToken: 'I', workerToken: 'W', localWorkerToken: 'L' };
const config = (...which: (keyof TokenOptions)[]): TokenOptions => Object.fromEntries(which.map((k) => [k, TOKENS[k]]));

// read (ListModels, V2 metadata) takes the same tokens as infer in every configuration.
const CASES: { name: string; opts: TokenOptions; admin: Row; infer: Row; worker: Row }[] = [
  { name: 'no token', opts: config(), admin: open, infer: open, worker: open },
  {
    name: 'infer token only',
    opts: config('inferToken'),
    admin: closed,
    infer: row(UN, PD, PD, OK, PD, PD),
    worker: closed,
  },
  {
    name: 'admin token only',
    opts: config('adminToken'),
    admin: row(UN, PD, OK, PD, PD, PD),
    infer: open,
    worker: row(UN, PD, OK, PD, PD, PD),
  },
  {
    name: 'worker token only',
    opts: config('workerToken'),
    admin: closed,
    infer: open,
    worker: row(UN, PD, PD, PD, OK, PD),
  },
  {
    name: 'admin and infer tokens',
    opts: config('adminToken', 'inferToken'),
    admin: row(UN, PD, OK, PD, PD, PD),
    infer: row(UN, PD, OK, OK, PD, PD),
    worker: row(UN, PD, OK, PD, PD, PD),
  },
  {
    name: 'all three tokens',
    opts: config('adminToken', 'inferToken', 'workerToken'),
    admin: row(UN, PD, OK, PD, PD, PD),
    infer: row(UN, PD, OK, OK, PD, PD),
    worker: row(UN, PD, OK, PD, OK, PD),
  },
  // `punctual up` with no worker token: its own workers carry a generated local token.
  {
    name: 'local worker token only (up without tokens)',
    opts: config('localWorkerToken'),
    admin: open,
    infer: open,
    worker: row(UN, PD, PD, PD, PD, OK),
  },
  {
    name: 'infer and local worker tokens (up --infer-token)',
    opts: config('inferToken', 'localWorkerToken'),
    admin: closed,
    infer: row(UN, PD, PD, OK, PD, PD),
    worker: row(UN, PD, PD, PD, PD, OK),
  },
  {
    name: 'admin and local worker tokens (up --admin-token)',
    opts: config('adminToken', 'localWorkerToken'),
    admin: row(UN, PD, OK, PD, PD, PD),
    infer: open,
    worker: row(UN, PD, OK, PD, PD, OK),
  },
];

describe('Authorizer', () => {
  describe.each(CASES)('with $name', ({ opts, admin, infer, worker }) => {
    const a = new Authorizer(opts);
    const table: Record<Role, Row> = { admin, infer, read: infer, worker };
    for (const role of ['admin', 'infer', 'read', 'worker'] as const) {
      it(`${role} calls`, () => {
        const got = Object.fromEntries((Object.keys(CALLS) as Call[]).map((c) => [c, code(a, CALLS[c], role)]));
        expect(got).toEqual(table[role]);
      });
    }
  });

  it('says how to open a closed Admin or worker stream', () => {
    const a = new Authorizer({ inferToken: 'I' });
    const adminErr = a.check(md('Bearer I'), 'admin');
    expect(adminErr?.code).toBe(Status.PERMISSION_DENIED);
    expect(adminErr?.reason).toBe('surface_closed');
    expect(adminErr?.message).toMatch(/Admin is closed/);
    expect(adminErr?.message).toContain('--admin-token');
    const workerErr = a.check(md(), 'worker');
    expect(workerErr?.code).toBe(Status.PERMISSION_DENIED);
    expect(workerErr?.message).toMatch(/worker stream is closed/);
    expect(workerErr?.message).toContain('--worker-token');
    expect(new Authorizer({ workerToken: 'W' }).check(md(), 'admin')?.message).toContain('--admin-token');
  });

  it('parses the header strictly: Bearer (any case) and one token', () => {
    const a = new Authorizer({ adminToken: 'A' });
    expect(code(a, 'Basic A', 'admin')).toBe(UN);
    expect(code(a, 'Bearer', 'admin')).toBe(UN);
    expect(code(a, 'Bearer A B', 'admin')).toBe(UN);
    expect(code(a, 'bearer A', 'admin')).toBe(OK);
    expect(code(a, 'Bearer  A ', 'admin')).toBe(OK);
    expect(code(a, 'Bearer AA', 'admin')).toBe(PD);
    expect(code(a, 'Bearer a', 'admin')).toBe(PD);
  });

  it('never puts a token in its messages', () => {
    const a = new Authorizer({ adminToken: 'admin-secret', inferToken: 'infer-secret' });
    for (const header of [undefined, 'Bearer infer-secret', 'Bearer guess']) {
      const err = a.check(md(header), 'admin');
      expect(err?.message).not.toMatch(/secret|guess/);
    }
  });
});
