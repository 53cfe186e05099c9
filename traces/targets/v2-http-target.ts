// The Open Inference Protocol over HTTP/REST (KServe V2, as Triton serves it
// on 8000, KServe on 8080, MLServer, and Punctual on --http-port): GET
// /v2/models/{m} for the inputs, POST /v2/repository/index for the model
// list (Triton's repository extension), POST /v2/models/{m}/infer for each
// request. Tensors travel with the binary-data extension by default (a JSON
// header of Inference-Header-Content-Length bytes, then the raw tensors),
// or as JSON arrays (--encoding json). One undici Pool keeps connections
// alive to the server; requests waiting for a free connection are counted
// (waiting()) so that client-side queueing cannot pass for server latency.
import { status as Status } from '@grpc/grpc-js';
import { Pool, errors as undiciErrors, type Dispatcher } from 'undici';
import { PunctualClientError } from '../../client/errors.js';
import type { Rand } from '../random.js';
import { clientDeadline, httpFailure, malformed, transportFailure } from './outcomes.js';
import { INPUTS_PER_MODEL, TargetFailure, type ReplayTarget, type TargetAnswer, type TargetModel } from './target.js';
import type { TargetSpec } from './target-url.js';
import { DEFAULT_V2_SLO_MS, sloDeadline, type V2TargetOptions } from './v2-options.js';
import { checkInputMeta, jsonData, outputBytes, randomV2Inputs, rawBytes, readOutputMeta, type V2Input, type V2TensorMeta } from './v2-tensors.js';

/** Deadline of metadata and index calls, ms. */
const SETUP_DEADLINE_MS = 10_000;
/** Largest answer read, bytes (as the controller's --max-message-bytes); more is a malformed answer. */
export const MAX_RESPONSE_BYTES = 64 * 1024 * 1024;
/** Largest error body read, bytes. */
const MAX_ERROR_BYTES = 64 * 1024;

const HEADER_LENGTH = 'inference-header-content-length';
/** The client's deadline, ms from sending (Punctual's REST reads it as gRPC's grpc-timeout). */
const TIMEOUT_HEADER = 'punctual-timeout-ms';

/** Reads a body up to `limit` bytes; undefined when it is longer (the rest is dropped). */
async function readBounded(body: Dispatcher.ResponseData['body'], limit: number): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let n = 0;
  for await (const chunk of body as AsyncIterable<Buffer>) {
    n += chunk.byteLength;
    if (n > limit) {
      body.destroy();
      return undefined;
    }
    chunks.push(chunk);
  }
  return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, n);
}

/** The `error` (V2) or `message`/`detail` of an error body, else the body's text. */
function errorMessage(body: Buffer | undefined, statusCode: number): { message: string; reason?: string } {
  if (!body || body.byteLength === 0) return { message: `HTTP ${statusCode}` };
  const text = body.toString('utf8');
  try {
    const j = JSON.parse(text) as { error?: unknown; message?: unknown; detail?: unknown; reason?: unknown };
    const message = [j.error, j.message, j.detail].find((v) => typeof v === 'string') as string | undefined;
    return { message: message ?? text, ...(typeof j.reason === 'string' && j.reason !== '' ? { reason: j.reason } : {}) };
  } catch {
    return { message: text };
  }
}

function headerValue(h: Dispatcher.ResponseData['headers'], name: string): string | undefined {
  const v = h[name];
  return Array.isArray(v) ? v[0] : v;
}

/** Why a 200 answer cannot count as ok (undefined when it can): its JSON header and binary outputs must add up. */
export function checkInferBody(body: Buffer, headerLength: string | undefined): string | undefined {
  let jsonEnd = body.byteLength;
  if (headerLength !== undefined) {
    const n = Number(headerLength);
    if (!/^\d+$/.test(headerLength.trim()) || n > body.byteLength) return `Inference-Header-Content-Length ${JSON.stringify(headerLength)} does not fit a body of ${body.byteLength} bytes`;
    jsonEnd = n;
  }
  let head: unknown;
  try {
    head = JSON.parse(body.subarray(0, jsonEnd).toString('utf8'));
  } catch {
    return 'the answer is not JSON';
  }
  const outputs = (head as { outputs?: unknown } | null)?.outputs;
  if (!Array.isArray(outputs) || outputs.length === 0) return 'the answer has no outputs';
  let offset = jsonEnd;
  for (const [i, o] of (outputs as unknown[]).entries()) {
    const meta = readOutputMeta(o, i);
    if (typeof meta === 'string') return meta;
    const out = o as { data?: unknown; parameters?: { binary_data_size?: unknown } };
    const size = out.parameters?.binary_data_size;
    const want = outputBytes(meta);
    if (size !== undefined) {
      if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) return `output ${meta.name} has binary_data_size ${JSON.stringify(size)}`;
      if (want !== undefined && want !== size) return `output ${meta.name} of shape [${meta.shape.join(', ')}] ${meta.datatype} needs ${want} bytes, binary_data_size says ${size}`;
      offset += size;
      if (offset > body.byteLength) return `output ${meta.name}'s binary data runs past the end of the answer`;
    } else if (!Array.isArray(out.data)) {
      return `output ${meta.name} has neither data nor binary_data_size`;
    } else if (want !== undefined && out.data.length !== meta.shape.reduce((a, b) => a * b, 1)) {
      return `output ${meta.name} of shape [${meta.shape.join(', ')}] has ${out.data.length} values`;
    }
  }
  if (offset !== body.byteLength) return `the answer has ${body.byteLength - offset} bytes after its outputs`;
  return undefined;
}

/** One request body, and its content headers. */
interface Body {
  data: Buffer;
  headers: Record<string, string>;
}

export class V2HttpTarget implements ReplayTarget {
  readonly url: string;
  readonly config: Record<string, unknown>;
  private readonly pool: Pool;
  private readonly auth: Record<string, string>;

  constructor(
    private readonly spec: TargetSpec,
    private readonly opts: V2TargetOptions,
  ) {
    this.url = spec.url;
    this.config = { protocol: 'v2', transport: 'http', target: spec.url, encoding: opts.encoding, slo_as: opts.sloAs, connections: opts.connections };
    this.auth = opts.token ? { authorization: `Bearer ${opts.token}` } : {};
    this.pool = new Pool(`${spec.tls ? 'https' : 'http'}://${spec.authority}`, {
      connections: opts.connections,
      pipelining: 1,
      keepAliveTimeout: 30_000,
      ...(spec.tls && opts.ca ? { connect: { ca: opts.ca } } : {}),
    });
  }

  waiting(): number {
    return this.pool.stats.pending;
  }

  private path(p: string): string {
    return `${this.spec.basePath}${p}`;
  }

  /** A setup request: a failure becomes a PunctualClientError that names the server and what to do. */
  private async setup(what: string, method: 'GET' | 'POST', p: string, body?: string): Promise<unknown> {
    let res: Dispatcher.ResponseData;
    try {
      res = await this.pool.request({
        method,
        path: this.path(p),
        headers: { ...this.auth, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
        ...(body !== undefined ? { body } : {}),
        signal: AbortSignal.timeout(SETUP_DEADLINE_MS),
      });
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      const hint = /protocol/i.test(message) ? ' (something answered that does not speak HTTP/1.1: is this the server\'s HTTP port, not its gRPC one?)' : '';
      throw new PunctualClientError(Status.UNAVAILABLE, `cannot reach a V2 HTTP server at ${this.url}: ${message}${hint}`, undefined, undefined, { cause: err });
    }
    const data = await readBounded(res.body, MAX_RESPONSE_BYTES);
    if (res.statusCode !== 200) {
      const e = errorMessage(data, res.statusCode);
      const f = httpFailure(res.statusCode, e.message, e.reason);
      const code = res.statusCode === 404 ? Status.NOT_FOUND : res.statusCode === 401 ? Status.UNAUTHENTICATED : res.statusCode === 403 ? Status.PERMISSION_DENIED : Status.UNKNOWN;
      throw new PunctualClientError(code, `${what}: ${this.url} answered HTTP ${res.statusCode}: ${f.message}`, f.reason);
    }
    try {
      return JSON.parse((data ?? Buffer.alloc(0)).toString('utf8')) as unknown;
    } catch {
      throw new PunctualClientError(Status.INTERNAL, `${what}: ${this.url} answered with something that is not JSON; is it a V2 server, and is this its HTTP port?`);
    }
  }

  async models(): Promise<string[]> {
    let index: unknown;
    try {
      index = await this.setup('POST /v2/repository/index', 'POST', '/v2/repository/index', JSON.stringify({ ready: true }));
    } catch (err) {
      if (err instanceof PunctualClientError && err.code !== Status.UNAVAILABLE) {
        throw new PunctualClientError(err.code, `the V2 server at ${this.url} does not list its models (${err.message}); name them with --models`, err.reason);
      }
      throw err;
    }
    if (!Array.isArray(index)) throw new PunctualClientError(Status.INTERNAL, `POST /v2/repository/index at ${this.url} did not answer a list of models; name them with --models`);
    return [...new Set((index as { name?: unknown }[]).map((m) => m?.name).filter((n): n is string => typeof n === 'string'))];
  }

  async prepare(model: string, rand: Rand): Promise<TargetModel> {
    const route = `/v2/models/${encodeURIComponent(model)}`;
    let meta: unknown;
    try {
      meta = await this.setup(`model ${model}: GET ${route}`, 'GET', route);
    } catch (err) {
      if (err instanceof PunctualClientError && err.code === Status.NOT_FOUND) {
        throw new PunctualClientError(Status.NOT_FOUND, `model ${model}: the V2 server at ${this.url} has no such model (${err.message})`, err.reason);
      }
      throw err;
    }
    const inputs = (meta as { inputs?: unknown } | null)?.inputs;
    const checked: V2TensorMeta[] = [];
    if (!Array.isArray(inputs)) throw new PunctualClientError(Status.INTERNAL, `model ${model}: GET ${route} at ${this.url} lists no inputs`);
    for (const [i, t] of (inputs as unknown[]).entries()) {
      const m = typeof t === 'object' && t !== null ? (t as { name?: unknown; datatype?: unknown; shape?: unknown }) : undefined;
      if (!m || typeof m.name !== 'string' || typeof m.datatype !== 'string' || !Array.isArray(m.shape) || !m.shape.every((d) => typeof d === 'number')) {
        throw new PunctualClientError(Status.INTERNAL, `model ${model}: input ${i} in GET ${route} at ${this.url} has no name, datatype or numeric shape`);
      }
      checked.push({ name: m.name, datatype: m.datatype, shape: m.shape as number[] });
    }
    checkInputMeta(model, checked);
    const sets = Array.from({ length: INPUTS_PER_MODEL }, () => randomV2Inputs(model, checked, rand));
    const bodies = new Map<string, Body>();
    const bodyOf = (i: number, timeoutUs: number | undefined): Body => {
      const key = `${i}:${timeoutUs ?? ''}`;
      let b = bodies.get(key);
      if (!b) bodies.set(key, (b = this.encode(sets[i]!, timeoutUs)));
      return b;
    };
    const path = this.path(`${route}/infer`);
    return {
      defaultSloMs: DEFAULT_V2_SLO_MS,
      infer: (id, sloMs, deadlineMs) => {
        const { timeoutParam, deadlineMs: wait } = sloDeadline(this.opts.sloAs, sloMs, deadlineMs);
        return this.infer(path, bodyOf(id % sets.length, timeoutParam ? Math.max(1, Math.round(sloMs * 1000)) : undefined), wait);
      },
    };
  }

  /** A request's body: the binary-data extension (JSON header, then the raw tensors) or JSON alone. */
  private encode(inputs: V2Input[], timeoutUs: number | undefined): Body {
    const parameters = timeoutUs !== undefined ? { timeout: timeoutUs } : {};
    if (this.opts.encoding === 'json') {
      const json = { inputs: inputs.map((t) => ({ name: t.name, shape: t.shape, datatype: t.datatype, data: jsonData(t) })), parameters };
      return { data: Buffer.from(JSON.stringify(json)), headers: { 'content-type': 'application/json' } };
    }
    const raws = inputs.map((t) => rawBytes(t.data));
    const head = Buffer.from(
      JSON.stringify({
        inputs: inputs.map((t, i) => ({ name: t.name, shape: t.shape, datatype: t.datatype, parameters: { binary_data_size: raws[i]!.byteLength } })),
        parameters: { ...parameters, binary_data_output: true },
      }),
    );
    return {
      data: Buffer.concat([head, ...raws]),
      headers: { 'content-type': 'application/octet-stream', [HEADER_LENGTH]: String(head.byteLength) },
    };
  }

  private async infer(path: string, body: Body, deadlineMs: number): Promise<TargetAnswer> {
    const start = performance.now();
    let res: Dispatcher.ResponseData;
    let data: Buffer | undefined;
    try {
      // Punctual-Timeout-Ms: how long this client waits, as grpc-timeout says over gRPC (Punctual caps the SLO by it; others ignore it).
      const headers = { ...this.auth, ...body.headers, [TIMEOUT_HEADER]: String(Math.max(1, Math.round(deadlineMs))) };
      res = await this.pool.request({ method: 'POST', path, headers, body: body.data, signal: AbortSignal.timeout(deadlineMs) });
      data = await readBounded(res.body, res.statusCode === 200 ? MAX_RESPONSE_BYTES : MAX_ERROR_BYTES);
    } catch (err) {
      const timedOut = err instanceof Error && (err.name === 'TimeoutError' || err instanceof undiciErrors.RequestAbortedError);
      throw new TargetFailure(timedOut ? clientDeadline(deadlineMs) : transportFailure(err instanceof Error ? err.message : String(err)));
    }
    const latencyMs = performance.now() - start;
    if (res.statusCode !== 200) {
      const e = errorMessage(data, res.statusCode);
      throw new TargetFailure(httpFailure(res.statusCode, e.message, headerValue(res.headers, 'punctual-reason') ?? e.reason));
    }
    if (!data) throw new TargetFailure(malformed(`the answer is over ${MAX_RESPONSE_BYTES} bytes`));
    const wrong = checkInferBody(data, headerValue(res.headers, HEADER_LENGTH));
    if (wrong !== undefined) throw new TargetFailure(malformed(wrong));
    return { latencyMs };
  }

  async close(): Promise<void> {
    await this.pool.close();
  }
}
