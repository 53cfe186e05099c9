// V2 REST against V2 gRPC on the same controller, the same worker and the
// same inputs (issue 12): what speaking HTTP/1.1 + JSON or the binary-data
// extension costs over gRPC with raw_input_contents, for cls (110 KB inputs)
// and det (602 KB). One request at a time (closed loop, so the figures are
// the protocol's and not queueing's), the three paths interleaved request
// by request so a drift of the machine hits all three alike; each path
// warmed first. The client is this process (Node's fetch, keep-alive; a
// grpc-js client), the controller and the worker real processes of the CLI.
import * as grpc from '@grpc/grpc-js';
import { ecosystemProtos } from '../common/ecosystem-protos.js';
import { CHANNEL_OPTIONS } from '../common/protos.js';
import type { GRPCInferenceServiceClient } from '../protos/generated/inference/GRPCInferenceService.js';
import type { ModelInferResponse__Output } from '../protos/generated/inference/ModelInferResponse.js';
import { waitForListeningPort } from '../cli/child-process.js';
import { percentile, spawnCli, stopAll, tempRepo, type Figure } from './support.js';

const SHAPES = { cls: [3, 48, 192], det: [3, 224, 224] } as const;
type Path = 'grpc' | 'rest binary' | 'rest json';

function randomInput(n: number): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = Math.random();
  return a;
}

export async function runRestOverheadBench(requests: { cls: number; det: number } = { cls: 300, det: 150 }): Promise<Figure[]> {
  const repo = await tempRepo(['cls', 'det']);
  const controller = spawnCli(['controller', '--port', '0', '--host', '127.0.0.1', '--metrics-port', '-1', '--http-port', '0', '--repo', repo.dir]);
  const children = [controller];
  const figures: Figure[] = [];
  let client: GRPCInferenceServiceClient | undefined;
  try {
    const { port, httpPort } = await waitForListeningPort(controller, { timeoutMs: 120_000 });
    children.push(spawnCli(['worker', '--controller', `127.0.0.1:${port}`, '--executors', '1', '--threads', '1', '--memory', '2GiB', '--metrics-port', '-1', '--health-port', '-1']));
    const base = `http://127.0.0.1:${httpPort}`;
    for (let i = 0; (await fetch(`${base}/v2/health/ready`)).status !== 200; i++) {
      if (i > 600) throw new Error('the worker did not join within 60 s');
      await new Promise((r) => setTimeout(r, 100));
    }
    const C = ecosystemProtos().oip.inference.GRPCInferenceService;
    client = new C(`127.0.0.1:${port}`, grpc.credentials.createInsecure(), CHANNEL_OPTIONS);
    const grpcClient = client;

    for (const model of ['cls', 'det'] as const) {
      const shape = [1, ...SHAPES[model]];
      const x = randomInput(shape.reduce((a, b) => a * b, 1));
      const raw = Buffer.from(x.buffer);
      // A roomy SLO (5 s) on every path: the first requests wait for the model's load, and no path should be turned away.
      const timeout = 5_000_000;
      const head = Buffer.from(JSON.stringify({ inputs: [{ name: 'x', datatype: 'FP32', shape, parameters: { binary_data_size: raw.byteLength } }], parameters: { binary_data_output: true, timeout } }));
      const binaryBody = Buffer.concat([head, raw]);
      const jsonBody = JSON.stringify({ inputs: [{ name: 'x', datatype: 'FP32', shape, data: Array.from(x) }], parameters: { timeout } });
      const send: Record<Path, () => Promise<void>> = {
        grpc: () =>
          new Promise((resolve, reject) => {
            grpcClient.ModelInfer({ modelName: model, inputs: [{ name: 'x', datatype: 'FP32', shape }], rawInputContents: [raw], parameters: { timeout: { int64Param: timeout } } }, (err: grpc.ServiceError | null, res?: ModelInferResponse__Output) =>
              err || !res ? reject(err ?? new Error('no answer')) : resolve(),
            );
          }),
        'rest binary': async () => {
          const r = await fetch(`${base}/v2/models/${model}/infer`, { method: 'POST', headers: { 'inference-header-content-length': String(head.byteLength) }, body: binaryBody });
          await r.arrayBuffer();
          if (r.status !== 200) throw new Error(`REST binary answered ${r.status}`);
        },
        'rest json': async () => {
          const r = await fetch(`${base}/v2/models/${model}/infer`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: jsonBody });
          await r.json();
          if (r.status !== 200) throw new Error(`REST JSON answered ${r.status}`);
        },
      };
      const paths = Object.keys(send) as Path[];
      for (let i = 0; i < 20; i++) for (const p of paths) await send[p]();
      const times: Record<Path, number[]> = { grpc: [], 'rest binary': [], 'rest json': [] };
      for (let i = 0; i < requests[model]; i++) {
        for (const p of paths) {
          const t0 = performance.now();
          await send[p]();
          times[p].push(performance.now() - t0);
        }
      }
      const p50 = (p: Path) => percentile(times[p], 50);
      for (const p of paths) {
        figures.push({
          name: `V2 ${p} round trip p50, ${model} batch 1, one at a time`,
          value: p50(p),
          unit: 'ms',
          note: `p99 ${percentile(times[p], 99).toFixed(2)} ms over ${times[p].length} requests${p === 'grpc' ? '' : `; ${(p50(p) - p50('grpc')).toFixed(2)} ms over gRPC at p50`}; body ${p === 'grpc' ? raw.byteLength : p === 'rest binary' ? binaryBody.byteLength : Buffer.byteLength(jsonBody)} bytes`,
        });
      }
    }
  } finally {
    client?.close();
    await stopAll(children);
    repo.cleanup();
  }
  return figures;
}
