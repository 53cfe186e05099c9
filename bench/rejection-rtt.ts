// The rejected request's round trip (issue 13 point 4, target p99 <= 1 ms for
// det and cls), one request at a time, through every way in: PunctualClient
// (punctual.v1, the SLO as a header), V2 gRPC (grpc-js, raw_input_contents,
// parameters.timeout), V2 REST with the binary-data extension (node:http,
// keep-alive) and V2 REST JSON. Every request asks for an SLO no executor
// can make (10 µs), so every one is rejected.
//
// The controller is a process of its own (bench/rejection-rtt-server.ts),
// with a real worker process for the models to be servable; this process is
// only the client. Where the time goes, per request, on the wall clock both
// processes share: `up` from the call to the request's arrival at the
// controller (its headers), `decide` from arrival to the verdict (for an
// early rejection: waiting for the first bytes of the message, and the
// check), `down` from the verdict to the client holding the answer. Beside
// that, which of the slowest 1 % overlap a garbage collection in the client
// or in the controller, and the p99 of the requests that overlap none.
import { fork } from 'node:child_process';
import http from 'node:http';
import http2 from 'node:http2';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import { PunctualClient, SloRejectedError } from '../client/index.js';
import { ecosystemProtos } from '../common/ecosystem-protos.js';
import { CHANNEL_OPTIONS } from '../common/protos.js';
import type { GRPCInferenceServiceClient } from '../protos/generated/inference/GRPCInferenceService.js';
import { recordGcs, SERVE_ARG, type GcSpan, type RttPorts, type ServerRecords } from './rejection-rtt-server.js';
import { fmt, percentile, spawnWorker, stopAll, tempRepo, type Figure } from './support.js';

const SHAPES = { cls: [3, 48, 192], det: [3, 224, 224] } as const;
type Model = keyof typeof SHAPES;
type Path = 'PunctualClient' | 'V2 gRPC' | 'V2 gRPC, raw http2' | 'V2 gRPC, raw http2, new buffer' | 'REST binary' | 'REST JSON' | 'floor: gRPC ServerLive' | 'floor: REST GET live' | 'floor: 1 ms timer in the client';
/** Round trips that are not rejections: what one small call costs on this machine now. */
const FLOORS: readonly Path[] = ['floor: gRPC ServerLive', 'floor: REST GET live', 'floor: 1 ms timer in the client'];
/** The SLO asked for: nothing can make it. */
const SLO_US = 10;

const wall = (): number => performance.timeOrigin + performance.now();

interface Sample {
  t0: number;
  t1: number;
}

/** What one case measured. */
export interface RttCase {
  path: Path;
  model: Model;
  total: number[];
  up: number[];
  decide: number[];
  down: number[];
  early: number;
  /** Of the slowest 1 %: how many overlap a GC of the client, of the controller. */
  slowWithClientGc: number;
  slowWithServerGc: number;
  slow: number;
  /** p99 of the requests overlapping no GC in either process. */
  p99NoGc: number;
  /** GC time in each process during the case, ms, and how many of those were major (mark-compact) collections. */
  clientGcMs: number;
  serverGcMs: number;
  clientMajor: number;
  serverMajor: number;
  /** The machine's 1-minute load average at the end of the case (other processes share these cores). */
  load: number;
}

/** perf_hooks' kind of a major (mark-sweep-compact) collection. */
const GC_MAJOR = 4;

const overlaps = (gcs: readonly GcSpan[], s: Sample): boolean => gcs.some((g) => g.start < s.t1 && g.start + g.ms > s.t0);

/** One request's send function per path, for a model. */
function senders(ports: RttPorts, punctual: PunctualClient, v2: GRPCInferenceServiceClient, h2: http2.ClientHttp2Session, agent: http.Agent, model: Model): Record<Path, () => Promise<void>> {
  const shape = [1, ...SHAPES[model]];
  const x = new Float32Array(shape.reduce((a, b) => a * b, 1)).map(() => Math.random());
  const raw = Buffer.from(x.buffer);
  const head = Buffer.from(JSON.stringify({ inputs: [{ name: 'x', datatype: 'FP32', shape, parameters: { binary_data_size: raw.byteLength } }], parameters: { timeout: SLO_US } }));
  const binaryBody = Buffer.concat([head, raw]);
  const jsonBody = Buffer.from(JSON.stringify({ inputs: [{ name: 'x', datatype: 'FP32', shape, data: Array.from(x) }], parameters: { timeout: SLO_US } }));
  // The same V2 request framed once and sent as it is every time: no allocation per request in the client.
  const v2Frame = (() => {
    const message = ecosystemProtos().oip.inference.GRPCInferenceService.service.ModelInfer.requestSerialize({ modelName: model, inputs: [{ name: 'x', datatype: 'FP32', shape }], rawInputContents: [raw], parameters: { timeout: { int64Param: SLO_US } } });
    const frame = Buffer.alloc(message.byteLength + 5);
    frame.writeUInt32BE(message.byteLength, 1);
    message.copy(frame, 5);
    return frame;
  })();
  const rawGrpc = (path: string, frame: Buffer, want: number): Promise<void> =>
    new Promise((resolve, reject) => {
      const s = h2.request({ ':method': 'POST', ':path': path, 'content-type': 'application/grpc', te: 'trailers' });
      let status: string | undefined;
      const got = (h: http2.IncomingHttpHeaders): void => {
        if (h['grpc-status'] !== undefined) status = String(h['grpc-status']);
      };
      s.on('response', got);
      s.on('trailers', got);
      s.on('error', reject);
      s.on('close', () => (status === String(want) ? resolve() : reject(new Error(`${path} answered grpc-status ${status}, expected ${want}`))));
      s.resume();
      s.end(frame);
    });
  const post = (body: Buffer, headers: Record<string, string>): Promise<void> =>
    new Promise((resolve, reject) => {
      const req = http.request({ host: '127.0.0.1', port: ports.http, path: `/v2/models/${model}/infer`, method: 'POST', agent, headers: { 'content-length': String(body.byteLength), ...headers } }, (res) => {
        res.resume();
        res.on('end', () => (res.statusCode === 429 ? resolve() : reject(new Error(`REST answered ${res.statusCode}, expected 429`))));
      });
      req.on('error', reject);
      req.end(body);
    });
  return {
    PunctualClient: async () => {
      try {
        await punctual.infer(model, { x }, { sloMs: SLO_US / 1000 });
      } catch (err) {
        if (err instanceof SloRejectedError) return;
        throw err;
      }
      throw new Error(`a ${SLO_US} µs SLO for ${model} was accepted`);
    },
    'V2 gRPC': () =>
      new Promise((resolve, reject) => {
        v2.ModelInfer({ modelName: model, inputs: [{ name: 'x', datatype: 'FP32', shape }], rawInputContents: [raw], parameters: { timeout: { int64Param: SLO_US } } }, (err: grpc.ServiceError | null) =>
          err?.code === grpc.status.RESOURCE_EXHAUSTED ? resolve() : reject(err ?? new Error(`a ${SLO_US} µs SLO for ${model} was accepted`)),
        );
      }),
    'V2 gRPC, raw http2': () => rawGrpc('/inference.GRPCInferenceService/ModelInfer', v2Frame, grpc.status.RESOURCE_EXHAUSTED),
    // As grpc-js does: each message framed into a buffer of its own (one copy, as its compression filter makes).
    'V2 gRPC, raw http2, new buffer': () => rawGrpc('/inference.GRPCInferenceService/ModelInfer', Buffer.from(v2Frame), grpc.status.RESOURCE_EXHAUSTED),
    'floor: gRPC ServerLive': () =>
      new Promise((resolve, reject) => {
        v2.ServerLive({}, (err: grpc.ServiceError | null) => (err ? reject(err) : resolve()));
      }),
    'floor: REST GET live': () =>
      new Promise((resolve, reject) => {
        http.get({ host: '127.0.0.1', port: ports.http, path: '/v2/health/live', agent }, (res) => {
          res.resume();
          res.on('end', () => (res.statusCode === 200 ? resolve() : reject(new Error(`GET /v2/health/live answered ${res.statusCode}`))));
        }).on('error', reject);
      }),
    // No I/O at all: how late a 1 ms timer fires in this process (figures are the timer's 1 ms plus its lateness).
    'floor: 1 ms timer in the client': () => new Promise((resolve) => setTimeout(resolve, 1)),
    'REST binary': () => post(binaryBody, { 'content-type': 'application/octet-stream', 'inference-header-content-length': String(head.byteLength) }),
    'REST JSON': () => post(jsonBody, { 'content-type': 'application/json' }),
  };
}

/**
 * How far the controller process's wall clock is ahead of this one's, ms:
 * each process's performance.timeOrigin is its own reading of the clock at
 * its start. From the IPC ping with the shortest round trip of 50.
 */
async function clockOffset(child: ReturnType<typeof fork>): Promise<{ offset: number; rtt: number }> {
  let best = { offset: 0, rtt: Infinity };
  for (let i = 0; i < 50; i++) {
    const t0 = wall();
    const pong = await new Promise<number>((resolve) => {
      child.once('message', (m) => resolve((m as { pong: number }).pong));
      child.send({ ping: true });
    });
    const t1 = wall();
    if (t1 - t0 < best.rtt) best = { offset: pong - (t0 + t1) / 2, rtt: t1 - t0 };
  }
  return best;
}

function take(child: ReturnType<typeof fork>): Promise<ServerRecords> {
  return new Promise((resolve) => {
    child.once('message', (m) => resolve(m as ServerRecords));
    child.send({ take: true });
  });
}

export async function measureRejectionRtt(counts: Record<Path, Record<Model, number>>): Promise<{ cases: RttCase[]; clock: { offset: number; rtt: number } }> {
  const repo = await tempRepo(['cls', 'det']);
  const child = fork(fileURLToPath(new URL('./rejection-rtt-server.js', import.meta.url)), [SERVE_ARG, repo.dir], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const children = [];
  let punctual: PunctualClient | undefined;
  let v2: GRPCInferenceServiceClient | undefined;
  let h2: http2.ClientHttp2Session | undefined;
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const cases: RttCase[] = [];
  let clock = { offset: 0, rtt: NaN };
  try {
    const ports = await new Promise<RttPorts>((resolve, reject) => {
      child.once('message', (m) => resolve(m as RttPorts));
      child.once('exit', (code) => reject(new Error(`bench/rejection-rtt: the controller process exited (${code}) before listening`)));
    });
    children.push(spawnWorker(`127.0.0.1:${ports.grpc}`));
    for (let i = 0; (await fetch(`http://127.0.0.1:${ports.http}/v2/health/ready`)).status !== 200; i++) {
      if (i > 600) throw new Error('the worker did not join within 60 s');
      await new Promise((r) => setTimeout(r, 100));
    }
    punctual = new PunctualClient(`127.0.0.1:${ports.grpc}`);
    const C = ecosystemProtos().oip.inference.GRPCInferenceService;
    v2 = new C(`127.0.0.1:${ports.grpc}`, grpc.credentials.createInsecure(), CHANNEL_OPTIONS);
    h2 = http2.connect(`http://127.0.0.1:${ports.grpc}`, { settings: { initialWindowSize: 16 << 20 } });
    h2.on('error', () => undefined);
    clock = await clockOffset(child);
    for (const model of ['cls', 'det'] as const) {
      const send = senders(ports, punctual, v2, h2, agent, model);
      for (const path of Object.keys(send) as Path[]) {
        const n = counts[path][model];
        if (n <= 0) continue;
        for (let i = 0; i < Math.min(100, n); i++) await send[path]();
        await take(child);
        const gcs: GcSpan[] = [];
        const obs = recordGcs(gcs);
        const samples: Sample[] = [];
        for (let i = 0; i < n; i++) {
          const t0 = wall();
          await send[path]();
          samples.push({ t0, t1: wall() });
        }
        // GC entries are delivered asynchronously: give them a moment.
        await new Promise((r) => setTimeout(r, 50));
        obs.disconnect();
        const server = await take(child);
        for (const r of server.rejections) r.at -= clock.offset;
        for (const g of server.gcs) g.start -= clock.offset;
        const floor = FLOORS.includes(path);
        if (floor) server.rejections = samples.map((x) => ({ at: x.t1, waitedMs: NaN, early: false }));
        else if (server.rejections.length !== n) throw new Error(`${path} ${model}: ${n} requests, the controller counted ${server.rejections.length} rejections`);
        const total = samples.map((s) => s.t1 - s.t0);
        const up = samples.map((s, i) => server.rejections[i]!.at - server.rejections[i]!.waitedMs - s.t0);
        const decide = server.rejections.map((r) => r.waitedMs);
        const down = samples.map((s, i) => s.t1 - server.rejections[i]!.at);
        const cut = percentile(total, 99);
        const slow = samples.filter((s) => s.t1 - s.t0 >= cut);
        const quiet = samples.filter((s) => !overlaps(gcs, s) && !overlaps(server.gcs, s)).map((s) => s.t1 - s.t0);
        const inCase = (g: GcSpan): boolean => g.start >= samples[0]!.t0 && g.start <= samples[samples.length - 1]!.t1;
        cases.push({
          path,
          model,
          total,
          up,
          decide,
          down,
          early: server.rejections.filter((r) => r.early).length,
          slow: slow.length,
          slowWithClientGc: slow.filter((s) => overlaps(gcs, s)).length,
          slowWithServerGc: slow.filter((s) => overlaps(server.gcs, s)).length,
          p99NoGc: percentile(quiet, 99),
          clientGcMs: gcs.filter(inCase).reduce((a, g) => a + g.ms, 0),
          serverGcMs: server.gcs.filter(inCase).reduce((a, g) => a + g.ms, 0),
          clientMajor: gcs.filter((g) => inCase(g) && g.kind === GC_MAJOR).length,
          serverMajor: server.gcs.filter((g) => inCase(g) && g.kind === GC_MAJOR).length,
          load: os.loadavg()[0]!,
        });
      }
    }
  } finally {
    punctual?.close();
    v2?.close();
    h2?.close();
    agent.destroy();
    await stopAll(children);
    child.send({ stop: true });
    await new Promise((r) => child.once('exit', r));
    repo.cleanup();
  }
  return { cases, clock };
}

const ms = (v: number): string => fmt(v, 2);

export async function runRejectionRttBench(requests = 2000): Promise<Figure[]> {
  const both = (n: number): Record<Model, number> => ({ cls: n, det: n });
  const json = Math.max(1, Math.round(requests / 20));
  const { cases, clock } = await measureRejectionRtt({
    PunctualClient: both(requests),
    'V2 gRPC': both(requests),
    'V2 gRPC, raw http2': both(requests),
    'V2 gRPC, raw http2, new buffer': both(requests),
    'REST binary': both(requests),
    'REST JSON': { cls: json * 4, det: json },
    'floor: gRPC ServerLive': { cls: requests, det: 0 },
    'floor: REST GET live': { cls: requests, det: 0 },
    'floor: 1 ms timer in the client': { cls: requests, det: 0 },
  });
  const figures: Figure[] = [{ name: "controller's clock offset (IPC ping)", value: clock.offset, unit: 'ms', note: `best ping round trip ${ms(clock.rtt)} ms: up and down are within that` }];
  for (const c of cases) {
    const what = `${c.path}, ${c.model}`;
    const floor = FLOORS.includes(c.path);
    const name = floor ? c.path : `rejected ${what}`;
    const target = c.path === 'REST JSON' || floor ? undefined : '<= 1';
    const gc = `GC client ${ms(c.clientGcMs)} ms (${c.clientMajor} major), controller ${ms(c.serverGcMs)} ms (${c.serverMajor} major); load ${c.load.toFixed(1)}`;
    figures.push(
      { name: `${name}: p50`, value: percentile(c.total, 50), unit: 'ms', note: floor ? `${c.total.length} calls` : `${c.total.length} requests, ${c.early} rejected before the body` },
      { name: `${name}: p99`, value: percentile(c.total, 99), unit: 'ms', ...(target ? { target } : {}), note: `p99.9 ${ms(percentile(c.total, 99.9))}, max ${ms(Math.max(...c.total))}` },
    );
    if (!floor) {
      figures.push({
        name: `  ${what}: up / decide / down p50`,
        value: percentile(c.up, 50),
        unit: 'ms',
        note: `/ ${ms(percentile(c.decide, 50))} / ${ms(percentile(c.down, 50))}; p99 ${ms(percentile(c.up, 99))} / ${ms(percentile(c.decide, 99))} / ${ms(percentile(c.down, 99))}`,
      });
    }
    figures.push({
      name: `  ${floor ? c.path : what}: p99 of those with no GC`,
      value: c.p99NoGc,
      unit: 'ms',
      note: `slowest 1 % (${c.slow}): ${c.slowWithClientGc} overlap a client GC, ${c.slowWithServerGc} a controller GC; ${gc}`,
    });
  }
  return figures;
}
