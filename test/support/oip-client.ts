// Promise wrappers over generated gRPC clients for the ecosystem tests: the
// Open Inference Protocol and grpc.health.v1, as any Triton/KServe client or
// probe would call them.
import * as grpc from '@grpc/grpc-js';
import { ecosystemProtos } from '../../common/ecosystem-protos.js';
import { CHANNEL_OPTIONS } from '../../common/protos.js';
import type { GRPCInferenceServiceClient } from '../../protos/generated/inference/GRPCInferenceService.js';
import type { HealthClient } from '../../protos/generated/grpc/health/v1/Health.js';
import type { ModelInferRequest } from '../../protos/generated/inference/ModelInferRequest.js';
import { randomFloat32 } from './cluster.js';

type Callback<T> = (err: grpc.ServiceError | null, res?: T) => void;

/** Makes one unary call and resolves with its answer (rejects with the ServiceError). */
export function call<Res>(start: (cb: Callback<Res>) => unknown): Promise<Res> {
  return new Promise((resolve, reject) => {
    start((err, res) => (err ? reject(err) : resolve(res!)));
  });
}

export function oipClient(address: string): GRPCInferenceServiceClient {
  const C = ecosystemProtos().oip.inference.GRPCInferenceService;
  return new C(address, grpc.credentials.createInsecure(), CHANNEL_OPTIONS);
}

export function healthClient(address: string): HealthClient {
  const C = ecosystemProtos().health.grpc.health.v1.Health;
  return new C(address, grpc.credentials.createInsecure());
}

/** Health Check status of one service ('' is the whole server). */
export async function healthOf(client: HealthClient, service = ''): Promise<string> {
  const res = await call<{ status?: unknown }>((cb) => client.Check({ service }, cb));
  return String(res.status);
}

/** Scrapes a /metrics endpoint and returns the value of one sample (0 if absent). */
export async function scrape(port: number): Promise<string> {
  const res = await fetch(`http://127.0.0.1:${port}/metrics`);
  if (!res.ok) throw new Error(`/metrics answered ${res.status}`);
  return res.text();
}

/** The value of the sample `name{labels}` in a Prometheus text page; labels match as a subset. */
export function sample(text: string, name: string, labels: Record<string, string> = {}): number {
  let total: number | undefined;
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const m = /^([a-zA-Z_:][\w:]*)(\{([^}]*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const have = new Map<string, string>();
    for (const kv of (m[3] ?? '').matchAll(/(\w+)="([^"]*)"/g)) have.set(kv[1]!, kv[2]!);
    if (Object.entries(labels).every(([k, v]) => have.get(k) === v)) total = (total ?? 0) + Number(m[4]);
  }
  return total ?? 0;
}

/** A V2 request of `batch` random float32 items of `itemShape` for `model` (input `x`), with an optional `timeout` parameter (µs). */
export function v2Request(model: string, itemShape: readonly number[], batch: number, timeoutUs?: number): ModelInferRequest {
  return {
    modelName: model,
    inputs: [{ name: 'x', datatype: 'FP32', shape: [batch, ...itemShape] }],
    rawInputContents: [Buffer.from(randomFloat32([batch, ...itemShape]).buffer)],
    ...(timeoutUs !== undefined ? { parameters: { timeout: { int64Param: timeoutUs } } } : {}),
  };
}
