// What `punctual infer` and `punctual status` print: status names, exit
// codes, summarized outputs, per-request lists, readable tables.
import { describe, expect, it } from 'vitest';
import { status as Status } from '@grpc/grpc-js';
import type { ClusterStatus, InferResult } from '../client/client.js';
import { PunctualClientError, SloRejectedError, UnavailableError } from '../client/errors.js';
import { describeError, formatBytes, formatMs, renderTable } from '../cli/format.js';
import { FIRST_VALUES, buildInferReport, inferExitCode, renderInferHuman, summarizeOutput } from '../cli/infer-report.js';
import { randomInputs, randomTypedArray } from '../traces/random-input.js';
import { renderDescribe } from '../cli/models-view.js';
import { renderStatusHuman } from '../cli/status-view.js';

function result(over: Partial<InferResult> = {}): InferResult {
  return {
    model: 'det',
    version: 1,
    outputs: { y: { dtype: 'float32', shape: [1, 1, 224, 224], data: Float32Array.from({ length: 224 * 224 }, (_, i) => i / 3) } },
    timings: { queueMs: 1.23456, execMs: 8.1, totalMs: 9.9 },
    batchSize: 1,
    worker: 'local-1',
    executor: 0,
    latencyMs: 10.123456,
    dataPlane: false,
    ...over,
  };
}

const rejected = new SloRejectedError(Status.RESOURCE_EXHAUSTED, 'slo_unattainable: predicted 41.2 ms > slo 30 ms', 'slo_unattainable');

describe('infer report', () => {
  it('an OK request: status OK, rounded latency, outputs summarized to a few values', () => {
    const r = buildInferReport('det', [{ latencyMs: 10.123456, result: result() }], 50);
    expect(r).toMatchObject({ status: 'OK', latency_ms: 10.123, model: 'det', version: 1, slo_ms: 50, batch_size: 1, worker: 'local-1' });
    expect(r.timings).toEqual({ queue_ms: 1.235, exec_ms: 8.1, total_ms: 9.9 });
    expect(r.outputs.y).toEqual({ dtype: 'float32', shape: [1, 1, 224, 224], elements: 224 * 224, first: [0, 0.333333, 0.666667, 1, 1.33333, 1.66667] });
    expect(r.requests).toBeUndefined();
    expect(JSON.stringify(r).length).toBeLessThan(1000);
    expect(inferExitCode(r)).toBe(0);
  });

  it('a failed request: the gRPC status name, the server message and reason, exit 1', () => {
    const r = buildInferReport('det', [{ latencyMs: 0.4, error: rejected }]);
    expect(r).toMatchObject({ status: 'RESOURCE_EXHAUSTED', message: rejected.message, reason: 'slo_unattainable', outputs: {} });
    expect(inferExitCode(r)).toBe(1);
    expect(renderInferHuman(r)).toContain('RESOURCE_EXHAUSTED');
  });

  it('--batch: per-request list, status is the first failure, outputs from the first OK one', () => {
    const r = buildInferReport('det', [
      { latencyMs: 12, result: result({ batchSize: 2 }) },
      { latencyMs: 0.3, error: rejected },
      { latencyMs: 14, result: result({ batchSize: 2 }) },
      { latencyMs: 5, error: new UnavailableError(Status.UNAVAILABLE, 'no workers') },
    ]);
    expect(r.status).toBe('RESOURCE_EXHAUSTED');
    expect(r.latency_ms).toBe(14);
    expect(r.requests).toEqual([
      { status: 'OK', latency_ms: 12, batch_size: 2 },
      { status: 'RESOURCE_EXHAUSTED', latency_ms: 0.3, message: rejected.message },
      { status: 'OK', latency_ms: 14, batch_size: 2 },
      { status: 'UNAVAILABLE', latency_ms: 5, message: 'no workers' },
    ]);
    expect(Object.keys(r.outputs)).toEqual(['y']);
    expect(inferExitCode(r)).toBe(1);
    const human = renderInferHuman(r);
    expect(human).toContain('2/4 OK');
    expect(human).toMatch(/2\s+RESOURCE_EXHAUSTED/);
  });

  it('every request OK with --batch is status OK', () => {
    const r = buildInferReport('det', [1, 2, 3].map((ms) => ({ latencyMs: ms, result: result() })));
    expect(r.status).toBe('OK');
    expect(r.requests?.map((q) => q.status)).toEqual(['OK', 'OK', 'OK']);
    expect(inferExitCode(r)).toBe(0);
  });

  it('summarizes int64 outputs as JSON-safe values', () => {
    const s = summarizeOutput({ dtype: 'int64', shape: [3], data: new BigInt64Array([1n, -2n, 2n ** 62n]) });
    expect(s.first).toEqual([1, -2, (2n ** 62n).toString()]);
    expect(() => JSON.stringify(s)).not.toThrow();
    expect(summarizeOutput({ dtype: 'uint8', shape: [100], data: new Uint8Array(100) }).first).toHaveLength(FIRST_VALUES);
  });

  it('human form names the model, the latency and the outputs without colour codes', () => {
    const text = renderInferHuman(buildInferReport('det', [{ latencyMs: 10, result: result() }]));
    expect(text).toMatch(/^OK {2}det v1 {2}10\.0 ms/);
    expect(text).toContain('batch 1 on local-1/0');
    expect(text).toMatch(/y\s+float32\s+\[1,1,224,224\]\s+0 0\.333333/);
    expect(text).not.toContain('\u001b[');
  });
});

describe('errors and helpers', () => {
  it('describeError gives status name and message; non-client errors are UNKNOWN', () => {
    expect(describeError(rejected)).toEqual({ status: 'RESOURCE_EXHAUSTED', message: rejected.message, reason: 'slo_unattainable' });
    expect(describeError(new PunctualClientError(Status.INTERNAL, 'x'))).toEqual({ status: 'INTERNAL', message: 'x' });
    expect(describeError(new Error('disk full'))).toEqual({ status: 'UNKNOWN', message: 'disk full' });
  });

  it('formats sizes, durations and tables', () => {
    expect(formatBytes(512)).toBe('512 B');
    expect(formatBytes(2 * 2 ** 30)).toBe('2.0 GiB');
    expect(formatBytes(1536 * 1024)).toBe('1.5 MiB');
    expect(formatMs(8.123)).toBe('8.12 ms');
    expect(formatMs(41.25)).toBe('41.3 ms');
    expect(formatMs(250.4)).toBe('250 ms');
    expect(renderTable(['A', 'BB'], [['xxx', 'y']])).toBe('  A    BB\n  xxx  y');
  });
});

describe('random input', () => {
  it('makes each declared input with its dtype and a leading batch axis of 1', () => {
    const inputs = randomInputs([
      { name: 'x', dtype: 'float32', shape: [3, 2] },
      { name: 'ids', dtype: 'int64', shape: [4] },
      { name: 'm', dtype: 'bool', shape: [2] },
    ]);
    expect(inputs.x?.data).toBeInstanceOf(Float32Array);
    expect(inputs.x?.shape).toEqual([1, 3, 2]);
    expect(inputs.x?.data.length).toBe(6);
    expect(inputs.ids?.data).toBeInstanceOf(BigInt64Array);
    expect(inputs.m?.dtype).toBe('bool');
    expect([...(inputs.m!.data as Uint8Array)].every((v) => v === 0 || v === 1)).toBe(true);
  });

  it('keeps floats in [0, 1) and float16 bits finite', () => {
    const f = randomTypedArray('float32', 1000) as Float32Array;
    expect(f.every((v) => v >= 0 && v < 1)).toBe(true);
    const h = randomTypedArray('float16', 1000) as Uint16Array;
    expect(h.every((bits) => (bits >> 10) >= 1 && (bits >> 10) <= 14)).toBe(true);
  });

  it('refuses a dynamic shape with a clear message', () => {
    expect(() => randomInputs([{ name: 'x', dtype: 'float32', shape: [-1, 3] }])).toThrow(/dynamic shape/);
  });
});

describe('status view', () => {
  const st: ClusterStatus = {
    workers: [
      {
        id: 'w-1',
        name: 'local-1',
        clockOffsetMs: 0.1,
        rttMs: 0.25,
        connectedForS: 3,
        draining: true,
        unresponsive: false,
        executors: [
          { index: 0, device: 'cpu', threads: 1, memoryBudgetBytes: 2 ** 31, memoryUsedBytes: 5 * 2 ** 20, loaded: ['det@1'], executorClass: 'cpu/t1', actionsCompleted: 7, bookedAheadMs: 0, loads: 2, unloads: 1, suspended: false },
        ],
      },
    ],
    models: [
      {
        name: 'det',
        version: 1,
        inputs: [{ name: 'x', dtype: 'float32', shape: [3, 224, 224] }],
        outputs: [{ name: 'y', dtype: 'float32', shape: [1, 224, 224] }],
        maxBatch: 8,
        batchSizes: [1, 2, 4, 8],
        defaultSloMs: 100,
        threads: 0,
        sizeBytes: 0,
        memoryBytes: 0,
        loadMs: 0,
        estimates: [
          { batchSize: 2, executorClass: 'cpu/t1', execMs: 16.2, typicalMs: 16.2 },
          { batchSize: 1, executorClass: 'cpu/t1', execMs: 8.1, typicalMs: 7.9 },
        ],
        loadedOn: ['local-1/0'],
        requestsOk: 5,
        requestsRejected: 1,
        requestsFailed: 0,
        queued: 0,
        admissionReserveMs: 12.5,
      },
    ],
    uptimeS: 12.5,
    policy: 'punctual',
  };

  it('lists workers with executors and models with shapes, batching, SLO and estimates', () => {
    const text = renderStatusHuman(st, '127.0.0.1:7000');
    expect(text).toContain('controller 127.0.0.1:7000  up 12.5 s  policy punctual');
    expect(text).toMatch(/local-1 \(draining\)\s+0\s+cpu\s+cpu\/t1\s+1\s+5\.0 MiB \/ 2\.0 GiB\s+det@1/);
    expect(text).toMatch(/det\s+1\s+x float32\[3,224,224\]\s+y float32\[1,224,224\]\s+8\s+100 ms.*5\/1\/0\s+0\s+12\.5 ms/);
    expect(text).toContain('cpu/t1: b1 7.90–8.10 ms, b2 16.2 ms');
    expect(text).toContain('7 (2/1)');
  });

  it('marks a worker that stopped answering, and an executor set aside', () => {
    const w = st.workers[0]!;
    const silent = renderStatusHuman({ ...st, workers: [{ ...w, draining: false, unresponsive: true }] }, 'h:1');
    expect(silent).toMatch(/local-1 \(not answering\)\s+0\s+cpu/);
    const aside = renderStatusHuman({ ...st, workers: [{ ...w, draining: false, executors: [{ ...w.executors[0]!, suspended: true }] }] }, 'h:1');
    expect(aside).toMatch(/local-1 \(set aside\)\s+0\s+cpu/);
  });

  it('describe shows mean–p99 estimates and the admission reserve when there is one', () => {
    const info = st.models[0]!;
    const text = renderDescribe({ name: 'det', versions: [{ info, profile: null, sha256: 'ab'.repeat(32), isDefault: true }] });
    expect(text).toContain('estimates   cpu/t1: b1 7.90–8.10 ms, b2 16.2 ms (mean–p99 of recent runs)');
    expect(text).toMatch(/reserve {5}12\.5 ms: admission adds it/);
    const calm = renderDescribe({ name: 'det', versions: [{ info: { ...info, admissionReserveMs: 0 }, profile: null, sha256: 'ab'.repeat(32), isDefault: true }] });
    expect(calm).not.toContain('reserve');
  });

  it('says so when nothing is connected or registered', () => {
    const text = renderStatusHuman({ workers: [], models: [], uptimeS: 0, policy: '' }, 'h:1');
    expect(text).toContain('none connected');
    expect(text).toContain('none registered');
  });
});
