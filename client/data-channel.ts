// The client's side of the data plane (issue 13 point 3): a request's
// tensors go straight to the worker the controller named for it, over one
// connection per worker (opened on first use, shared by every request to
// that worker), in the data plane's frames (common/data-frames.ts), and its
// outputs come back on the same connection, matched by ticket.
//
// Every way a stage can fail ends its promise with a PunctualClientError
// whose status says what to do: the worker refused it (its refusal code as
// `reason`, see worker/staging.ts), the connection failed or closed, or no
// answer came within the time the caller allows.
import net from 'node:net';
import tls from 'node:tls';
import { status as Status } from '@grpc/grpc-js';
import { decodeDataFrame, encodeDataFrame, type DataFrame } from '../common/data-frames.js';
import { FrameDecoder } from '../common/length-frames.js';
import type { WireTensor } from '../common/tensor.js';
import { clientError, type PunctualClientError } from './errors.js';

/** What a worker's refusal code means for the caller, as a status. */
const REFUSAL_STATUS: Record<string, Status> = {
  no_admission: Status.PERMISSION_DENIED,
  outside_window: Status.DEADLINE_EXCEEDED,
  mismatch: Status.INVALID_ARGUMENT,
  duplicate: Status.INVALID_ARGUMENT,
  protocol: Status.INVALID_ARGUMENT,
  frame_too_large: Status.INVALID_ARGUMENT,
  staging_full: Status.UNAVAILABLE,
  too_many_connections: Status.UNAVAILABLE,
};

export interface DataAnswer {
  outputs: WireTensor[];
  /** What the executor thread measured. */
  execMs: number;
}

export interface DataChannelsOptions {
  /** A connection not up within this fails its stages, ms. @default 5_000 */
  connectTimeoutMs?: number;
  /** An answer's frame at most, bytes. @default 256 MiB */
  maxFrameBytes?: number;
  /**
   * Trust for workers whose data port speaks TLS (StageAt.tls): `ca`, the
   * PEM certificates to trust (default: the system's), and `servername`, the
   * name their certificates must carry (default: the data address's host).
   */
  tls?: { ca?: string | Buffer; servername?: string };
}

interface Pending {
  resolve: (a: DataAnswer) => void;
  reject: (e: PunctualClientError) => void;
  timer: NodeJS.Timeout;
}

/** host:port → [host, port]; IPv6 in brackets. */
function splitAddress(address: string): [string, number] {
  const m = /^(?:\[([^\]]+)\]|([^:]+)):(\d{1,5})$/.exec(address);
  const port = m ? Number(m[3]) : NaN;
  if (!m || port < 1 || port > 65535) throw clientError(Status.INVALID_ARGUMENT, `a worker's data address must be host:port, not ${JSON.stringify(address.slice(0, 100))}`);
  return [m[1] ?? m[2]!, port];
}

class Connection {
  readonly pending = new Map<string, Pending>();
  private readonly decoder: FrameDecoder;
  private readonly socket: net.Socket;
  private failure: PunctualClientError | undefined;

  constructor(
    readonly address: string,
    /** Connect with TLS (the worker's data port has it). */
    readonly secure: boolean,
    opts: DataChannelsOptions,
    private readonly onGone: (c: Connection) => void,
  ) {
    const [host, port] = splitAddress(address);
    this.decoder = new FrameDecoder(opts.maxFrameBytes ?? 256 * 1024 * 1024);
    const timeout = opts.connectTimeoutMs ?? 5_000;
    if (secure) {
      // A certificate that does not verify fails the connection ('error'), and with it its stages.
      const servername = opts.tls?.servername ?? (net.isIP(host) ? undefined : host);
      this.socket = tls.connect({ host, port, timeout, ...(opts.tls?.ca ? { ca: opts.tls.ca } : {}), ...(servername ? { servername } : {}) });
      this.socket.setNoDelay(true);
      this.socket.once('secureConnect', () => this.socket.setTimeout(0));
    } else {
      this.socket = net.connect({ host, port, noDelay: true, timeout });
      this.socket.once('connect', () => this.socket.setTimeout(0));
    }
    this.socket.on('timeout', () => this.fail(clientError(Status.UNAVAILABLE, `the worker's data port at ${address} did not answer the connection within ${opts.connectTimeoutMs ?? 5_000} ms`)));
    this.socket.on('data', (chunk: Buffer) => this.onData(chunk));
    this.socket.on('error', (err) => this.fail(clientError(Status.UNAVAILABLE, `the worker's data port at ${address}: ${err.message}`, undefined, undefined, { cause: err })));
    this.socket.on('close', () => this.fail(clientError(Status.UNAVAILABLE, `the worker's data port at ${address} closed the connection`)));
  }

  stage(ticket: string, tensors: readonly WireTensor[], timeoutMs: number): Promise<DataAnswer> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.pending.has(ticket)) return Promise.reject(clientError(Status.INVALID_ARGUMENT, `ticket ${ticket.slice(0, 8)}… is staged already on this connection`));
    const frame = encodeDataFrame(
      { kind: 'stage', ticket, tensors: tensors.map((t) => ({ name: t.name, dtype: t.dtype as never, shape: [...t.shape] })) },
      tensors.map((t) => t.data),
    );
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(ticket);
        reject(clientError(Status.DEADLINE_EXCEEDED, `no answer from the worker at ${this.address} within ${timeoutMs} ms`, 'data_plane_timeout'));
      }, timeoutMs);
      this.pending.set(ticket, { resolve, reject, timer });
      this.socket.cork();
      for (const b of frame) this.socket.write(b);
      this.socket.uncork();
    });
  }

  close(): void {
    this.socket.destroy();
  }

  private onData(chunk: Buffer): void {
    let frames: Buffer[];
    try {
      frames = this.decoder.push(chunk);
    } catch (err) {
      this.fail(clientError(Status.INTERNAL, `the worker at ${this.address} sent a frame this client cannot take: ${err instanceof Error ? err.message : String(err)}`));
      return;
    }
    for (const body of frames) {
      let frame: DataFrame;
      try {
        frame = decodeDataFrame(body);
      } catch (err) {
        this.fail(clientError(Status.INTERNAL, `the worker at ${this.address} sent a malformed frame: ${err instanceof Error ? err.message : String(err)}`));
        return;
      }
      this.settle(frame);
    }
  }

  private settle({ message, tensors }: DataFrame): void {
    const p = this.pending.get(message.ticket);
    if (message.kind === 'refused') {
      const err = clientError(REFUSAL_STATUS[message.code] ?? Status.UNAVAILABLE, `the worker at ${this.address} refused the request's tensors: ${message.message}`, message.code);
      if (p) {
        this.pending.delete(message.ticket);
        clearTimeout(p.timer);
        p.reject(err);
      } else {
        this.fail(err); // about the connection itself (no ticket of ours): it is closing
      }
      return;
    }
    if (!p) return; // an answer after its timeout
    this.pending.delete(message.ticket);
    clearTimeout(p.timer);
    if (message.kind === 'answer') p.resolve({ outputs: tensors, execMs: message.execMs });
    else p.reject(clientError(Status.INTERNAL, `the worker at ${this.address} sent a ${message.kind} frame to a client`));
  }

  private fail(err: PunctualClientError): void {
    if (this.failure) return;
    this.failure = err;
    for (const p of this.pending.values()) {
      clearTimeout(p.timer);
      p.reject(err);
    }
    this.pending.clear();
    this.socket.destroy();
    this.onGone(this);
  }
}

/** One data-plane connection per worker address, opened on first use and again after it fails. */
export class DataChannels {
  private readonly conns = new Map<string, Connection>();

  constructor(private readonly opts: DataChannelsOptions = {}) {}

  /** Sends a request's tensors to the worker at `address` (with TLS when `secure`) under `ticket`; resolves with its outputs. */
  stage(address: string, ticket: string, tensors: readonly WireTensor[], timeoutMs: number, secure = false): Promise<DataAnswer> {
    const key = `${secure ? 'tls' : 'tcp'} ${address}`;
    let c = this.conns.get(key);
    if (!c) {
      try {
        c = new Connection(address, secure, this.opts, (gone) => {
          if (this.conns.get(key) === gone) this.conns.delete(key);
        });
      } catch (err) {
        return Promise.reject(err as PunctualClientError);
      }
      this.conns.set(key, c);
    }
    return c.stage(ticket, tensors, timeoutMs);
  }

  /** Connections open now. */
  size(): number {
    return this.conns.size;
  }

  close(): void {
    for (const c of this.conns.values()) c.close();
    this.conns.clear();
  }
}
