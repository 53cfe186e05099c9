// Live benchmarks against a real controller (in this process) and one real
// worker process running onnxruntime on the det model:
//  - overhead: end-to-end latency minus the worker-measured exec time, one
//    request at a time (target p50 <= 0.5 ms, p99 <= 2 ms on loopback);
//  - admission: time for a client to get the answer to a request that is
//    rejected at arrival (target p99 <= 1 ms);
//  - prediction error: |predicted - measured| exec time per action, as a
//    share of the prediction.
import { startController } from '../controller/controller.js';
import { PunctualClient, SloRejectedError } from '../client/index.js';
import { createLogger } from '../common/log.js';
import { PunctualError } from '../common/errors.js';
import { addTinyModel, fmt, percentile, spawnWorker, stopAll, tempRepo, type Figure } from './support.js';

export async function runLive(requests: number): Promise<Figure[]> {
  const repo = await tempRepo(['det', 'cls']);
  // A tiny generated model (y = x + 1 over 16 floats), profiled on first sight.
  addTinyModel(repo.dir, 8);
  const controller = await startController({ port: 0, host: '127.0.0.1', repoDir: repo.dir, logger: createLogger('bench', 'warn') });
  const errors: number[] = [];
  controller.estimates.onPrediction = (e) => {
    // det only: the tiny model's 0.02 ms runs make relative error meaningless.
    if (e.model === 'det@1') errors.push(Math.abs(e.predicted - e.measured) / e.predicted);
  };
  const address = `127.0.0.1:${controller.port}`;
  const worker = spawnWorker(address);
  const client = new PunctualClient(address);
  try {
    for (let i = 0; i < 100; i++) {
      const s = await client.clusterStatus();
      if (s.workers.length === 1 && s.workers[0]!.executors[0]!.executorClass) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const x = new Float32Array(3 * 224 * 224).map(() => Math.random());
    // Warm up: the first request loads the model.
    for (let i = 0; i < 20; i++) await client.infer('det', { x }, { sloMs: 5000 });
    errors.length = 0;
    const overhead: number[] = [];
    const serverOverhead: number[] = [];
    for (let i = 0; i < requests; i++) {
      const r = await client.infer('det', { x }, { sloMs: 1000 });
      overhead.push(r.latencyMs - r.timings.execMs);
      serverOverhead.push(r.timings.totalMs - r.timings.execMs);
    }
    // The same, for a model whose tensors are tiny: what is left is the
    // per-request cost of the path itself, not of moving data.
    const tinyX = new Float32Array(16).map(() => Math.random());
    for (let i = 0; i < 20; i++) await client.infer('tiny', { x: tinyX }, { sloMs: 5000 });
    const tinyOverhead: number[] = [];
    for (let i = 0; i < requests; i++) {
      const r = await client.infer('tiny', { x: tinyX }, { sloMs: 1000 });
      tinyOverhead.push(r.latencyMs - r.timings.execMs);
    }
    const admission = await rejectRoundTrips(client, 'det', x);
    const clsX = new Float32Array(3 * 48 * 192).map(() => Math.random());
    const admissionCls = await rejectRoundTrips(client, 'cls', clsX);
    // Inside the controller: from a validated request to the rejection.
    const det = controller.core.registry.resolve('det', 0);
    const wire = [{ name: 'x', dtype: 'float32', shape: [1, 3, 224, 224], data: new Uint8Array(x.buffer) }];
    const decision: number[] = [];
    for (let i = 0; i < 10_000; i++) {
      const t0 = performance.now();
      try {
        await controller.core.submit(det, wire, 1, performance.timeOrigin + t0);
        throw new Error('a 1 ms SLO for det was accepted');
      } catch (err) {
        if (!(err instanceof PunctualError)) throw err;
      }
      decision.push(performance.now() - t0);
    }
    return [
      { name: 'overhead p50 (e2e - exec), det, 1 in flight', value: percentile(overhead, 50), unit: 'ms', target: '<= 0.5' },
      { name: 'overhead p99 (e2e - exec), det, 1 in flight', value: percentile(overhead, 99), unit: 'ms', target: '<= 2' },
      { name: 'server-side overhead p50 (total - exec)', value: percentile(serverOverhead, 50), unit: 'ms' },
      { name: 'overhead p50 (e2e - exec), tiny model (64 B tensors)', value: percentile(tinyOverhead, 50), unit: 'ms', target: '<= 0.5' },
      { name: 'overhead p99 (e2e - exec), tiny model (64 B tensors)', value: percentile(tinyOverhead, 99), unit: 'ms', target: '<= 2' },
      { name: 'admission reject round trip p50, det (602 KB input)', value: percentile(admission, 50), unit: 'ms' },
      { name: 'admission reject round trip p99, det (602 KB input)', value: percentile(admission, 99), unit: 'ms', target: '<= 1' },
      { name: 'admission reject round trip p50, cls (111 KB input)', value: percentile(admissionCls, 50), unit: 'ms' },
      { name: 'admission reject round trip p99, cls (111 KB input)', value: percentile(admissionCls, 99), unit: 'ms', target: '<= 1' },
      { name: 'admission decision in the controller p50', value: percentile(decision, 50) * 1000, unit: 'us' },
      { name: 'admission decision in the controller p99', value: percentile(decision, 99) * 1000, unit: 'us' },
      { name: 'prediction error p50 |pred - meas| / pred, det', value: percentile(errors, 50) * 100, unit: '%', note: `${errors.length} actions` },
      { name: 'prediction error p99 |pred - meas| / pred, det', value: percentile(errors, 99) * 100, unit: '%' },
    ];
  } finally {
    client.close();
    await stopAll([worker]);
    await controller.close();
    repo.cleanup();
  }
}

async function rejectRoundTrips(client: PunctualClient, model: string, x: Float32Array): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < 1000; i++) {
    const t0 = performance.now();
    try {
      await client.infer(model, { x }, { sloMs: 0.01 });
      throw new Error(`a 0.01 ms SLO for ${model} was accepted`);
    } catch (err) {
      if (!(err instanceof SloRejectedError)) throw err;
    }
    times.push(performance.now() - t0);
  }
  return times;
}

export function describeFigures(figs: Figure[]): string {
  return figs.map((f) => `${f.name.padEnd(50)} ${fmt(f.value).padStart(10)} ${f.unit}${f.target ? `  (target ${f.target})` : ''}${f.note ? `  ${f.note}` : ''}`).join('\n');
}
