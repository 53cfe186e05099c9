// Per-model threads through the serving core to the wire: each LOAD sent to a
// worker names the session's intra-op threads (the model config's count, else
// its profile's bestThreads, capped by the executor's), a model with neither
// names none; a session class its profile never measured is said once; what
// ModelInfo shows of it (its count, the estimates of the class it runs as).
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../common/clock.js';
import type { ModelConfig } from '../common/model-config.js';
import type { ModelProfile } from '../common/profile.js';
import type { ActionResult__Output, ControllerMessage } from '../common/wire.js';
import { buildModelInfo } from './admin-status.js';
import { ModelRegistry } from './model-registry.js';
import { Estimates } from './scheduler/estimates.js';
import { ServingCore } from './serving-core.js';
import type { WorkerConnection } from './worker-connection.js';

const batch = (p99Ms: number) => ({ batch: 1, iterations: 10, meanMs: p99Ms, p50Ms: p99Ms, p99Ms, maxMs: p99Ms });
function profile(classes: Record<string, number>, bestThreads?: number): ModelProfile {
  const entries = Object.entries(classes).map(([cls, ms]) => [cls, { cls, threads: Number(cls.slice(5)), batches: [batch(ms)], loadMs: 20 }]);
  return { model: 'm', sha256: '', measuredAt: '', host: '', memoryBytes: 1000, classes: Object.fromEntries(entries), ...(bestThreads ? { bestThreads } : {}) };
}

interface Sent {
  id: number;
  type: string;
  modelKey: string;
  threads: number | undefined;
}

let close: (() => void) | undefined;
afterEach(() => {
  close?.();
  close = undefined;
});

function setup(executorThreads: number) {
  const clock = new ManualClock(1000);
  const registry = new ModelRegistry();
  const lines: { event?: string; msg: string }[] = [];
  const log = pino(
    { level: 'warn' },
    new Writable({
      write(chunk: Buffer, _enc, done) {
        lines.push(JSON.parse(chunk.toString()) as { event?: string; msg: string });
        done();
      },
    }),
  );
  const estimates = new Estimates({ clock });
  const core = new ServingCore({ clock, registry, estimates, log });
  close = () => core.close();
  const add = (name: string, p: ModelProfile, threads?: number) => {
    const config: ModelConfig = { name, version: 1, inputs: [{ name: 'x', dtype: 'float32', shape: [2] }], outputs: [], maxBatch: 1, batchSizes: [1], defaultSloMs: 5000, ...(threads ? { threads } : {}) };
    const m = registry.add({ key: `${name}@1`, config, dir: '', file: '', size: 0, sha256: '', profile: p });
    estimates.seed(m.key, p);
    core.addModel(m);
  };
  const sent: Sent[] = [];
  const conn = {
    id: 'w1',
    name: 'w1',
    closed: false,
    draining: false,
    adopted: [],
    executors: [{ index: 0, device: 'cpu', threads: executorThreads, memoryBytes: 1e9, lanes: 1 }],
    send: (msg: ControllerMessage) => {
      const a = msg.action;
      if (a) sent.push({ id: Number(a.id), type: String(a.type), modelKey: String(a.modelKey), threads: a.threads });
    },
    toWorker: (t: number) => t,
    toController: (t: number) => t,
    close: () => undefined,
  } as unknown as WorkerConnection;
  /** Answers every LOAD sent so far (OK after 20 ms), so that the next ones go out. */
  const loadAll = (): void => {
    for (let answered = 0; answered < sent.length; answered++) {
      const a = sent[answered]!;
      if (a.type !== 'LOAD') continue;
      clock.advance(20);
      const now = clock.now();
      core.onResult(conn, { actionId: a.id, status: 'OK', message: '', receivedMs: now - 20, startMs: now - 20, endMs: now, durationMs: 20, memoryBytes: 1000, outputs: [] } as unknown as ActionResult__Output);
    }
  };
  return { core, add, conn, sent, lines, loadAll, registry, estimates };
}

describe('per-model threads on the wire', () => {
  it("LOADs name the model's count capped by the executor's; none for a model with no count", () => {
    const { core, add, conn, sent, loadAll } = setup(2);
    const both = { 'cpu/t1': 10, 'cpu/t2': 6 };
    add('best1', profile(both, 1));
    add('best2', profile(both, 2));
    add('best4', profile(both, 4));
    add('config1', profile(both, 2), 1); // the config's count wins over bestThreads
    add('plain', profile(both));
    core.addWorker(conn); // warms every model that fits, one load at a time
    loadAll();
    const threadsOf = Object.fromEntries(sent.filter((a) => a.type === 'LOAD').map((a) => [a.modelKey, a.threads]));
    expect(threadsOf).toEqual({ 'best1@1': 1, 'best2@1': 2, 'best4@1': 2, 'config1@1': 1, 'plain@1': undefined });
  });

  it('says once that a session class has no profile, and which class stands in', () => {
    const { core, add, conn, lines } = setup(2);
    add('unmeasured', profile({ 'cpu/t1': 10 }), 2);
    core.addWorker(conn);
    core.pump();
    const said = lines.filter((l) => l.event === 'estimate_class_fallback');
    expect(said).toHaveLength(1);
    expect(said[0]!.msg).toBe(
      "unmeasured@1: no profile at cpu/t2 (its sessions' thread count); estimates start from cpu/t1's figures until its runs are measured (punctual profile measures each thread count)",
    );
  });

  it("shows the model's count and the estimates of the class its sessions run as", () => {
    const { core, add, conn, registry, estimates } = setup(2);
    add('best1', profile({ 'cpu/t1': 10, 'cpu/t2': 6 }, 1));
    add('plain', profile({ 'cpu/t1': 10, 'cpu/t2': 6 }));
    core.addWorker(conn);
    const rows = (name: string) => {
      const info = buildModelInfo(registry.resolve(name, 0), core, estimates);
      return { threads: info.threads, rows: info.estimates!.map((e) => [e.executorClass, e.execMs]) };
    };
    expect(rows('best1')).toEqual({ threads: 1, rows: [['cpu/t1', 10]] });
    expect(rows('plain')).toEqual({ threads: 0, rows: [['cpu/t1', 10], ['cpu/t2', 6]] });
  });
});
