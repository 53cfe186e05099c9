// The V2 REST inference request's body and answer (controller/http/v2-routes.ts
// serves them): the JSON and the binary-data extension's parts, each input
// read and checked as gRPC's are (oip/tensors.ts readV2Items), the outputs
// asked for, the SLO's header and the answer's encoding.
import type { FastifyRequest } from 'fastify';
import { elementCount, type DType } from '../../common/dtype.js';
import { capMessage, quoted, someOf } from '../../common/bounded-text.js';
import { invalidArgument, PunctualError, Status } from '../../common/errors.js';
import { MAX_SLO_MS, MODEL_VERSION_RANGE, parseModelVersion } from '../../common/model-config.js';
import { checkShape, type WireTensor } from '../../common/tensor.js';
import type { InferParameter__Output } from '../../protos/generated/inference/InferParameter.js';
import type { ServedModel } from '../model-registry.js';
import { punctualDtype, v2Datatype, type V2Input } from '../oip/tensors.js';
import { bytesToJson, flattenData, jsonToBytes } from './json-tensors.js';

/** The binary-data extension's header: bytes of JSON at the start of the body. */
export const HEADER_LENGTH = 'inference-header-content-length';

/** A JSON object (not an array, not null), else INVALID_ARGUMENT naming `what`. */
export function objectOf(v: unknown, what: string): Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw invalidArgument(`${what} must be a JSON object`);
  return v as Record<string, unknown>;
}

/** An own property of a parsed JSON object (never one from its prototype, such as __proto__). */
export const own = (o: Record<string, unknown>, k: string): unknown => (Object.hasOwn(o, k) ? o[k] : undefined);

/** V2 JSON parameters as the gRPC handler's parameter records (so both read them with the same functions). */
export function jsonParameters(v: unknown, what: string): Record<string, InferParameter__Output> {
  if (v === undefined) return {};
  const o = objectOf(v, what);
  // No prototype: a parameter named "__proto__" is a parameter like any other.
  const out = Object.create(null) as Record<string, InferParameter__Output>;
  for (const [k, p] of Object.entries(o)) {
    if (typeof p === 'boolean') out[k] = { parameterChoice: 'boolParam', boolParam: p };
    else if (typeof p === 'string') out[k] = { parameterChoice: 'stringParam', stringParam: p };
    else if (typeof p === 'number' && Number.isInteger(p)) out[k] = { parameterChoice: 'int64Param', int64Param: p };
    else if (typeof p === 'number') out[k] = { parameterChoice: 'doubleParam', doubleParam: p };
    else throw invalidArgument(`${what}: parameter ${quoted(k)} must be a boolean, a number or a string`);
  }
  return out;
}

/** A model version from a route ("" when the route has none: the newest). */
export function versionOf(v: string | undefined): number {
  if (v === undefined || v === '') return 0;
  const n = parseModelVersion(v);
  if (n === undefined) throw invalidArgument(`model version must be ${MODEL_VERSION_RANGE}, got ${quoted(v)}`);
  return n;
}

/** The client's deadline header in ms, or undefined without one. */
export function timeoutHeaderMs(v: string | string[] | undefined): number | undefined {
  if (v === undefined) return undefined;
  const s = Array.isArray(v) ? v[0] ?? '' : v;
  const ms = /^\s*\d+(\.\d+)?\s*$/.test(s) ? Number(s) : NaN;
  if (!(ms > 0) || ms > MAX_SLO_MS) throw invalidArgument(`header Punctual-Timeout-Ms must be a number of milliseconds from 0 to one hour (${MAX_SLO_MS}), got ${quoted(s)}`);
  return ms;
}

/** Only an identity Content-Encoding is read. */
export function checkEncoding(req: FastifyRequest): void {
  const coding = req.headers['content-encoding'];
  if (coding !== undefined && coding.trim().toLowerCase() !== 'identity') {
    throw invalidArgument(`Content-Encoding ${quoted(coding, 32)} is not supported: send the body uncompressed`);
  }
}

/**
 * Bytes that stand for a binary part not yet read, when its JSON header is
 * checked before the body (the checks look at lengths only). One zero-filled
 * buffer, grown to the largest asked for and never written, so a flood of
 * early rejections allocates nothing; at most STAND_IN_MAX bytes (undefined
 * past that: the request is then checked once its body is in).
 */
let standInBytes = Buffer.alloc(0);
const STAND_IN_MAX = 256 * 1024 * 1024;
export function standIn(n: number): Buffer | undefined {
  if (n > STAND_IN_MAX) return undefined;
  if (standInBytes.byteLength < n) standInBytes = Buffer.alloc(Math.min(STAND_IN_MAX, Math.max(n, 2 * standInBytes.byteLength)));
  return standInBytes.subarray(0, n);
}

/** The body split by the binary-data extension: its JSON, and the bytes after it. */
export function splitBody(body: Buffer, headerLength: string | string[] | undefined): { json: unknown; binary: Buffer } {
  let n = body.byteLength;
  if (headerLength !== undefined) {
    const s = Array.isArray(headerLength) ? headerLength[0] ?? '' : headerLength;
    n = /^\s*\d+\s*$/.test(s) ? Number(s) : NaN;
    if (!(n <= body.byteLength)) throw invalidArgument(`Inference-Header-Content-Length ${quoted(s)} must be a byte count within the body's ${body.byteLength} bytes`);
  }
  if (n === 0) throw invalidArgument('the request has no JSON (an empty body, or Inference-Header-Content-Length 0)');
  let json: unknown;
  try {
    json = JSON.parse(body.subarray(0, n).toString('utf8'));
  } catch (err) {
    throw invalidArgument(`the request's JSON does not parse: ${err instanceof Error ? capMessage(err.message, 200) : 'malformed'}`);
  }
  return { json, binary: body.subarray(n) };
}

/** A request's inputs as V2Inputs: their data from JSON, or their bytes from the binary part in order. */
export function readInputs(model: ServedModel, list: unknown, binary: Buffer): V2Input[] {
  const name = model.config.name;
  if (!Array.isArray(list)) throw invalidArgument('"inputs" must be an array of tensors');
  if (list.length > model.config.inputs.length) throw invalidArgument(`model ${name} takes ${model.config.inputs.length} input(s) (${someOf(model.config.inputs.map((s) => s.name))}); the request has ${list.length}`);
  let at = 0;
  const inputs = list.map((v: unknown, i): V2Input => {
    const t = objectOf(v, `inputs[${i}]`);
    const tname = own(t, 'name');
    const datatype = own(t, 'datatype');
    const shape = own(t, 'shape');
    if (typeof tname !== 'string') throw invalidArgument(`inputs[${i}] needs a "name"`);
    const what = `model ${name}: input ${quoted(tname)}`;
    if (typeof datatype !== 'string') throw invalidArgument(`${what} needs a "datatype"`);
    if (!Array.isArray(shape) || !shape.every((d) => typeof d === 'number')) throw invalidArgument(`${what} needs a "shape", an array of integers`);
    checkShape(name, tname, shape as number[]);
    const dtype = punctualDtype(datatype);
    const params = own(t, 'parameters') === undefined ? {} : objectOf(own(t, 'parameters'), `${what}: "parameters"`);
    const size = own(params, 'binary_data_size');
    const base = { name: tname, datatype, shape: shape as number[] };
    if (size !== undefined) {
      if (!Number.isSafeInteger(size) || (size as number) < 0) throw invalidArgument(`${what}: binary_data_size must be a byte count, got ${capMessage(JSON.stringify(size), 40)}`);
      if (own(t, 'data') !== undefined) throw invalidArgument(`${what} has both "data" and binary_data_size; send one`);
      const n = size as number;
      if (at + n > binary.byteLength) throw invalidArgument(`${what}: binary_data_size ${n} runs past the body: ${binary.byteLength - at} binary bytes are left after the JSON (Inference-Header-Content-Length) and the inputs before it`);
      const raw = new Uint8Array(binary.buffer, binary.byteOffset + at, n);
      at += n;
      return { ...base, raw };
    }
    // Name, datatype or shape wrong for the model: readV2Items names the problem before any data
    // is read, so nothing is converted beyond what a legitimate request (max batch items) holds.
    const spec = model.config.inputs.find((s) => s.name === tname);
    const dims = shape as number[];
    const fits = spec !== undefined && spec.dtype === dtype && dims.length === spec.shape.length + 1 && dims[0]! >= 1 && dims[0]! <= model.config.maxBatch && spec.shape.every((d, k) => d === dims[k + 1]);
    if (!fits) return { ...base, raw: new Uint8Array(0) };
    const want = elementCount(shape as number[]);
    const data = own(t, 'data');
    if (data === undefined) throw invalidArgument(`${what} has neither "data" nor parameters.binary_data_size`);
    return { ...base, raw: jsonToBytes(what, dtype, flattenData(what, data, want, shape as number[])) };
  });
  if (at !== binary.byteLength) {
    throw invalidArgument(`the body has ${binary.byteLength} binary bytes after its JSON, the inputs' binary_data_size add up to ${at}`);
  }
  return inputs;
}

/** One output asked for: its name and whether it is answered in binary. */
export interface WantedOutput {
  name: string;
  binary: boolean;
}

/** The outputs asked for (empty: all of them, in binary when binaryAll). */
export function readOutputs(model: ServedModel, list: unknown, binaryAll: boolean): WantedOutput[] {
  if (list === undefined) return [];
  if (!Array.isArray(list)) throw invalidArgument('"outputs" must be an array of {"name": …}');
  const known = model.config.outputs.map((o) => o.name);
  return list.map((v: unknown, i) => {
    const o = objectOf(v, `outputs[${i}]`);
    const name = own(o, 'name');
    if (typeof name !== 'string') throw invalidArgument(`outputs[${i}] needs a "name"`);
    if (known.length > 0 && !known.includes(name)) throw invalidArgument(`model ${model.config.name}: unknown output ${quoted(name)}; outputs: ${someOf(known)}`);
    const params = own(o, 'parameters') === undefined ? {} : objectOf(own(o, 'parameters'), `outputs[${i}].parameters`);
    if (own(params, 'classification') !== undefined) {
      throw new PunctualError(Status.UNIMPLEMENTED, `outputs[${i}]: the classification extension is not supported; ask for the output itself`);
    }
    const b = own(params, 'binary_data');
    if (b !== undefined && typeof b !== 'boolean') throw invalidArgument(`outputs[${i}].parameters.binary_data must be true or false`);
    return { name, binary: b ?? binaryAll };
  });
}

/** A checked infer request, ready for admission. */
export interface CheckedInfer {
  model: ServedModel;
  id: string | undefined;
  slo: number;
  items: WireTensor[][];
  wanted: WantedOutput[];
  binaryAll: boolean;
}

/** The answer's body and headers: JSON alone, or a JSON header followed by binary outputs. */
export function encodeAnswer(c: CheckedInfer, outputs: WireTensor[]): { body: Buffer | string; headers: Record<string, string> } {
  const chosen = c.wanted.length === 0 ? outputs.map((t) => ({ t, binary: c.binaryAll })) : c.wanted.map((w) => ({ t: outputs.find((o) => o.name === w.name), binary: w.binary }));
  const parts: string[] = [];
  const blobs: Uint8Array[] = [];
  for (const { t, binary } of chosen) {
    if (!t) continue;
    const head = `"name":${JSON.stringify(t.name)},"datatype":${JSON.stringify(v2Datatype(t.dtype))},"shape":${JSON.stringify(t.shape)}`;
    if (binary) {
      blobs.push(t.data);
      parts.push(`{${head},"parameters":{"binary_data_size":${t.data.byteLength}}}`);
    } else {
      parts.push(`{${head},"data":${bytesToJson(t.dtype as DType, t.data)}}`);
    }
  }
  const json = `{"model_name":${JSON.stringify(c.model.config.name)},"model_version":${JSON.stringify(String(c.model.config.version))}${c.id !== undefined ? `,"id":${JSON.stringify(c.id)}` : ''},"outputs":[${parts.join(',')}]}`;
  if (blobs.length === 0) return { body: json, headers: { 'content-type': 'application/json' } };
  const head = Buffer.from(json, 'utf8');
  return {
    body: Buffer.concat([head, ...blobs]),
    headers: { 'content-type': 'application/octet-stream', [HEADER_LENGTH]: String(head.byteLength) },
  };
}

