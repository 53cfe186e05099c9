// A V2 server that does no work, in a worker thread of the benchmark's
// process (its own event loop, so its work is not counted as the
// generator's): gRPC ModelMetadata/ModelInfer and HTTP GET /v2/models/{m} and
// POST /v2/models/{m}/infer for one model "det" (FP32 [-1, 3, 224, 224]),
// each infer read whole and answered at once with a 2-float output. Posts
// {grpcPort, httpPort} to its parent when listening.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { parentPort } from 'node:worker_threads';
import * as grpc from '@grpc/grpc-js';
import { ecosystemProtos } from '../common/ecosystem-protos.js';
import { SERVER_OPTIONS } from '../common/protos.js';

const META = { name: 'det', versions: ['1'], platform: 'echo', inputs: [{ name: 'x', datatype: 'FP32', shape: [-1, 3, 224, 224] }], outputs: [{ name: 'y', datatype: 'FP32', shape: [-1, 2] }] };
const Y = Buffer.from(Float32Array.from([0.25, 0.75]).buffer);

const server = new grpc.Server(SERVER_OPTIONS);
server.addService(ecosystemProtos().oip.inference.GRPCInferenceService.service, {
  ModelMetadata: (_call: unknown, cb: grpc.sendUnaryData<unknown>) => cb(null, META),
  ModelInfer: (_call: unknown, cb: grpc.sendUnaryData<unknown>) => cb(null, { modelName: 'det', outputs: [{ name: 'y', datatype: 'FP32', shape: [1, 2] }], rawOutputContents: [Y] }),
});
const grpcPort = await new Promise<number>((resolve, reject) => server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))));

const binaryHead = Buffer.from(JSON.stringify({ model_name: 'det', outputs: [{ name: 'y', datatype: 'FP32', shape: [1, 2], parameters: { binary_data_size: 8 } }] }));
const jsonAnswer = JSON.stringify({ model_name: 'det', outputs: [{ name: 'y', datatype: 'FP32', shape: [1, 2], data: [0.25, 0.75] }] });
const web = http.createServer({ keepAliveTimeout: 60_000 }, (req, res) => {
  req.on('data', () => undefined);
  req.on('end', () => {
    if (req.method === 'GET') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(META));
    } else if (req.headers['inference-header-content-length'] !== undefined) {
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'inference-header-content-length': String(binaryHead.byteLength) });
      res.end(Buffer.concat([binaryHead, Y]));
    } else {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(jsonAnswer);
    }
  });
});
await new Promise<void>((resolve) => web.listen(0, '127.0.0.1', resolve));
parentPort?.postMessage({ grpcPort, httpPort: (web.address() as AddressInfo).port });
parentPort?.on('message', () => {
  server.forceShutdown();
  web.closeAllConnections();
  web.close();
});
