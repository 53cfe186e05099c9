// A model's declared interface and serving settings: the config.json that
// sits beside each model.onnx in the model repository.
import { isDType, type DType } from './dtype.js';
import { isThreadCount, MAX_MODEL_THREADS } from './model-threads.js';

export interface TensorSpec {
  name: string;
  dtype: DType;
  /** Per-item shape, without the batch axis. */
  shape: number[];
}

export interface ModelConfig {
  name: string;
  version: number;
  inputs: TensorSpec[];
  /** Filled in from the model itself when the repository loads it. */
  outputs: TensorSpec[];
  /** Largest batch the scheduler may form. */
  maxBatch: number;
  /** Batch sizes the scheduler uses (and profiles), ascending, all <= maxBatch. */
  batchSizes: number[];
  /** SLO for requests that carry none and have no gRPC deadline. */
  defaultSloMs: number;
  /**
   * Intra-op threads of the model's sessions, capped by each executor's
   * (common/model-threads.ts). @default its profile's bestThreads, else the executor's
   */
  threads?: number;
}

export const MODEL_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;

/** Largest SLO the controller accepts, in ms; beyond it a request is almost certainly a unit mistake. */
export const MAX_SLO_MS = 3_600_000;

/**
 * Largest model version. One rule everywhere a version is read: registration,
 * the repository's version folders (at most nine digits) and request pins.
 */
export const MAX_MODEL_VERSION = 999_999_999;

/** The rule as people read it, for error messages. */
export const MODEL_VERSION_RANGE = `from 1 to ${MAX_MODEL_VERSION}`;

/** True for an integer from 1 to MAX_MODEL_VERSION. */
export function isModelVersion(v: number): boolean {
  return Number.isInteger(v) && v >= 1 && v <= MAX_MODEL_VERSION;
}

/** A version written in decimal ("7", as in a version folder's name), or undefined if it is not one. */
export function parseModelVersion(s: string): number | undefined {
  if (!/^[1-9][0-9]*$/.test(s)) return undefined;
  const v = Number(s);
  return isModelVersion(v) ? v : undefined;
}

export function modelKey(name: string, version: number): string {
  return `${name}@${version}`;
}

export function parseModelKey(key: string): { name: string; version: number } {
  const at = key.lastIndexOf('@');
  return { name: key.slice(0, at), version: Number(key.slice(at + 1)) };
}

/** Powers of two up to maxBatch, plus maxBatch itself. */
export function defaultBatchSizes(maxBatch: number): number[] {
  const sizes: number[] = [];
  for (let b = 1; b < maxBatch; b *= 2) sizes.push(b);
  sizes.push(maxBatch);
  return sizes;
}

function fail(where: string, message: string): never {
  throw new Error(`${where}: ${message}`);
}

function parseSpec(where: string, raw: unknown): TensorSpec {
  if (typeof raw !== 'object' || raw === null) fail(where, 'must be an object {name, dtype, shape}');
  const o = raw as Record<string, unknown>;
  if (typeof o.name !== 'string' || o.name === '') fail(where, 'name must be a non-empty string');
  if (typeof o.dtype !== 'string' || !isDType(o.dtype)) fail(where, `dtype ${String(o.dtype)} is not a known dtype`);
  if (!Array.isArray(o.shape) || !o.shape.every((d) => Number.isInteger(d) && (d > 0 || d === -1))) {
    fail(where, 'shape must be a list of positive integers (or -1 for dynamic), without the batch axis');
  }
  return { name: o.name, dtype: o.dtype, shape: o.shape as number[] };
}

/**
 * Validates a parsed config.json. `name` and `version` come from the
 * repository layout when the file leaves them out.
 */
export function parseModelConfig(raw: unknown, where: string, name: string, version: number): ModelConfig {
  if (typeof raw !== 'object' || raw === null) fail(where, 'config must be a JSON object');
  const o = raw as Record<string, unknown>;
  if (!MODEL_NAME_PATTERN.test(name)) fail(where, `model name ${JSON.stringify(name)} must match ${MODEL_NAME_PATTERN}`);
  if (!Array.isArray(o.inputs) || o.inputs.length === 0) fail(where, 'inputs must be a non-empty list');
  const inputs = o.inputs.map((s, i) => parseSpec(`${where}: inputs[${i}]`, s));
  const outputs = Array.isArray(o.outputs) ? o.outputs.map((s, i) => parseSpec(`${where}: outputs[${i}]`, s)) : [];
  for (const s of inputs) {
    if (s.shape.includes(-1)) fail(where, `input ${s.name} has a dynamic dimension; give a fixed per-item shape`);
  }
  const maxBatch = o.maxBatch ?? o.max_batch ?? 1;
  if (typeof maxBatch !== 'number' || !Number.isInteger(maxBatch) || maxBatch < 1 || maxBatch > 1024) {
    fail(where, 'maxBatch must be an integer from 1 to 1024');
  }
  const rawSizes = o.batchSizes ?? o.batch_sizes;
  let batchSizes: number[];
  if (rawSizes === undefined) batchSizes = defaultBatchSizes(maxBatch);
  else {
    if (!Array.isArray(rawSizes) || rawSizes.length === 0 || !rawSizes.every((b) => Number.isInteger(b) && b >= 1 && b <= maxBatch)) {
      fail(where, `batchSizes must be a non-empty list of integers from 1 to maxBatch (${maxBatch})`);
    }
    batchSizes = [...new Set(rawSizes as number[])].sort((a, b) => a - b);
    if (batchSizes[0] !== 1) fail(where, 'batchSizes must include 1');
  }
  const slo = o.defaultSloMs ?? o.default_slo_ms ?? 100;
  if (typeof slo !== 'number' || !(slo > 0) || slo > MAX_SLO_MS) fail(where, `defaultSloMs must be a number from 0 to ${MAX_SLO_MS}`);
  const threads = o.threads;
  if (threads !== undefined && (typeof threads !== 'number' || !isThreadCount(threads))) {
    fail(where, `threads must be an integer from 1 to ${MAX_MODEL_THREADS} (or left out: the profile's best thread count)`);
  }
  return { name, version, inputs, outputs, maxBatch, batchSizes, defaultSloMs: slo, ...(threads !== undefined ? { threads } : {}) };
}

/** The JSON written to config.json. */
export function serializeModelConfig(c: ModelConfig): string {
  return (
    JSON.stringify(
      {
        name: c.name,
        version: c.version,
        inputs: c.inputs,
        outputs: c.outputs,
        maxBatch: c.maxBatch,
        batchSizes: c.batchSizes,
        defaultSloMs: c.defaultSloMs,
        ...(c.threads !== undefined ? { threads: c.threads } : {}),
      },
      null,
      2,
    ) + '\n'
  );
}
