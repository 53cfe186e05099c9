// The worker stream's handler with a fake stream and a real serving core:
// Hello first, then a ResultBatch's results are taken in order, each as if
// it had come alone (the scheduler run once after them), at most PACK_MAX_ITEMS of them (a worker packs no more; a
// larger batch is a broken or hostile worker's, and the rest is not read).
import { EventEmitter } from 'node:events';
import { describe, expect, it, vi } from 'vitest';
import { ManualClock } from '../../common/clock.js';
import { PACK_MAX_ITEMS } from '../../common/coalesced-writes.js';
import { createLogger } from '../../common/log.js';
import type { ControllerMessage, WorkerMessage__Output } from '../../common/wire.js';
import { ModelRegistry } from '../model-registry.js';
import { Estimates } from '../scheduler/estimates.js';
import { ServingCore } from '../serving-core.js';
import type { WorkerStream } from '../worker-connection.js';
import { workerService } from './worker-service.js';

function setup() {
  const clock = new ManualClock(1000);
  const log = createLogger('test', 'silent');
  const warn = vi.spyOn(log, 'warn');
  const core = new ServingCore({ clock, registry: new ModelRegistry(), estimates: new Estimates({ unknownExecMs: 10, unknownLoadMs: 50, clock }), log });
  const onResults = vi.spyOn(core, 'onResults');
  const written: ControllerMessage[] = [];
  const stream = Object.assign(new EventEmitter(), {
    write: (m: ControllerMessage, done?: () => void) => {
      written.push(m);
      done?.();
      return true;
    },
    end: () => undefined,
  }) as unknown as WorkerStream & EventEmitter;
  workerService(core, clock, log, { pingIntervalMs: 1_000_000, livenessMs: 1_000_000 }).Connect(stream);
  const send = (m: Partial<WorkerMessage__Output>): boolean => stream.emit('data', m as WorkerMessage__Output);
  return { core, onResults, warn, written, send };
}

const result = (actionId: number) => ({ actionId, status: 'OK' as const, message: '', receivedMs: 0, startMs: 0, endMs: 1, durationMs: 1, memoryBytes: 0, outputs: [], missingRows: [] });

describe('workerService', () => {
  it('welcomes a worker, saying it takes batches, and reads each result of a ResultBatch', () => {
    const { core, onResults, written, send } = setup();
    send({ msg: 'hello', hello: { name: 'w', executors: [], workerMs: 0, cachedModels: [], dataAddress: '', takesBatches: true, dataTls: false } });
    expect(written[0]?.welcome).toMatchObject({ takesBatches: true });
    send({ msg: 'results', results: { results: [result(1), result(2), result(3)] } });
    expect(onResults.mock.calls.map((c) => c[1].map((r) => r.actionId))).toEqual([[1, 2, 3]]);
    core.close();
  });

  it(`reads at most ${PACK_MAX_ITEMS} results of one batch, and says so`, () => {
    const { core, onResults, warn, send } = setup();
    send({ msg: 'hello', hello: { name: 'w', executors: [], workerMs: 0, cachedModels: [], dataAddress: '', takesBatches: true, dataTls: false } });
    send({ msg: 'results', results: { results: Array.from({ length: PACK_MAX_ITEMS + 100 }, (_, i) => result(i + 1)) } });
    expect(onResults.mock.calls.map((c) => c[1].length)).toEqual([PACK_MAX_ITEMS]);
    expect(onResults.mock.calls[0]![1].map((r) => r.actionId)).toEqual(Array.from({ length: PACK_MAX_ITEMS }, (_, i) => i + 1));
    expect(warn.mock.calls.some((c) => /sent 612 results in one batch, at most 512 are read/.test(String(c[1])))).toBe(true);
    core.close();
  });
});
