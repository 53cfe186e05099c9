// Graceful drain on SIGTERM, end to end with real processes: a worker that is
// told to stop finishes the actions it holds before leaving, and a controller
// stops accepting (UNAVAILABLE) but answers every request it already accepted
// before it exits. No accepted request is dropped either way.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChildProcess } from 'node:child_process';
import type { InferResult } from '../client/index.js';
import { call, oipClient, sample, scrape } from './support/oip-client.js';
import { randomFloat32, SHAPES, TestCluster } from './support/cluster.js';

function exitOf(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

describe('SIGTERM drains without dropping an accepted request', () => {
  let cluster: TestCluster;

  beforeAll(async () => {
    cluster = await TestCluster.withDefaultRepo(['det']);
    await cluster.startController();
    cluster.startWorker();
    cluster.startWorker();
    await cluster.waitForWorkers(2);
  });

  afterAll(async () => {
    await cluster?.stop();
  });

  /** Sends n det requests at once with a generous SLO; resolves once the controller has accepted all of them. */
  async function burst(n: number, baseOk: number): Promise<{ all: Promise<PromiseSettledResult<InferResult>[]>; inFlight: number }> {
    const all = Promise.allSettled(Array.from({ length: n }, () => cluster.client.infer('det', { x: randomFloat32([...SHAPES.det]) }, { sloMs: 20_000 })));
    const until = Date.now() + 20_000;
    for (;;) {
      const text = await scrape(cluster.metricsPort);
      const inFlight = sample(text, 'punctual_requests_in_flight');
      const accepted = inFlight + sample(text, 'punctual_requests_total', { model: 'det', status: 'OK' }) - baseOk;
      if (accepted >= n) return { all, inFlight };
      if (Date.now() > until) throw new Error(`only ${accepted} of ${n} accepted`);
      await new Promise((r) => setTimeout(r, 2));
    }
  }

  it('a worker finishes what it holds, leaves cleanly, and every request is answered OK', async () => {
    const { all, inFlight } = await burst(40, 0);
    expect(inFlight).toBeGreaterThan(0); // the signal lands while work is in flight
    const worker = cluster.workers[0]!;
    worker.kill('SIGTERM');
    const results = await all;
    expect(results.filter((r) => r.status === 'rejected').map((r) => String((r as PromiseRejectedResult).reason))).toEqual([]);
    expect(await exitOf(worker)).toBe(0);
    await cluster.waitForWorkers(1);
  });

  it('under continuous load, a draining worker leaves within seconds, and every request is answered OK', async () => {
    cluster.startWorker();
    await cluster.waitForWorkers(2);
    const stopAt = Date.now() + 5_000;
    const failures: string[] = [];
    let ok = 0;
    const loop = async (): Promise<void> => {
      while (Date.now() < stopAt) {
        await cluster.client.infer('det', { x: randomFloat32([...SHAPES.det]) }, { sloMs: 20_000 }).then(
          () => ok++,
          (e: unknown) => failures.push(String(e)),
        );
      }
    };
    const load = Promise.all(Array.from({ length: 8 }, () => loop()));
    await new Promise((r) => setTimeout(r, 1_000));
    const worker = cluster.workers.find((w) => w.exitCode === null)!;
    const t0 = Date.now();
    worker.kill('SIGTERM');
    // It leaves promptly although the load goes on (that the controller sends it
    // nothing new once told is checked in controller/serving-core.test.ts).
    expect(await exitOf(worker)).toBe(0);
    const exitedAfter = Date.now() - t0;
    expect(Date.now()).toBeLessThan(stopAt); // the load was still running when it left
    await load;
    expect(failures).toEqual([]);
    expect(ok).toBeGreaterThan(20);
    expect(exitedAfter).toBeLessThan(3_000);
    await cluster.waitForWorkers(1);
  });

  it('the controller refuses new requests with UNAVAILABLE, answers every accepted one, then exits 0', async () => {
    const baseOk = sample(await scrape(cluster.metricsPort), 'punctual_requests_total', { model: 'det', status: 'OK' });
    const { all, inFlight } = await burst(30, baseOk);
    expect(inFlight).toBeGreaterThan(0);
    const controller = cluster.controllerProcess!;
    controller.kill('SIGTERM');
    // Once it says it is not ready, a new request is refused: "draining" while
    // it waits, or the port is closed after.
    const oip = oipClient(cluster.address);
    for (;;) {
      const ready = await call<{ ready: boolean }>((cb) => oip.ServerReady({}, cb)).then((r) => r.ready, () => false);
      if (!ready) break;
    }
    oip.close();
    const late = await cluster.client.infer('det', { x: randomFloat32([...SHAPES.det]) }, { sloMs: 20_000 }).then(
      () => 'ok',
      (e: unknown) => e,
    );
    const results = await all;
    expect(results.filter((r) => r.status === 'rejected').map((r) => String((r as PromiseRejectedResult).reason))).toEqual([]);
    expect(late).toMatchObject({ code: 14 }); // UNAVAILABLE
    expect(await exitOf(controller)).toBe(0);
  });
});
