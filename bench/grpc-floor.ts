// The transport's floor: one grpc-js unary round trip between two processes
// with raw bytes (no protobuf, no Punctual), carrying the same payloads as a
// det request (602 KB in, 200 KB out). Serving a request crosses two such
// round trips (client <-> controller, controller <-> worker), so this bounds
// how small Punctual's overhead can be over gRPC on this machine.
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import { percentile, type Figure } from './support.js';

const identity = (b: Buffer): Buffer => b;
const method = (name: string, stream: boolean) => ({
  path: `/punctual.bench.Floor/${name}`,
  requestStream: stream,
  responseStream: stream,
  requestSerialize: identity,
  requestDeserialize: identity,
  responseSerialize: identity,
  responseDeserialize: identity,
});
/** Raw bytes both ways: Echo (unary) and Stream (bidi, one reply per message, in order: the worker stream's shape). */
export const floorService: grpc.ServiceDefinition = { Echo: method('Echo', false), Stream: method('Stream', true) };
/** Options of the floor's client: no message size limit, 16 MiB flow-control window (det's 602 KB in one window). */
export const FLOOR_CLIENT_OPTIONS: grpc.ClientOptions = {
  'grpc.max_receive_message_length': -1,
  'grpc-node.flow_control_window': 16 * 1024 * 1024,
};

/**
 * Adds the floor's service to `server`: each request is answered with
 * reply(its length), Stream's messages one by one in order.
 */
export function addFloorService(server: grpc.Server, reply: (requestBytes: number) => Buffer): void {
  server.addService(floorService, {
    Echo: (call: grpc.ServerUnaryCall<Buffer, Buffer>, cb: grpc.sendUnaryData<Buffer>) => cb(null, reply(call.request.length)),
    Stream: (call: grpc.ServerDuplexStream<Buffer, Buffer>) => {
      call.on('data', (b: Buffer) => call.write(reply(b.length)));
      call.on('end', () => call.end());
      call.on('error', () => undefined);
    },
  });
}

async function serve(responseBytes: number): Promise<void> {
  const server = new grpc.Server({ 'grpc.max_receive_message_length': -1 });
  const reply = Buffer.alloc(responseBytes, 1);
  addFloorService(server, () => reply);
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
  );
  process.send?.(port);
}

export async function runGrpcFloor(requestBytes: number, responseBytes: number, calls = 1000): Promise<Figure[]> {
  const child = fork(fileURLToPath(import.meta.url), ['serve', String(responseBytes)]);
  try {
    const port = await new Promise<number>((resolve) => child.once('message', (m) => resolve(Number(m))));
    const Client = grpc.makeGenericClientConstructor(floorService, 'Floor');
    const client = new Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure(), FLOOR_CLIENT_OPTIONS);
    const payload = Buffer.alloc(requestBytes, 1);
    const echo = () =>
      new Promise<void>((resolve, reject) =>
        (client as unknown as { Echo: (b: Buffer, cb: (e: Error | null) => void) => void }).Echo(payload, (e) => (e ? reject(e) : resolve())),
      );
    for (let i = 0; i < 100; i++) await echo();
    const times: number[] = [];
    for (let i = 0; i < calls; i++) {
      const t0 = performance.now();
      await echo();
      times.push(performance.now() - t0);
    }
    client.close();
    const size = (b: number) => (b < 1000 ? `${b} B` : `${Math.round(b / 1000)} KB`);
    const label = `${size(requestBytes)} in, ${size(responseBytes)} out`;
    return [
      { name: `grpc-js floor: one raw round trip, ${label}, p50`, value: percentile(times, 50), unit: 'ms' },
      { name: `grpc-js floor: one raw round trip, ${label}, p99`, value: percentile(times, 99), unit: 'ms' },
    ];
  } finally {
    child.kill();
  }
}

if (process.argv[2] === 'serve') void serve(Number(process.argv[3]));
