// Reading a request's model, version, timeout and first input shape from its
// first bytes, as real serializers write them, and refusing to guess at
// anything else.
import { describe, expect, it } from 'vitest';
import { ecosystemProtos } from '../common/ecosystem-protos.js';
import { protos } from '../common/protos.js';
import type { InferRequest } from '../common/wire.js';
import type { ModelInferRequest } from '../protos/generated/inference/ModelInferRequest.js';
import { peekRequest } from './request-peek.js';

function frame(msg: Buffer, compressed = false): Buffer {
  const b = Buffer.alloc(msg.byteLength + 5);
  b.writeUInt8(compressed ? 1 : 0, 0);
  b.writeUInt32BE(msg.byteLength, 1);
  msg.copy(b, 5);
  return b;
}

const v2 = (req: ModelInferRequest): Buffer => frame(ecosystemProtos().oip.inference.GRPCInferenceService.service.ModelInfer.requestSerialize(req));
const v1 = (req: InferRequest): Buffer => frame(protos().inference.punctual.v1.Inference.service.Infer.requestSerialize(req));

const DET_BYTES = Buffer.alloc(3 * 224 * 224 * 4, 7);

describe('peekRequest', () => {
  it('reads a V2 request’s model, version, timeout and batch from its first bytes, before the tensor', () => {
    const whole = v2({
      modelName: 'det',
      modelVersion: '2',
      id: 'abc',
      parameters: { timeout: { int64Param: 40_000 }, priority: { int64Param: 0 }, sequence_id: { int64Param: 9 } },
      inputs: [{ name: 'x', datatype: 'FP32', shape: [8, 3, 224, 224] }],
      rawInputContents: [Buffer.concat(Array.from({ length: 8 }, () => DET_BYTES))],
    });
    const head = whole.subarray(0, 200);
    expect(peekRequest('v2', head)).toEqual({ type: 'request', model: 'det', version: '2', timeoutUs: 40_000, firstShape: [8, 3, 224, 224] });
    expect(peekRequest('v2', whole)).toEqual(peekRequest('v2', head));
  });

  it('leaves a V2 request with a priority level other than 0 to its handler, which refuses it (INVALID_ARGUMENT, not admission’s verdict)', () => {
    const b = (priority: number) => v2({ modelName: 'cls', parameters: { priority: { uint64Param: priority } }, inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 3, 48, 192] }], rawInputContents: [Buffer.alloc(10)] });
    expect(peekRequest('v2', b(2))).toEqual({ type: 'unknown' });
    expect(peekRequest('v2', b(0))).toEqual({ type: 'request', model: 'cls', version: '', firstShape: [1, 3, 48, 192] });
  });

  it('reads a V2 request without parameters or version', () => {
    const b = v2({ modelName: 'cls', inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 3, 48, 192] }], rawInputContents: [Buffer.alloc(10)] });
    expect(peekRequest('v2', b)).toEqual({ type: 'request', model: 'cls', version: '', firstShape: [1, 3, 48, 192] });
  });

  it('reads a punctual.v1 request’s model, version and first shape before its data', () => {
    const whole = v1({ model: 'det', version: 3, inputs: [{ name: 'x', dtype: 'float32', shape: [1, 3, 224, 224], data: DET_BYTES }], sloMs: 30 });
    expect(peekRequest('v1', whole.subarray(0, 100))).toEqual({ type: 'request', model: 'det', version: '3', firstShape: [1, 3, 224, 224] });
  });

  it('asks for more while the prefix is cut short, and gives up past its limit', () => {
    const b = v2({ modelName: 'det'.repeat(20), inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 3, 224, 224] }], rawInputContents: [DET_BYTES] });
    expect(peekRequest('v2', b.subarray(0, 3))).toEqual({ type: 'need-more', bytes: 5 });
    expect(peekRequest('v2', b.subarray(0, 20)).type).toBe('need-more');
    expect(peekRequest('v2', b.subarray(0, 20), 20).type).toBe('unknown');
  });

  it('does not guess: compressed frames, garbage, no model name, fields past the inputs first', () => {
    const ok = v2({ modelName: 'det', inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 2] }] });
    expect(peekRequest('v2', frame(ok.subarray(5), true))).toEqual({ type: 'unknown' });
    expect(peekRequest('v2', frame(Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01])))).toEqual({ type: 'unknown' });
    expect(peekRequest('v2', v2({ inputs: [{ name: 'x', datatype: 'FP32', shape: [1] }] }))).toEqual({ type: 'unknown' });
    // raw_input_contents (7) written before the model name: not the order this reads.
    const outOfOrder = Buffer.concat([Buffer.from([0x3a, 0x02, 0x01, 0x02]), Buffer.from([0x0a, 0x03]), Buffer.from('det')]);
    expect(peekRequest('v2', frame(outOfOrder))).toEqual({ type: 'unknown' });
    // A length that runs past the message.
    expect(peekRequest('v2', frame(Buffer.from([0x0a, 0x7f, 0x61])))).toEqual({ type: 'unknown' });
    // A model name longer than any registered one can be.
    expect(peekRequest('v2', v2({ modelName: 'm'.repeat(10_000) }))).toEqual({ type: 'unknown' });
  });

  it('bounds what it reads of a shape', () => {
    const deep = v2({ modelName: 'det', inputs: [{ name: 'x', datatype: 'FP32', shape: Array.from({ length: 1000 }, () => 1) }] });
    expect(peekRequest('v2', deep)).toEqual({ type: 'unknown' });
  });
});
