// Admin.RegisterModel's upload receiver against a real in-process gRPC server
// on port 0: bytes land in a temporary file with their SHA-256; every failure
// (cap, truncated, checksum, refused meta, cancelled, idle) removes the file
// and frees the slot; a slow disk pauses the call, so about one chunk is held
// in memory however fast the client sends; the (N+1)th upload is refused at
// once without its bytes being read. The idle timer is checked against a fake
// call and fake timers where a real one would need a sleep.
import crypto from 'node:crypto';
import { EventEmitter } from 'node:events';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { invalidArgument, toServiceError } from '../../common/errors.js';
import { CHANNEL_OPTIONS, createServer, protos } from '../../common/protos.js';
import type { RegisterMetadata__Output, RegisterModelRequest, RegisterModelResponse__Output } from '../../common/wire.js';
import { openFileSink, UploadReceiver, type OpenSink, type Upload, type UploadCall, type UploadLimits } from './register-upload.js';

const KiB = 1024;
const sha = (b: Uint8Array): string => crypto.createHash('sha256').update(b).digest('hex');

type AdminStub = InstanceType<ReturnType<typeof protos>['admin']['punctual']['v1']['Admin']>;

interface Outcome {
  status: string;
  message: string;
}

interface Harness {
  receiver: UploadReceiver;
  dir: string;
  /** What the server saw, in order: the received file's bytes, or the error. */
  results: ({ upload: Upload; bytes: Buffer } | { error: unknown })[];
  /** Resolves at the server's next outcome. */
  nextResult(): Promise<void>;
  /** The `data` listeners each call had once receive() returned: 0 means its bytes were never read. */
  dataListeners: number[];
  upload(messages: RegisterModelRequest[], end?: boolean): { call: grpc.ClientWritableStream<RegisterModelRequest>; done: Promise<Outcome> };
}

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
  vi.useRealTimers();
});

async function harness(limits: UploadLimits, openSink?: (call: UploadCall) => OpenSink, checkMeta?: (m: RegisterMetadata__Output) => void): Promise<Harness> {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'punctual-upload-'));
  cleanups.push(() => fs.rmSync(root, { recursive: true, force: true }));
  const dir = path.join(root, '.uploads');
  const calls: UploadCall[] = [];
  // The sink factory may look at the call it serves (its read-ahead buffer).
  const receiver = new UploadReceiver(dir, limits, (file) => (openSink ? openSink(calls.at(-1)!)(file) : openFileSink(file)));
  const results: Harness['results'] = [];
  const events = new EventEmitter();
  const dataListeners: number[] = [];
  const server = createServer();
  const handlers = {
    RegisterModel: (call: UploadCall, cb: grpc.sendUnaryData<RegisterModelResponse__Output>) => {
      calls.push(call);
      const receiving = receiver.receive(call, checkMeta);
      dataListeners.push(call.listenerCount('data'));
      receiving.then(
        async (upload) => {
          results.push({ upload, bytes: fs.readFileSync(upload.file) });
          await upload.release();
          events.emit('result');
          cb(null, { models: [], replaced: [], readyMs: 0 });
        },
        (error: unknown) => {
          results.push({ error });
          events.emit('result');
          cb(toServiceError(error) as grpc.ServiceError);
        },
      );
    },
  };
  server.addService(protos().admin.punctual.v1.Admin.service, handlers as unknown as grpc.UntypedServiceImplementation);
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
  );
  const stubs: AdminStub[] = [];
  cleanups.push(() => {
    for (const s of stubs) s.close();
    server.forceShutdown();
  });
  return {
    receiver,
    dir,
    results,
    dataListeners,
    nextResult: () => new Promise((r) => events.once('result', () => r())),
    upload: (messages, end = true) => {
      const stub = new (protos().admin.punctual.v1.Admin)(`127.0.0.1:${port}`, grpc.credentials.createInsecure(), CHANNEL_OPTIONS);
      stubs.push(stub);
      let call!: grpc.ClientWritableStream<RegisterModelRequest>;
      const done = new Promise<Outcome>((resolve) => {
        call = stub.RegisterModel((err: grpc.ServiceError | null) =>
          resolve(err ? { status: grpc.status[err.code] ?? String(err.code), message: err.details } : { status: 'OK', message: '' }),
        );
        for (const m of messages) call.write(m);
        if (end) call.end();
      });
      return { call, done };
    },
  };
}

function meta(data: Uint8Array, o: Partial<RegisterMetadata__Output> = {}): RegisterModelRequest {
  return { meta: { name: 'm', size: data.byteLength, sha256: sha(data), ...o } };
}

function chunks(data: Uint8Array, size: number): RegisterModelRequest[] {
  const out: RegisterModelRequest[] = [];
  for (let at = 0; at < data.byteLength; at += size) out.push({ chunk: data.subarray(at, at + size) });
  return out;
}

const leftovers = (dir: string): string[] => (fs.existsSync(dir) ? fs.readdirSync(dir) : []);

describe('UploadReceiver', () => {
  it('streams the bytes into a temporary file with the right content, size and SHA-256, removed on release', async () => {
    const h = await harness({ maxBytes: 8 * 1024 * KiB });
    const data = crypto.randomBytes(3.5 * 1024 * KiB);
    const { done } = h.upload([meta(data), ...chunks(data, 1024 * KiB)]);
    expect(await done).toEqual({ status: 'OK', message: '' });
    const r = h.results[0]!;
    if (!('upload' in r)) throw new Error(`upload failed: ${String(r.error)}`);
    expect(path.dirname(r.upload.file)).toBe(h.dir);
    expect(r.upload.file).toMatch(/\.part$/);
    expect(r.bytes.equals(data)).toBe(true);
    expect(r.upload).toMatchObject({ size: data.byteLength, sha256: sha(data), meta: { name: 'm' } });
    expect(leftovers(h.dir)).toEqual([]);
    expect(h.receiver.inProgress).toBe(0);
  });

  it('refuses a declared size over the cap before any byte, and an upload that grows past it as the bytes arrive', async () => {
    const h = await harness({ maxBytes: 64 * KiB });
    const big = new Uint8Array(100 * KiB);
    expect(await h.upload([meta(big)], false).done).toEqual({
      status: 'INVALID_ARGUMENT',
      message: `model file of ${100 * KiB} bytes is larger than the controller's limit of ${64 * KiB} bytes (--max-model-bytes)`,
    });
    expect(leftovers(h.dir)).toEqual([]);
    // Declares exactly the cap, then sends more; never ends: refused as the bytes arrive, not at the end.
    const lie = new Uint8Array(64 * KiB);
    const { done } = h.upload([meta(lie), ...chunks(new Uint8Array(96 * KiB), 32 * KiB)], false);
    expect(await done).toMatchObject({ status: 'INVALID_ARGUMENT', message: expect.stringMatching(/^model file of 98304 bytes is larger than/) });
    expect(leftovers(h.dir)).toEqual([]);
    expect(h.receiver.inProgress).toBe(0);
  });

  it('refuses a truncated upload, a checksum mismatch and refused metadata, leaving no file', async () => {
    const h = await harness({ maxBytes: 64 * KiB }, undefined, (m) => {
      if (m.version > 5) throw invalidArgument('version too high');
    });
    const data = crypto.randomBytes(10 * KiB);
    const cases: [RegisterModelRequest[], Outcome][] = [
      [[meta(data), { chunk: data.subarray(0, 50) }], { status: 'INVALID_ARGUMENT', message: `truncated upload: received 50 of ${data.byteLength} bytes` }],
      [[meta(data, { sha256: sha(new Uint8Array(1)) }), { chunk: data }], { status: 'INVALID_ARGUMENT', message: expect.stringMatching(/^checksum mismatch/) as unknown as string }],
      [[meta(data, { version: 6 }), { chunk: data }], { status: 'INVALID_ARGUMENT', message: 'version too high' }],
      [[{ chunk: data }], { status: 'INVALID_ARGUMENT', message: expect.stringMatching(/first message of RegisterModel must carry meta/) as unknown as string }],
      [[meta(data), { chunk: data.subarray(0, 10) }, meta(data)], { status: 'INVALID_ARGUMENT', message: 'meta may only come in the first message' }],
    ];
    for (const [messages, want] of cases) {
      expect(await h.upload(messages).done).toEqual(want);
      expect(leftovers(h.dir)).toEqual([]);
    }
    expect(h.receiver.inProgress).toBe(0);
  });

  it('removes the file and frees the slot when the client cancels', async () => {
    let opened!: () => void;
    const isOpen = new Promise<void>((r) => (opened = r));
    const h = await harness({ maxBytes: 64 * KiB }, () => async (file) => {
      const sink = await openFileSink(file);
      opened();
      return sink;
    });
    const data = crypto.randomBytes(10 * KiB);
    const { call, done } = h.upload([meta(data), { chunk: data.subarray(0, 100) }], false);
    await isOpen;
    expect(leftovers(h.dir)).toHaveLength(1);
    const result = h.nextResult();
    call.cancel();
    await result;
    expect((await done).status).toBe('CANCELLED');
    expect(leftovers(h.dir)).toEqual([]);
    expect(h.receiver.inProgress).toBe(0);
  });

  it('holds about one chunk in memory while the disk is slow, however fast the client sends', async () => {
    const chunk = 256 * KiB;
    const data = crypto.randomBytes(32 * chunk);
    let writing = 0;
    let overlapped = false;
    let readAhead = 0;
    const h = await harness({ maxBytes: data.byteLength }, (call) => async (file) => {
      const real = await openFileSink(file);
      return {
        ...real,
        // A slow disk: each write takes a few event-loop turns more than it needs.
        write: async (c) => {
          writing++;
          overlapped ||= writing > 1;
          readAhead = Math.max(readAhead, call.readableLength);
          for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
          await real.write(c);
          writing--;
        },
      };
    });
    const { done } = h.upload([meta(data), ...chunks(data, chunk)]);
    expect(await done).toEqual({ status: 'OK', message: '' });
    const r = h.results[0]!;
    expect('bytes' in r && r.bytes.equals(data)).toBe(true);
    expect(overlapped).toBe(false);
    // Received but not yet on disk: one chunk at a time; and the call read at most one message ahead.
    expect(h.receiver.peakBufferedBytes).toBe(chunk);
    expect(readAhead).toBeLessThanOrEqual(1);
  });

  it('abandons an upload that sends nothing for the idle timeout: DEADLINE_EXCEEDED, file removed, slot freed', async () => {
    const h = await harness({ maxBytes: 64 * KiB, idleTimeoutMs: 50 });
    const data = crypto.randomBytes(10 * KiB);
    const { done } = h.upload([meta(data), { chunk: data.subarray(0, 100) }], false);
    expect(await done).toEqual({ status: 'DEADLINE_EXCEEDED', message: 'no upload data for 0.05 s: upload abandoned' });
    expect(leftovers(h.dir)).toEqual([]);
    expect(h.receiver.inProgress).toBe(0);
    // A client that never even sends its meta is abandoned too.
    expect((await h.upload([], false).done).status).toBe('DEADLINE_EXCEEDED');
    expect(h.receiver.inProgress).toBe(0);
  });

  it('refuses the (N+1)th concurrent upload at once, without reading it, and takes a new one after one finishes', async () => {
    let count = 0;
    const waiting: { n: number; r: () => void }[] = [];
    const h = await harness({ maxBytes: 64 * KiB, maxConcurrent: 2 }, () => async (file) => {
      const sink = await openFileSink(file);
      count++;
      for (const w of waiting.filter((x) => x.n <= count)) w.r();
      return sink;
    });
    const sinksOpened = (n: number): Promise<void> => (count >= n ? Promise.resolve() : new Promise((r) => waiting.push({ n, r })));
    const a = crypto.randomBytes(10 * KiB);
    const b = crypto.randomBytes(10 * KiB);
    const first = h.upload([meta(a), { chunk: a.subarray(0, 1000) }], false);
    const second = h.upload([meta(b), { chunk: b.subarray(0, 1000) }], false);
    await sinksOpened(2);
    expect(h.receiver.inProgress).toBe(2);

    const third = h.upload([meta(a), ...chunks(a, 4 * KiB)]);
    expect(await third.done).toEqual({
      status: 'RESOURCE_EXHAUSTED',
      message: '2 model uploads are in progress (--max-concurrent-uploads); retry when one finishes',
    });
    expect(h.dataListeners[2]).toBe(0); // its bytes were never read
    expect(count).toBe(2);

    first.call.write({ chunk: a.subarray(1000) });
    first.call.end();
    expect(await first.done).toEqual({ status: 'OK', message: '' });
    expect(h.receiver.inProgress).toBe(1);
    const fourth = h.upload([meta(a), { chunk: a }]);
    expect(await fourth.done).toEqual({ status: 'OK', message: '' });

    second.call.write({ chunk: b.subarray(1000) });
    second.call.end();
    expect(await second.done).toEqual({ status: 'OK', message: '' });
    expect(h.receiver.inProgress).toBe(0);
    expect(leftovers(h.dir)).toEqual([]);
  });
});

/** A call as the receiver uses it: an EventEmitter that records pause and resume. */
class FakeCall extends EventEmitter {
  paused = false;
  readableLength = 0;
  pause(): this {
    this.paused = true;
    return this;
  }
  resume(): this {
    this.paused = false;
    this.emit('resumed');
    return this;
  }
}

describe('UploadReceiver idle timer', () => {
  it('does not count a slow disk write as the client being idle', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'punctual-upload-'));
    cleanups.push(() => fs.rmSync(root, { recursive: true, force: true }));
    let finishWrite!: () => void;
    let writeStarted!: () => void;
    const started = new Promise<void>((r) => (writeStarted = r));
    const receiver = new UploadReceiver(path.join(root, '.uploads'), { maxBytes: 1024, idleTimeoutMs: 1000 }, async (file) => {
      const real = await openFileSink(file);
      return {
        ...real,
        write: async (c) => {
          writeStarted();
          await new Promise<void>((r) => (finishWrite = r));
          await real.write(c);
        },
      };
    });
    const call = new FakeCall();
    const data = crypto.randomBytes(100);
    const outcome = receiver.receive(call as unknown as UploadCall).then(
      () => 'OK',
      (err: unknown) => (err instanceof Error ? err.message : String(err)),
    );
    call.emit('data', meta(data));
    call.emit('data', { chunk: data });
    await started;
    expect(call.paused).toBe(true);
    // The disk takes ten idle timeouts; the client is waiting on us, not idle.
    vi.advanceTimersByTime(10_000);
    const resumed = new Promise((r) => call.once('resumed', r));
    finishWrite();
    await resumed;
    // Now it is the client's turn: idle from here.
    vi.advanceTimersByTime(999);
    expect(receiver.inProgress).toBe(1);
    vi.advanceTimersByTime(1);
    expect(await outcome).toBe('no upload data for 1 s: upload abandoned');
    expect(receiver.inProgress).toBe(0);
    expect(fs.readdirSync(path.join(root, '.uploads'))).toEqual([]);
  });
});
