// The servers of bench/transports.ts, in a child process of their own (it
// forks this file): length-prefixed frames over TCP, raw http2, grpc-js
// (bench/grpc-floor.ts's raw-bytes service) and @connectrpc/connect-node,
// each on a free loopback port, every one answering det's output for det's
// input and 64 bytes for anything else. The ports go to the parent over IPC.
// Also what both ends share: the payload sizes, the frame limit, the HTTP/2
// settings and the Connect service.
import http2 from 'node:http2';
import net from 'node:net';
import * as grpc from '@grpc/grpc-js';
import { create, createFileRegistry, type DescService } from '@bufbuild/protobuf';
import { BytesValueSchema, file_google_protobuf_wrappers, FileDescriptorProtoSchema } from '@bufbuild/protobuf/wkt';
import type { ConnectRouter } from '@connectrpc/connect';
import { connectNodeAdapter } from '@connectrpc/connect-node';
import { FrameDecoder, frameHeader } from '../common/length-frames.js';
import { addFloorService } from './grpc-floor.js';

export const DET_IN = 602_112; // 1 × 3 × 224 × 224 float32
export const DET_OUT = 200_704; // 1 × 1 × 224 × 224 float32
export const SMALL = 64;
/** HTTP/2 stream window and the frame limit: det's payloads fit in one window. */
const WINDOW = 16 * 1024 * 1024;
export const MAX_FRAME = 16 * 1024 * 1024;

const detReply = Buffer.alloc(DET_OUT, 1);
const smallReply = Buffer.alloc(SMALL, 2);
/** What every server answers: det's output for det's input, 64 bytes for anything else. */
const replyFor = (requestBytes: number): Buffer => (requestBytes === DET_IN ? detReply : smallReply);

/** The Connect service, built at run time from a descriptor (no code generation): Echo and Stream of BytesValue. */
export function connectService(): DescService {
  const bytes = '.google.protobuf.BytesValue';
  const file = create(FileDescriptorProtoSchema, {
    name: 'punctual/bench/floor.proto',
    package: 'punctual.bench',
    dependency: ['google/protobuf/wrappers.proto'],
    syntax: 'proto3',
    service: [
      {
        name: 'Floor',
        method: [
          { name: 'Echo', inputType: bytes, outputType: bytes },
          { name: 'Stream', inputType: bytes, outputType: bytes, clientStreaming: true, serverStreaming: true },
        ],
      },
    ],
  });
  const registry = createFileRegistry(file, (name) => (name === 'google/protobuf/wrappers.proto' ? file_google_protobuf_wrappers : undefined));
  const svc = registry.getService('punctual.bench.Floor');
  if (!svc) throw new Error('bench/transports: the Connect service descriptor did not resolve');
  return svc;
}

export interface Ports {
  tcp: number;
  h2: number;
  grpc: number;
  connect: number;
}

const listen = (server: net.Server | http2.Http2Server) =>
  new Promise<number>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve((server.address() as net.AddressInfo).port));
  });

/**
 * HTTP/2 settings of both ends: a 16 MiB stream window and 256 MB of session
 * memory. With Node's default 10 MB, 64 det requests in flight (38 MB) are
 * refused with ENHANCE_YOUR_CALM; a 16 MiB connection window
 * (setLocalWindowSize) on top of these stalled that case for good on Node 20,
 * so the connection window is left to nghttp2's automatic updates.
 */
export const H2_OPTIONS = { maxSessionMemory: 256, settings: { initialWindowSize: WINDOW } };

function h2Server(handler?: Parameters<typeof http2.createServer>[1]): http2.Http2Server {
  return handler ? http2.createServer(H2_OPTIONS, handler) : http2.createServer(H2_OPTIONS);
}

/** The child: every server on a free loopback port; the ports go to the parent. */
export async function serve(): Promise<void> {
  const tcp = net.createServer((sock) => {
    sock.setNoDelay(true);
    const decoder = new FrameDecoder(MAX_FRAME);
    sock.on('error', () => undefined);
    sock.on('data', (chunk: Buffer) => {
      let frames: Buffer[];
      try {
        frames = decoder.push(chunk);
      } catch {
        sock.destroy();
        return;
      }
      for (const f of frames) {
        const r = replyFor(f.length);
        sock.cork();
        sock.write(frameHeader(r.length));
        sock.write(r);
        sock.uncork();
      }
    });
  });
  const h2 = h2Server();
  h2.on('stream', (stream) => {
    let n = 0;
    stream.on('data', (c: Buffer) => (n += c.length));
    stream.on('end', () => {
      stream.respond({ ':status': 200 });
      stream.end(replyFor(n));
    });
    stream.on('error', () => undefined);
  });
  const grpcServer = new grpc.Server({ 'grpc.max_receive_message_length': -1 });
  addFloorService(grpcServer, replyFor);
  const svc = connectService();
  const connect = h2Server(
    connectNodeAdapter({
      grpc: true,
      grpcWeb: false,
      connect: false,
      readMaxBytes: MAX_FRAME,
      routes: (router: ConnectRouter) =>
        router.service(svc, {
          echo: (req: { value: Uint8Array }) => create(BytesValueSchema, { value: replyFor(req.value.length) }),
          stream: async function* (reqs: AsyncIterable<{ value: Uint8Array }>) {
            for await (const r of reqs) yield create(BytesValueSchema, { value: replyFor(r.value.length) });
          },
        } as never),
    }),
  );
  const ports: Ports = {
    tcp: await listen(tcp),
    h2: await listen(h2),
    grpc: await new Promise<number>((resolve, reject) =>
      grpcServer.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
    ),
    connect: await listen(connect),
  };
  process.send?.(ports);
}

// Forked by bench/transports.ts with this role.
export const SERVE_ROLE = 'transports-serve';
if (process.argv[2] === SERVE_ROLE) void serve();
