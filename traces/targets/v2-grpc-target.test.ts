// The V2 gRPC target against a fake inference.GRPCInferenceService in this
// process (grpc-js on port 0): raw_input_contents of batch 1, the `timeout`
// parameter and the deadline (--slo-as), the token, rejections by reason,
// malformed answers, and clear errors for an unreachable server or an
// unknown model.
import { status as Status } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeV2Grpc, type FakeV2Grpc } from '../../test/support/fake-v2-server.js';
import { prng } from '../random.js';
import { replay, type ReplaySummary } from '../replay.js';
import type { Workload } from '../workload.js';
import { parseTarget } from './target-url.js';
import { V2GrpcTarget } from './v2-grpc-target.js';
import { DEFAULT_V2_OPTIONS, type V2TargetOptions } from './v2-options.js';

const MODELS = [
  { name: 'det', inputs: [{ name: 'x', datatype: 'FP32', shape: [-1, 3, 4, 4] }] },
  { name: 'fixed', inputs: [{ name: 'x', datatype: 'UINT8', shape: [2, 3] }] },
];

function workload(n: number, gapMs: number, model = 'det'): Workload {
  return { config: { workload: 'test' }, durationMs: n * gapMs, expected: n, models: [model], arrivals: () => Array.from({ length: n }, (_, i) => ({ time: i * gapMs, model })) };
}

let fake: FakeV2Grpc;
beforeAll(async () => {
  fake = await startFakeV2Grpc(MODELS);
});
afterAll(async () => {
  await fake.close();
});

function target(opts: Partial<V2TargetOptions> = {}, address = fake.address): V2GrpcTarget {
  return new V2GrpcTarget(parseTarget({ controller: '', target: `grpc://${address}` }), { ...DEFAULT_V2_OPTIONS, ...opts });
}

async function run(n: number, opts: Partial<V2TargetOptions> = {}, sloMs = 100, model = 'det'): Promise<ReplaySummary> {
  fake.seen.length = 0;
  const t = target(opts);
  try {
    return await replay({ target: t, workload: workload(n, 2, model), sloMs, graceMs: 2000 });
  } finally {
    await t.close();
  }
}

describe('V2 over gRPC', () => {
  it('raw_input_contents of batch 1, the timeout in µs, the token; every request counted', async () => {
    fake.answer = () => ({ type: 'ok' });
    const s = await run(50, { token: 't0k' }, 70);
    expect(s).toMatchObject({ requests: 50, ok: 50, rejected: 0, late: 0, errors: 0 });
    expect(fake.seen.length).toBe(50);
    for (const r of fake.seen) {
      expect(r.inputs).toEqual([{ name: 'x', datatype: 'FP32', shape: [1, 3, 4, 4], bytes: 192 }]);
      expect(r.timeoutUs).toBe(70_000);
      expect(r.authorization).toBe('Bearer t0k');
    }
    expect(s.config).toMatchObject({ protocol: 'v2', transport: 'grpc', slo_as: 'timeout' });
    expect(s.generator.transport_waiting_max).toBeUndefined();
  });

  it('a shape without a batch axis is sent as the metadata gives it', async () => {
    fake.answer = () => ({ type: 'ok' });
    const s = await run(2, { sloAs: 'none' }, 100, 'fixed');
    expect(s.ok).toBe(2);
    expect(fake.seen[0]).toMatchObject({ inputs: [{ shape: [2, 3], bytes: 6 }] });
    expect(fake.seen[0]!.timeoutUs).toBeUndefined();
  });

  it('rejections by reason: Punctual’s RESOURCE_EXHAUSTED + reason, Triton’s full queue; late and errors', async () => {
    fake.answer = (n) =>
      [
        { type: 'status' as const, code: Status.RESOURCE_EXHAUSTED, details: 'cannot finish within 100 ms', reason: 'slo_unattainable' },
        { type: 'status' as const, code: Status.UNAVAILABLE, details: 'Exceeds maximum queue size' },
        { type: 'status' as const, code: Status.UNAVAILABLE, details: 'Request timeout expired' },
        { type: 'status' as const, code: Status.INVALID_ARGUMENT, details: 'bad input' },
        { type: 'ok' as const },
      ][n % 5]!;
    const s = await run(25);
    expect(s).toMatchObject({ requests: 25, ok: 5, rejected: 10, late: 5, errors: 5 });
    expect(s.reasons).toEqual({ rejected: { slo_unattainable: 5, queue_full: 5 }, late: { queue_timeout: 5 }, error: { invalid_argument: 5 } });
  });

  it('--slo-as deadline: a slow answer is late at the SLO, on the client', async () => {
    fake.answer = () => ({ type: 'ok', delayMs: 300 });
    const s = await run(2, { sloAs: 'deadline' }, 40);
    expect(s).toMatchObject({ requests: 2, ok: 0, late: 2 });
    expect(s.reasons.late).toEqual({ client_deadline: 2 });
    expect(fake.seen.every((r) => r.timeoutUs === undefined)).toBe(true);
  });

  it('malformed answers are errors, never crashes', async () => {
    const bad = [
      { outputs: [] },
      { outputs: [{ name: 'y', datatype: 'FP32', shape: [1, 2] }], rawOutputContents: [Buffer.alloc(4)] },
      { outputs: [{ name: 'y', datatype: 'FP32', shape: [1, 2] }, { name: 'z', datatype: 'FP32', shape: [1] }], rawOutputContents: [Buffer.alloc(8)] },
      { outputs: [{ name: 'y', datatype: 'FP32', shape: [1, 2] }] },
    ];
    fake.answer = (n) => ({ type: 'response', response: bad[n % bad.length]! });
    const s = await run(4);
    expect(s).toMatchObject({ requests: 4, ok: 0, errors: 4 });
    expect(s.reasons.error).toEqual({ malformed_response: 4 });
  });

  it('lists models by RepositoryIndex, or says to name them', async () => {
    const t = target();
    try {
      expect(await t.models()).toEqual(['det', 'fixed']);
      fake.index = false;
      await expect(t.models()).rejects.toThrow(/does not list its models.*--models/);
    } finally {
      fake.index = true;
      await t.close();
    }
  });

  it('an unknown model is NOT_FOUND naming the server; an unreachable one UNAVAILABLE', async () => {
    const t = target();
    try {
      await expect(t.prepare('nope', prng(1))).rejects.toMatchObject({ statusName: 'NOT_FOUND', message: expect.stringContaining(`model nope: the V2 server at grpc://${fake.address} has no such model`) });
    } finally {
      await t.close();
    }
    const gone = await startFakeV2Grpc(MODELS);
    await gone.close();
    const u = target({}, gone.address);
    try {
      await expect(u.prepare('det', prng(1))).rejects.toMatchObject({ statusName: 'UNAVAILABLE', message: expect.stringContaining(`cannot reach a V2 gRPC server at grpc://${gone.address}`) });
    } finally {
      await u.close();
    }
  });
});
