// Issue 13 point 3: what the data plane's transport costs a request, side by
// side with a grpc-js unary call carrying the same bytes, in one run. A child
// process plays the worker: a real DataPort and Staging (worker/), every
// ticket of the run expected up front (what the actions naming them will
// do), each stage answered at once with det's output (200 KB). The parent is
// the client: client/data-channel.ts, one request at a time and 64 in
// flight. The grpc-js server is bench/grpc-floor.ts's raw-bytes service in
// the same child.
import { fork } from 'node:child_process';
import crypto from 'node:crypto';
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import { DataChannels } from '../client/data-channel.js';
import { systemClock } from '../common/clock.js';
import { createServer } from '../common/protos.js';
import { DataPort } from '../worker/data-port.js';
import { Staging } from '../worker/staging.js';
import { addFloorService, FLOOR_CLIENT_OPTIONS, floorService } from './grpc-floor.js';
import { fmt, percentile, type Figure } from './support.js';
import { DET_IN, DET_OUT } from './transport-servers.js';

const ROLE = '--serve-data-plane';
const X = [{ name: 'x', dtype: 'float32' as const, shape: [1, 3, 224, 224] }];

/** The run's tickets, the same in both processes: ticket i of the run. */
function ticket(i: number): string {
  return crypto.createHash('sha256').update(`data-plane-bench-${i}`).digest('hex').slice(0, 32);
}

async function serve(count: number): Promise<void> {
  const staging = new Staging({ clock: systemClock, maxBytes: 1 << 30, holdUnknownMs: 1000 });
  const port = await DataPort.listen({ port: 0, staging, log: (l) => process.stderr.write(`${l}\n`) });
  const out = new Uint8Array(DET_OUT).fill(1);
  for (let i = 0; i < count; i++) {
    const t = ticket(i);
    void staging.expect(t, { tensors: X, latestMs: systemClock.now() + 3_600_000 }).then(
      () => port.answer(t, [{ name: 'y', dtype: 'float32', shape: [1, 1, 224, 224], data: out }], 0),
      () => undefined,
    );
  }
  const server = createServer();
  addFloorService(server, (n) => Buffer.alloc(n === DET_IN ? DET_OUT : 64, 1));
  const grpcPort = await new Promise<number>((resolve, reject) => server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))));
  process.send!({ data: port.port, grpc: grpcPort });
}

export async function runDataPlaneBench(one = 600, many = 2560): Promise<Figure[]> {
  const total = 100 + one + 128 + many;
  const child = fork(fileURLToPath(import.meta.url), [ROLE, String(total)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const channels = new DataChannels();
  const Floor = grpc.makeGenericClientConstructor(floorService, 'Floor');
  try {
    const ports = await new Promise<{ data: number; grpc: number }>((resolve, reject) => {
      child.once('message', (m) => resolve(m as { data: number; grpc: number }));
      child.once('exit', (c) => reject(new Error(`bench/data-plane: the worker process exited (${c}) before listening`)));
    });
    const address = `127.0.0.1:${ports.data}`;
    const input = { name: 'x', dtype: 'float32', shape: [1, 3, 224, 224], data: new Uint8Array(DET_IN).fill(2) };
    let next = 0;
    const stage = async () => {
      const a = await channels.stage(address, ticket(next++), [input], 10_000);
      if (a.outputs[0]?.data.byteLength !== DET_OUT) throw new Error('bench/data-plane: a short answer');
    };
    const floor = new Floor(`127.0.0.1:${ports.grpc}`, grpc.credentials.createInsecure(), FLOOR_CLIENT_OPTIONS);
    const payload = Buffer.from(input.data.buffer);
    const unary = () =>
      new Promise<void>((resolve, reject) =>
        (floor as unknown as { Echo: (b: Buffer, cb: (e: Error | null, r?: Buffer) => void) => void }).Echo(payload, (e, r) => (e ? reject(e) : r?.length === DET_OUT ? resolve() : reject(new Error('short reply')))),
      );
    const time = async (call: () => Promise<void>, n: number): Promise<number[]> => {
      const t: number[] = [];
      for (let i = 0; i < n; i++) {
        const t0 = performance.now();
        await call();
        t.push(performance.now() - t0);
      }
      return t;
    };
    for (let i = 0; i < 100; i++) await stage();
    await time(unary, 100);
    // Alternating blocks: drift falls on both alike.
    const dp: number[] = [];
    const gr: number[] = [];
    for (let r = 0; r < 6; r++) {
      dp.push(...(await time(stage, one / 6)));
      gr.push(...(await time(unary, one / 6)));
    }
    const inFlight = async (n: number) => {
      const t0 = performance.now();
      let started = 0;
      await Promise.all(
        Array.from({ length: 64 }, async () => {
          while (started < n) {
            started++;
            await stage();
          }
        }),
      );
      return (n * 1000) / (performance.now() - t0);
    };
    await inFlight(128);
    const rate = await inFlight(many);
    floor.close();
    return [
      { name: 'data plane (frames over TCP): det 602 KB in / 200 KB out, one at a time, p50', value: percentile(dp, 50), unit: 'ms', note: `p99 ${fmt(percentile(dp, 99))} ms; ${dp.length} requests` },
      { name: 'grpc-js unary, same bytes, same run, p50', value: percentile(gr, 50), unit: 'ms', note: `p99 ${fmt(percentile(gr, 99))} ms; x${fmt(percentile(gr, 50) / percentile(dp, 50), 2)} of the data plane` },
      { name: 'data plane: det at 64 in flight', value: rate, unit: 'req/s', note: `${many} requests over one connection` },
    ];
  } finally {
    channels.close();
    child.kill();
  }
}

if (process.argv[2] === ROLE) await serve(Number(process.argv[3]));
