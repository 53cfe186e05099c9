// `punctual ring rebalance` and `ring show` against in-process fake members
// (grpc-js servers on port 0 holding models in memory): a failure on one
// model is reported and the others still move, with exit status 1; a member
// that does not answer is reported and what it owns is not touched; text and
// --json reports.
import crypto from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import { afterEach, describe, expect, it } from 'vitest';
import { ControllerRing, type RingMember } from '../../common/ring.js';
import { protos } from '../../common/protos.js';
import type { AdminHandlers, RegisterMetadata__Output } from '../../common/wire.js';
import { runCliCaptured } from '../../test/support/run-cli.js';

const sha = (b: Uint8Array): string => crypto.createHash('sha256').update(b).digest('hex');

/** A member of the ring: its models (by "name@version") and the registrations it refuses. */
interface FakeMember {
  member: RingMember;
  models: Map<string, Buffer>;
  refuse: Set<string>;
  server: grpc.Server;
}

const failure = (code: grpc.status, details: string): Partial<grpc.ServiceError> => ({ code, details });

async function startMember(name: string, ring: () => RingMember[]): Promise<FakeMember> {
  const fake = { models: new Map<string, Buffer>(), refuse: new Set<string>() } as FakeMember;
  const key = (n: string, v: number): string => `${n}@${v}`;
  const versionsOf = (n: string): [number, Buffer][] => [...fake.models].filter(([k]) => k.startsWith(`${n}@`)).map(([k, b]) => [Number(k.slice(n.length + 1)), b]);
  const admin: Partial<AdminHandlers> = {
    GetRing: (_call, cb) => {
      const members = ring();
      cb(null, members.length > 0 ? { members, version: new ControllerRing(members).version, self: name } : { members: [], version: '', self: '' });
    },
    ListModels: (_call, cb) =>
      cb(null, { models: [...fake.models].map(([k, b]) => ({ name: k.slice(0, k.indexOf('@')), version: Number(k.slice(k.indexOf('@') + 1)), sizeBytes: b.byteLength })) }),
    ExportModel: (call) => {
      const b = fake.models.get(key(call.request.name, Number(call.request.version)));
      if (!b) return void call.emit('error', failure(grpc.status.NOT_FOUND, 'not held'));
      call.write({ meta: { name: call.request.name, version: call.request.version, size: b.byteLength, sha256: sha(b), copies: 1 } });
      call.write({ chunk: b });
      call.end();
    },
    RegisterModel: (call, cb) => {
      let meta: RegisterMetadata__Output | undefined;
      const parts: Buffer[] = [];
      call.on('data', (m: { meta?: RegisterMetadata__Output; chunk?: Buffer }) => {
        if (m.meta) meta = m.meta;
        if (m.chunk) parts.push(m.chunk);
      });
      call.on('end', () => {
        if (!meta) return cb(failure(grpc.status.INVALID_ARGUMENT, 'no metadata'));
        if (fake.refuse.has(meta.name)) return cb(failure(grpc.status.INVALID_ARGUMENT, `refused ${meta.name}`));
        fake.models.set(key(meta.name, meta.version), Buffer.concat(parts));
        cb(null, { models: [], replaced: [], readyMs: 1 });
      });
    },
    UnregisterModel: (call, cb) => {
      const k = key(call.request.name, Number(call.request.version));
      if (!fake.models.delete(k)) return cb(failure(grpc.status.NOT_FOUND, 'not held'));
      cb(null, { removed: [k] });
    },
    DescribeModel: (call, cb) => {
      const versions = versionsOf(call.request.name);
      if (versions.length === 0) return cb(failure(grpc.status.NOT_FOUND, 'not registered'));
      cb(null, { name: call.request.name, versions: versions.map(([version, b]) => ({ info: { name: call.request.name, version }, sha256: sha(b) })) });
    },
  };
  fake.server = new grpc.Server();
  fake.server.addService(protos().admin.punctual.v1.Admin.service, admin as AdminHandlers);
  const port = await new Promise<number>((resolve, reject) => fake.server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))));
  fake.member = { name, address: `127.0.0.1:${port}` };
  return fake;
}

describe('punctual ring rebalance', () => {
  const started: FakeMember[] = [];
  afterEach(() => {
    for (const m of started.splice(0)) m.server.forceShutdown();
  });

  /** Members c0..c(n-1); c0 holds `names` (version 1, a few bytes each). */
  async function ringOf(n: number, names: string[]): Promise<{ members: FakeMember[]; ring: ControllerRing }> {
    let members: RingMember[] = [];
    for (let i = 0; i < n; i++) started.push(await startMember(`c${i}`, () => members));
    members = started.map((m) => m.member);
    for (const name of names) started[0]!.models.set(`${name}@1`, Buffer.from(`bytes of ${name}`));
    return { members: [...started], ring: new ControllerRing(members) };
  }

  const names = Array.from({ length: 12 }, (_, i) => `m-${i}`);

  it('reports a model that fails, moves the others, and exits 1', async () => {
    const { members, ring } = await ringOf(2, names);
    const [c0, c1] = members as [FakeMember, FakeMember];
    const toC1 = names.filter((n) => ring.owner(n).name === 'c1');
    expect(toC1.length).toBeGreaterThan(1);
    c1.refuse.add(toC1[0]!);
    const r = await runCliCaptured(['--controller', c0.member.address, 'ring', 'rebalance']);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(`failed   ${toC1[0]}@1  c0 → c1: INVALID_ARGUMENT: refused ${toC1[0]}`);
    for (const n of toC1.slice(1)) expect(r.stdout).toContain(`moved    ${n}@1  c0 → c1`);
    expect(r.stdout).toContain(`${toC1.length - 1} moved`);
    expect(r.stdout).toContain('1 failed');
    // The failed one stays where it was; the others moved whole.
    expect([...c1.models.keys()].sort()).toEqual(toC1.slice(1).map((n) => `${n}@1`).sort());
    for (const n of toC1.slice(1)) expect(c1.models.get(`${n}@1`)?.toString()).toBe(`bytes of ${n}`);
    expect(c0.models.has(`${toC1[0]}@1`)).toBe(true);
    expect([...c0.models.keys()].filter((k) => toC1.slice(1).includes(k.slice(0, -2)))).toEqual([]);

    // Once the owner takes it, a second run moves only it.
    c1.refuse.clear();
    const again = await runCliCaptured(['--controller', c1.member.address, '--json', 'ring', 'rebalance']);
    expect(again.code).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({ steps: [{ model: `${toC1[0]}@1`, action: 'move', status: 'moved' }], moved: 1, failed: 0 });
    expect(again.stderr).toBe('');
  });

  it('reports a member that does not answer, and leaves what it owns where it is', async () => {
    const { members, ring } = await ringOf(3, names);
    const [c0, , c2] = members as [FakeMember, FakeMember, FakeMember];
    c2.server.forceShutdown();
    const r = await runCliCaptured(['--controller', c0.member.address, '--json', 'ring', 'rebalance']);
    expect(r.code).toBe(1);
    const doc = JSON.parse(r.stdout) as { steps: { model: string; action: string; status: string; to: string }[]; unread: { controller: string }[] };
    expect(doc.unread.map((u) => u.controller)).toEqual(['c2']);
    const toC2 = names.filter((n) => ring.owner(n).name === 'c2');
    expect(doc.steps.filter((s) => s.to === 'c2').map((s) => [s.model, s.action, s.status])).toEqual(toC2.map((n) => [`${n}@1`, 'blocked', 'failed']));
    expect(doc.steps.filter((s) => s.to === 'c1').every((s) => s.status === 'moved')).toBe(true);
    for (const n of toC2) expect(c0.models.has(`${n}@1`)).toBe(true);

    const shown = await runCliCaptured(['--controller', c0.member.address, 'ring', 'show']);
    expect(shown.code).toBe(1);
    expect(shown.stdout).toMatch(/c2\s+127\.0\.0\.1:\d+\s+-\s+-\s+unreachable: UNAVAILABLE/);
    expect(shown.stdout).toMatch(new RegExp(`c0 \\(this one\\)\\s+\\S+\\s+${names.length - doc.steps.filter((s) => s.status === 'moved').length}\\s+${toC2.length}\\s+same`));
  });

  it('with --dry-run changes nothing; a controller alone has nothing to move', async () => {
    const { members } = await ringOf(2, names);
    const r = await runCliCaptured(['--controller', members[0]!.member.address, 'ring', 'rebalance', '--dry-run']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/would move {4}m-\d+@1 {2}c0 → c1/);
    expect(members[1]!.models.size).toBe(0);
    expect(members[0]!.models.size).toBe(names.length);
    const solo = await startMember('solo', () => []);
    started.push(solo);
    const alone = await runCliCaptured(['--controller', solo.member.address, 'ring', 'rebalance']);
    expect(alone).toMatchObject({ code: 0, stdout: expect.stringContaining('not in a ring (no --ring): it owns every model: nothing to move') });
  });
});
