// The floor and the transports, side by side in one run (issue 13 point 1).
// A det request spends ~10-18 ms executing and several more in Punctual, most
// of it moving 602 KB in and 200 KB out twice (client <-> controller,
// controller <-> worker). Before choosing how the worker stream moves tensors,
// this measures on this machine, in the same run:
//   - onnxruntime-node alone, in-process: det at batch 1, one intra-op
//     thread (the compute floor every overhead is compared with);
//   - a raw loopback copy of the same bytes: length-prefixed frames over one
//     TCP socket between two processes (the transport floor);
//   - raw Node http2: one POST per request on one session;
//   - grpc-js: unary, and one bidi stream carrying the same messages in order
//     (the worker stream's shape), raw bytes, no protobuf (bench/grpc-floor.ts);
//   - @connectrpc/connect-node over Node's http2 with the gRPC protocol:
//     unary and bidi, the message a google.protobuf.BytesValue (Connect needs
//     a protobuf schema; encoding one bytes field costs one copy).
// Each carries det's payloads (602,112 B in, 200,704 B out) and a 64-byte
// one, one request at a time (closed loop) and 64 in flight (64 closed loops
// sharing one connection: req/s and the latency each request saw). The
// servers run in a child process (bench/transport-servers.ts);
// every reply's length is checked. Ratios are to the raw TCP figure of the
// same payload and mode, measured in the same run.
import { fork } from 'node:child_process';
import http2 from 'node:http2';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import { createClient } from '@connectrpc/connect';
import { createGrpcTransport } from '@connectrpc/connect-node';
import { FrameDecoder, frameHeader } from '../common/length-frames.js';
import { BUNDLED_MODELS, bundledModelsDir } from '../profiles/bundled-models.js';
import { createSession, runSession } from '../worker/ort-session.js';
import { FLOOR_CLIENT_OPTIONS, floorService } from './grpc-floor.js';
import { connectService, DET_IN, DET_OUT, H2_OPTIONS, MAX_FRAME, SERVE_ROLE, SMALL, type Ports } from './transport-servers.js';
import { fmt, percentile, type Figure } from './support.js';

/** A case that has not finished by then fails the run rather than hanging it. */
const CASE_TIMEOUT_MS = 120_000;

/** One request: resolves with the reply's length. */
type Call = (payload: Buffer) => Promise<number>;
interface Transport {
  name: string;
  call: Call;
  close: () => void;
}

/** Replies that come back in the order requests went out (one socket, one stream). */
class Fifo {
  private waiting: { resolve: (n: number) => void; reject: (e: Error) => void }[] = [];
  next(): Promise<number> {
    return new Promise((resolve, reject) => this.waiting.push({ resolve, reject }));
  }
  settle(n: number): void {
    this.waiting.shift()?.resolve(n);
  }
  fail(e: Error): void {
    for (const w of this.waiting.splice(0)) w.reject(e);
  }
}

async function tcpTransport(port: number): Promise<Transport> {
  const sock = net.connect(port, '127.0.0.1');
  await new Promise<void>((resolve, reject) => sock.once('connect', resolve).once('error', reject));
  sock.setNoDelay(true);
  const fifo = new Fifo();
  const decoder = new FrameDecoder(MAX_FRAME);
  sock.on('data', (c: Buffer) => {
    for (const f of decoder.push(c)) fifo.settle(f.length);
  });
  sock.on('error', (e) => fifo.fail(e));
  return {
    name: 'raw TCP frames',
    call: (payload) => {
      const p = fifo.next();
      sock.cork();
      sock.write(frameHeader(payload.length));
      sock.write(payload);
      sock.uncork();
      return p;
    },
    close: () => sock.destroy(),
  };
}

async function h2Session(port: number): Promise<http2.ClientHttp2Session> {
  const session = http2.connect(`http://127.0.0.1:${port}`, H2_OPTIONS);
  await new Promise<void>((resolve, reject) => session.once('connect', () => resolve()).once('error', reject));
  return session;
}

async function h2Transport(port: number): Promise<Transport> {
  const session = await h2Session(port);
  return {
    name: 'raw http2 POST',
    call: (payload) =>
      new Promise((resolve, reject) => {
        const req = session.request({ ':method': 'POST', ':path': '/echo' });
        let n = 0;
        req.on('data', (c: Buffer) => (n += c.length));
        req.on('end', () => resolve(n));
        req.on('error', reject);
        req.end(payload);
      }),
    close: () => session.close(),
  };
}

type FloorClient = grpc.Client & {
  Echo: (b: Buffer, cb: (e: grpc.ServiceError | null, r?: Buffer) => void) => void;
  Stream: () => grpc.ClientDuplexStream<Buffer, Buffer>;
};

function grpcClient(port: number): FloorClient {
  const Client = grpc.makeGenericClientConstructor(floorService, 'Floor');
  return new Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure(), FLOOR_CLIENT_OPTIONS) as unknown as FloorClient;
}

function grpcUnary(port: number): Transport {
  const client = grpcClient(port);
  return {
    name: 'grpc-js unary',
    call: (payload) => new Promise((resolve, reject) => client.Echo(payload, (e, r) => (e ? reject(e) : resolve(r!.length)))),
    close: () => client.close(),
  };
}

function grpcBidi(port: number): Transport {
  const client = grpcClient(port);
  const stream = client.Stream();
  const fifo = new Fifo();
  stream.on('data', (b: Buffer) => fifo.settle(b.length));
  stream.on('error', (e: Error) => fifo.fail(e));
  return {
    name: 'grpc-js bidi stream',
    call: (payload) => {
      const p = fifo.next();
      stream.write(payload);
      return p;
    },
    close: () => {
      stream.cancel();
      client.close();
    },
  };
}

/** Messages pushed from outside, read by Connect's streaming client as an async iterable. */
class Pushable<T> implements AsyncIterable<T> {
  private items: T[] = [];
  private wake: (() => void) | undefined;
  private done = false;
  push(item: T): void {
    this.items.push(item);
    this.wake?.();
  }
  end(): void {
    this.done = true;
    this.wake?.();
  }
  async *[Symbol.asyncIterator](): AsyncIterator<T> {
    for (;;) {
      while (this.items.length > 0) yield this.items.shift()!;
      if (this.done) return;
      await new Promise<void>((r) => (this.wake = r));
      this.wake = undefined;
    }
  }
}

interface ConnectFloor {
  echo: (req: { value: Uint8Array }) => Promise<{ value: Uint8Array }>;
  stream: (reqs: AsyncIterable<{ value: Uint8Array }>) => AsyncIterable<{ value: Uint8Array }>;
}

/** Connect's client on an http2 session set up exactly as the raw http2 one (same windows). */
async function connectClient(port: number): Promise<{ client: ConnectFloor; session: http2.ClientHttp2Session }> {
  const session = await h2Session(port);
  const manager: NonNullable<Parameters<typeof createGrpcTransport>[0]['sessionManager']> = {
    authority: `http://127.0.0.1:${port}`,
    request: (method, p, headers, options) => Promise.resolve(session.request({ ...headers, ':method': method, ':path': p }, options)),
    notifyResponseByteRead: () => undefined,
  };
  const transport = createGrpcTransport({ baseUrl: `http://127.0.0.1:${port}`, sessionManager: manager, readMaxBytes: MAX_FRAME });
  return { client: createClient(connectService(), transport) as unknown as ConnectFloor, session };
}

async function connectUnary(port: number): Promise<Transport> {
  const { client, session } = await connectClient(port);
  return {
    name: 'connect-node gRPC unary',
    call: async (payload) => (await client.echo({ value: payload })).value.length,
    close: () => session.close(),
  };
}

async function connectBidi(port: number): Promise<Transport> {
  const { client, session } = await connectClient(port);
  const requests = new Pushable<{ value: Uint8Array }>();
  const fifo = new Fifo();
  void (async () => {
    try {
      for await (const r of client.stream(requests)) fifo.settle(r.value.length);
    } catch (e) {
      fifo.fail(e as Error);
    }
  })();
  return {
    name: 'connect-node gRPC bidi stream',
    call: (payload) => {
      const p = fifo.next();
      requests.push({ value: payload });
      return p;
    },
    close: () => {
      requests.end();
      session.close();
    },
  };
}

interface Counts {
  /** Closed-loop requests measured (after a warm-up of a tenth, at least 50). */
  one: number;
  /** Requests measured at 64 in flight (after a warm-up of 2 × 64). */
  many: number;
}

export interface Run {
  /** Latencies, ms. */
  times: number[];
  /** Requests per second over the whole measured run. */
  rate: number;
}

/** `depth` closed loops sharing `call`, until `total` requests have been made. */
export async function loops(call: () => Promise<void>, depth: number, total: number): Promise<Run> {
  const times: number[] = [];
  let started = 0;
  const t0 = performance.now();
  const loop = async () => {
    while (started < total) {
      started++;
      const t = performance.now();
      await call();
      times.push(performance.now() - t);
    }
  };
  await Promise.all(Array.from({ length: depth }, loop));
  return { times, rate: (times.length * 1000) / (performance.now() - t0) };
}

async function measure(t: Transport, payload: Buffer, expect: number, counts: Counts): Promise<{ one: Run; many: Run }> {
  const call = async () => {
    const n = await t.call(payload);
    if (n !== expect) throw new Error(`${t.name}: a reply of ${n} bytes, expected ${expect}`);
  };
  await loops(call, 1, Math.max(50, Math.ceil(counts.one / 10)));
  const one = await loops(call, 1, counts.one);
  await loops(call, 64, 128);
  const many = await loops(call, 64, counts.many);
  return { one, many };
}

/** det at batch 1 in this process, one intra-op thread: the compute floor. */
async function ortFloor(runs: number): Promise<Run> {
  const det = BUNDLED_MODELS.find((m) => m.config.name === 'det')!;
  const session = await createSession(path.join(bundledModelsDir(), det.file), { device: 'cpu', threads: 1 });
  const data = new Float32Array(DET_IN / 4);
  for (let i = 0; i < data.length; i++) data[i] = ((i * 2654435761) % 1000) / 1000;
  const input = [{ name: 'x', dtype: 'float32' as const, shape: [1, 3, 224, 224], data: new Uint8Array(data.buffer) }];
  const call = async () => {
    const [out] = await runSession(session, input);
    if (out?.data.byteLength !== DET_OUT) throw new Error(`det returned ${out?.data.byteLength} bytes, expected ${DET_OUT}`);
  };
  await loops(call, 1, 20);
  const run = await loops(call, 1, runs);
  await session.release();
  return run;
}

const ratio = (v: number, floor: number) => `×${fmt(v / floor, 2)} of raw TCP`;

export async function runTransportsBench(counts = { det: { one: 500, many: 1280 }, small: { one: 2000, many: 6400 } }, ortRuns = 300): Promise<Figure[]> {
  const figures: Figure[] = [];
  process.stderr.write('transports: onnxruntime-node alone, det\n');
  const ort = await ortFloor(ortRuns);
  const ortP50 = percentile(ort.times, 50);
  figures.push(
    { name: 'onnxruntime-node alone: det batch 1, 1 thread, p50', value: ortP50, unit: 'ms', note: `${ort.times.length} runs in-process` },
    { name: 'onnxruntime-node alone: det batch 1, 1 thread, p99', value: percentile(ort.times, 99), unit: 'ms' },
  );
  const child = fork(fileURLToPath(new URL('./transport-servers.js', import.meta.url)), [SERVE_ROLE], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  try {
    const ports = await new Promise<Ports>((resolve, reject) => {
      child.once('message', (m) => resolve(m as Ports));
      child.once('exit', (code) => reject(new Error(`bench/transports: the server process exited (${code}) before listening`)));
    });
    const makers: (() => Promise<Transport> | Transport)[] = [
      () => tcpTransport(ports.tcp),
      () => h2Transport(ports.h2),
      () => grpcUnary(ports.grpc),
      () => grpcBidi(ports.grpc),
      () => connectUnary(ports.connect),
      () => connectBidi(ports.connect),
    ];
    const cases = [
      { label: 'det 602 KB in, 200 KB out', payload: Buffer.alloc(DET_IN, 3), expect: DET_OUT, counts: counts.det },
      { label: '64 B', payload: Buffer.alloc(SMALL, 3), expect: SMALL, counts: counts.small },
    ];
    for (const c of cases) {
      let floor: { p50: number; p99: number; rate: number; p99Many: number } | undefined;
      for (const make of makers) {
        const t = await make();
        process.stderr.write(`transports: ${t.name}, ${c.label}\n`);
        try {
          let timer: NodeJS.Timeout | undefined;
          const { one, many } = await Promise.race([
            measure(t, c.payload, c.expect, c.counts),
            new Promise<never>((_, reject) => {
              timer = setTimeout(() => reject(new Error(`bench/transports: ${t.name}, ${c.label} did not finish in ${CASE_TIMEOUT_MS / 1000} s`)), CASE_TIMEOUT_MS);
            }),
          ]).finally(() => clearTimeout(timer));
          const f = { p50: percentile(one.times, 50), p99: percentile(one.times, 99), rate: many.rate, p99Many: percentile(many.times, 99) };
          floor ??= f;
          const det = c.expect === DET_OUT ? `; ${fmt((100 * f.p50) / ortP50, 1)} % of det's run` : '';
          const n = `${t.name}, ${c.label}`;
          figures.push(
            { name: `${n}, 1 in flight, p50`, value: f.p50, unit: 'ms', note: `${ratio(f.p50, floor.p50)}${det}` },
            { name: `${n}, 1 in flight, p99`, value: f.p99, unit: 'ms', note: ratio(f.p99, floor.p99) },
            { name: `${n}, 64 in flight`, value: f.rate, unit: 'req/s', note: ratio(f.rate, floor.rate) },
            { name: `${n}, 64 in flight, p50`, value: percentile(many.times, 50), unit: 'ms' },
            { name: `${n}, 64 in flight, p99`, value: f.p99Many, unit: 'ms', note: ratio(f.p99Many, floor.p99Many) },
          );
        } finally {
          t.close();
        }
      }
    }
  } finally {
    child.kill();
  }
  return figures;
}

