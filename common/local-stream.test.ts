import * as grpc from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import { protos } from './protos.js';
import type { ControllerMessage, WorkerMessage } from './wire.js';
import { localStreamPair, refusedClientStream, type Codec } from './local-stream.js';

/** The worker stream's own serializers, as the controller passes them. */
function workerCodecs(): { up: Codec<WorkerMessage, unknown>; down: Codec<ControllerMessage, unknown> } {
  const m = protos().worker.punctual.v1.WorkerControl.service.Connect as grpc.MethodDefinition<WorkerMessage, ControllerMessage>;
  return { up: { serialize: m.requestSerialize, deserialize: m.requestDeserialize }, down: { serialize: m.responseSerialize, deserialize: m.responseDeserialize } };
}

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

function pair() {
  const { up, down } = workerCodecs();
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
