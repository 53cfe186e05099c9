// Clock offset between controller and worker is measured over the stream,
// from the ping with the smallest round trip. Model bytes are read from the
// model's file chunk by chunk, sent as the stream drains, never whole in memory.
import { EventEmitter } from 'node:events';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../common/clock.js';
import { sha256 } from '../common/hash.js';
import type { ModelFile } from '../profiles/profiler.js';
import { WorkerConnection, type WorkerStream } from './worker-connection.js';

interface ModelBytes {
  offset: number;
  totalSize: number;
  chunk: Uint8Array;
  last: boolean;
  sha256: string;
}

/** A fake stream; `full`: every write says the buffer is full (write() returns false) until the test emits 'drain'. */
function connection(clock: ManualClock, o: { full?: boolean } = {}): { conn: WorkerConnection; sent: unknown[]; stream: EventEmitter; lastSent: Promise<void> } {
  const sent: unknown[] = [];
  const emitter = new EventEmitter();
  let onLast!: () => void;
  const lastSent = new Promise<void>((r) => (onLast = r));
  const stream = Object.assign(emitter, {
    write: (m: unknown) => {
      sent.push(m);
      if ((m as { modelBytes?: ModelBytes }).modelBytes?.last) onLast();
      return !o.full;
    },
  });
  return { conn: new WorkerConnection('w1', 'test', stream as unknown as WorkerStream, [], [], clock), sent, stream: emitter, lastSent };
}

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

function modelFile(data: Uint8Array): ModelFile {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'punctual-conn-'));
  dirs.push(dir);
  const file = path.join(dir, 'model.onnx');
  fs.writeFileSync(file, data);
  return { file, size: data.byteLength, sha256: sha256(data) };
}

describe('WorkerConnection clock', () => {
  it('takes the offset from the fastest round trip', () => {
    const clock = new ManualClock(1000);
    const { conn } = connection(clock);
    // Worker clock = controller clock + 500. A slow, asymmetric sample...
    clock.set(1010);
    conn.onPong(1000, 1000 + 500 + 9); // sent at 1000, answered at 1009 (controller time), back at 1010
    // ...and a fast, symmetric one.
    clock.set(1022);
    conn.onPong(1020, 1021 + 500);
    expect(conn.rtt).toBe(2);
    expect(conn.offset).toBeCloseTo(500, 6);
    expect(conn.toWorker(2000)).toBeCloseTo(2500, 6);
    expect(conn.toController(2500)).toBeCloseTo(2000, 6);
  });

  it('sends pings carrying the controller clock', () => {
    const clock = new ManualClock(42);
    const { conn, sent } = connection(clock);
    conn.ping();
    conn.ping();
    expect(sent).toEqual([{ ping: { id: 1, controllerMs: 42 } }, { ping: { id: 2, controllerMs: 42 } }]);
  });

  it('streams the model file in chunks and resolves on the ack', async () => {
    const { conn, sent, lastSent } = connection(new ManualClock(0));
    const data = new Uint8Array(2.5 * 1024 * 1024).map((_, i) => i % 251);
    const m = modelFile(data);
    const done = conn.ensureBytes('m@1', m);
    await lastSent;
    const chunks = sent.map((x) => (x as { modelBytes: ModelBytes }).modelBytes);
    expect(chunks.map((c) => [c.offset, c.chunk.byteLength, c.last, c.totalSize])).toEqual([
      [0, 1024 * 1024, false, data.byteLength],
      [1024 * 1024, 1024 * 1024, false, data.byteLength],
      [2 * 1024 * 1024, 0.5 * 1024 * 1024, true, data.byteLength],
    ]);
    expect(Buffer.concat(chunks.map((c) => c.chunk)).equals(Buffer.from(data))).toBe(true);
    expect(chunks.map((c) => c.sha256)).toEqual(['', '', m.sha256]);
    conn.onBytesAck('m@1', true, '');
    await done;
    expect(conn.cached.has('m@1')).toBe(true);
    // Already cached: nothing is sent again.
    await conn.ensureBytes('m@1', m);
    expect(sent).toHaveLength(3);
  });

  it('waits for the stream to drain before reading and sending the next chunk', async () => {
    const { conn, sent, stream, lastSent } = connection(new ManualClock(0), { full: true });
    const m = modelFile(new Uint8Array(3 * 1024 * 1024 + 1));
    const done = conn.ensureBytes('m@1', m);
    // After each write the stream says it is full; the transfer then waits for 'drain' (listens for it), having sent nothing more.
    const waitingForDrain = (): Promise<void> =>
      new Promise((r) => {
        if (stream.listenerCount('drain') > 0) return r();
        const on = (event: string): void => {
          if (event !== 'drain') return;
          stream.off('newListener', on);
          r();
        };
        stream.on('newListener', on);
      });
    for (let n = 1; n <= 3; n++) {
      await waitingForDrain();
      expect(sent).toHaveLength(n);
      stream.emit('drain');
    }
    await lastSent;
    expect(sent).toHaveLength(4);
    expect((sent[3] as { modelBytes: ModelBytes }).modelBytes.last).toBe(true);
    conn.onBytesAck('m@1', true, '');
    await done;
  });

  it('runs one transfer per model: a second call joins the first', async () => {
    const { conn, sent, lastSent } = connection(new ManualClock(0));
    const m = modelFile(new Uint8Array(1.5 * 1024 * 1024));
    const a = conn.ensureBytes('m@1', m);
    const b = conn.ensureBytes('m@1', m);
    await lastSent;
    conn.onBytesAck('m@1', true, '');
    await Promise.all([a, b]);
    expect(sent).toHaveLength(2);
  });

  it('a model file that vanished gives a clear error, not a crash, and leaves no waiter', async () => {
    const { conn, sent } = connection(new ManualClock(0));
    const m = modelFile(new Uint8Array(10));
    fs.rmSync(m.file);
    await expect(conn.ensureBytes('m@1', m)).rejects.toThrow(/cannot read the file of m@1: ENOENT/);
    expect(sent).toEqual([]);
    // A later ack for it (there is none to wait for) changes nothing but the cache.
    conn.close();
  });

  it('rejects a waiting transfer when the worker leaves', async () => {
    const { conn } = connection(new ManualClock(0));
    const done = conn.ensureBytes('m@1', modelFile(new Uint8Array(10)));
    conn.close();
    await expect(done).rejects.toThrow(/left before taking m@1/);
    await expect(conn.ensureBytes('m@2', modelFile(new Uint8Array(10)))).rejects.toThrow(/left before taking m@2/);
  });
});

describe('WorkerConnection bytes by content', () => {
  const bytesOf = (sent: unknown[]): ModelBytes[] => sent.flatMap((x) => ((x as { modelBytes?: ModelBytes }).modelBytes ? [(x as { modelBytes: ModelBytes }).modelBytes] : []));
  /** Acks every ModelBytes as it is written, as a worker would; `answer` decides each ack. */
  function autoAck(answer: (b: ModelBytes & { modelKey: string; byContent?: boolean }) => { ok: boolean; message?: string; contentUnknown?: boolean }): {
    conn: WorkerConnection;
    sent: unknown[];
  } {
    const sent: unknown[] = [];
    const box: { conn?: WorkerConnection } = {};
    const stream = Object.assign(new EventEmitter(), {
      write: (m: unknown) => {
        sent.push(m);
        const b = (m as { modelBytes?: ModelBytes & { modelKey: string; byContent?: boolean } }).modelBytes;
        if (b?.last) {
          const a = answer(b);
          queueMicrotask(() => box.conn!.onBytesAck(b.modelKey, a.ok, a.message ?? '', a.contentUnknown ?? false));
        }
        return true;
      },
    });
    box.conn = new WorkerConnection('w1', 'test', stream as unknown as WorkerStream, [], [], new ManualClock(0));
    return { conn: box.conn, sent };
  }

  it('sends the bytes of one content once and names them for every other model with that content', async () => {
    const { conn, sent } = autoAck(() => ({ ok: true }));
    const m = modelFile(new Uint8Array(1.5 * 1024 * 1024).map((_, i) => i % 7));
    await Promise.all(Array.from({ length: 5 }, (_, i) => conn.ensureBytes(`c-${i}@1`, m)));
    const msgs = bytesOf(sent);
    expect(msgs.filter((b) => !(b as { byContent?: boolean }).byContent)).toHaveLength(2); // one transfer: two chunks
    const named = msgs.filter((b) => (b as { byContent?: boolean }).byContent);
    expect(named).toHaveLength(4);
    expect(named.every((b) => b.sha256 === m.sha256 && b.totalSize === m.size && b.chunk.byteLength === 0 && b.last && b.offset === 0)).toBe(true);
    expect(conn.bytesSent).toEqual({ transfers: 1, named: 4 });
    expect([...conn.cached].sort()).toEqual(['c-0@1', 'c-1@1', 'c-2@1', 'c-3@1', 'c-4@1']);
  });

  it('sends the bytes again once every model holding them was forgotten', async () => {
    const { conn } = autoAck(() => ({ ok: true }));
    const m = modelFile(new Uint8Array(100));
    await conn.ensureBytes('a@1', m);
    await conn.ensureBytes('b@1', m);
    conn.forget('a@1');
    await conn.ensureBytes('c@1', m); // b@1 still holds them
    expect(conn.bytesSent).toEqual({ transfers: 1, named: 2 });
    conn.forget('b@1');
    conn.forget('c@1');
    await conn.ensureBytes('d@1', m);
    expect(conn.bytesSent).toEqual({ transfers: 2, named: 2 });
  });

  it('a worker that does not know by_content gets the bytes themselves, from then on without asking', async () => {
    // What a worker from before by_content answers: an empty transfer is a short one.
    const { conn, sent } = autoAck((b) => (b.byContent ? { ok: false, message: `model ${b.modelKey}: last chunk arrived after 0 of ${b.totalSize} bytes` } : { ok: true }));
    const m = modelFile(new Uint8Array(100));
    for (const k of ['a@1', 'b@1', 'c@1']) await conn.ensureBytes(k, m);
    expect(conn.bytesSent).toEqual({ transfers: 3, named: 0 });
    expect(bytesOf(sent).filter((b) => (b as { byContent?: boolean }).byContent)).toHaveLength(1);
    expect(conn.cached.size).toBe(3);
  });

  it('content the worker says it does not hold is sent, and naming goes on for later models', async () => {
    let refuse = true;
    const { conn } = autoAck((b) => (b.byContent && refuse ? ((refuse = false), { ok: false, contentUnknown: true, message: 'no bytes' }) : { ok: true }));
    const m = modelFile(new Uint8Array(100));
    // Announced in Hello, so taken to hold m's content: but the worker no longer does.
    conn.cached.add('old@1');
    await conn.ensureBytes('old@1', m);
    await conn.ensureBytes('a@1', m);
    await conn.ensureBytes('b@1', m);
    expect(conn.bytesSent).toEqual({ transfers: 1, named: 1 });
  });

  it('a refused transfer rejects with the worker\'s message', async () => {
    const { conn } = autoAck(() => ({ ok: false, message: 'sha256 mismatch' }));
    await expect(conn.ensureBytes('m@1', modelFile(new Uint8Array(10)))).rejects.toThrow(/could not take the bytes of m@1: sha256 mismatch/);
    expect(conn.cached.has('m@1')).toBe(false);
  });
});

describe('WorkerConnection writes', () => {
  /** A stream whose writes finish when the test says (as grpc-js's do, an event-loop turn or more later). */
  function slowStream(): { stream: WorkerStream; written: unknown[]; finish: () => void } {
    const written: unknown[] = [];
    const pending: (() => void)[] = [];
    const stream = Object.assign(new EventEmitter(), {
      write: (m: unknown, done?: () => void) => {
        written.push(m);
        if (done) pending.push(done);
        return true;
      },
    });
    return { stream: stream as unknown as WorkerStream, written, finish: () => pending.shift()?.() };
  }
  const infer = (id: number) => ({ action: { id, type: 'INFER' as const, executor: 0, modelKey: 'm@1' } });

  it('to a worker that takes batches: actions waiting behind a write leave in one ActionBatch, pings in their place', () => {
    const { stream, written, finish } = slowStream();
    const conn = new WorkerConnection('w1', 'test', stream, [], [], new ManualClock(0), '', true);
    conn.send(infer(1));
    conn.send(infer(2));
    conn.send(infer(3));
    conn.ping();
    conn.send(infer(4));
    expect(written).toEqual([infer(1)]);
    expect(conn.unsent).toBe(4);
    finish();
    expect(written.slice(1)).toEqual([{ actions: { actions: [infer(2).action, infer(3).action] } }, { ping: { id: 1, controllerMs: 0 } }, infer(4)]);
    expect(conn.unsent).toBe(0);
  });

  it('to a worker that does not (an older one): every message as it comes', () => {
    const { stream, written } = slowStream();
    const conn = new WorkerConnection('w1', 'test', stream, [], [], new ManualClock(0), '');
    for (let id = 1; id <= 3; id++) conn.send(infer(id));
    expect(written).toEqual([infer(1), infer(2), infer(3)]);
  });

  it('sends nothing once closed, queued messages included', () => {
    const { stream, written, finish } = slowStream();
    const conn = new WorkerConnection('w1', 'test', stream, [], [], new ManualClock(0), '', true);
    conn.send(infer(1));
    conn.send(infer(2));
    conn.close();
    finish();
    conn.send(infer(3));
    expect(written).toEqual([infer(1)]);
  });
});
