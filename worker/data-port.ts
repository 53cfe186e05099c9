// The worker's data port (issue 13 point 3): clients of our library send a
// dispatched request's tensors here, straight from their process, in the
// data plane's frames (common/data-frames.ts), and get its outputs back on
// the same connection. The port only carries bytes: what may run, and when,
// is still the controller's word, through the actions on the worker stream;
// a stage is matched to the action that names its ticket by Staging
// (worker/staging.ts), which refuses everything else.
//
// Nothing a client sends can take more than its bounds: one frame at most
// maxFrameBytes (refused from its 4-byte header, before its body is read), a
// frame started must be finished within frameTimeoutMs, a connection that
// sends nothing for idleTimeoutMs is closed, at most maxConnections at once,
// and a client that stops reading its answers is cut off once they pass
// maxFrameBytes unread. A malformed frame is answered with a `refused` frame
// (code `protocol`) naming what was wrong, then the connection is closed:
// its framing can no longer be trusted. Every other connection goes on.
import net from 'node:net';
import tls from 'node:tls';
import { decodeDataFrame, encodeDataFrame, type DataMessage } from '../common/data-frames.js';
import { PunctualError } from '../common/errors.js';
import { FrameDecoder } from '../common/length-frames.js';
import type { WireTensor } from '../common/tensor.js';
import type { Staging } from './staging.js';

/** The ticket a protocol refusal carries when no ticket could be read. */
export const NO_TICKET = '0'.repeat(32);

export interface DataPortOptions {
  /** Address to listen on. @default '127.0.0.1' */
  host?: string;
  /** 0 picks a free one. */
  port: number;
  staging: Staging;
  /** A frame's body at most, bytes. @default 256 MiB (the gRPC message limit) */
  maxFrameBytes?: number;
  /** Connections at once, at most. @default 256 */
  maxConnections?: number;
  /** A connection silent this long is closed, ms. @default 60_000 */
  idleTimeoutMs?: number;
  /** A frame started must be complete within this, ms. @default 10_000 */
  frameTimeoutMs?: number;
  /** TLS for the port (PEM certificate chain and key); clients then connect with TLS. @default plain TCP */
  tls?: { cert: Buffer | string; key: Buffer | string };
  /** Problem lines (rate-limited by the caller). */
  log: (line: string) => void;
}

/** One client connection and the tickets it staged whose answers it waits for. */
interface Conn {
  socket: net.Socket;
  tickets: Set<string>;
  decoder: FrameDecoder;
  frameTimer?: NodeJS.Timeout;
}

export class DataPort {
  private readonly conns = new Set<Conn>();
  /** Which connection staged each ticket still to be answered. */
  private readonly owners = new Map<string, Conn>();
  private readonly maxFrameBytes: number;

  private constructor(
    private readonly server: net.Server,
    private readonly opts: DataPortOptions,
    readonly host: string,
    readonly port: number,
  ) {
    this.maxFrameBytes = opts.maxFrameBytes ?? 256 * 1024 * 1024;
  }

  static async listen(opts: DataPortOptions): Promise<DataPort> {
    const server = opts.tls ? tls.createServer({ cert: opts.tls.cert, key: opts.tls.key, noDelay: true }) : net.createServer({ noDelay: true });
    const host = opts.host ?? '127.0.0.1';
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(opts.port, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    const port = (server.address() as net.AddressInfo).port;
    const dp = new DataPort(server, opts, host, port);
    // With TLS a connection is accepted once its handshake is done; one that fails it is only logged.
    if (opts.tls) {
      server.on('secureConnection', (s: tls.TLSSocket) => dp.accept(s));
      server.on('tlsClientError', (err) => opts.log(`data port: a client's TLS handshake failed: ${err.message}`));
    } else server.on('connection', (s) => dp.accept(s));
    server.on('error', (err) => opts.log(`data port: ${err.message}`));
    return dp;
  }

  /** Connections open now. */
  connections(): number {
    return this.conns.size;
  }

  /** Sends a request's outputs to the client that staged its ticket; false when that client is gone. */
  answer(ticket: string, outputs: readonly WireTensor[], execMs: number): boolean {
    const message: DataMessage = { kind: 'answer', ticket, tensors: outputs.map((t) => ({ name: t.name, dtype: t.dtype as never, shape: [...t.shape] })), execMs };
    return this.deliver(ticket, message, outputs.map((t) => t.data));
  }

  /** Tells the client that staged `ticket` that its request will not run here, and why. */
  refuse(ticket: string, code: string, message: string): boolean {
    return this.deliver(ticket, { kind: 'refused', ticket, code, message: message.slice(0, 1024) }, []);
  }

  /** Tells every client waiting for an answer here that it will not come (the worker lost its controller). */
  refuseAll(code: string, message: string): void {
    for (const ticket of [...this.owners.keys()]) this.refuse(ticket, code, message);
  }

  /** Tickets whose clients wait for an answer here. */
  waiting(): number {
    return this.owners.size;
  }

  async close(): Promise<void> {
    for (const c of this.conns) c.socket.destroy();
    this.conns.clear();
    this.owners.clear();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private deliver(ticket: string, message: DataMessage, bytes: readonly Uint8Array[]): boolean {
    const conn = this.owners.get(ticket);
    if (!conn) return false;
    this.owners.delete(ticket);
    conn.tickets.delete(ticket);
    return this.write(conn, message, bytes);
  }

  private write(conn: Conn, message: DataMessage, bytes: readonly Uint8Array[]): boolean {
    if (conn.socket.destroyed) return false;
    // One write of the frame's pieces: the header and the tensors' bytes go out together, uncopied.
    conn.socket.cork();
    for (const b of encodeDataFrame(message, bytes)) conn.socket.write(b);
    conn.socket.uncork();
    if (conn.socket.writableLength > this.maxFrameBytes) {
      this.opts.log(`data port: a client at ${conn.socket.remoteAddress ?? '?'} does not read its answers (${conn.socket.writableLength} bytes unread); closing it`);
      conn.socket.destroy();
    }
    return true;
  }

  private accept(socket: net.Socket): void {
    const max = this.opts.maxConnections ?? 256;
    const conn: Conn = { socket, tickets: new Set(), decoder: new FrameDecoder(this.maxFrameBytes) };
    socket.setNoDelay(true);
    socket.on('error', () => undefined); // a reset client is only a closed connection
    if (this.conns.size >= max) {
      this.write(conn, { kind: 'refused', ticket: NO_TICKET, code: 'too_many_connections', message: `this worker's data port holds ${max} connections already; try again later` }, []);
      socket.end();
      return;
    }
    this.conns.add(conn);
    socket.setTimeout(this.opts.idleTimeoutMs ?? 60_000, () => socket.destroy());
    socket.on('data', (chunk: Buffer) => this.onData(conn, chunk));
    socket.on('close', () => this.drop(conn));
  }

  private drop(conn: Conn): void {
    clearTimeout(conn.frameTimer);
    this.conns.delete(conn);
    for (const t of conn.tickets) if (this.owners.get(t) === conn) this.owners.delete(t);
    conn.tickets.clear();
  }

  /** A protocol error: say what it was, then close (the stream's framing is lost). */
  private fail(conn: Conn, ticket: string, err: unknown): void {
    const message = err instanceof Error ? err.message : String(err);
    this.write(conn, { kind: 'refused', ticket, code: err instanceof PunctualError && err.reason === 'frame_too_large' ? 'frame_too_large' : 'protocol', message: message.slice(0, 1024) }, []);
    conn.socket.end();
    conn.socket.pause();
    this.drop(conn);
  }

  private onData(conn: Conn, chunk: Buffer): void {
    if (!this.conns.has(conn)) return;
    let frames: Buffer[];
    try {
      frames = conn.decoder.push(chunk);
    } catch (err) {
      this.fail(conn, NO_TICKET, err);
      return;
    }
    this.watchFrame(conn);
    for (const body of frames) {
      let frame;
      try {
        frame = decodeDataFrame(body);
      } catch (err) {
        this.fail(conn, NO_TICKET, err);
        return;
      }
      const { message, tensors } = frame;
      if (message.kind !== 'stage') {
        this.fail(conn, message.ticket, new Error(`a client sends only stage frames to a worker, not ${message.kind}`));
        return;
      }
      this.stage(conn, message.ticket, tensors);
    }
  }

  private stage(conn: Conn, ticket: string, tensors: WireTensor[]): void {
    if (this.owners.has(ticket)) {
      this.write(conn, { kind: 'refused', ticket, code: 'duplicate', message: 'this ticket is staged already and waits for its answer' }, []);
      return;
    }
    this.owners.set(ticket, conn);
    conn.tickets.add(ticket);
    void this.opts.staging.stage(ticket, tensors).then((o) => {
      if (!o.ok) this.refuse(ticket, o.code, o.message);
    });
  }

  /** While a frame is part-read, it must be finished within frameTimeoutMs. */
  private watchFrame(conn: Conn): void {
    if (conn.decoder.pendingBytes === 0) {
      clearTimeout(conn.frameTimer);
      conn.frameTimer = undefined;
      return;
    }
    if (conn.frameTimer) return;
    const ms = this.opts.frameTimeoutMs ?? 10_000;
    conn.frameTimer = setTimeout(() => {
      conn.frameTimer = undefined;
      if (conn.decoder.pendingBytes > 0) this.fail(conn, NO_TICKET, new Error(`a frame was started and not finished within ${ms} ms; closing the connection`));
    }, ms);
    conn.frameTimer.unref();
  }
}
