// The worker's one long-lived stream to the controller (WorkerControl.Connect):
// dials, says Hello first on every stream, hands incoming messages on, and
// redials with jittered exponential backoff when the stream ends or fails.
// It knows nothing of what the messages mean.
import * as grpc from '@grpc/grpc-js';
import { CHANNEL_OPTIONS, protos } from '../common/protos.js';
import type { ControllerMessage__Output, WorkerMessage } from '../common/wire.js';
import { backoffDelay } from './backoff.js';

type WorkerControlClient = InstanceType<ReturnType<typeof protos>['worker']['punctual']['v1']['WorkerControl']>;
type Stream = grpc.ClientDuplexStream<WorkerMessage, ControllerMessage__Output>;

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
}

/** How long close() waits for the controller to end its side after ours. */
const CLOSE_GRACE_MS = 1_000;

export class ControllerConnection {
  private readonly client: WorkerControlClient;
  private stream: Stream | undefined;
  private redialTimer: NodeJS.Timeout | undefined;
  private attempt = 0;
  private closed = false;

  constructor(private readonly opts: ControllerConnectionOptions) {
    const { WorkerControl } = protos().worker.punctual.v1;
    this.client = new WorkerControl(opts.address, opts.credentials ?? grpc.credentials.createInsecure(), CHANNEL_OPTIONS);
  }

  /** Opens the first stream. */
  open(): void {
    this.dial();
  }

  /** Sends on the current stream; false (and nothing sent) when there is none. */
  send(m: WorkerMessage): boolean {
    if (!this.stream) return false;
    this.stream.write(m);
    return true;
  }

  /** The controller welcomed this stream: the next loss starts the backoff afresh. */
  welcomed(): void {
    this.attempt = 0;
  }

  /** Ends the stream (politely first), stops redialling and closes the channel. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.redialTimer);
    const stream = this.stream;
    this.stream = undefined;
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
    this.client.close();
  }

  private dial(): void {
    if (this.closed) return;
    const metadata = new grpc.Metadata();
    if (this.opts.token) metadata.set('authorization', `Bearer ${this.opts.token}`);
    const stream = this.client.Connect(metadata);
    this.stream = stream;
    let lost = false;
    const onLost = (reason: string): void => {
      if (lost) return;
      lost = true;
      if (this.stream === stream) this.stream = undefined;
      stream.removeAllListeners('data');
      stream.end();
      if (this.closed) return;
      this.opts.onLost(reason);
      this.scheduleRedial(reason);
    };
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
