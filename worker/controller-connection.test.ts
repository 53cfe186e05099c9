// ControllerConnection against fake channels and fake timers, no sockets:
// Hello first on every stream; a fresh channel per dial, closed when its
// stream is lost; redials spaced exactly by backoffDelay, the backoff
// restarting once welcomed; channels that follow the worker's own policy.
import { EventEmitter } from 'node:events';
import * as grpc from '@grpc/grpc-js';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { ControllerMessage__Output, WorkerMessage } from '../common/wire.js';
import { backoffDelay, DEFAULT_BACKOFF } from './backoff.js';
import { ControllerConnection, type ControlClient, type ControlStream } from './controller-connection.js';

class FakeStream extends EventEmitter implements ControlStream {
  readonly written: WorkerMessage[] = [];
  ended = false;
  cancelled = false;
  /** Callbacks of writes not yet finished (finishWrite() finishes the oldest). */
  private readonly pending: (() => void)[] = [];
  write(m: WorkerMessage, done?: () => void): boolean {
    this.written.push(m);
    if (done) this.pending.push(done);
    return true;
  }
  finishWrite(): void {
    this.pending.shift()?.();
  }
  end(): this {
    this.ended = true;
    return this;
  }
  cancel(): void {
    this.cancelled = true;
  }
  /** The controller (or the network) fails the stream. */
  fail(details = 'connect ECONNREFUSED'): void {
    const err = Object.assign(new Error(details), { code: grpc.status.UNAVAILABLE, details, metadata: new grpc.Metadata() });
    this.emit('error', err);
  }
}

class FakeClient implements ControlClient {
  readonly streams: FakeStream[] = [];
  readonly metadata: grpc.Metadata[] = [];
  closed = false;
  constructor(
    readonly address: string,
    readonly options: grpc.ChannelOptions,
  ) {}
  Connect(metadata: grpc.Metadata): FakeStream {
    const s = new FakeStream();
    this.metadata.push(metadata);
    this.streams.push(s);
    return s;
  }
  close(): void {
    this.closed = true;
  }
}

const RANDOM = 0.37;

function setup(opts: { reconnect?: boolean; token?: string } = {}) {
  const clients: FakeClient[] = [];
  const lost: string[] = [];
  const messages: ControllerMessage__Output[] = [];
  const log: string[] = [];
  let hellos = 0;
  const conn = new ControllerConnection({
    address: '10.0.0.1:7000',
    reconnect: opts.reconnect ?? true,
    hello: () => ({ hello: { name: `w-${++hellos}` } }),
    onMessage: (m) => messages.push(m),
    onLost: (r) => lost.push(r),
    log: (l) => log.push(l),
    random: () => RANDOM,
    ...(opts.token ? { token: opts.token } : {}),
    createClient: (address, _credentials, options) => {
      const c = new FakeClient(address, options);
      clients.push(c);
      return c;
    },
  });
  /** The one stream of the latest channel. */
  const current = (): FakeStream => {
    const c = clients.at(-1)!;
    expect(c.streams).toHaveLength(1);
    return c.streams[0]!;
  };
  return { conn, clients, lost, messages, log, current };
}

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('ControllerConnection', () => {
  it('opens one channel and one stream, and says Hello first', () => {
    const { conn, clients, current } = setup({ token: 's3cret' });
    expect(clients).toHaveLength(0);
    conn.open();
    expect(clients).toHaveLength(1);
    expect(clients[0]!.address).toBe('10.0.0.1:7000');
    expect(current().written).toEqual([{ hello: { name: 'w-1' } }]);
    expect(clients[0]!.metadata[0]!.get('authorization')).toEqual(['Bearer s3cret']);
    expect(conn.send({ draining: {} })).toBe(true);
    expect(current().written.at(-1)).toEqual({ draining: {} });
  });

  it('passes messages on, and sends nothing while there is no stream', () => {
    const { conn, messages, current } = setup();
    conn.open();
    current().emit('data', { welcome: {} });
    expect(messages).toEqual([{ welcome: {} }]);
    current().fail();
    expect(conn.send({ draining: {} })).toBe(false);
  });

  it('closes the channel whose stream is lost and redials on a fresh one', () => {
    const { conn, clients, lost, current } = setup();
    conn.open();
    for (let attempt = 0; attempt < 8; attempt++) {
      expect(clients.at(-1)!.closed).toBe(false);
      current().fail(`refused ${attempt}`);
      // Closed at once: an idle channel would retry on its own backoff meanwhile.
      expect(clients.at(-1)!.closed).toBe(true);
      vi.advanceTimersByTime(backoffDelay(attempt, RANDOM));
      expect(clients).toHaveLength(attempt + 2);
      expect(clients.at(-1)!.closed).toBe(false);
      expect(current().written[0]).toEqual({ hello: { name: `w-${attempt + 2}` } });
    }
    expect(lost).toEqual(Array.from({ length: 8 }, (_, i) => `refused ${i}`));
  });

  it('waits exactly backoffDelay before each redial, capped at the worker policy', () => {
    const { conn, clients, current } = setup();
    conn.open();
    const delays: number[] = [];
    for (let attempt = 0; attempt < 12; attempt++) {
      current().fail();
      const delay = backoffDelay(attempt, RANDOM);
      delays.push(delay);
      const before = clients.length;
      // Timers have millisecond resolution: not a millisecond early, at most one late.
      vi.advanceTimersByTime(Math.floor(delay) - 1);
      expect(clients.length).toBe(before);
      vi.advanceTimersByTime(2);
      expect(clients.length).toBe(before + 1);
    }
    expect(delays[0]).toBeLessThan(delays[1]!);
    expect(Math.max(...delays)).toBeLessThanOrEqual(DEFAULT_BACKOFF.maxMs);
    expect(delays[11]).toBe(delays[10]);
  });

  it('starts the backoff afresh once the controller welcomes a stream', () => {
    const { conn, clients, current } = setup();
    conn.open();
    for (let i = 0; i < 5; i++) {
      current().fail();
      vi.advanceTimersByTime(backoffDelay(i, RANDOM));
    }
    conn.welcomed();
    current().emit('end');
    const n = clients.length;
    vi.advanceTimersByTime(Math.ceil(backoffDelay(0, RANDOM)));
    expect(clients.length).toBe(n + 1);
  });

  it('counts one loss per stream, whether it errors, ends, or both', () => {
    const { conn, clients, lost, current } = setup();
    conn.open();
    const s = current();
    s.fail('boom');
    s.emit('end');
    expect(lost).toEqual(['boom']);
    expect(s.ended).toBe(true);
    vi.advanceTimersByTime(60_000);
    expect(clients).toHaveLength(2);
  });

  it('gives each channel its own subchannel and the worker policy as its reconnect backoff', () => {
    const { conn, clients } = setup();
    conn.open();
    const o = clients[0]!.options;
    expect(o['grpc.use_local_subchannel_pool']).toBe(1);
    expect(o['grpc.initial_reconnect_backoff_ms']).toBe(DEFAULT_BACKOFF.initialMs);
    expect(o['grpc.max_reconnect_backoff_ms']).toBe(DEFAULT_BACKOFF.maxMs);
    expect(o['grpc.keepalive_time_ms']).toBeGreaterThan(0);
  });

  it('does not redial when told not to', () => {
    const { conn, clients, log, current } = setup({ reconnect: false });
    conn.open();
    current().fail('gone');
    vi.advanceTimersByTime(60_000);
    expect(clients).toHaveLength(1);
    expect(log.join('\n')).toMatch(/not reconnecting/);
  });

  it('close() ends the stream, stops redialling and closes the channel', async () => {
    const { conn, clients, current } = setup();
    conn.open();
    current().fail();
    vi.advanceTimersByTime(backoffDelay(0, RANDOM));
    const s = current();
    const closing = conn.close();
    expect(s.ended).toBe(true);
    s.emit('status');
    await closing;
    expect(s.cancelled).toBe(true);
    expect(clients.every((c) => c.closed)).toBe(true);
    vi.advanceTimersByTime(60_000);
    expect(clients).toHaveLength(2);
  });

  it('close() during a redial wait closes the channel and dials nothing more', async () => {
    const { conn, clients, current } = setup();
    conn.open();
    current().fail();
    await conn.close();
    vi.advanceTimersByTime(60_000);
    expect(clients).toHaveLength(1);
    expect(clients[0]!.closed).toBe(true);
  });

  it('to a controller that takes batches: results waiting behind a write leave in one ResultBatch; a new stream starts plain', () => {
    const { conn, current } = setup();
    conn.open();
    conn.welcomed(true);
    const result = (actionId: number): WorkerMessage => ({ result: { actionId, status: 'OK' } });
    conn.send(result(1));
    conn.send(result(2));
    conn.send({ pong: { pingId: 7 } });
    conn.send(result(3));
    conn.send(result(4));
    const s = current();
    expect(s.written.slice(1)).toEqual([result(1)]);
    s.finishWrite();
    expect(s.written.slice(2)).toEqual([result(2), { pong: { pingId: 7 } }, { results: { results: [result(3).result, result(4).result] } }]);
    // The stream is lost: the next one writes each message as it comes until welcomed again.
    s.fail();
    vi.advanceTimersByTime(DEFAULT_BACKOFF.maxMs);
    const next = current();
    conn.send(result(5));
    conn.send(result(6));
    expect(next.written.slice(1)).toEqual([result(5), result(6)]);
  });

  it('to a controller that does not (an older one): every result as it comes', () => {
    const { conn, current } = setup();
    conn.open();
    conn.welcomed(false);
    conn.send({ result: { actionId: 1 } });
    conn.send({ result: { actionId: 2 } });
    expect(current().written.slice(1)).toEqual([{ result: { actionId: 1 } }, { result: { actionId: 2 } }]);
  });
});
