// Fuzzed requests for the chaos suite: malformed, oversized and strange
// calls on both inference protocols and on model uploads, seeded so a
// failing run can be replayed. Each call ends with the status it got, and
// `documented` names the statuses its kind may end with (README "Status
// codes"); anything else — INTERNAL, UNKNOWN, a call the server never
// answered — is a finding.
import crypto from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import { ecosystemProtos } from '../../common/ecosystem-protos.js';
import { CHANNEL_OPTIONS, protos } from '../../common/protos.js';
import type { InferRequest } from '../../common/wire.js';
import type { ModelInferRequest } from '../../protos/generated/inference/ModelInferRequest.js';
import { prng, type Rand } from '../../traces/random.js';

export type FuzzKind = 'v2' | 'v1' | 'garbage' | 'upload';

export interface FuzzOutcome {
  kind: FuzzKind;
  code: number;
  details: string;
  /** The client's own deadline passed: the server never answered. */
  unanswered: boolean;
}

const S = grpc.status;

/** Statuses each kind of fuzzed call may end with. */
export const DOCUMENTED: Record<FuzzKind, ReadonlySet<number>> = {
  v2: new Set([S.OK, S.INVALID_ARGUMENT, S.NOT_FOUND, S.RESOURCE_EXHAUSTED, S.DEADLINE_EXCEEDED]),
  v1: new Set([S.OK, S.INVALID_ARGUMENT, S.NOT_FOUND, S.RESOURCE_EXHAUSTED, S.DEADLINE_EXCEEDED]),
  garbage: new Set([S.INVALID_ARGUMENT, S.RESOURCE_EXHAUSTED, S.NOT_FOUND]),
  upload: new Set([S.INVALID_ARGUMENT, S.RESOURCE_EXHAUSTED, S.DEADLINE_EXCEEDED, S.ALREADY_EXISTS, S.NOT_FOUND]),
};

const CLS_ITEM = [3, 48, 192];
const CLS_BYTES = 3 * 48 * 192 * 4;
const CALL_DEADLINE_MS = 15_000;

function pick<T>(rand: Rand, xs: readonly T[]): T {
  return xs[Math.floor(rand() * xs.length)]!;
}

function dim(rand: Rand): number {
  return pick(rand, [0, 1, 1, 2, 3, 48, 192, 7, 16, 17, 65_536, 2 ** 31, 2 ** 32 + 1, 2 ** 40, 2 ** 53 - 1, -1, 30_000_000]);
}

function shape(rand: Rand): number[] {
  const r = rand();
  if (r < 0.35) return [1, ...CLS_ITEM];
  if (r < 0.5) return [Math.floor(rand() * 20) + 1, ...CLS_ITEM];
  if (r < 0.6) return [dim(rand), ...CLS_ITEM];
  if (r < 0.65) return Array.from({ length: 1000 + Math.floor(rand() * 100_000) }, () => 1);
  return Array.from({ length: Math.floor(rand() * 8) }, () => dim(rand));
}

function name(rand: Rand): string {
  return pick(rand, ['cls', 'cls', 'cls', 'det', '', 'nope', 'cls@1', '../etc/passwd', 'é🙂', 'n'.repeat(100_000), 'x'.repeat(129)]);
}

function bytes(rand: Rand, shapeUsed: number[]): Buffer {
  const r = rand();
  const n = shapeUsed.reduce((a, b) => a * b, 1);
  if (r < 0.5 && Number.isSafeInteger(n) && n * 4 <= 16 * CLS_BYTES && n >= 0) return Buffer.alloc(n * 4, 1);
  if (r < 0.6) return Buffer.alloc(CLS_BYTES);
  return crypto.randomBytes(Math.floor(rand() * 2000));
}

export function v2Request(rand: Rand): ModelInferRequest {
  const inputs = Array.from({ length: pick(rand, [1, 1, 1, 0, 2, 3]) }, () => ({
    name: pick(rand, ['x', 'x', 'x', 'y', '', 'x'.repeat(50_000)]),
    datatype: pick(rand, ['FP32', 'FP32', 'FP32', 'FP16', 'INT64', 'BOOL', 'BYTES', 'fp32', '']),
    shape: shape(rand),
  }));
  const raw = rand() < 0.8;
  const timeout = rand();
  return {
    modelName: name(rand),
    modelVersion: pick(rand, ['', '', '1', '0', '-1', 'abc', '99999999999', '1e3']),
    id: rand() < 0.05 ? 'i'.repeat(10_000) : 'fuzz',
    inputs: raw ? inputs : inputs.map((t) => ({ ...t, contents: { fp32Contents: Array.from({ length: Math.floor(rand() * 100) }, () => rand()) } })),
    rawInputContents: raw ? inputs.map((t) => bytes(rand, t.shape)) : [],
    outputs: rand() < 0.1 ? [{ name: pick(rand, ['softmax_0.tmp_0', 'nope', 'o'.repeat(10_000)]) }] : [],
    ...(timeout < 0.3
      ? { parameters: { timeout: pick(rand, [{ int64Param: 100_000 }, { int64Param: 1 }, { int64Param: 0 }, { int64Param: -5 }, { int64Param: 2 ** 52 }, { stringParam: 'soon' }, { boolParam: true }]) } }
      : {}),
  };
}

export function v1Request(rand: Rand): InferRequest {
  const sh = shape(rand);
  return {
    model: name(rand),
    version: pick(rand, [0, 0, 1, 2, 4_000_000_000]),
    inputs: Array.from({ length: pick(rand, [1, 1, 0, 2]) }, () => ({
      name: pick(rand, ['x', 'x', 'y', '']),
      dtype: pick(rand, ['float32', 'float32', 'int64', 'float16', 'nope', '']),
      shape: sh,
      data: bytes(rand, sh),
    })),
    ...(rand() < 0.4 ? { sloMs: pick(rand, [200, 1, 0, -1, 1e9, Number.NaN, Number.POSITIVE_INFINITY, 0.001]) } : {}),
  };
}

type Done = (code: number, details: string) => void;

/** Sends fuzzed calls on one channel. */
export class Fuzzer {
  private readonly raw: grpc.Client;
  private readonly rand: Rand;

  constructor(address: string, seed: number) {
    this.raw = new grpc.Client(address, grpc.credentials.createInsecure(), CHANNEL_OPTIONS);
    this.rand = prng(seed);
  }

  private unary(path: string, body: Buffer, done: Done): void {
    this.raw.makeUnaryRequest(path, (b: Buffer) => b, (b: Buffer) => b, body, new grpc.Metadata(), { deadline: Date.now() + CALL_DEADLINE_MS }, (err) =>
      done(err ? err.code : S.OK, err?.details ?? ''),
    );
  }

  private upload(done: Done): void {
    const rand = this.rand;
    const { requestSerialize } = protos().admin.punctual.v1.Admin.service.RegisterModel;
    const call = this.raw.makeClientStreamRequest(
      '/punctual.v1.Admin/RegisterModel',
      (b: Buffer) => b,
      (b: Buffer) => b,
      new grpc.Metadata(),
      { deadline: Date.now() + CALL_DEADLINE_MS },
      (err) => done(err ? err.code : S.OK, err?.details ?? ''),
    );
    const size = pick(rand, [0, 10, 1000, 2 ** 40, -1]);
    const r = rand();
    if (r < 0.15) call.write(crypto.randomBytes(Math.floor(rand() * 64)));
    else if (r > 0.2) {
      call.write(
        requestSerialize({
          meta: {
            name: name(rand),
            version: pick(rand, [0, 1, 999_999_999, 1_000_000_000]),
            size,
            sha256: pick(rand, ['0'.repeat(64), 'zz', '']),
            maxBatch: pick(rand, [0, 1, 16, 100_000]),
            copies: pick(rand, [0, 1, 2_000]),
          },
        }),
      );
    }
    for (let i = Math.floor(rand() * 3); i > 0; i--) call.write(requestSerialize({ chunk: crypto.randomBytes(Math.floor(rand() * 4000)) }));
    call.end();
  }

  /** One fuzzed call; resolves when it ended. */
  one(): Promise<FuzzOutcome> {
    const rand = this.rand;
    const r = rand();
    const kind: FuzzKind = r < 0.45 ? 'v2' : r < 0.85 ? 'v1' : r < 0.97 ? 'garbage' : 'upload';
    return new Promise((resolve) => {
      const done: Done = (code, details) => resolve({ kind, code, details, unanswered: code === S.DEADLINE_EXCEEDED && /Deadline exceeded after/.test(details) });
      if (kind === 'v2') this.unary('/inference.GRPCInferenceService/ModelInfer', ecosystemProtos().oip.inference.GRPCInferenceService.service.ModelInfer.requestSerialize(v2Request(rand)), done);
      else if (kind === 'v1') this.unary('/punctual.v1.Inference/Infer', protos().inference.punctual.v1.Inference.service.Infer.requestSerialize(v1Request(rand)), done);
      else if (kind === 'garbage') this.unary(pick(rand, ['/inference.GRPCInferenceService/ModelInfer', '/punctual.v1.Inference/Infer', '/punctual.v1.Admin/DescribeModel']), crypto.randomBytes(1 + Math.floor(rand() * 3000)), done);
      else this.upload(done);
    });
  }

  /** `total` fuzzed calls, at most `inFlight` at a time. */
  async run(total: number, inFlight: number): Promise<FuzzOutcome[]> {
    const out: FuzzOutcome[] = [];
    let started = 0;
    const lane = async (): Promise<void> => {
      while (started < total) {
        started++;
        out.push(await this.one());
      }
    };
    await Promise.all(Array.from({ length: inFlight }, lane));
    return out;
  }

  close(): void {
    this.raw.close();
  }
}
