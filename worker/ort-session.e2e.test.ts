// The session options executors get (an e2e file: importing ort-session.ts loads onnxruntime).
import { describe, expect, it } from 'vitest';
import { sessionOptions } from './ort-session.js';

describe('sessionOptions', () => {
  it("turns onnxruntime's CPU memory arena and memory patterns off on CPU unless asked", () => {
    const cpu = sessionOptions({ device: 'cpu', threads: 1 });
    expect([cpu.enableCpuMemArena, cpu.enableMemPattern]).toEqual([false, false]);
    const on = sessionOptions({ device: 'cpu', threads: 1, tuning: { memArena: true, memPattern: true } });
    expect([on.enableCpuMemArena, on.enableMemPattern]).toEqual([true, true]);
  });

  it("turns the intra-op threads' spin-wait off only when told, beside prepacking", () => {
    expect(sessionOptions({ device: 'cpu', threads: 2 }).extra).toBeUndefined();
    const off = sessionOptions({ device: 'cpu', threads: 2, tuning: { spinWait: false, prepacking: false } });
    expect(off.extra).toEqual({ session: { disable_prepacking: '1', intra_op: { allow_spinning: '0' }, inter_op: { allow_spinning: '0' } } });
  });

  it("leaves onnxruntime's defaults on CUDA", () => {
    const cuda = sessionOptions({ device: 'cuda:0', threads: 1 });
    expect([cuda.enableCpuMemArena, cuda.enableMemPattern]).toEqual([undefined, undefined]);
  });
});
