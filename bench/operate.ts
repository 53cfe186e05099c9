// Operating benchmarks (issue 3), against real controller and worker
// processes: how long registering the 10.8 MB rec model takes until it is
// servable (upload, validation, profiling, bytes on the worker, first
// inference), and how many requests fail while a new version of cls is
// swapped in under closed-loop load (target: 0).
import fs from 'node:fs';
import path from 'node:path';
import { PunctualAdmin, PunctualClient } from '../client/index.js';
import { bundledModelsDir } from '../profiles/bundled-models.js';
import { spawnController, spawnWorker, stopAll, tempRepo, type Figure } from './support.js';

async function waitForWorker(client: PunctualClient): Promise<void> {
  for (let i = 0; i < 600; i++) {
    const st = await client.clusterStatus();
    if (st.workers.length > 0 && st.workers.every((w) => w.executors.every((e) => e.executorClass !== ''))) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('the worker did not join');
}

export async function runOperate(): Promise<Figure[]> {
  const repo = await tempRepo(['cls']);
  const { child, address } = await spawnController(repo.dir);
  const worker = spawnWorker(address);
  const client = new PunctualClient(address);
  const admin = new PunctualAdmin(address);
  const figures: Figure[] = [];
  try {
    await waitForWorker(client);
    const rec = fs.readFileSync(path.join(bundledModelsDir(), 'ch_PP-OCRv4_rec_infer.onnx'));
    const t0 = performance.now();
    let uploadedAt = 0;
    const res = await admin.register(rec, {
      name: 'rec-new',
      inputs: [{ name: '', shape: [3, 48, 320] }],
      maxBatch: 1,
      onProgress: (sent, total) => {
        if (sent === total) uploadedAt = performance.now();
      },
    });
    const registered = performance.now();
    await client.infer('rec-new', { x: new Float32Array(3 * 48 * 320) }, { sloMs: 5000 });
    const servedFirst = performance.now();
    figures.push(
      { name: `register rec (${(rec.byteLength / 1e6).toFixed(1)} MB) until servable`, value: registered - t0, unit: 'ms', note: `upload handed to the transport after ${(uploadedAt - t0).toFixed(0)} ms; server side ${res.readyMs.toFixed(0)} ms (validate, profile batch 1 × 20 runs, write, bytes to the worker)` },
      { name: 'register rec + first inference', value: servedFirst - t0, unit: 'ms' },
    );

    const cls = fs.readFileSync(path.join(bundledModelsDir(), 'ch_ppocr_mobile_v2.0_cls_infer.onnx'));
    const x = new Float32Array(3 * 48 * 192);
    let stop = false;
    let ok = 0;
    let failed = 0;
    const versions = new Set<number>();
    const loop = async (): Promise<void> => {
      while (!stop) {
        try {
          const r = await client.infer('cls', { x }, { sloMs: 1000 });
          versions.add(r.version);
          ok++;
        } catch {
          failed++;
        }
      }
    };
    const loops = [loop(), loop(), loop(), loop()];
    await new Promise((r) => setTimeout(r, 1000));
    const swap = await admin.register(cls, { name: 'cls', inputs: [{ name: '', shape: [3, 48, 192] }], maxBatch: 16 });
    await new Promise((r) => setTimeout(r, 1000));
    stop = true;
    await Promise.all(loops);
    figures.push(
      { name: 'requests failed during a version swap under load', value: failed, unit: 'requests', target: '0', note: `${ok} ok across the swap, versions answered: ${[...versions].sort().join(', ')}; replaced ${swap.replaced.join(', ')} in ${swap.readyMs.toFixed(0)} ms` },
    );
  } finally {
    client.close();
    admin.close();
    await stopAll([worker, child]);
    repo.cleanup();
  }
  return figures;
}
