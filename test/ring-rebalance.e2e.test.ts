// Adding a controller to a ring moves only its share of the models (issue
// 14, point 2), with real controller and worker processes. c0 starts alone
// in a ring of one and gets copies of the bundled cls; c1 starts in a ring of
// two (c0, c1) with an empty repository, and `ring rebalance` refuses while
// c0 still knows the old ring. Then c0 is restarted in the ring of two:
// `ring show` counts what c0 holds off its owner, `rebalance --dry-run`
// moves nothing, `rebalance --keep` copies exactly the versions
// ControllerRing places on c1 there, `rebalance` then removes them from c0
// (the rest stay), a third run has nothing to do, and a ring client's
// request for a moved model is answered (by c1: c0 no longer holds it).
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ControllerRing, PunctualAdmin, PunctualRingClient } from '../client/index.js';
import { freePort } from '../bench/support.js';
import { runCliCaptured } from './support/run-cli.js';
import { randomFloat32, SHAPES, TestCluster } from './support/cluster.js';

const COPIES = 10;

interface RebalanceDoc {
  steps: { action: string; model: string; from: string; to: string; bytes: number; status: string }[];
  moved: number;
  removed: number;
  failed: number;
  placed: number;
}

describe('ring rebalance after a controller joins', () => {
  let c0: TestCluster;
  let c1: TestCluster;
  let ringOfTwo: ControllerRing;
  let both = '';
  const fast = ['--profile-iterations', '2'];
  const names = [...Array.from({ length: COPIES }, (_, i) => `m-${i}`), 'cls'];

  const listed = async (cluster: TestCluster): Promise<string[]> => {
    const admin = new PunctualAdmin(cluster.address);
    try {
      return (await admin.listModels({ brief: true })).map((m) => `${m.name}@${m.version}`).sort();
    } finally {
      admin.close();
    }
  };
  const cli = (args: string[]) => runCliCaptured(['--controller', c0.address, '--json', 'ring', ...args]);

  beforeAll(async () => {
    const ports = [await freePort(), await freePort()];
    const m0 = { name: 'c0', address: `127.0.0.1:${ports[0]}` };
    const m1 = { name: 'c1', address: `127.0.0.1:${ports[1]}` };
    ringOfTwo = new ControllerRing([m0, m1]);
    c0 = await TestCluster.withDefaultRepo(['cls']);
    await c0.startController(['--port', String(ports[0]), '--ring', `c0=${m0.address}`, '--ring-name', 'c0', ...fast]);
    const admin = new PunctualAdmin(c0.address);
    try {
      await admin.register(fs.readFileSync(path.join(c0.repo, 'cls', '1', 'model.onnx')), { name: 'm', copies: COPIES, inputs: [{ name: '', dtype: '', shape: [...SHAPES.cls] }] });
    } finally {
      admin.close();
    }
    both = `c0=${m0.address},c1=${m1.address}`;
    c1 = TestCluster.withEmptyRepo();
    await c1.startController(['--port', String(ports[1]), '--ring', both, '--ring-name', 'c1', ...fast]);
    c1.startWorker();
    await c1.waitForWorkers(1);
  }, 120_000);

  afterAll(async () => {
    await Promise.all([c0?.stop(), c1?.stop()]);
  });

  it('refuses to move anything while the members disagree on the ring', async () => {
    // c1 is in the ring of two; c0 is still alone in its ring of one.
    const r = await runCliCaptured(['--controller', c1.address, '--json', 'ring', 'rebalance']);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout)).toMatchObject({ status: 'FAILED_PRECONDITION', message: expect.stringMatching(/do not agree on the ring .*c0 \(ring [0-9a-f]+, calls itself c0\)/) });
    expect(await listed(c1)).toEqual([]);
    // The ring changed: every member restarted with it.
    await c0.stopController();
    await c0.restartController(['--ring', both, '--ring-name', 'c0', ...fast]);
  }, 60_000);

  it('moves exactly the models the ring gives the new member (--keep first, then removing the copies), then nothing', async () => {
    const toC1 = names.filter((n) => ringOfTwo.owner(n).name === 'c1');
    const stay = names.filter((n) => ringOfTwo.owner(n).name === 'c0');
    // Both are non-empty for these names and this ring (a fixed hash), so the test sees both sides.
    expect(toC1.length).toBeGreaterThan(0);
    expect(stay.length).toBeGreaterThan(0);
    const keys = (ns: string[]): string[] => ns.map((n) => `${n}@1`).sort();

    const shown = await cli(['show']);
    expect(shown.code).toBe(0);
    const census = JSON.parse(shown.stdout) as { version: string; members: { name: string; models: number; notOwned: number; sameRing: boolean }[] };
    expect(census.version).toBe(ringOfTwo.version);
    expect(census.members).toEqual([
      expect.objectContaining({ name: 'c0', models: names.length, notOwned: toC1.length, sameRing: true }),
      expect.objectContaining({ name: 'c1', models: 0, notOwned: 0, sameRing: true }),
    ]);

    const dry = await cli(['rebalance', '--dry-run']);
    expect(dry.code).toBe(0);
    expect((JSON.parse(dry.stdout) as RebalanceDoc).steps.map((s) => [s.model, s.status])).toEqual(keys(toC1).map((k) => [k, 'planned']));
    expect(await listed(c1)).toEqual([]);

    // --keep: copied to c1, still on c0.
    const kept = await cli(['rebalance', '--keep']);
    expect(kept.stderr).toBe('');
    expect(kept.code).toBe(0);
    const doc = JSON.parse(kept.stdout) as RebalanceDoc;
    expect(doc.steps.map((s) => s.model).sort()).toEqual(keys(toC1));
    for (const s of doc.steps) expect(s).toMatchObject({ action: 'move', from: 'c0', to: 'c1', status: 'moved' });
    expect(doc.steps.every((s) => s.bytes > 0)).toBe(true);
    expect(doc).toMatchObject({ moved: toC1.length, removed: 0, failed: 0, placed: stay.length });
    expect(await listed(c1)).toEqual(keys(toC1));
    expect(await listed(c0)).toEqual(keys(names));

    // Without --keep: c1 holds the same bytes now, so c0's copies are removed, nothing is sent again.
    const run = await cli(['rebalance']);
    expect(run.code).toBe(0);
    const dropped = JSON.parse(run.stdout) as RebalanceDoc;
    expect(dropped.steps.map((s) => [s.model, s.action, s.status])).toEqual(keys(toC1).map((k) => [k, 'drop', 'removed']));
    expect(dropped).toMatchObject({ moved: 0, removed: toC1.length, failed: 0 });
    expect(await listed(c1)).toEqual(keys(toC1));
    expect(await listed(c0)).toEqual(keys(stay));

    const again = await cli(['rebalance']);
    expect(again.code).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({ steps: [], moved: 0, failed: 0, placed: names.length });
    const text = await runCliCaptured(['--controller', c1.address, 'ring', 'rebalance']);
    expect(text.stdout).toContain(`nothing to move: all ${names.length} model versions are on their owner`);
  }, 60_000);

  it("answers a ring client's request for a moved model, from its new owner", async () => {
    const moved = names.find((n) => ringOfTwo.owner(n).name === 'c1')!;
    const client = new PunctualRingClient(c0.address);
    try {
      const r = await client.infer(moved, { x: randomFloat32([1, ...SHAPES.cls]) }, { sloMs: 5000 });
      expect(r.model).toBe(moved);
      expect(Object.keys(r.outputs).length).toBeGreaterThan(0);
    } finally {
      client.close();
    }
  }, 30_000);
});
