// The floor under bench/controller-throughput.ts: a process serving
// punctual.v1 Inference.Infer with grpc-js that answers every call at once
// (the reply an emulated run gets: no outputs, zero timings) without
// scheduling anything or talking to a worker. Driven by the same generator at
// the same rates, it shows what the unary gRPC calls alone cost on this
// machine, the part of the controller's figures no scheduler can remove.
// Forked with IPC: says {type:'listening', port}.
import * as grpc from '@grpc/grpc-js';
import { protos, SERVER_OPTIONS } from '../common/protos.js';
import type { InferRequest__Output, InferResponse } from '../common/wire.js';

const server = new grpc.Server(SERVER_OPTIONS);
server.addService(protos().inference.punctual.v1.Inference.service, {
  Infer: (call: grpc.ServerUnaryCall<InferRequest__Output, InferResponse>, cb: grpc.sendUnaryData<InferResponse>) => {
    cb(null, { model: call.request.model, version: 1, outputs: [], timings: { queueMs: 0, execMs: 0, totalMs: 0 }, batchSize: 1, worker: 'floor', executor: 0 });
  },
});
server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, port) => {
  if (err) {
    process.stderr.write(`controller-throughput-floor: ${err.message}\n`);
    process.exit(1);
  }
  process.send?.({ type: 'listening', port });
});
process.on('message', (m: { type: string }) => {
  if (m.type === 'exit') server.tryShutdown(() => process.exit(0));
});
