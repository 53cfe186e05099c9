import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { systemClock } from '../common/clock.js';
import { decodeDataFrame, encodeDataFrame, type DataFrame, type DataMessage } from '../common/data-frames.js';
import { FrameDecoder, frameHeader } from '../common/length-frames.js';
import { DataChannels } from '../client/data-channel.js';
import { selfSignedCertificate } from '../test/support/self-signed.js';
import { DataPort, NO_TICKET } from './data-port.js';
import { Staging } from './staging.js';

const X = [{ name: 'x', dtype: 'float32' as const, shape: [1, 4] }];
const T1 = '1'.repeat(32);
const T2 = '2'.repeat(32);

/** A raw client: writes bytes, reads frames, knows when it was closed. */
class Client {
  readonly frames: DataFrame[] = [];
  closed = false;
  private readonly decoder = new FrameDecoder(1 << 24);
  private waiters: (() => void)[] = [];
  constructor(readonly socket: net.Socket) {
    socket.on('data', (c: Buffer) => {
      for (const f of this.decoder.push(c)) this.frames.push(decodeDataFrame(f));
      this.wake();
    });
    socket.on('close', () => {
      this.closed = true;
      this.wake();
    });
    socket.on('error', () => undefined);
  }
  static async connect(port: number): Promise<Client> {
    const s = net.connect(port, '127.0.0.1');
    await new Promise((r) => s.once('connect', r));
    return new Client(s);
  }
  send(message: DataMessage, bytes: Uint8Array[] = []): void {
    for (const b of encodeDataFrame(message, bytes)) this.socket.write(b);
  }
  private wake(): void {
    for (const w of this.waiters.splice(0)) w();
  }
  /** Waits until `ok()` holds (or fails after 2 s). */
  async until(ok: () => boolean): Promise<void> {
    const deadline = Date.now() + 2000;
    while (!ok()) {
      if (Date.now() > deadline) throw new Error(`timed out; frames: ${JSON.stringify(this.frames.map((f) => f.message))}`);
      await new Promise<void>((r) => {
        this.waiters.push(r);
        setTimeout(r, 50);
      });
    }
  }
}

let port: DataPort | undefined;
const clients: Client[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) c.socket.destroy();
  await port?.close();
  port = undefined;
});

async function start(opts: { maxFrameBytes?: number; maxConnections?: number; frameTimeoutMs?: number; holdUnknownMs?: number } = {}) {
  const staging = new Staging({ clock: systemClock, maxBytes: 1 << 20, holdUnknownMs: opts.holdUnknownMs ?? 30 });
  const lines: string[] = [];
  port = await DataPort.listen({ port: 0, staging, log: (l) => lines.push(l), ...opts });
  const connect = async () => {
    const c = await Client.connect(port!.port);
    clients.push(c);
    return c;
  };
  return { staging, port, connect, lines };
}

const input = () => new Uint8Array(new Float32Array([1, 2, 3, 4]).buffer);

describe('DataPort', () => {
  it('hands a staged tensor to the action that names it, and the answer back to that client only', async () => {
    const { staging, port, connect } = await start();
    const expected = staging.expect(T1, { tensors: X, latestMs: systemClock.now() + 5000 });
    const a = await connect();
    const b = await connect();
    a.send({ kind: 'stage', ticket: T1, tensors: X }, [input()]);
    const got = await expected;
    expect([...new Float32Array(new Uint8Array(got[0]!.data).buffer)]).toEqual([1, 2, 3, 4]);
    const y = new Uint8Array(new Float32Array([9, 8]).buffer);
    expect(port.answer(T1, [{ name: 'y', dtype: 'float32', shape: [1, 2], data: y }], 3.5)).toBe(true);
    await a.until(() => a.frames.length === 1);
    expect(a.frames[0]!.message).toEqual({ kind: 'answer', ticket: T1, tensors: [{ name: 'y', dtype: 'float32', shape: [1, 2] }], execMs: 3.5 });
    expect([...new Float32Array(new Uint8Array(a.frames[0]!.tensors[0]!.data).buffer)]).toEqual([9, 8]);
    expect(b.frames).toHaveLength(0);
    expect(port.answer(T1, [], 1)).toBe(false); // answered once
  });

  it('refuses a tensor without a valid admission (no action names its ticket), and keeps the connection', async () => {
    const { staging, connect } = await start();
    const a = await connect();
    a.send({ kind: 'stage', ticket: T1, tensors: X }, [input()]);
    await a.until(() => a.frames.length === 1);
    expect(a.frames[0]!.message).toMatchObject({ kind: 'refused', ticket: T1, code: 'no_admission' });
    const expected = staging.expect(T2, { tensors: X, latestMs: systemClock.now() + 5000 });
    a.send({ kind: 'stage', ticket: T2, tensors: X }, [input()]);
    expect(await expected).toHaveLength(1);
    expect(a.closed).toBe(false);
  });

  it('refuses a tensor that arrives after its window, and its action stops waiting', async () => {
    const { staging, connect } = await start();
    const expected = staging.expect(T1, { tensors: X, latestMs: systemClock.now() + 20 });
    const failed = expected.then(
      () => 'staged',
      (e: Error) => e.message,
    );
    await new Promise((r) => setTimeout(r, 40));
    const a = await connect();
    a.send({ kind: 'stage', ticket: T1, tensors: X }, [input()]);
    await a.until(() => a.frames.length === 1);
    expect(a.frames[0]!.message).toMatchObject({ kind: 'refused', ticket: T1, code: 'outside_window', message: expect.stringMatching(/ms after the window/) });
    expect(await failed).toMatch(/not staged on this worker by the end of its start window/);
  });

  it('answers garbage with a protocol refusal naming what was wrong, closes that connection only', async () => {
    const { staging, connect } = await start();
    const bad = await connect();
    const good = await connect();
    const junk = Buffer.from('{"kind":"stage"', 'utf8');
    const len = Buffer.alloc(4);
    len.writeUInt32BE(junk.length, 0);
    bad.socket.write(Buffer.concat([frameHeader(4 + junk.length), len, junk]));
    await bad.until(() => bad.closed);
    expect(bad.frames[0]!.message).toMatchObject({ kind: 'refused', ticket: NO_TICKET, code: 'protocol', message: expect.stringMatching(/not JSON/) });
    const expected = staging.expect(T1, { tensors: X, latestMs: systemClock.now() + 5000 });
    good.send({ kind: 'stage', ticket: T1, tensors: X }, [input()]);
    expect(await expected).toHaveLength(1);
  });

  it('refuses a frame over its limit from its header alone, and a client sending an answer', async () => {
    const { connect } = await start({ maxFrameBytes: 1024 });
    const big = await connect();
    big.socket.write(frameHeader(1 << 30));
    await big.until(() => big.closed);
    expect(big.frames[0]!.message).toMatchObject({ code: 'frame_too_large', message: expect.stringMatching(/1073741824 bytes is over the limit of 1024/) });
    const odd = await connect();
    odd.send({ kind: 'answer', ticket: T1, tensors: [], execMs: 1 });
    await odd.until(() => odd.closed);
    expect(odd.frames[0]!.message).toMatchObject({ code: 'protocol', ticket: T1, message: expect.stringMatching(/only stage frames/) });
  });

  it('closes a connection whose frame is not finished in time, and refuses connections past its limit', async () => {
    const { connect, port } = await start({ frameTimeoutMs: 50, maxConnections: 2 });
    const slow = await connect();
    const frame = Buffer.concat(encodeDataFrame({ kind: 'stage', ticket: T1, tensors: X }, [input()]));
    slow.socket.write(frame.subarray(0, 10));
    await slow.until(() => slow.closed);
    expect(slow.frames[0]!.message).toMatchObject({ code: 'protocol', message: expect.stringMatching(/not finished within 50 ms/) });
    await connect();
    await connect();
    const third = await connect();
    await third.until(() => third.closed);
    expect(third.frames[0]!.message).toMatchObject({ code: 'too_many_connections' });
    expect(port.connections()).toBe(2);
  });

  it('refuses every ticket still waiting for its answer when told to (the worker lost its controller)', async () => {
    const { staging, port, connect } = await start();
    const a = await connect();
    const expected = staging.expect(T1, { tensors: X, latestMs: systemClock.now() + 5000 });
    a.send({ kind: 'stage', ticket: T1, tensors: X }, [input()]);
    await expected;
    expect(port.waiting()).toBe(1);
    port.refuseAll('not_run', 'the worker lost its controller');
    await a.until(() => a.frames.length === 1);
    expect(a.frames[0]!.message).toMatchObject({ kind: 'refused', ticket: T1, code: 'not_run' });
    expect(port.waiting()).toBe(0);
  });

  it('survives 200 connections of random bytes, random frames and corrupted good ones, then serves a real stage', async () => {
    const { staging, port, connect } = await start({ maxFrameBytes: 1 << 16, frameTimeoutMs: 50 });
    let seed = 11;
    const rand = () => (seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32;
    const good = Buffer.concat(encodeDataFrame({ kind: 'stage', ticket: T1, tensors: X }, [input()]));
    for (let i = 0; i < 200; i++) {
      const c = await connect();
      let bytes: Buffer;
      if (i % 3 === 0) bytes = Buffer.from(Array.from({ length: 1 + Math.floor(rand() * 300) }, () => Math.floor(rand() * 256)));
      else if (i % 3 === 1) {
        const body = Buffer.from(Array.from({ length: Math.floor(rand() * 200) }, () => Math.floor(rand() * 256)));
        bytes = Buffer.concat([frameHeader(body.length), body]);
      } else {
        bytes = Buffer.from(good);
        for (let k = 0; k < 4; k++) bytes[4 + Math.floor(rand() * (bytes.length - 4))] = Math.floor(rand() * 256);
      }
      c.socket.write(bytes);
      c.socket.end();
    }
    await new Promise((r) => setTimeout(r, 200));
    const expected = staging.expect(T2, { tensors: X, latestMs: systemClock.now() + 5000 });
    const ok = await connect();
    ok.send({ kind: 'stage', ticket: T2, tensors: X }, [input()]);
    expect(await expected).toHaveLength(1);
    expect(port.answer(T2, [], 1)).toBe(true);
    await ok.until(() => ok.frames.length === 1);
    expect(ok.frames[0]!.message).toMatchObject({ kind: 'answer', ticket: T2 });
    expect(staging.bytes()).toBe(0); // the stages that were still valid were held 30 ms, then refused
  });

  it("forgets a client's tickets when it leaves: its answer goes nowhere, and nothing is held for it", async () => {
    const { staging, port, connect } = await start();
    const expected = staging.expect(T1, { tensors: X, latestMs: systemClock.now() + 5000 });
    const a = await connect();
    a.send({ kind: 'stage', ticket: T1, tensors: X }, [input()]);
    await expected;
    a.socket.destroy();
    for (let i = 0; i < 50 && port.connections() > 0; i++) await new Promise((r) => setTimeout(r, 10));
    expect(port.connections()).toBe(0);
    expect(port.answer(T1, [], 1)).toBe(false);
  });
});

describe('DataPort with TLS', () => {
  it('serves a client that trusts its certificate; one that does not, and one in the clear, get nothing staged', async () => {
    const cert = selfSignedCertificate(['localhost', '127.0.0.1']);
    const staging = new Staging({ clock: systemClock, maxBytes: 1 << 20, holdUnknownMs: 30 });
    const lines: string[] = [];
    port = await DataPort.listen({ port: 0, staging, log: (l) => lines.push(l), tls: { cert: cert.cert, key: cert.key } });
    const address = `127.0.0.1:${port.port}`;
    const trusting = new DataChannels({ tls: { ca: cert.cert } });
    const other = new DataChannels({ tls: { ca: selfSignedCertificate().cert } });
    const plain = new DataChannels({ connectTimeoutMs: 1000 });
    try {
      const expected = staging.expect(T1, { tensors: X, latestMs: systemClock.now() + 5000 });
      const answered = trusting.stage(address, T1, [{ name: 'x', dtype: 'float32', shape: [1, 4], data: input() }], 5000, true);
      const got = await expected;
      expect([...new Float32Array(new Uint8Array(got[0]!.data).buffer)]).toEqual([1, 2, 3, 4]);
      port.answer(T1, [{ name: 'y', dtype: 'float32', shape: [1, 2], data: new Uint8Array(new Float32Array([9, 8]).buffer) }], 2);
      const a = await answered;
      expect([...new Float32Array(new Uint8Array(a.outputs[0]!.data).buffer)]).toEqual([9, 8]);
      // A certificate it does not trust: the handshake fails, the stage with it (UNAVAILABLE).
      const untrusted = await other.stage(address, T2, [{ name: 'x', dtype: 'float32', shape: [1, 4], data: input() }], 5000, true).catch((e: unknown) => e);
      expect((untrusted as { code: number }).code).toBe(14);
      expect(String((untrusted as Error).message)).toMatch(/data port/);
      // Plain bytes to a TLS port: never a stage (the port sees a failed handshake and closes).
      const clear = await plain.stage(address, T2, [{ name: 'x', dtype: 'float32', shape: [1, 4], data: input() }], 2000).catch((e: unknown) => e);
      expect((clear as { code: number }).code).toBe(14);
      expect(staging.bytes()).toBe(0);
    } finally {
      trusting.close();
      other.close();
      plain.close();
    }
  });
});
