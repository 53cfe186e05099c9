// V2 REST's rejection before the body, on a real socket (port 0) driven
// byte by byte from raw TCP: a det-sized binary request that admission
// rejects is answered 429 once its JSON header is in, before any tensor
// byte is sent, with the normal path's status, headers, message and
// counting; the same connection then carries the rest of that body and the
// next request (keep-alive survives, nothing wedges). What admission would
// take, or what the normal path refuses itself (bad or hostile lengths, a
// JSON header that does not parse, chunked bodies, a slow header, tokens,
// drain), goes on to the normal path unchanged.
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../common/clock.js';
import { createLogger } from '../../common/log.js';
import type { ActionResult__Output, ControllerMessage } from '../../common/wire.js';
import { Authorizer, type TokenOptions } from '../auth.js';
import { ModelRegistry } from '../model-registry.js';
import { Estimates } from '../scheduler/estimates.js';
import { ServingCore } from '../serving-core.js';
import type { ServingObserver } from '../serving-observer.js';
import type { WorkerConnection } from '../worker-connection.js';
import { PEEK_BYTES } from './early-rejection.js';
import { startHttpServer, type HttpServer } from './http-server.js';
import { v2Routes } from './v2-routes.js';

const log = createLogger('test', 'silent');
/** det's input: 3 × 224 × 224 float32, 602,112 bytes. */
const DET = { name: 'det', version: 1, inputs: [{ name: 'x', dtype: 'float32' as const, shape: [3, 224, 224] }], outputs: [{ name: 'y', dtype: 'float32' as const, shape: [2] }], maxBatch: 4, batchSizes: [1, 2, 4], defaultSloMs: 1000 };
const DET_BYTES = 3 * 224 * 224 * 4;

interface Setup {
  server: HttpServer;
  core: ServingCore;
  /** Observer events, in order. */
  events: string[];
  /** INFER actions sent to the fake worker. */
  sent: number;
}

let cleanup: (() => Promise<void>) | undefined;
afterEach(async () => {
  await cleanup?.();
  cleanup = undefined;
});

/** A controller core with det on one fake worker (each run 2 ms, answering y = [x[0] + x[1], x[last]]) behind a real HTTP port. */
async function setup(opts: { tokens?: TokenOptions } = {}): Promise<Setup> {
  const clock = new ManualClock(100_000);
  const registry = new ModelRegistry();
  const estimates = new Estimates({ unknownExecMs: 2, unknownLoadMs: 10, clock });
  const core = new ServingCore({ clock, registry, estimates, log });
  const events: string[] = [];
  core.observers.push({
    notAdmitted: (status: string) => events.push(`notAdmitted:${status}`),
    rejected: (_m: string, code: string) => events.push(`rejected:${code}`),
    rejectedEarly: (_m: string, n: number) => events.push(`rejectedEarly:${n}`),
  } as ServingObserver);
  core.addModel(registry.add({ key: 'det@1', config: DET, dir: '', file: '', size: 0, sha256: 'det' }));
  const s: Partial<Setup> = { core, events, sent: 0 };
  const pending: { id: number; x: Float32Array; batch: number }[] = [];
  const conn = {
    id: 'w1',
    name: 'w1',
    closed: false,
    draining: false,
    unresponsive: false,
    connectedAt: 0,
    offset: 0,
    rtt: 0,
    adopted: [],
    executors: [{ index: 0, device: 'cpu', threads: 1, memoryBytes: 1e9 }],
    send: (msg: ControllerMessage) => {
      const a = msg.action;
      if (!a) return;
      if (String(a.type) === 'INFER') s.sent! += 1;
      const d = a.inputs?.[0]?.data as Uint8Array | undefined;
      pending.push({ id: Number(a.id), x: d ? new Float32Array(new Uint8Array(d).buffer) : new Float32Array(0), batch: Number(a.inputs?.[0]?.shape?.[0] ?? 1) });
      setImmediate(answer);
    },
    toWorker: (t: number) => t,
    toController: (t: number) => t,
    close: () => undefined,
  } as unknown as WorkerConnection;
  const answer = (): void => {
    for (let a = pending.shift(); a; a = pending.shift()) {
      const start = clock.now();
      clock.advance(2);
      const y = a.x.length > 0 ? Float32Array.of(a.x[0]! + a.x[1]!, a.x[a.x.length - 1]!) : new Float32Array(2);
      const outputs = a.x.length > 0 ? [{ name: 'y', dtype: 'float32', shape: [a.batch, 2], data: Buffer.from(y.buffer) }] : [];
      core.onResult(conn, { actionId: a.id, status: 'OK', message: '', receivedMs: start, startMs: start, endMs: clock.now(), durationMs: 2, memoryBytes: 1000, outputs } as unknown as ActionResult__Output);
    }
  };
  core.addWorker(conn);
  // The load det's first request needs, done before the tests' requests.
  await new Promise((r) => setTimeout(r, 10));
  const auth = new Authorizer(opts.tokens ?? {});
  const server = await startHttpServer({
    port: 0,
    host: '127.0.0.1',
    bodyLimit: 4 << 20,
    plugins: [v2Routes({ core, clock, log, auth, ready: () => true, maxBodyBytes: 4 << 20 })],
    log,
  });
  s.server = server;
  cleanup = async () => {
    await server.close();
    core.close();
  };
  return s as Setup;
}

interface Answer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** One HTTP/1.1 connection written to by hand; answers are read off it in order. */
class RawConnection {
  private readonly sock: net.Socket;
  private buf = Buffer.alloc(0);
  private wake: (() => void) | undefined;
  closed = false;

  constructor(port: number) {
    this.sock = net.connect(port, '127.0.0.1');
    this.sock.setNoDelay(true);
    this.sock.on('data', (d: Buffer) => {
      this.buf = Buffer.concat([this.buf, d]);
      this.wake?.();
    });
    this.sock.on('close', () => {
      this.closed = true;
      this.wake?.();
    });
    this.sock.on('error', () => undefined);
  }

  write(b: Buffer | string): Promise<void> {
    return new Promise((resolve, reject) => this.sock.write(b, (err) => (err ? reject(err) : resolve())));
  }

  /** The next whole answer (Content-Length bodies), or undefined if none comes within ms. */
  async answer(ms = 5000): Promise<Answer | undefined> {
    const until = Date.now() + ms;
    for (;;) {
      const parsed = this.parse();
      if (parsed) return parsed;
      if (this.closed || Date.now() >= until) return undefined;
      await new Promise<void>((r) => {
        const t = setTimeout(r, Math.max(1, until - Date.now()));
        this.wake = () => {
          clearTimeout(t);
          r();
        };
      });
    }
  }

  private parse(): Answer | undefined {
    const end = this.buf.indexOf('\r\n\r\n');
    if (end < 0) return undefined;
    const lines = this.buf.subarray(0, end).toString('latin1').split('\r\n');
    const status = Number(lines[0]!.split(' ')[1]);
    const headers: Record<string, string> = {};
    for (const l of lines.slice(1)) {
      const i = l.indexOf(':');
      headers[l.slice(0, i).trim().toLowerCase()] = l.slice(i + 1).trim();
    }
    const length = Number(headers['content-length'] ?? 0);
    if (this.buf.byteLength < end + 4 + length) return undefined;
    const body = this.buf.subarray(end + 4, end + 4 + length).toString('utf8');
    this.buf = this.buf.subarray(end + 4 + length);
    return { status, headers, body };
  }

  close(): void {
    this.sock.destroy();
  }
}

/** A binary-data request's parts: its HTTP head, its JSON header, its tensor bytes. */
function binaryRequest(json: object, tensor: ArrayBufferView, extra: Record<string, string> = {}, path = '/v2/models/det/infer'): { head: string; header: Buffer; tensor: Buffer } {
  const header = Buffer.from(JSON.stringify(json));
  const fields = { 'content-type': 'application/octet-stream', 'inference-header-content-length': String(header.byteLength), 'content-length': String(header.byteLength + tensor.byteLength), ...extra };
  const head = `POST ${path} HTTP/1.1\r\nHost: x\r\n${Object.entries(fields).map(([k, v]) => `${k}: ${v}\r\n`).join('')}\r\n`;
  return { head, header, tensor: Buffer.from(tensor.buffer, tensor.byteOffset, tensor.byteLength) };
}

const detInput = (timeoutUs: number, batch = 1): object => ({
  inputs: [{ name: 'x', datatype: 'FP32', shape: [batch, 3, 224, 224], parameters: { binary_data_size: batch * DET_BYTES } }],
  parameters: { timeout: timeoutUs },
});

/** A det tensor whose first two and last floats say it arrived whole and in order. */
function detTensor(batch = 1): Float32Array {
  const x = new Float32Array(batch * DET_BYTES / 4);
  x[0] = 1.5;
  x[1] = 2;
  x[x.length - 1] = 7;
  return x;
}

const liveRequest = 'GET /v2/health/live HTTP/1.1\r\nHost: x\r\n\r\n';

describe('V2 REST: rejected before the body', () => {
  it("a det request admission rejects is answered once its JSON header is in, before any tensor byte; the same connection carries the rest and the next request", async () => {
    const s = await setup();
    const c = new RawConnection(s.server.port);
    try {
      const r = binaryRequest(detInput(100), detTensor());
      await c.write(r.head);
      await c.write(r.header);
      const early = await c.answer();
      expect(early?.status).toBe(429);
      expect(early?.headers['retry-after']).toBe('1');
      expect(early?.headers['punctual-reason']).toBe('slo_unattainable');
      const body = JSON.parse(early!.body) as { error: string; reason: string };
      expect(body.reason).toBe('slo_unattainable');
      expect(body.error).toMatch(/^model det: slo_unattainable: predicted .* > slo 0\.1 ms/);
      expect(s.events).toEqual(['rejected:slo_unattainable', 'rejectedEarly:1']);
      expect(s.sent).toBe(0);
      // The normal path's answer to the same request as JSON (a body that must be read whole): the same status, headers and message.
      const sameAsJson = await fetch(`${s.server.url}/v2/models/det/infer`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 3, 224, 224], data: Array.from(detTensor()) }], parameters: { timeout: 100 } }) });
      expect(sameAsJson.status).toBe(429);
      expect(sameAsJson.headers.get('retry-after')).toBe('1');
      expect(sameAsJson.headers.get('punctual-reason')).toBe('slo_unattainable');
      expect(await sameAsJson.json()).toEqual(body);
      expect(s.events.slice(2)).toEqual(['rejected:slo_unattainable']);
      // The client sends the rest of the body anyway, then the next request: answered on the same connection.
      await c.write(r.tensor);
      await c.write(liveRequest);
      expect((await c.answer())?.status).toBe(200);
      const ok = binaryRequest(detInput(500_000), detTensor());
      await c.write(ok.head + ok.header.toString('latin1'));
      await c.write(ok.tensor);
      const served = await c.answer();
      expect(served?.status).toBe(200);
      expect(JSON.parse(served!.body)).toMatchObject({ outputs: [{ name: 'y', shape: [1, 2], data: [3.5, 7] }] });
      expect(c.closed).toBe(false);
    } finally {
      c.close();
    }
  });

  it("fetch (undici) gets the early 429 while it is still sending the tensor, and the next fetch is served", async () => {
    const s = await setup();
    const r = binaryRequest(detInput(100), detTensor());
    const url = `${s.server.url}/v2/models/det/infer`;
    const headers = { 'content-type': 'application/octet-stream', 'inference-header-content-length': String(r.header.byteLength) };
    for (let i = 0; i < 3; i++) {
      const rejected = await fetch(url, { method: 'POST', headers, body: Buffer.concat([r.header, r.tensor]) });
      expect(rejected.status).toBe(429);
      expect(await rejected.json()).toMatchObject({ reason: 'slo_unattainable' });
    }
    const ok = binaryRequest(detInput(500_000), detTensor());
    const served = await fetch(url, { method: 'POST', headers: { ...headers, 'inference-header-content-length': String(ok.header.byteLength) }, body: Buffer.concat([ok.header, ok.tensor]) });
    expect(served.status).toBe(200);
    expect(await served.json()).toMatchObject({ outputs: [{ name: 'y', data: [3.5, 7] }] });
    expect(s.events.filter((e) => e.startsWith('rejectedEarly'))).toEqual(['rejectedEarly:1', 'rejectedEarly:1', 'rejectedEarly:1']);
  });

  it('a client that keeps sending: the whole rejected request and the next one in one write, both answered in order', async () => {
    const s = await setup();
    const c = new RawConnection(s.server.port);
    try {
      const r = binaryRequest(detInput(100, 2), detTensor(2));
      await c.write(Buffer.concat([Buffer.from(r.head), r.header, r.tensor, Buffer.from(liveRequest)]));
      expect((await c.answer())?.status).toBe(429);
      expect((await c.answer())?.status).toBe(200);
      // A batch of 2 is counted as 2 items, as submitAll counts it.
      expect(s.events).toEqual(['rejected:slo_unattainable', 'rejected:slo_unattainable', 'rejectedEarly:2']);
    } finally {
      c.close();
    }
  });

  it("what admission would take is unaffected: a JSON header a byte at a time, a pause before the tensor, the tensor's bytes in order", async () => {
    const s = await setup();
    const c = new RawConnection(s.server.port);
    try {
      const r = binaryRequest(detInput(500_000), detTensor());
      await c.write(r.head);
      for (let i = 0; i < r.header.byteLength; i++) await c.write(r.header.subarray(i, i + 1));
      expect(await c.answer(100)).toBeUndefined();
      await c.write(r.tensor.subarray(0, 1000));
      await new Promise((res) => setTimeout(res, 30));
      await c.write(r.tensor.subarray(1000));
      const served = await c.answer();
      expect(served?.status).toBe(200);
      expect(JSON.parse(served!.body)).toMatchObject({ outputs: [{ name: 'y', data: [3.5, 7] }] });
      expect(s.events).toEqual([]);
    } finally {
      c.close();
    }
  });

  it('the deadline header alone decides it too (no timeout parameter); with a roomy header it is served', async () => {
    const s = await setup();
    const c = new RawConnection(s.server.port);
    try {
      const json = { inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 3, 224, 224], parameters: { binary_data_size: DET_BYTES } }] };
      // 1.9 ms against det's predicted 2.0: rejected. The header is a wall-clock budget (Date.now(),
      // as grpc-timeout), so what is left of it by admission is at most 1.9 ms, less on a busy machine.
      const tight = binaryRequest(json, detTensor(), { 'punctual-timeout-ms': '1.9' });
      await c.write(tight.head + tight.header.toString('latin1'));
      const early = await c.answer();
      expect(early?.status).toBe(429);
      const slo = /slo ([\d.]+) ms/.exec(JSON.parse(early!.body).error as string);
      expect(slo).not.toBeNull();
      expect(Number(slo![1])).toBeLessThanOrEqual(1.9); // the header's, not det's default SLO
      await c.write(tight.tensor);
      const roomy = binaryRequest(json, detTensor(), { 'punctual-timeout-ms': '5000' });
      await c.write(roomy.head + roomy.header.toString('latin1'));
      await c.write(roomy.tensor);
      expect((await c.answer())?.status).toBe(200);
    } finally {
      c.close();
    }
  });

  it("what the normal path refuses itself is left to it, not answered 429: a batch over the limit, a wrong binary_data_size, an unknown model, a JSON header that does not parse", async () => {
    const s = await setup();
    const c = new RawConnection(s.server.port);
    const cases: [string, { head: string; header: Buffer; tensor: Buffer }, number, RegExp][] = [
      ['batch of 5', binaryRequest(detInput(100, 5), new Uint8Array(0)), 400, /batch|binary_data_size/],
      ['short tensor', binaryRequest(detInput(100), new Uint8Array(DET_BYTES - 4)), 400, /binary_data_size/],
      ['unknown model', binaryRequest(detInput(100), detTensor(), {}, '/v2/models/nope/infer'), 404, /nope/],
    ];
    try {
      for (const [what, r, status, message] of cases) {
        await c.write(Buffer.concat([Buffer.from(r.head), r.header, r.tensor]));
        const a = await c.answer();
        expect(a?.status, what).toBe(status);
        expect(JSON.parse(a!.body).error, what).toMatch(message);
      }
      const garbled = Buffer.from('{"inputs": [');
      await c.write(`POST /v2/models/det/infer HTTP/1.1\r\nHost: x\r\ninference-header-content-length: ${garbled.byteLength}\r\ncontent-length: ${garbled.byteLength + 8}\r\n\r\n`);
      await c.write(Buffer.concat([garbled, Buffer.alloc(8)]));
      const a = await c.answer();
      expect(a?.status).toBe(400);
      expect(JSON.parse(a!.body).error).toMatch(/does not parse/);
      expect(s.events.filter((e) => e.startsWith('rejected'))).toEqual([]);
      expect(s.events.filter((e) => e.startsWith('notAdmitted'))).toHaveLength(4);
    } finally {
      c.close();
    }
  });

  it('hostile lengths (huge, negative, not a number, past the body, zero, over the peek limit) get the normal 4xx and never crash; the server keeps serving', async () => {
    const s = await setup();
    const json = Buffer.from(JSON.stringify(detInput(100)));
    const body = Buffer.concat([json, Buffer.from(detTensor().buffer)]);
    const cases: [string, number][] = [
      ['99999999999999999999', 400],
      ['-5', 400],
      ['abc', 400],
      [String(body.byteLength + 1), 400],
      ['0', 400],
      [' 12 ', 400],
    ];
    for (const [length, status] of cases) {
      const c = new RawConnection(s.server.port);
      try {
        await c.write(`POST /v2/models/det/infer HTTP/1.1\r\nHost: x\r\ninference-header-content-length: ${length}\r\ncontent-length: ${body.byteLength}\r\n\r\n`);
        await c.write(body);
        const a = await c.answer();
        expect(a?.status, length).toBe(status);
        expect(JSON.parse(a!.body).error, length).toMatch(/Inference-Header-Content-Length|JSON|parse/);
      } finally {
        c.close();
      }
    }
    // A JSON header past the peek limit (padded with spaces) is read the normal way, and still rejected there.
    const padded = Buffer.concat([json, Buffer.alloc(PEEK_BYTES, 0x20)]);
    const big = new RawConnection(s.server.port);
    try {
      await big.write(`POST /v2/models/det/infer HTTP/1.1\r\nHost: x\r\ninference-header-content-length: ${padded.byteLength}\r\ncontent-length: ${padded.byteLength + DET_BYTES}\r\n\r\n`);
      await big.write(padded);
      expect(await big.answer(150)).toBeUndefined();
      await big.write(Buffer.from(detTensor().buffer));
      expect((await big.answer())?.status).toBe(429);
      expect(s.events.filter((e) => e.startsWith('rejectedEarly'))).toEqual([]);
    } finally {
      big.close();
    }
    // A Content-Length over the body limit is 413, unread.
    const huge = new RawConnection(s.server.port);
    try {
      await huge.write(`POST /v2/models/det/infer HTTP/1.1\r\nHost: x\r\ninference-header-content-length: ${json.byteLength}\r\ncontent-length: ${(4 << 20) + 1}\r\n\r\n`);
      await huge.write(json);
      expect((await huge.answer())?.status).toBe(413);
    } finally {
      huge.close();
    }
    const live = await fetch(`${s.server.url}/v2/health/live`);
    expect(live.status).toBe(200);
  });

  it('a chunked body goes the normal way (no Content-Length to check the binary part against), still 429 there', async () => {
    const s = await setup();
    const r = binaryRequest(detInput(100), detTensor());
    const c = new RawConnection(s.server.port);
    try {
      const body = Buffer.concat([r.header, r.tensor]);
      await c.write(`POST /v2/models/det/infer HTTP/1.1\r\nHost: x\r\ninference-header-content-length: ${r.header.byteLength}\r\ntransfer-encoding: chunked\r\n\r\n`);
      await c.write(`${body.byteLength.toString(16)}\r\n`);
      await c.write(body);
      await c.write('\r\n0\r\n\r\n');
      expect((await c.answer())?.status).toBe(429);
      expect(s.events).toEqual(['rejected:slo_unattainable']);
    } finally {
      c.close();
    }
  });

  it('a JSON header that stops halfway is waited for a second, then left to the normal path, which answers once the body is in', async () => {
    const s = await setup();
    const r = binaryRequest(detInput(100), detTensor());
    const c = new RawConnection(s.server.port);
    try {
      await c.write(r.head);
      await c.write(r.header.subarray(0, 10));
      expect(await c.answer(1200)).toBeUndefined();
      await c.write(r.header.subarray(10));
      await c.write(r.tensor);
      expect((await c.answer())?.status).toBe(429);
      expect(s.events).toEqual(['rejected:slo_unattainable']);
    } finally {
      c.close();
    }
  });

  it('a client that leaves after its JSON header, or in the middle of it: nothing breaks, the next client is served', async () => {
    const s = await setup();
    const r = binaryRequest(detInput(100), detTensor());
    const a = new RawConnection(s.server.port);
    await a.write(r.head + r.header.toString('latin1'));
    a.close();
    const b = new RawConnection(s.server.port);
    await b.write(r.head + r.header.subarray(0, 5).toString('latin1'));
    b.close();
    await new Promise((res) => setTimeout(res, 20));
    const c = new RawConnection(s.server.port);
    try {
      await c.write(r.head + r.header.toString('latin1'));
      expect((await c.answer())?.status).toBe(429);
    } finally {
      c.close();
    }
  });

  it('tokens and drain are the normal path\'s: 401 without a token (after the body), 503 while draining', async () => {
    const s = await setup({ tokens: { inferToken: 'sekret' } });
    const r = binaryRequest(detInput(100), detTensor());
    const c = new RawConnection(s.server.port);
    try {
      await c.write(r.head + r.header.toString('latin1'));
      expect(await c.answer(100)).toBeUndefined();
      await c.write(r.tensor);
      expect((await c.answer())?.status).toBe(401);
      const authed = binaryRequest(detInput(100), detTensor(), { authorization: 'Bearer sekret' });
      await c.write(authed.head + authed.header.toString('latin1'));
      expect((await c.answer())?.status).toBe(429);
      await c.write(authed.tensor);
      s.core.draining = true;
      await c.write(authed.head + authed.header.toString('latin1'));
      expect(await c.answer(100)).toBeUndefined();
      await c.write(authed.tensor);
      expect((await c.answer())?.status).toBe(503);
    } finally {
      c.close();
    }
  });
});
