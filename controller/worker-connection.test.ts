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
