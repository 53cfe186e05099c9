// The data plane's two ends against each other (issue 13 point 3): the
// client's DataChannels and a worker's DataPort with its Staging, over real
// loopback sockets. What the controller will do (admit, dispatch, name the
// ticket in an action) is played here by calling Staging.expect directly.
import { status as Status } from '@grpc/grpc-js';
import { afterEach, describe, expect, it } from 'vitest';
import { DataChannels } from '../client/data-channel.js';
import { PunctualClientError } from '../client/errors.js';
import { systemClock } from '../common/clock.js';
import type { WireTensor } from '../common/tensor.js';
import { DataPort } from '../worker/data-port.js';
import { Staging } from '../worker/staging.js';

const X = [{ name: 'x', dtype: 'float32' as const, shape: [1, 4] }];
const ticket = (n: number) => n.toString(16).padStart(32, '0');
const x = (v: number): WireTensor => ({ name: 'x', dtype: 'float32', shape: [1, 4], data: new Uint8Array(new Float32Array([v, v, v, v]).buffer) });

const ports: DataPort[] = [];
let channels: DataChannels;
afterEach(async () => {
  channels?.close();
  for (const p of ports.splice(0)) await p.close();
});

async function worker(holdUnknownMs = 20) {
  const staging = new Staging({ clock: systemClock, maxBytes: 1 << 20, holdUnknownMs });
  const port = await DataPort.listen({ port: 0, staging, log: () => undefined });
  ports.push(port);
  /** What an executor will do: wait for the ticket's tensors, "run" (double them), answer. */
  const run = async (t: string, windowMs = 5000) => {
    const [input] = await staging.expect(t, { tensors: X, latestMs: systemClock.now() + windowMs });
    const v = new Float32Array(new Uint8Array(input!.data).buffer).map((a) => a * 2);
    port.answer(t, [{ name: 'y', dtype: 'float32', shape: [1, 4], data: new Uint8Array(v.buffer) }], 0.5);
  };
  return { staging, port, run, address: `127.0.0.1:${port.port}` };
}

async function failure(p: Promise<unknown>): Promise<PunctualClientError> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(PunctualClientError);
  return e as PunctualClientError;
}

describe('data plane: client to worker', () => {
  it('stages a request on the worker its action names and gets its outputs back, many at once on one connection', async () => {
    const w = await worker();
    channels = new DataChannels();
    const runs = Array.from({ length: 20 }, (_, i) => w.run(ticket(i + 1)));
    const answers = await Promise.all(Array.from({ length: 20 }, (_, i) => channels.stage(w.address, ticket(i + 1), [x(i)], 2000)));
    await Promise.all(runs);
    answers.forEach((a, i) => {
      expect(a.execMs).toBe(0.5);
      expect([...new Float32Array(new Uint8Array(a.outputs[0]!.data).buffer)]).toEqual([2 * i, 2 * i, 2 * i, 2 * i]);
    });
    expect(channels.size()).toBe(1);
  });

  it('ends a stage no action names with PERMISSION_DENIED (no_admission), and one past its window with DEADLINE_EXCEEDED (outside_window)', async () => {
    const w = await worker();
    channels = new DataChannels();
    const forged = await failure(channels.stage(w.address, ticket(99), [x(1)], 2000));
    expect(forged.code).toBe(Status.PERMISSION_DENIED);
    expect(forged.reason).toBe('no_admission');
    expect(forged.message).toMatch(/refused the request's tensors: no action on this worker names this ticket/);
    const late = w.run(ticket(5), 10).catch(() => undefined);
    await new Promise((r) => setTimeout(r, 30));
    const e = await failure(channels.stage(w.address, ticket(5), [x(1)], 2000));
    expect(e.code).toBe(Status.DEADLINE_EXCEEDED);
    expect(e.reason).toBe('outside_window');
    await late;
    // The connection serves the next request.
    const ok = w.run(ticket(6));
    expect((await channels.stage(w.address, ticket(6), [x(3)], 2000)).outputs).toHaveLength(1);
    await ok;
  });

  it('ends stages with UNAVAILABLE when the worker goes, and connects again for the next', async () => {
    const w = await worker(5000);
    channels = new DataChannels();
    const held = channels.stage(w.address, ticket(7), [x(1)], 5000); // held: no action names it yet
    await new Promise((r) => setTimeout(r, 30));
    await w.port.close();
    const gone = await failure(held);
    expect(gone.code).toBe(Status.UNAVAILABLE);
    expect(gone.message).toMatch(/closed the connection|ECONNRESET/);
    const refused = await failure(channels.stage(w.address, ticket(8), [x(1)], 2000));
    expect(refused.code).toBe(Status.UNAVAILABLE);
    expect(refused.message).toMatch(/ECONNREFUSED/);
  });

  it('times a stage out with DEADLINE_EXCEEDED, and refuses an address that is not host:port', async () => {
    const w = await worker(5000);
    channels = new DataChannels();
    const e = await failure(channels.stage(w.address, ticket(9), [x(1)], 40));
    expect(e.code).toBe(Status.DEADLINE_EXCEEDED);
    expect(e.reason).toBe('data_plane_timeout');
    for (const bad of ['nohost', 'h:0', 'h:99999', '[::1', ':5']) {
      expect((await failure(channels.stage(bad, ticket(10), [x(1)], 100))).code).toBe(Status.INVALID_ARGUMENT);
    }
  });

  it('keeps one connection per worker', async () => {
    const a = await worker();
    const b = await worker();
    channels = new DataChannels();
    const runs = [a.run(ticket(1)), b.run(ticket(2))];
    await Promise.all([channels.stage(a.address, ticket(1), [x(1)], 2000), channels.stage(b.address, ticket(2), [x(2)], 2000)]);
    await Promise.all(runs);
    expect(channels.size()).toBe(2);
  });
});
