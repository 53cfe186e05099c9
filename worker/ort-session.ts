// The only place that touches onnxruntime: create a session from model bytes
// on a device, run a batch, describe a model's inputs and outputs. Used by the
// executor threads and by the profiler (both run inside worker_threads).
// First: telemetry off (ORT_DISABLE_TELEMETRY) before onnxruntime loads.
import '../common/ort-env.js';
import ort from 'onnxruntime-node';
import { typedView, type DType } from '../common/dtype.js';
import type { Device } from '../common/device.js';
import type { ModelSignature } from '../common/model-signature.js';
import type { WireTensor } from '../common/tensor.js';

export interface SessionOptions {
  device: Device;
  threads: number;
}

/** `model` is the model's bytes, or the path of its file (onnxruntime reads it; the profiler passes a path). */
export async function createSession(model: Uint8Array | string, opts: SessionOptions): Promise<ort.InferenceSession> {
  const sessionOptions: ort.InferenceSession.SessionOptions = {
    intraOpNumThreads: opts.threads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
  };
  if (opts.device.startsWith('cuda:')) {
    const deviceId = Number(opts.device.slice('cuda:'.length));
    sessionOptions.executionProviders = [{ name: 'cuda', deviceId } as ort.InferenceSession.ExecutionProviderConfig];
  } else {
    sessionOptions.executionProviders = ['cpu'];
  }
  return typeof model === 'string' ? ort.InferenceSession.create(model, sessionOptions) : ort.InferenceSession.create(model, sessionOptions);
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
