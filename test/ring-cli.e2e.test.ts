// The `punctual` CLI over a ring of two controllers (issue 14), each a real
// process with its own real worker, the CLI the compiled one (node
// dist/cli/main.js) always pointed at c0: `infer` of a model c1 owns reaches
// c1; `models register --copies 4` registers every copy, each on the member
// that owns it (placement checked against ControllerRing); `models list` and
// `status` read both members, labelled (a page at a time too, none skipped);
// `models unregister` reaches the owner. The ring's names are fixed (c0, c1): c0 owns cls, c1 owns det.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ControllerRing, type RingMember } from '../client/index.js';
import { freePort } from '../bench/support.js';
import { copiesByOwner, ringRoute } from '../cli/ring-route.js';
import { parseRing } from '../common/ring.js';
import { buildAddModel } from './support/onnx-builder.js';
import { CLI, TestCluster } from './support/cluster.js';

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** The compiled CLI, pointed at `controller`, without a TTY. */
function punctual(controller: string, args: string[], timeoutMs = 120_000): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, '--controller', controller, ...args], { timeout: timeoutMs, env: { ...process.env, PUNCTUAL_CONTROLLER: '', PUNCTUAL_TOKEN: '' } }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : null) : 0, stdout, stderr });
    });
  });
}

/** What the ring-wide --json answers hold. */
interface RingAnswer<T> {
  ring: { version: string; members: RingMember[] };
  controllers: ({ controller: RingMember } & T)[];
}

describe('the CLI over a ring of two controllers', () => {
  const shards: TestCluster[] = [];
  let ring: ControllerRing;
  let c0 = '';
  let modelFile = '';
  /** A name whose 4 copies land on both members (so the registration needs both). */
  let base = '';

  beforeAll(async () => {
    const ports = [await freePort(), await freePort()];
    ring = new ControllerRing(parseRing(`c0=127.0.0.1:${ports[0]},c1=127.0.0.1:${ports[1]}`));
    const spec = ring.members.map((m) => `${m.name}=${m.address}`).join(',');
    for (const [i, model] of (['cls', 'det'] as const).entries()) {
      const cluster = await TestCluster.withDefaultRepo([model]);
      await cluster.startController(['--port', String(ports[i]), '--ring', spec, '--ring-name', `c${i}`, '--profile-iterations', '5']);
      cluster.startWorker();
      await cluster.waitForWorkers(1);
      shards.push(cluster);
    }
    c0 = shards[0]!.address;
    modelFile = path.join(path.dirname(shards[0]!.repo), 'add1.onnx');
    fs.writeFileSync(modelFile, buildAddModel({ addend: 1 }));
    base = ['add', 'plus', 'sum', 'inc', 'more'].find((n) => copiesByOwner(ringRoute(ring), n, 4).length === 2)!;
    expect(base).toBeDefined();
  }, 180_000);

  afterAll(async () => {
    await Promise.all(shards.map((s) => s.stop()));
  });

  it('infer of a model c1 owns, pointed at c0, is answered by c1', async () => {
    expect(ring.owner('det').name).toBe('c1');
    const r = await punctual(c0, ['infer', 'det', '--slo-ms', '5000', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as { status: string; model: string; worker?: string };
    expect(report).toMatchObject({ status: 'OK', model: 'det' });
    const c1Workers = (await shards[1]!.client.clusterStatus()).workers.flatMap((w) => [w.id, w.name]);
    expect(c1Workers).toContain(report.worker);
  }, 60_000);

  it('models register --copies 4, pointed at c0, registers each copy on its owner, all 4', async () => {
    const r = await punctual(c0, ['models', 'register', modelFile, '--name', base, '--copies', '4', '--batch-sizes', '1', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const answer = JSON.parse(r.stdout) as RingAnswer<{ registered: { models: { name: string }[] } }> & { copies: number; registered: number };
    expect(answer.ring.version).toBe(ring.version);
    expect([answer.copies, answer.registered]).toEqual([4, 4]);
    const shares = copiesByOwner(ringRoute(ring), base, 4);
    expect(answer.controllers.map((c) => [c.controller.name, c.registered.models.map((m) => m.name).sort()])).toEqual(shares.map((s) => [s.member.name, [...s.names].sort()]));
    // Each controller serves exactly the copies the ring gives it.
    for (const [i, shard] of shards.entries()) {
      const own = (await shard.client.listModels()).map((m) => m.name).filter((n) => n.startsWith(`${base}-`));
      expect(own.sort(), `c${i}`).toEqual(shares.find((s) => s.member.name === `c${i}`)!.names.sort());
    }
  }, 180_000);

  it('models list --json, pointed at c0, lists every model once, under its owner', async () => {
    const r = await punctual(c0, ['models', 'list', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const answer = JSON.parse(r.stdout) as RingAnswer<{ models: { name: string; version: number }[] }>;
    expect(answer.controllers.map((c) => c.controller.name)).toEqual(['c0', 'c1']);
    const listed = answer.controllers.flatMap((c) => c.models.map((m) => ({ name: m.name, on: c.controller.name })));
    const every = ['cls', 'det', ...Array.from({ length: 4 }, (_, i) => `${base}-${i}`)].sort();
    expect(listed.map((m) => m.name).sort()).toEqual(every);
    for (const m of listed) expect(ring.owner(m.name).name, m.name).toBe(m.on);
    // A page at a time, one --page-token for both members: every model is seen, none skipped.
    const seen = new Set<string>();
    let token = '';
    for (let pages = 0; pages < 8; pages++) {
      const p = await punctual(c0, ['models', 'list', '--limit', '2', '--json', ...(token ? ['--page-token', token] : [])]);
      expect(p.code, p.stderr).toBe(0);
      const page = JSON.parse(p.stdout) as RingAnswer<{ page: { models: { name: string }[] } }> & { nextPageToken?: string };
      for (const c of page.controllers) for (const m of c.page.models) seen.add(m.name);
      token = page.nextPageToken ?? '';
      if (!token) break;
    }
    expect(token).toBe('');
    expect([...seen].sort()).toEqual(every);
    // The readable form: each member's table under its name.
    const human = await punctual(c0, ['models', 'list']);
    expect(human.code, human.stderr).toBe(0);
    expect(human.stdout).toContain(`controller c0 at ${shards[0]!.address}`);
    expect(human.stdout).toContain(`controller c1 at ${shards[1]!.address}`);
  }, 60_000);

  it('a copy c1 owns is served through c0, and unregistered through c0 by its owner', async () => {
    const copy = copiesByOwner(ringRoute(ring), base, 4).find((s) => s.member.name === 'c1')!.names[0]!;
    const inferred = await punctual(c0, ['infer', copy, '--slo-ms', '5000', '--json']);
    expect(inferred.code, inferred.stderr).toBe(0);
    expect(JSON.parse(inferred.stdout)).toMatchObject({ status: 'OK', model: copy });
    const removed = await punctual(c0, ['models', 'unregister', copy, '--json']);
    expect(removed.code, removed.stderr).toBe(0);
    expect(JSON.parse(removed.stdout)).toEqual({ removed: [`${copy}@1`] });
    expect((await shards[1]!.client.listModels()).map((m) => m.name)).not.toContain(copy);
  }, 60_000);

  it('status --json, pointed at c0, shows each member with its own worker', async () => {
    const r = await punctual(c0, ['status', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const answer = JSON.parse(r.stdout) as RingAnswer<{ status: { workers: unknown[]; models: { name: string }[] } }>;
    expect(answer.controllers.map((c) => [c.controller.name, c.status.workers.length])).toEqual([
      ['c0', 1],
      ['c1', 1],
    ]);
    expect(answer.controllers[1]!.status.models.map((m) => m.name)).toContain('det');
  }, 60_000);
});
