// Clock offset between controller and worker is measured over the stream,
// from the ping with the smallest round trip.
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../common/clock.js';
import { WorkerConnection, type WorkerStream } from './worker-connection.js';

function connection(clock: ManualClock): { conn: WorkerConnection; sent: unknown[] } {
  const sent: unknown[] = [];
  const stream = { write: (m: unknown) => sent.push(m) } as unknown as WorkerStream;
  return { conn: new WorkerConnection('w1', 'test', stream, [], [], clock), sent };
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

  it('streams model bytes in chunks and resolves on the ack', async () => {
    const clock = new ManualClock(0);
    const { conn, sent } = connection(clock);
    const bytes = new Uint8Array(2.5 * 1024 * 1024).fill(7);
    const done = conn.ensureBytes('m@1', bytes);
    expect(sent).toHaveLength(3);
    const last = sent[2] as { modelBytes: { last: boolean; sha256: string; offset: number } };
    expect(last.modelBytes.last).toBe(true);
    expect(last.modelBytes.offset).toBe(2 * 1024 * 1024);
    expect(last.modelBytes.sha256).toMatch(/^[0-9a-f]{64}$/);
    conn.onBytesAck('m@1', true, '');
    await done;
    expect(conn.cached.has('m@1')).toBe(true);
    // Already cached: nothing is sent again.
    await conn.ensureBytes('m@1', bytes);
    expect(sent).toHaveLength(3);
  });

  it('rejects a waiting transfer when the worker leaves', async () => {
    const { conn } = connection(new ManualClock(0));
    const done = conn.ensureBytes('m@1', new Uint8Array(10));
    conn.close();
    await expect(done).rejects.toThrow(/left before taking m@1/);
  });
});
