// The serving core between the scheduler and the worker streams, driven by a
// manual clock and a fake worker connection that records what it is sent:
// an action that never gets a result is given up on, its request retried and
// answered once, and the metrics and README hear of it.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../common/clock.js';
import { createLogger } from '../common/log.js';
import type { ActionResult__Output, ControllerMessage } from '../common/wire.js';
import { Estimates } from './scheduler/estimates.js';
import { ControllerMetrics } from './metrics.js';
import { ModelRegistry } from './model-registry.js';
import { ServingCore } from './serving-core.js';
import type { WorkerConnection } from './worker-connection.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

interface Sent {
  id: number;
  type: string;
  modelKey: string;
}

/** A connected worker with one cpu executor and a zero clock offset, recording the actions it is sent. */
function fakeWorker(id: string): { conn: WorkerConnection; sent: Sent[] } {
  const sent: Sent[] = [];
  const conn = {
    id,
    name: id,
    closed: false,
    draining: false,
    adopted: [],
    executors: [{ index: 0, device: 'cpu', threads: 1, memoryBytes: 1e9 }],
    send: (msg: ControllerMessage) => {
      if (msg.action) sent.push({ id: Number(msg.action.id), type: String(msg.action.type), modelKey: String(msg.action.modelKey) });
    },
    toWorker: (t: number) => t,
    toController: (t: number) => t,
    close: () => undefined,
  } as unknown as WorkerConnection;
  return { conn, sent };
}

function setup() {
  const clock = new ManualClock(1000);
  const registry = new ModelRegistry();
  const model = registry.add({
    key: 'm@1',
    config: {
      name: 'm',
      version: 1,
      inputs: [{ name: 'x', dtype: 'float32', shape: [2] }],
      outputs: [{ name: 'y', dtype: 'float32', shape: [2] }],
      maxBatch: 1,
      batchSizes: [1],
      defaultSloMs: 5000,
    },
    dir: '',
    file: '',
    size: 0,
    sha256: '',
  });
  const estimates = new Estimates({ unknownExecMs: 10, unknownLoadMs: 50, clock });
  const core = new ServingCore({ clock, registry, estimates, log: createLogger('test', 'silent'), lostAfterMs: 1000 });
  core.addModel(model);
  const lost: string[][] = [];
  core.observers.push({ lost: (m, executor, type) => lost.push([m, executor, type]) });
  const metrics = new ControllerMetrics(core);
  core.observers.push(metrics);
  const { conn, sent } = fakeWorker('w1');
  const ok = (a: Sent, start: number, end: number): ActionResult__Output =>
    ({
      actionId: a.id,
      status: 'OK',
      message: '',
      receivedMs: start,
      startMs: start,
      endMs: end,
      durationMs: end - start,
      memoryBytes: 1000,
      outputs: a.type === 'INFER' ? [{ name: 'y', dtype: 'float32', shape: [1, 2], data: Buffer.alloc(8) }] : [],
    }) as unknown as ActionResult__Output;
  return { clock, core, model, conn, sent, lost, metrics, ok };
}

let cleanup: (() => void) | undefined;
afterEach(() => {
  cleanup?.();
  cleanup = undefined;
});

describe('ServingCore', () => {
  it('gives up on an action with no result, sets its executor aside until it answers, then retries the request and answers it once', async () => {
    const { clock, core, model, conn, sent, lost, metrics, ok } = setup();
    cleanup = () => core.close();
    core.addWorker(conn);
    const load = sent.find((a) => a.type === 'LOAD')!;
    expect(load.modelKey).toBe('m@1');
    clock.advance(50);
    core.onResult(conn, ok(load, 1000, 1050));

    const answer = core.submit(model, [{ name: 'x', dtype: 'float32', shape: [1, 2], data: new Uint8Array(8) }], 5000, clock.now());
    const first = sent.filter((a) => a.type === 'INFER');
    expect(first).toHaveLength(1);

    // Predicted to end at 1060; nothing comes back. At 1060 + 1000 it is given up on.
    clock.set(2059);
    core.pump();
    expect(lost).toEqual([]);
    clock.set(2061);
    core.pump();
    expect(lost).toEqual([['m@1', 'w1/0', 'infer']]);
    // Its only executor is set aside: nothing is sent there meanwhile.
    expect(sent.filter((a) => a.type === 'INFER')).toHaveLength(1);

    // The first attempt's result, arriving late after all, answers nobody, but shows the executor is back; the retry goes out and answers.
    clock.set(2070);
    core.onResult(conn, ok(first[0]!, 1050, 2070));
    expect(core.inFlight).toBe(1);
    const retry = sent.filter((a) => a.type === 'INFER');
    expect(retry).toHaveLength(2);
    expect(retry[1]!.id).not.toBe(first[0]!.id);
    clock.set(2085);
    core.onResult(conn, ok(retry[1]!, 2071, 2083));
    const a = await answer;
    expect(a.totalMs).toBe(2085 - 1050);
    expect(core.inFlight).toBe(0);

    const text = await metrics.registry.metrics();
    expect(text).toMatch(/^punctual_actions_lost_total\{type="infer"\} 1$/m);
  });

  it('a request turned away on its first bytes still counts as demand: its model, resident nowhere, is loaded for the next ones', async () => {
    const { clock, core, conn, sent, model } = setup();
    cleanup = () => core.close();
    const late = core.registry.add({ ...model, key: 'late@1', config: { ...model.config, name: 'late' } });
    core.addWorker(conn); // warms what is registered, not late@1 (added after)
    const before = sent.filter((a) => a.modelKey === 'late@1').length;
    core.addModel(late);
    expect(sent.filter((a) => a.modelKey === 'late@1')).toHaveLength(before);
    // A cold start takes 50 + 10 ms (the unknown figures): a 30 ms SLO cannot be met.
    const err = core.rejectEarly(late, 1, 30, clock.now());
    expect(err?.message).toMatch(/slo_unattainable/);
    expect(sent.filter((a) => a.modelKey === 'late@1' && a.type === 'LOAD')).toHaveLength(1);
  });

  it('sets a silent worker aside: its work in flight runs on the other worker, answered once; it is taken back when it answers', async () => {
    const { clock, core, model, ok } = setup();
    cleanup = () => core.close();
    const conns = ['w2', 'w3'].map(fakeWorker);
    const join = (i: number): void => {
      const { conn, sent: mine } = conns[i]!;
      core.addWorker(conn);
      const load = mine.find((a) => a.type === 'LOAD')!;
      core.onResult(conn, ok(load, clock.now(), clock.now() + 1));
    };
    const input = [{ name: 'x', dtype: 'float32', shape: [1, 2], data: new Uint8Array(8) }];
    const infers = (i: number) => conns[i]!.sent.filter((a) => a.type === 'INFER');
    join(0);
    const answer = core.submit(model, input, 5000, clock.now()); // lands on w2, the only worker yet
    expect(infers(0)).toHaveLength(1);
    // w3 joins while a request is in flight: its warm-up waits for a lull in admissions.
    core.addWorker(conns[1]!.conn);
    expect(conns[1]!.sent.filter((a) => a.type === 'LOAD')).toEqual([]);
    core.suspendWorker(conns[0]!.conn, 1200);
    expect(conns[0]!.conn.unresponsive).toBe(true);
    // The re-planned request needs the model on w3: it is loaded there for it, then run.
    const load = conns[1]!.sent.find((a) => a.type === 'LOAD')!;
    expect(load.modelKey).toBe('m@1');
    expect(infers(1)).toHaveLength(0);
    core.onResult(conns[1]!.conn, ok(load, clock.now(), clock.now() + 1));
    expect(infers(1)).toHaveLength(1);
    // New requests go to w3 only.
    const second = core.submit(model, input, 5000, clock.now());
    clock.advance(10);
    core.onResult(conns[1]!.conn, ok(infers(1)[0]!, clock.now() - 10, clock.now()));
    expect(infers(0)).toHaveLength(1);
    expect(infers(1)).toHaveLength(2);
    // w2's late answer for the request already answered elsewhere answers nobody.
    core.onResult(conns[0]!.conn, ok(infers(0)[0]!, clock.now() - 10, clock.now()));
    clock.advance(10);
    core.onResult(conns[1]!.conn, ok(infers(1)[1]!, clock.now() - 10, clock.now()));
    expect((await answer).worker).toBe('w3');
    expect((await second).worker).toBe('w3');
    expect(core.inFlight).toBe(0);
    core.resumeWorker(conns[0]!.conn);
    expect(conns[0]!.conn.unresponsive).toBe(false);
    expect(core.view.executor('w2/0')!.usable).toBe(true);
  });

  it('admits the items of one request as a whole: a rejection leaves none queued, and a later failure of one never goes unhandled', async () => {
    const { clock, core, model, conn, sent, ok } = setup();
    cleanup = () => core.close();
    core.addWorker(conn);
    const load = sent.find((a) => a.type === 'LOAD')!;
    core.onResult(conn, ok(load, 1000, 1001));
    const item = [{ name: 'x', dtype: 'float32', shape: [1, 2], data: new Uint8Array(8) }];
    // Unknown exec estimate 10 ms per item at batch 1: 3 items need about 30 ms.
    expect(() => core.submitAll(model, [item, item, item], 25, clock.now())).toThrow(/slo_unattainable.*for all 3 items/);
    expect(core.inFlight).toBe(0);
    expect(core.view.queued()).toBe(0);
    const answers = core.submitAll(model, [item, item], 5000, clock.now());
    expect(core.inFlight).toBe(2);
    // The worker goes away: both items fail; awaiting only the first must leave no unhandled rejection.
    const unhandled: unknown[] = [];
    const onUnhandled = (e: unknown): void => {
      unhandled.push(e);
    };
    process.on('unhandledRejection', onUnhandled);
    try {
      core.removeWorker(conn);
      await expect(answers[0]).rejects.toMatchObject({ code: 14 });
      await new Promise((r) => setTimeout(r, 10));
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });

  it('sends a draining worker no new action: new requests run on the other worker, or are refused when none is left', async () => {
    const { clock, core, model, sent, ok } = setup();
    cleanup = () => core.close();
    const conns = ['w2', 'w3'].map(fakeWorker);
    for (const { conn, sent: mine } of conns) {
      core.addWorker(conn);
      const load = mine.find((a) => a.type === 'LOAD')!;
      core.onResult(conn, ok(load, clock.now(), clock.now() + 1));
    }
    expect(sent).toEqual([]); // setup()'s own worker w1 is never added here
    core.drainWorker(conns[0]!.conn);
    const input = [{ name: 'x', dtype: 'float32', shape: [1, 2], data: new Uint8Array(8) }];
    const answers = [0, 1, 2].map(() => core.submit(model, input, 5000, clock.now()));
    const infers = (i: number) => conns[i]!.sent.filter((a) => a.type === 'INFER');
    expect(infers(0)).toEqual([]);
    expect(infers(1).length).toBeGreaterThan(0);
    for (let k = 0; k < 3; k++) {
      const a = infers(1)[k]!;
      clock.advance(10);
      core.onResult(conns[1]!.conn, ok(a, clock.now() - 10, clock.now()));
    }
    await Promise.all(answers);
    expect(infers(0)).toEqual([]);
    core.drainWorker(conns[1]!.conn);
    expect(() => core.submit(model, input, 5000, clock.now())).toThrow(/draining/);
  });

  it('counts requests answered before admission by status: failed checks, and a draining controller', async () => {
    const { core, model, metrics } = setup();
    cleanup = () => core.close();
    expect(() => core.beforeAdmission(() => core.registry.resolve('nope', 0))).toThrow(/model "nope" not found/);
    expect(core.beforeAdmission(() => 7)).toBe(7);
    core.draining = true;
    expect(() => core.submit(model, [], 100, 0)).toThrow(/draining/);
    const text = await metrics.registry.metrics();
    expect(text).toMatch(/^punctual_requests_not_admitted_total\{status="NOT_FOUND"\} 1$/m);
    expect(text).toMatch(/^punctual_requests_not_admitted_total\{status="UNAVAILABLE"\} 1$/m);
  });

  it('wakes a wait on a load when its result comes, and a wait on a version\'s requests when the last is answered: events, not polls', async () => {
    const { clock, core, model, conn, sent, ok } = setup();
    cleanup = () => core.close();
    core.addWorker(conn);
    const load = sent.find((a) => a.type === 'LOAD')!;
    let loaded: boolean | undefined;
    void core.until(() => core.view.residency('m@1').loaded.length > 0, 60_000).then((v) => (loaded = v));
    clock.advance(50);
    core.pump();
    await Promise.resolve();
    expect(loaded).toBeUndefined();
    core.onResult(conn, ok(load, 1000, 1050));
    await Promise.resolve();
    expect(loaded).toBe(true);

    const answer = core.submit(model, [{ name: 'x', dtype: 'float32', shape: [1, 2], data: new Uint8Array(8) }], 5000, clock.now());
    let drained: boolean | undefined;
    void core.until(() => core.pendingFor('m@1') === 0, 60_000).then((v) => (drained = v));
    await Promise.resolve();
    expect(drained).toBeUndefined();
    const infer = sent.find((a) => a.type === 'INFER')!;
    clock.advance(10);
    core.onResult(conn, ok(infer, clock.now() - 10, clock.now()));
    await answer;
    expect(drained).toBe(true);
  });

  it('every controller metric is documented in the README with the question it answers', async () => {
    const { core, metrics } = setup();
    cleanup = () => core.close();
    const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
    const names = (await metrics.registry.getMetricsAsJSON()).map((m) => m.name).filter((n) => n.startsWith('punctual_'));
    expect(names.length).toBeGreaterThan(10);
    for (const name of names) expect(readme, `${name} in README.md`).toMatch(new RegExp(`^\\|[^|]*\`${name}\`[^|]*\\|.*\\?`, 'm'));
  });
});
