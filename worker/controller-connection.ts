// The worker's one long-lived stream to the controller (WorkerControl.Connect):
// dials, says Hello first on every stream, hands incoming messages on, and
// redials with jittered exponential backoff (backoff.ts) when the stream ends
// or fails. It knows nothing of what the messages mean.
//
// Every dial gets a fresh channel with a subchannel of its own, closed when
// its stream is lost: a grpc-js channel keeps its own reconnect backoff,
// growing to 120 s, and a channel kept for life answered a controller that
// came back after 30 s only on its next attempt, 23 s later, behind the
// worker's 5 s cap. A fresh channel connects at once and a closed one does not
// try behind our back, so the worker's policy alone says when it tries.
import * as grpc from '@grpc/grpc-js';
import { CHANNEL_OPTIONS, protos } from '../common/protos.js';
import { CoalescedWrites, packRuns, tensorBytes } from '../common/coalesced-writes.js';
import type { ActionResult, ControllerMessage__Output, WorkerMessage } from '../common/wire.js';
import { backoffDelay, DEFAULT_BACKOFF } from './backoff.js';

/** The part of the WorkerControl.Connect stream the connection uses. */
export interface ControlStream {
  write(m: WorkerMessage, done?: (err?: Error | null) => void): unknown;
  end(): unknown;
  cancel(): void;
  on(event: 'data', listener: (m: ControllerMessage__Output) => void): unknown;
  on(event: 'error', listener: (err: grpc.ServiceError) => void): unknown;
  on(event: 'end' | 'status', listener: () => void): unknown;
  removeAllListeners(event: 'data'): unknown;
}

/** The part of a WorkerControl client (one channel) the connection uses. */
export interface ControlClient {
  Connect(metadata: grpc.Metadata): ControlStream;
  close(): void;
}

/** Makes the client for one dial. */
export type ControlClientFactory = (address: string, credentials: grpc.ChannelCredentials, options: grpc.ChannelOptions) => ControlClient;

export interface ControllerConnectionOptions {
  /** Controller address, host:port. */
  address: string;
  /** Redial after the stream is lost. */
  reconnect: boolean;
  /** The Hello to send first on each new stream (built at dial time). */
  hello: () => WorkerMessage;
  onMessage: (m: ControllerMessage__Output) => void;
  /** The stream is gone (it had been dialled; it may never have been welcomed). */
  onLost: (reason: string) => void;
  log: (line: string) => void;
  /** @default Math.random */
  random?: () => number;
  /** Sent as `authorization: Bearer <token>` when the controller requires one. */
  token?: string;
  /** @default plaintext */
  credentials?: grpc.ChannelCredentials;
  /** @default a grpc-js WorkerControl client */
  createClient?: ControlClientFactory;
}

/** How long close() waits for the controller to end its side after ours. */
const CLOSE_GRACE_MS = 1_000;

/**
 * CHANNEL_OPTIONS plus what makes a channel follow the worker's redial
 * policy: its own subchannel (grpc-js shares one, with its backoff, between
 * channels of the same target and options) and its reconnect backoff capped at
 * the worker's.
 */
export const DIAL_CHANNEL_OPTIONS: grpc.ChannelOptions = {
  ...CHANNEL_OPTIONS,
  'grpc.use_local_subchannel_pool': 1,
  'grpc.initial_reconnect_backoff_ms': DEFAULT_BACKOFF.initialMs,
  'grpc.max_reconnect_backoff_ms': DEFAULT_BACKOFF.maxMs,
};

const grpcClient: ControlClientFactory = (address, credentials, options) => {
  const { WorkerControl } = protos().worker.punctual.v1;
  return new WorkerControl(address, credentials, options);
};

export class ControllerConnection {
  private client: ControlClient | undefined;
  private stream: ControlStream | undefined;
  private redialTimer: NodeJS.Timeout | undefined;
  private attempt = 0;
  private closed = false;
  /** Gives up the current stream as lost (set per dial). */
  private loseCurrent: ((reason: string) => void) | undefined;
  /** The current stream's coalesced writes, once welcomed by a controller that takes batches. */
  private out: CoalescedWrites<WorkerMessage> | undefined;

  constructor(private readonly opts: ControllerConnectionOptions) {}

  /** Opens the first stream. */
  open(): void {
    this.dial();
  }

  /** Sends on the current stream; false (and nothing sent) when there is none. */
  send(m: WorkerMessage): boolean {
    if (!this.stream) return false;
    if (this.out) this.out.send(m);
    else this.stream.write(m);
    return true;
  }

  /**
   * Leaves the controller and joins again, as a new worker: the current
   * stream is ended as if lost (onLost, then a redial with backoff).
   */
  rejoin(reason: string): void {
    this.loseCurrent?.(reason);
  }

  /**
   * The controller welcomed this stream: the next loss starts the backoff
   * afresh. A controller that takes batches (Welcome.takes_batches) gets
   * the results that wait behind a write together in the next
   * (common/coalesced-writes.ts).
   */
  welcomed(takesBatches = false): void {
    this.attempt = 0;
    const stream = this.stream;
    if (!stream || !takesBatches) return;
    this.out = new CoalescedWrites<WorkerMessage>((m, done) => {
      if (this.stream !== stream) done(); // lost meanwhile: the controller forgets this stream's actions
      else stream.write(m, () => done());
    }, packResults);
  }

  /** Ends the stream (politely first), stops redialling and closes the channel. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.redialTimer);
    const stream = this.stream;
    this.stream = undefined;
    this.out = undefined;
    if (stream) {
      let timer: NodeJS.Timeout | undefined;
      await new Promise<void>((resolve) => {
        stream.on('status', () => resolve());
        timer = setTimeout(resolve, CLOSE_GRACE_MS);
        stream.end();
      });
      clearTimeout(timer);
      stream.cancel();
    }
    this.client?.close();
    this.client = undefined;
  }

  private dial(): void {
    if (this.closed) return;
    const client = (this.opts.createClient ?? grpcClient)(this.opts.address, this.opts.credentials ?? grpc.credentials.createInsecure(), DIAL_CHANNEL_OPTIONS);
    this.client = client;
    const metadata = new grpc.Metadata();
    if (this.opts.token) metadata.set('authorization', `Bearer ${this.opts.token}`);
    const stream = client.Connect(metadata);
    this.stream = stream;
    this.out = undefined;
    let lost = false;
    const onLost = (reason: string): void => {
      if (lost) return;
      lost = true;
      if (this.loseCurrent === onLost) this.loseCurrent = undefined;
      if (this.stream === stream) {
        this.stream = undefined;
        this.out = undefined;
      }
      stream.removeAllListeners('data');
      stream.end();
      // Idle, the channel would keep reconnecting on its own until the redial.
      if (this.client === client) this.client = undefined;
      client.close();
      if (this.closed) return;
      this.opts.onLost(reason);
      this.scheduleRedial(reason);
    };
    this.loseCurrent = onLost;
    stream.on('data', (m: ControllerMessage__Output) => this.opts.onMessage(m));
    stream.on('error', (err: grpc.ServiceError) => onLost(err.details || err.message));
    stream.on('end', () => onLost('the controller ended the stream'));
    stream.write(this.opts.hello());
  }

  private scheduleRedial(reason: string): void {
    if (!this.opts.reconnect) {
      this.opts.log(`lost the controller at ${this.opts.address} (${reason}); not reconnecting`);
      return;
    }
    const attempt = this.attempt++;
    const delay = backoffDelay(attempt, (this.opts.random ?? Math.random)());
    // Sparingly: the first loss, then every tenth failed redial.
    if (attempt % 10 === 0) {
      this.opts.log(`lost the controller at ${this.opts.address} (${reason}); redialling in ${Math.round(delay)} ms (attempt ${attempt + 1})`);
    }
    this.redialTimer = setTimeout(() => {
      this.redialTimer = undefined;
      this.dial();
    }, delay);
  }
}

/** Runs of results become ResultBatch messages (common/coalesced-writes.ts); everything else keeps its place. */
const packResults = packRuns<WorkerMessage, ActionResult>(
  (m) => m.result ?? undefined,
  (results) => ({ results: { results } }),
  (r) => tensorBytes(r.outputs),
);
