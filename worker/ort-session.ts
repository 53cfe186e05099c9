// The only place that touches onnxruntime: create a session from model bytes
// on a device, run a batch, describe a model's inputs and outputs, and save a
// model as onnxruntime optimized it (optimizeModel: a session created from that
// with optimizations off is ready in 0.5–0.75 of the time, bench/load-time.ts).
// Used by the executor threads and by the profiler (both run inside
// worker_threads).
// First: telemetry off (ORT_DISABLE_TELEMETRY) before onnxruntime loads.
import '../common/ort-env.js';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import ort from 'onnxruntime-node';
import { typedView, type DType } from '../common/dtype.js';
import type { Device } from '../common/device.js';
import type { ModelSignature } from '../common/model-signature.js';
import type { WireTensor } from '../common/tensor.js';

/** onnxruntime's graph optimization levels ('layout' left out: 'all' includes it). */
export type GraphOptimization = 'disabled' | 'basic' | 'extended' | 'all';

export interface SessionOptions {
  device: Device;
  threads: number;
  /**
   * Graph optimizations applied while the session is created. 'disabled' is
   * for a model optimizeModel() already optimized for this device and thread
   * count. @default 'all'
   */
  optimization?: GraphOptimization;
  /** Other settings that change how long creation takes; bench/load-time.ts measures them. The defaults are what executors use. */
  tuning?: SessionTuning;
}

export interface SessionTuning {
  /**
   * Whether onnxruntime's intra-op threads spin-wait for work after each run
   * (its default). On a machine whose cores the request path also needs, the
   * spinning threads take them: with two intra-op threads on 2 cores, det end
   * to end went 12 -> 24.5 ms p50 (bench/model-threads.ts), and close to the
   * one-thread figure with spinning off. Matters only with 2+ threads. @default true
   */
  spinWait?: boolean;
  /**
   * onnxruntime's CPU memory arena: keeps what a session's runs allocated, for
   * its next runs. Off on CPU: it grows at a session's first runs, after the
   * load whose memory the controller books, and holds the largest run's
   * buffers per session; with it (and memory patterns) a det, rec or cls
   * session that has run takes 2.5–3× the memory (bench/session-memory.ts).
   * Runs without either are 1–11 % slower (det at batch 8 up to 24 %).
   * @default false on CPU, onnxruntime's (on) on CUDA
   */
  memArena?: boolean;
  /**
   * Memory pattern planning: one buffer per run for all intermediate tensors,
   * planned per input shape. Off on CPU for the same reason: with the arena
   * off, a det session that has run at batch 1 and 8 still takes 35 MiB,
   * against 22–27 with patterns off too. @default false on CPU, onnxruntime's (on) on CUDA
   */
  memPattern?: boolean;
  /** @default 'sequential' */
  executionMode?: 'sequential' | 'parallel';
  /** Weights pre-packed for the CPU kernels at creation. @default true */
  prepacking?: boolean;
  /** onnxruntime's log level: 0 verbose … 3 errors only. @default 2 (warnings) */
  logSeverity?: 0 | 1 | 2 | 3 | 4;
}

/** onnxruntime's options for a session (exported for its test). */
export function sessionOptions(opts: SessionOptions): ort.InferenceSession.SessionOptions {
  const t = opts.tuning ?? {};
  const o: ort.InferenceSession.SessionOptions = {
    intraOpNumThreads: opts.threads,
    interOpNumThreads: 1,
    executionMode: t.executionMode ?? 'sequential',
    graphOptimizationLevel: opts.optimization ?? 'all',
  };
  const cuda = opts.device.startsWith('cuda:');
  const memArena = t.memArena ?? (cuda ? undefined : false);
  const memPattern = t.memPattern ?? (cuda ? undefined : false);
  if (memArena !== undefined) o.enableCpuMemArena = memArena;
  if (memPattern !== undefined) o.enableMemPattern = memPattern;
  const session: Record<string, unknown> = {};
  if (t.prepacking === false) session.disable_prepacking = '1';
  if (t.spinWait === false) {
    session.intra_op = { allow_spinning: '0' };
    session.inter_op = { allow_spinning: '0' };
  }
  if (Object.keys(session).length > 0) o.extra = { session };
  if (t.logSeverity !== undefined) o.logSeverityLevel = t.logSeverity;
  if (cuda) {
    const deviceId = Number(opts.device.slice('cuda:'.length));
    o.executionProviders = [{ name: 'cuda', deviceId } as ort.InferenceSession.ExecutionProviderConfig];
  } else {
    o.executionProviders = ['cpu'];
  }
  return o;
}

/** `model` is the model's bytes, or the path of its file (onnxruntime reads it; the profiler passes a path). */
export async function createSession(model: Uint8Array | string, opts: SessionOptions): Promise<ort.InferenceSession> {
  const o = sessionOptions(opts);
  return typeof model === 'string' ? ort.InferenceSession.create(model, o) : ort.InferenceSession.create(model, o);
}

export interface OptimizeOptions extends SessionOptions {
  /** The saved model's format; onnxruntime tells them apart when loading. @default 'onnx' */
  format?: 'onnx' | 'ort';
}

/**
 * The model as onnxruntime optimizes it at `opts.optimization` (default
 * 'all') for this device and thread count, as bytes of a model file: a
 * session is created once with onnxruntime's optimizedModelFilePath set (a
 * file in a fresh temp folder, read back and removed). At 'all' the result can
 * hold layouts for this machine's CPU (onnxruntime warns so; the warning is
 * silenced here), so it is for sessions on this machine, with this device.
 * `model` must not view a SharedArrayBuffer (onnxruntime refuses one).
 */
export async function optimizeModel(model: Uint8Array, opts: OptimizeOptions): Promise<Uint8Array> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'punctual-optimize-'));
  try {
    const file = path.join(dir, `model.${opts.format ?? 'onnx'}`);
    const o = sessionOptions({ ...opts, tuning: { logSeverity: 3, ...opts.tuning } });
    o.optimizedModelFilePath = file;
    const session = await ort.InferenceSession.create(model, o);
    await session.release();
    return new Uint8Array(fs.readFileSync(file));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const ORT_TYPES: Partial<Record<DType, ort.Tensor.Type>> = {
  float32: 'float32',
  float64: 'float64',
  float16: 'float16',
  int8: 'int8',
  int16: 'int16',
  int32: 'int32',
  int64: 'int64',
  uint8: 'uint8',
  uint16: 'uint16',
  uint32: 'uint32',
  uint64: 'uint64',
  bool: 'bool',
};

function toOrt(t: WireTensor): ort.Tensor {
  const type = ORT_TYPES[t.dtype as DType];
  if (!type) throw new Error(`dtype ${t.dtype} is not supported by onnxruntime`);
  return new ort.Tensor(type, typedView(t.dtype as DType, t.data) as ort.Tensor.DataType, t.shape);
}

function fromOrt(name: string, t: ort.Tensor): WireTensor {
  const d = t.data as ArrayBufferView;
  return {
    name,
    dtype: t.type === 'bool' ? 'bool' : t.type,
    shape: t.dims.map(Number),
    data: new Uint8Array(d.buffer, d.byteOffset, d.byteLength),
  };
}

/** Runs one batch; outputs come back in the session's output order. */
export async function runSession(session: ort.InferenceSession, inputs: readonly WireTensor[]): Promise<WireTensor[]> {
  const feeds: Record<string, ort.Tensor> = {};
  for (const t of inputs) feeds[t.name] = toOrt(t);
  const results = await session.run(feeds);
  return session.outputNames.map((name) => {
    const r = results[name];
    if (!r) throw new Error(`session returned no output ${name}`);
    return fromOrt(name, r);
  });
}

/** Names, dtypes and shapes (symbolic dims as strings) as the model declares them. */
export function describeSession(session: ort.InferenceSession): ModelSignature {
  const meta = (list: readonly ort.InferenceSession.ValueMetadata[]) =>
    list.map((m) =>
      m.isTensor
        ? { name: m.name, dtype: String(m.type), shape: m.shape.map((d) => (typeof d === 'number' ? d : String(d))) }
        : { name: m.name, dtype: 'non-tensor', shape: [] },
    );
  return { inputs: meta(session.inputMetadata), outputs: meta(session.outputMetadata) };
}
