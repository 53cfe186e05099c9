// ModelStreamInfer's stream handling against a stand-in stream (an object
// Duplex, as grpc-js gives the handler) and answers the test settles by hand:
// completion order, a refusal answered on the stream that stays open, the
// in-flight cap (reading stops, and starts again), half-close and cancel.
import { Duplex } from 'node:stream';
import type * as grpc from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import { PunctualError, Status } from '../../common/errors.js';
import type { ModelInferRequest__Output } from '../../protos/generated/inference/ModelInferRequest.js';
import type { ModelInferResponse } from '../../protos/generated/inference/ModelInferResponse.js';
import type { ModelStreamInferResponse } from '../../protos/generated/inference/ModelStreamInferResponse.js';
import { checkedDecoding } from '../checked-decoding.js';
import { serveInferStream, streamError } from './oip-stream.js';

/** A duplex stream of requests in and responses out, as the handler sees a call; `sent` collects what it wrote. */
class FakeCall extends Duplex {
  readonly sent: ModelStreamInferResponse[] = [];
  ended = false;
  pauses = 0;
  /** When false, write() reports a full buffer (the client reads slowly) until drain() is called. */
  roomy = true;

  constructor() {
    super({ objectMode: true, highWaterMark: 1 });
  }

  override _read(): void {}

  override _write(chunk: ModelStreamInferResponse, _enc: string, cb: () => void): void {
    this.sent.push(chunk);
    cb();
  }

  override write(chunk: ModelStreamInferResponse): boolean {
    super.write(chunk);
    return this.roomy;
  }

  override end(): this {
    this.ended = true;
    return this;
  }

  override pause(): this {
    this.pauses++;
    return super.pause();
  }

  /** The client sends a request. */
  send(id: string): void {
    this.push(req(id));
  }

  /** The client half-closes. */
  halfClose(): void {
    this.push(null);
  }
}

function req(id: string): ModelInferRequest__Output {
  return { modelName: 'm', modelVersion: '', id, parameters: {}, inputs: [], outputs: [], rawInputContents: [] };
}

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

/** A handler whose answers the test settles: answer(id) / refuse(id, err). */
function harness(maxInFlight = 8) {
  const call = new FakeCall();
  const pending = new Map<string, { resolve: (r: ModelInferResponse) => void; reject: (e: unknown) => void }>();
  const arrivals: number[] = [];
  const unexpected: unknown[] = [];
  let now = 100;
  serveInferStream(call as unknown as grpc.ServerDuplexStream<ModelInferRequest__Output, ModelStreamInferResponse>, {
    clock: { now: () => now++ },
    maxInFlight,
    unexpected: (e) => unexpected.push(e),
    answer: (r, arrival) => {
      arrivals.push(arrival);
      return new Promise((resolve, reject) => pending.set(r.id, { resolve, reject }));
    },
  });
  return {
    call,
    pending,
    arrivals,
    unexpected,
    answer: async (id: string) => {
      pending.get(id)!.resolve({ id, modelName: 'm' });
      await tick();
    },
    refuse: async (id: string, err: unknown) => {
      pending.get(id)!.reject(err);
      await tick();
    },
    ids: () => call.sent.map((s) => s.inferResponse?.id),
  };
}

describe('ModelStreamInfer stream handling', () => {
  it('answers each request on its own, in the order they complete, with its id; each arrival is its own', async () => {
    const h = harness();
    for (const id of ['a', 'b', 'c']) h.call.send(id);
    await tick();
    expect(h.pending.size).toBe(3);
    expect(new Set(h.arrivals).size).toBe(3); // one clock reading per message, as it arrived
    await h.answer('c');
    await h.answer('a');
    await h.answer('b');
    expect(h.ids()).toEqual(['c', 'a', 'b']);
    expect(h.call.sent.every((s) => s.errorMessage === '')).toBe(true);
  });

  it('a refused request is answered with error_message on the stream, which stays open for the next', async () => {
    const h = harness();
    h.call.send('ok1');
    h.call.send('bad');
    await tick();
    await h.refuse('bad', new PunctualError(Status.RESOURCE_EXHAUSTED, 'model m: slo_unattainable: predicted 9 ms > slo 1 ms', 'slo_unattainable'));
    h.call.send('ok2');
    await tick();
    await h.answer('ok1');
    await h.answer('ok2');
    expect(h.ids()).toEqual(['bad', 'ok1', 'ok2']);
    const bad = h.call.sent[0]!;
    expect(bad.errorMessage).toBe('[request id: bad] model m: slo_unattainable: predicted 9 ms > slo 1 ms');
    expect(bad.inferResponse!.parameters).toEqual({ grpc_status: { stringParam: 'RESOURCE_EXHAUSTED' }, reason: { stringParam: 'slo_unattainable' } });
    expect(h.call.ended).toBe(false);
  });

  it('an unexpected error is logged and answered as an internal error, without its detail', async () => {
    const h = harness();
    h.call.send('x');
    await tick();
    await h.refuse('x', new TypeError('secret detail'));
    expect(h.call.sent[0]!.errorMessage).toBe('[request id: x] internal error');
    expect(h.call.sent[0]!.inferResponse!.parameters).toEqual({ grpc_status: { stringParam: 'INTERNAL' } });
    expect(h.unexpected).toHaveLength(1);
  });

  it('at the in-flight cap it stops reading the stream, and reads on once an answer goes out', async () => {
    const h = harness(2);
    for (const id of ['a', 'b', 'c', 'd']) h.call.send(id);
    await tick();
    // Only two are taken; the rest wait unread in the stream.
    expect([...h.pending.keys()]).toEqual(['a', 'b']);
    expect(h.call.isPaused()).toBe(true);
    await h.answer('a');
    await tick();
    expect([...h.pending.keys()]).toEqual(['a', 'b', 'c']);
    await h.answer('b');
    await tick();
    expect([...h.pending.keys()]).toEqual(['a', 'b', 'c', 'd']);
    await h.answer('c');
    await h.answer('d');
    expect(h.ids()).toEqual(['a', 'b', 'c', 'd']);
  });

  it('an answer the client is slow to read holds reading back until it drains', async () => {
    const h = harness(2);
    h.call.roomy = false;
    for (const id of ['a', 'b', 'c']) h.call.send(id);
    await tick();
    await h.answer('a'); // written, but the buffer is full: no more reading
    await tick();
    expect([...h.pending.keys()]).toEqual(['a', 'b']);
    await h.answer('b'); // still full: one drain listener for both
    expect(h.call.listenerCount('drain')).toBe(1);
    h.call.roomy = true;
    h.call.emit('drain');
    await tick();
    expect([...h.pending.keys()]).toEqual(['a', 'b', 'c']);
    expect(h.call.listenerCount('drain')).toBe(0);
  });

  it('on half-close, the answers still pending are written, then the stream ends', async () => {
    const h = harness();
    h.call.send('a');
    h.call.send('b');
    h.call.halfClose();
    await tick();
    expect(h.call.ended).toBe(false);
    await h.answer('b');
    expect(h.call.ended).toBe(false);
    await h.answer('a');
    expect(h.ids()).toEqual(['b', 'a']);
    expect(h.call.ended).toBe(true);
  });

  it('a stream closed with nothing pending ends at once', async () => {
    const h = harness();
    h.call.halfClose();
    await tick();
    expect(h.call.ended).toBe(true);
    expect(h.call.sent).toEqual([]);
  });

  it('after the client cancels, answers still coming are dropped and nothing more is read or written', async () => {
    const h = harness();
    h.call.send('a');
    await tick();
    h.call.emit('cancelled');
    await h.answer('a');
    h.call.send('b');
    await tick();
    expect(h.call.sent).toEqual([]);
    expect(h.pending.has('b')).toBe(false);
    expect(h.call.ended).toBe(false);
  });

  it('a message that did not decode is answered INVALID_ARGUMENT on the stream', async () => {
    const h = harness();
    // The marker checkedDecoding puts in place of a message that is not valid protobuf.
    const def = checkedDecoding({
      M: { path: '/x/M', requestStream: true, responseStream: true, requestSerialize: () => Buffer.alloc(0), requestDeserialize: () => { throw new Error('index out of range'); }, responseSerialize: () => Buffer.alloc(0), responseDeserialize: () => ({}) },
    } as unknown as grpc.ServiceDefinition);
    h.call.push(def.M!.requestDeserialize(Buffer.from([0xff, 0xff])));
    await tick();
    expect(h.pending.size).toBe(0);
    expect(h.call.sent[0]!.errorMessage).toMatch(/^the request to M is not a valid protobuf message \(.*index out of range/);
    expect(h.call.sent[0]!.inferResponse!.parameters).toEqual({ grpc_status: { stringParam: 'INVALID_ARGUMENT' }, reason: { stringParam: 'invalid_argument' } });
  });

  it('streamError without an id gives the bare message', () => {
    expect(streamError({ id: '', modelName: 'cls', modelVersion: '1' }, new PunctualError(Status.NOT_FOUND, 'model nope is not registered')).errorMessage).toBe('model nope is not registered');
  });
});
