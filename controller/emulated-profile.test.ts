// What a LOAD tells an emulated executor of its model (emulated-profile.ts,
// sent by action-dispatcher.ts): the profile's figures, only to executors on
// the emulated device, nothing for a model without a profile. That the
// figures agree with the estimates is test/emulated-stand-in.test.ts.
import { describe, expect, it } from 'vitest';
import { createLogger } from '../common/log.js';
import type { ModelProfile } from '../common/profile.js';
import type { ControllerMessage } from '../common/wire.js';
import { ActionDispatcher } from './action-dispatcher.js';
import { emulatedModel } from './emulated-profile.js';
import type { WorkerConnection } from './worker-connection.js';

const batch = (b: number, p50Ms: number, p99Ms: number) => ({ batch: b, iterations: 50, meanMs: p50Ms, p50Ms, p99Ms, maxMs: p99Ms });

const PROFILE: ModelProfile = {
  model: 'm@1',
  sha256: '',
  measuredAt: '',
  host: '',
  memoryBytes: 0,
  classes: {
    'cpu/t1': { cls: 'cpu/t1', threads: 1, loadMs: 20, batches: [batch(1, 1, 1.2), batch(4, 3.5, 3.7)] },
    'cpu/t2': { cls: 'cpu/t2', threads: 2, loadMs: 30, batches: [batch(1, 0.7, 0.8), batch(8, 5, 5.5)] },
  },
};

describe('emulatedModel', () => {
  it("takes each batch size from the first class that has it, the load from the first class", () => {
    expect(emulatedModel(PROFILE, 'emulated/t1')).toEqual({
      loadMs: 20,
      batches: [
        { batch: 1, p50Ms: 1, p99Ms: 1.2 },
        { batch: 4, p50Ms: 3.5, p99Ms: 3.7 },
        { batch: 8, p50Ms: 5, p99Ms: 5.5 },
      ],
    });
  });

  it('keeps to a class of its own where the profile has one (batch 1 from another if it lacks one)', () => {
    const own = { ...PROFILE, classes: { ...PROFILE.classes, 'emulated/t1': { cls: 'emulated/t1', threads: 1, loadMs: 2, batches: [batch(2, 0.5, 0.6)] } } };
    expect(emulatedModel(own, 'emulated/t1')).toEqual({ loadMs: 2, batches: [{ batch: 1, p50Ms: 1, p99Ms: 1.2 }, { batch: 2, p50Ms: 0.5, p99Ms: 0.6 }] });
  });

  it('reads a p50 over its p99 as the p99 (as the estimates do), and has nothing without a profile or batches', () => {
    const odd = { ...PROFILE, classes: { 'cpu/t1': { cls: 'cpu/t1', threads: 1, loadMs: 1, batches: [batch(1, 2, 1.5)] } } };
    expect(emulatedModel(odd, 'emulated/t1')?.batches).toEqual([{ batch: 1, p50Ms: 1.5, p99Ms: 1.5 }]);
    expect(emulatedModel(undefined, 'emulated/t1')).toBeUndefined();
    expect(emulatedModel({ ...PROFILE, classes: {} }, 'emulated/t1')).toBeUndefined();
  });
});

describe('ActionDispatcher LOADs', () => {
  /** A worker with an emulated executor 0 and a cpu executor 1, recording what it is sent. */
  function setup(profile: ModelProfile | undefined) {
    const sent: ControllerMessage[] = [];
    const conn = {
      closed: false,
      adopted: [],
      executors: [
        { index: 0, device: 'emulated', threads: 1, memoryBytes: 1e9, lanes: 2 },
        { index: 1, device: 'cpu', threads: 1, memoryBytes: 1e9, lanes: 2 },
      ],
      send: (m: ControllerMessage) => sent.push(m),
      toWorker: (t: number) => t,
    } as unknown as WorkerConnection;
    const d = new ActionDispatcher(createLogger('test', 'silent'), () => undefined, () => undefined, () => profile);
    d.routes.set('w1/0', { conn, index: 0 });
    d.routes.set('w1/1', { conn, index: 1 });
    const load = (executor: string, type: 'load' | 'unload' = 'load') =>
      d.send({ type, actionId: sent.length + 1, executor, model: 'm@1', earliest: 0, latest: 10, expected: 5, lane: 0 });
    return { sent, load };
  }

  it("carries the profile's figures to an emulated executor only", () => {
    const { sent, load } = setup(PROFILE);
    load('w1/0');
    load('w1/1');
    load('w1/0', 'unload');
    expect(sent[0]?.action?.emulated).toEqual(emulatedModel(PROFILE, 'emulated/t1'));
    expect(sent[1]?.action?.type).toBe('LOAD');
    expect(sent[1]?.action?.emulated).toBeUndefined();
    expect(sent[2]?.action?.type).toBe('UNLOAD');
    expect(sent[2]?.action?.emulated).toBeUndefined();
  });

  it('sends none for a model without a profile (the executor then takes the expected time)', () => {
    const { sent, load } = setup(undefined);
    load('w1/0');
    expect(sent[0]?.action?.type).toBe('LOAD');
    expect(sent[0]?.action?.emulated).toBeUndefined();
  });
});
