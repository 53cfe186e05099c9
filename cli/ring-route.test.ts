// cli/ring-route.ts: which controller a CLI call goes to. The ring is learnt
// from a real grpc-js server answering Admin.GetRing (the fake backend is a
// controller alone); placement is checked against ControllerRing itself.
import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PunctualClientError } from '../client/errors.js';
import { protos, SERVER_OPTIONS } from '../common/protos.js';
import { ControllerRing, parseRing, type RingMember } from '../common/ring.js';
import type { AdminHandlers, GetRingResponse } from '../common/wire.js';
import { startFakeBackend, type FakeBackend } from '../test/support/fake-backend.js';
import type { CliContext, GlobalOptions } from './context.js';
import { aloneRoute, copiesByOwner, exitCodeOf, learnRoute, onEach, onRingToken, renderEach, ringJson, ringNextToken, ringRoute, writeEach, type MemberOutcome } from './ring-route.js';

// With these names c0 owns cls and c1 owns det (controller/shard.test.ts relies on it too).
const ring = new ControllerRing(parseRing('c0=127.0.0.1:7001,c1=127.0.0.1:7002'));
const globals = (controller: string, json = false): GlobalOptions => ({ controller, json });

/** A server whose Admin answers GetRing only (the rest UNIMPLEMENTED). */
async function ringServer(answer: GetRingResponse): Promise<{ address: string; close: () => void }> {
  const server = new grpc.Server(SERVER_OPTIONS);
  const admin: Partial<AdminHandlers> = { GetRing: (_call, callback) => callback(null, answer) };
  server.addService(protos().admin.punctual.v1.Admin.service, admin as AdminHandlers);
  const port = await new Promise<number>((resolve, reject) => server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))));
  return { address: `127.0.0.1:${port}`, close: () => server.forceShutdown() };
}

describe('learnRoute', () => {
  let backend: FakeBackend;
  beforeAll(async () => {
    backend = await startFakeBackend();
  });
  afterAll(async () => {
    await backend.close();
  });

  it('a controller in no ring is --controller alone: every model its own', async () => {
    const route = await learnRoute(globals(backend.address));
    const self = { name: backend.address, address: backend.address };
    expect(route.ring).toBeUndefined();
    expect(route.members).toEqual([self]);
    expect(route.owner('det')).toEqual(self);
  });

  it("a ring member's ring: each model at its owner, the member that answered where --controller reached it", async () => {
    // c0 answers here, not at its ring address (a port-forward, say).
    const server = await ringServer({ members: ring.members.map((m) => ({ ...m })), version: ring.version, self: 'c0' });
    try {
      const route = await learnRoute(globals(server.address));
      expect(route.ring?.version).toBe(ring.version);
      expect(route.ring?.members).toEqual(ring.members);
      expect(route.members).toEqual([{ name: 'c0', address: server.address }, ring.member('c1')]);
      expect(route.owner('cls')).toEqual({ name: 'c0', address: server.address });
      expect(route.owner('det')).toEqual({ name: 'c1', address: '127.0.0.1:7002' });
    } finally {
      server.close();
    }
  });

  it('a controller that does not answer GetRing, or answers a malformed ring, is taken alone (the command then fails as it did)', async () => {
    const dead = await startFakeBackend();
    await dead.close();
    expect((await learnRoute(globals(dead.address))).members).toEqual([{ name: dead.address, address: dead.address }]);
    const bad = await ringServer({ members: [{ name: 'c0', address: 'not an address' }], version: 'x', self: 'c0' });
    try {
      expect((await learnRoute(globals(bad.address))).ring).toBeUndefined();
    } finally {
      bad.close();
    }
  });
});

describe('copiesByOwner', () => {
  it.each([1, 2, 4, 17])('places each of %i copies once, on the member the ring names, in ring order', (copies) => {
    const shares = copiesByOwner(ringRoute(ring), 'm', copies);
    const names = shares.flatMap((s) => s.names);
    const expected = copies === 1 ? ['m'] : Array.from({ length: copies }, (_, i) => `m-${i}`);
    expect([...names].sort()).toEqual([...expected].sort());
    for (const s of shares) {
      expect(s.names.length).toBeGreaterThan(0);
      for (const n of s.names) expect(ring.owner(n)).toEqual(s.member);
    }
    expect(shares.map((s) => s.member.name)).toEqual(ring.members.map((m) => m.name).filter((n) => shares.some((s) => s.member.name === n)));
  });

  it('leaves out a member that owns none of them', () => {
    expect(copiesByOwner(ringRoute(ring), 'cls', 1)).toEqual([{ member: ring.member('c0'), names: ['cls'] }]);
    expect(copiesByOwner(ringRoute(ring), 'det', 1)).toEqual([{ member: ring.member('c1'), names: ['det'] }]);
  });

  it('with a ring of one, or a controller alone, all of them on it', () => {
    const one = new ControllerRing([{ name: 'solo', address: '127.0.0.1:7001' }]);
    expect(copiesByOwner(ringRoute(one), 'm', 3)).toEqual([{ member: one.members[0], names: ['m-0', 'm-1', 'm-2'] }]);
    expect(copiesByOwner(aloneRoute('h:1'), 'm', 2)).toEqual([{ member: { name: 'h:1', address: 'h:1' }, names: ['m-0', 'm-1'] }]);
  });

  it('sends the share of the member that answered where --controller reached it', () => {
    const shares = copiesByOwner(ringRoute(ring, { name: 'c1', address: 'localhost:9000' }), 'det', 1);
    expect(shares).toEqual([{ member: { name: 'c1', address: 'localhost:9000' }, names: ['det'] }]);
  });
});

describe('answers of every member', () => {
  const c0 = ring.member('c0')!;
  const c1 = ring.member('c1')!;
  const call = async (m: RingMember): Promise<number> => {
    if (m.name === 'c1') throw new PunctualClientError(grpc.status.UNAVAILABLE, `cannot reach the controller at ${m.address}`);
    return 3;
  };

  it("one member's failure is its own outcome, and makes the exit status 1", async () => {
    const outcomes = await onEach(ring.members, call);
    expect(outcomes).toEqual([
      { controller: c0, value: 3 },
      { controller: c1, error: { status: 'UNAVAILABLE', message: 'cannot reach the controller at 127.0.0.1:7002' } },
    ]);
    expect(exitCodeOf(outcomes)).toBe(1);
    expect(exitCodeOf(outcomes.slice(0, 1))).toBe(0);
  });

  it('--json: the ring, then each member with its answer under the key or its error', async () => {
    const outcomes = await onEach(ring.members, call);
    expect(ringJson(ring, 'models', outcomes, { total: 3 })).toEqual({
      ring: { version: ring.version, members: ring.members },
      total: 3,
      controllers: [
        { controller: c0, models: 3 },
        { controller: c1, error: { status: 'UNAVAILABLE', message: 'cannot reach the controller at 127.0.0.1:7002' } },
      ],
    });
  });

  it('readable: a heading per member (unless the body names it), the error line for a failed one', async () => {
    const outcomes = await onEach(ring.members, call);
    expect(renderEach(outcomes, (n) => `${n} models`)).toBe(
      'controller c0 at 127.0.0.1:7001\n3 models\n\ncontroller c1 at 127.0.0.1:7002\nerror: UNAVAILABLE: cannot reach the controller at 127.0.0.1:7002',
    );
    expect(renderEach(outcomes.slice(0, 1), (n, m) => `${m.name}: ${n}`, false, false)).toBe('c0: 3');
  });

  it('writeEach writes one form or the other and sets the exit status', async () => {
    const outcomes = await onEach(ring.members, call);
    for (const json of [false, true]) {
      let out = '';
      const ctx: CliContext = { io: { stdout: { write: (s: string) => (out += s) }, stderr: { write: () => true }, env: {} }, exitCode: 0 };
      writeEach(ctx, globals('127.0.0.1:7001', json), ring, 'models', outcomes, (n) => `${n} models`, { footer: 'done' });
      expect(ctx.exitCode).toBe(1);
      if (json) expect(JSON.parse(out)).toEqual(ringJson(ring, 'models', outcomes));
      else expect(out).toBe(`${renderEach(outcomes, (n) => `${n} models`)}\n\ndone\n`);
    }
  });

  it('the routes: a ring names its members, alone names the address', () => {
    expect(ringRoute(ring).owner('det')).toEqual(c1);
    expect(aloneRoute('h:1').owner('det')).toEqual({ name: 'h:1', address: 'h:1' });
  });
});

describe('paging over a ring (one --page-token for every member)', () => {
  it('goes on from the least next token, so no member skips a model; none when every member is done', () => {
    expect(ringNextToken(['det@1', 'add-2@1'])).toBe('add-2@1');
    expect(ringNextToken(['', 'cls@1'])).toBe('cls@1');
    expect(ringNextToken(['m-10@1', 'm-9@1'])).toBe('m-10@1'); // key order is string order, as the controllers page
    expect(ringNextToken(['', ''])).toBe('');
    expect(ringNextToken([])).toBe('');
  });

  it('each page with more names that token; a finished page or a failed member stays as it was', () => {
    const [c0, c1] = ring.members as [RingMember, RingMember];
    const error = { status: 'UNAVAILABLE', message: 'down' };
    const pages: MemberOutcome<{ nextPageToken: string; n: number }>[] = [
      { controller: c0, value: { nextPageToken: 'det@1', n: 2 } },
      { controller: c1, value: { nextPageToken: 'add-2@1', n: 2 } },
      { controller: { name: 'c2', address: '127.0.0.1:7003' }, value: { nextPageToken: '', n: 1 } },
      { controller: { name: 'c3', address: '127.0.0.1:7004' }, error },
    ];
    const { outcomes, next } = onRingToken(pages);
    expect(next).toBe('add-2@1');
    expect(outcomes.map((o) => ('value' in o ? o.value : o.error))).toEqual([{ nextPageToken: 'add-2@1', n: 2 }, { nextPageToken: 'add-2@1', n: 2 }, { nextPageToken: '', n: 1 }, error]);
  });
});
