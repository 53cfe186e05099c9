import * as grpc from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import { inProcessCarry, protos } from './protos.js';
import type { ControllerMessage, WorkerMessage } from './wire.js';
import { localStreamPair, refusedClientStream, type Carry } from './local-stream.js';

/** The worker stream's carriers, as the controller passes them. */
function workerCarriers(): { up: Carry<WorkerMessage>; down: Carry<ControllerMessage> } {
  return { up: inProcessCarry('worker', 'punctual.v1.WorkerMessage') as Carry<WorkerMessage>, down: inProcessCarry('worker', 'punctual.v1.ControllerMessage') as Carry<ControllerMessage> };
}

/** The worker stream's own serializers: what a message reads as off the wire. */
const wire = protos().worker.punctual.v1.WorkerControl.service.Connect as grpc.MethodDefinition<WorkerMessage, ControllerMessage>;

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

function pair() {
  const { up, down } = workerCarriers();
  const { client, server } = localStreamPair(up, down);
  const seen: string[] = [];
  const atServer: unknown[] = [];
  const atClient: unknown[] = [];
  server.on('data', (m: unknown) => atServer.push(m));
  server.on('end', () => seen.push('server end'));
  server.on('close', () => seen.push('server close'));
  server.on('error', (e: Error) => seen.push(`server error ${e.message}`));
  client.on('data', (m: unknown) => atClient.push(m));
  client.on('end', () => seen.push('client end'));
  client.on('error', (e: grpc.ServiceError) => seen.push(`client error ${e.code}`));
  client.on('status', (s: grpc.StatusObject) => seen.push(`client status ${s.code}`));
  return { client, server, seen, atServer, atClient };
}

describe('localStreamPair', () => {
  it('delivers each message as its deserializer reads it: defaults filled in, enums as names, bytes intact', async () => {
    const { client, server, atServer, atClient } = pair();
    const data = Buffer.from([1, 2, 3, 250]);
    client.write({ result: { actionId: 7, status: 'OK', outputs: [{ name: 'y', dtype: 'float32', shape: [1, 1], data }] } });
    server.write({ action: { id: 9, type: 'INFER', modelKey: 'cls@1', earliestMs: 1.5, latestMs: 2.5 } });
    expect(atServer).toHaveLength(0); // never inside the writer's own call
    await tick();
    const r = atServer[0] as { result: { actionId: number; status: string; message: string; outputs: { data: Buffer; shape: number[] }[] }; msg: string };
    expect(r.msg).toBe('result'); // the oneof's case, as grpc-js reads it
    expect(r.result).toMatchObject({ actionId: 7, status: 'OK', message: '' });
    expect([...r.result.outputs[0]!.data]).toEqual([1, 2, 3, 250]);
    expect(r.result.outputs[0]!.shape).toEqual([1, 1]);
    const a = atClient[0] as { action: { id: number; type: string; lane: number; inputs: unknown[] } };
    expect(a.action).toMatchObject({ id: 9, type: 'INFER', lane: 0, inputs: [] });
  });

  it('keeps order, and a half-close arrives after the messages written before it', async () => {
    const { client, server, seen, atServer } = pair();
    for (let i = 1; i <= 5; i++) client.write({ pong: { pingId: i, controllerMs: 0, workerMs: 0 } });
    client.end();
    expect(client.write({ pong: { pingId: 6 } })).toBe(false); // ended: nothing more goes
    await tick();
    expect(atServer.map((m) => (m as { pong: { pingId: number } }).pong.pingId)).toEqual([1, 2, 3, 4, 5]);
    expect(seen).toEqual(['server end']);
    server.end(); // the worker service ends its side when the worker does
    await tick();
    expect(seen).toEqual(['server end', 'server close', 'client end', 'client status 0']);
  });

  it('a server that ends first: the client reads end, ends its side, and both close', async () => {
    const { client, server, seen } = pair();
    server.end();
    await tick();
    expect(seen).toEqual(['client end']);
    client.end();
    await tick();
    expect(seen).toEqual(['client end', 'client status 0', 'server end', 'server close']);
  });

  it('cancel ends both sides at once: the client reads CANCELLED, the server an error and close; later writes go nowhere', async () => {
    const { client, server, seen, atServer } = pair();
    client.write({ pong: { pingId: 1 } });
    client.cancel();
    expect(client.write({ pong: { pingId: 2 } })).toBe(true); // accepted, then dropped: the stream is over when it arrives
    await tick();
    expect(atServer).toHaveLength(1); // written before the cancel
    expect(seen).toContain(`client error ${grpc.status.CANCELLED}`);
    expect(seen).toContain(`client status ${grpc.status.CANCELLED}`);
    expect(seen).toContain('server close');
    expect(seen.some((l) => l.startsWith('server error'))).toBe(true);
    expect(server.write({ welcome: { workerId: 'w1' } })).toBe(false);
  });
});

describe('inProcessCarry', () => {
  const { up, down } = workerCarriers();
  const tensor = { name: 'x', dtype: 'float32', shape: [1, 3, 2, 2], data: Buffer.from(new Float32Array(12).map((_, i) => i).buffer) };
  const workerMessages: WorkerMessage[] = [
    { hello: { name: 'w', workerMs: 12.5, executors: [{ index: 0, device: 'cpu', threads: 2, memoryBytes: 2 ** 31 }], cachedModels: ['a@1'] } },
    { result: { actionId: 3, status: 'FAILED', message: 'no', receivedMs: 1, endMs: 2 } },
    { result: { actionId: 4, status: 'OK', startMs: 1, endMs: 9.25, durationMs: 8.25, memoryBytes: 1e9, outputs: [tensor] } },
    { pong: { pingId: 1, controllerMs: 2, workerMs: 3 } },
    { bytesAck: { modelKey: 'a@1', ok: false, message: 'bad', contentUnknown: true } },
    { draining: {} },
    {},
  ];
  const controllerMessages: ControllerMessage[] = [
    { welcome: { workerId: 'w1', controllerMs: 5 } },
    { action: { id: 2, type: 'LOAD', executor: 1, modelKey: 'a@1', earliestMs: 1, latestMs: 2, lane: 1 } },
    { action: { id: 3, type: 'INFER', executor: 0, modelKey: 'a@1', earliestMs: 1, latestMs: 2, expectedMs: 0.5, batchSize: 2, inputs: [tensor, tensor] } },
    { modelBytes: { modelKey: 'a@1', offset: 0, totalSize: 4, chunk: Buffer.from([1, 2, 3, 4]), last: true, sha256: 'ab' } },
    { forgetModel: { modelKey: 'a@1' } },
    { ping: { id: 9, controllerMs: 1.5 } },
  ];

  it('reads every kind of message exactly as it reads off the wire', () => {
    for (const m of workerMessages) expect(up(m), JSON.stringify(Object.keys(m))).toEqual(wire.requestDeserialize(wire.requestSerialize(m)));
    for (const m of controllerMessages) expect(down(m), JSON.stringify(Object.keys(m))).toEqual(wire.responseDeserialize(wire.responseSerialize(m)));
  });

  it('hands bytes fields on without copying them', () => {
    const carried = down(controllerMessages[2]!) as { action: { inputs: { data: Buffer }[] } };
    expect(carried.action.inputs[0]!.data).toBe(tensor.data);
  });
});

describe('refusedClientStream', () => {
  it('fails with UNAVAILABLE and its reason after the listeners are attached', async () => {
    const s = refusedClientStream<WorkerMessage>('the controller in this process has stopped');
    const errors: grpc.ServiceError[] = [];
    s.on('error', (e: grpc.ServiceError) => errors.push(e));
    await tick();
    expect(errors).toHaveLength(1);
    expect(errors[0]!.code).toBe(grpc.status.UNAVAILABLE);
    expect(errors[0]!.details).toBe('the controller in this process has stopped');
    expect(s.write({ pong: { pingId: 1 } })).toBe(false);
  });
});
