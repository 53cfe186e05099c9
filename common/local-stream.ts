// A bidi stream between two ends in one process, shaped like grpc-js's: the
// worker's ControlStream on one side (write, end, cancel; 'data', 'error',
// 'end', 'status') and the controller's ServerDuplexStream on the other
// (write, end; 'data', 'end', 'error', 'close'). `punctual up` runs its
// workers in the controller's own process over it (issue 13: the local path
// without a second hop), so an action's tensors reach the executor thread
// without crossing a socket, HTTP/2 framing and a second event loop.
//
// Each message is carried by a function of its direction that reads it as
// the receiver would read it off the wire (common/protos.ts inProcessCarry:
// defaults filled in, enums as names, int64 as numbers, the oneof's case), so
// neither end has a second code path; its bytes fields are not copied. That
// and the socket, the HTTP/2 frames, flow control and the other process's
// event loop are what is saved: serializing and deserializing a det action
// (602 KB in) and its result (200 KB out) took 0.43 ms of the controller's
// thread per request, carrying them ~0.01 ms.
//
// Delivery is asynchronous and in order: a write is carried on a microtask,
// never inside the writer's own call, as a socket would be.
import { EventEmitter } from 'node:events';
import * as grpc from '@grpc/grpc-js';

/** A message from one end, as the other reads it. */
export type Carry<In> = (m: In) => unknown;

type Event = { kind: 'data'; message: unknown } | { kind: 'end' } | { kind: 'abort'; code: grpc.status; details: string };

/** One end's inbox: events from its peer, delivered on a microtask, in order. */
class Inbox {
  private events: Event[] = [];
  /** The next event to deliver: a read index, so a burst (a model's bytes in 1 MiB chunks) drains in linear time, not by shifting the array per event. */
  private head = 0;
  private scheduled = false;

  constructor(private readonly handle: (e: Event) => void) {}

  push(e: Event): void {
    this.events.push(e);
    if (this.scheduled) return;
    this.scheduled = true;
    queueMicrotask(() => this.drain());
  }

  private drain(): void {
    this.scheduled = false;
    // Events pushed while draining are delivered in this same pass, in order.
    while (this.head < this.events.length) {
      const e = this.events[this.head]!;
      this.events[this.head++] = undefined as never; // let it go once delivered
      this.handle(e);
    }
    this.events = [];
    this.head = 0;
  }
}

/** What each end's stream shares: whether it has written its end, heard its peer's, or been aborted. */
abstract class LocalEnd<Write> extends EventEmitter {
  protected peer!: LocalEnd<unknown>;
  protected readonly inbox = new Inbox((e) => this.onEvent(e));
  /** This end wrote its last message. */
  protected writeDone = false;
  /** The peer wrote its last message (its 'end' reached us). */
  protected readDone = false;
  /** Both directions are over (ended both ways or aborted). */
  protected finished = false;

  constructor(private readonly carry: Carry<Write>) {
    super();
  }

  /**
   * Sends one message to the peer; false (nothing sent) once this end has
   * ended or the stream is over. `done` is called on a later microtask, as
   * a Writable calls back once its write has gone.
   */
  write(m: Write, done?: (err?: Error | null) => void): boolean {
    if (this.writeDone || this.finished) {
      if (done) queueMicrotask(() => done(new Error('the stream is over')));
      return false;
    }
    // A message that cannot be serialized throws here, as grpc-js's write does.
    this.peer.inbox.push({ kind: 'data', message: this.carry(m) });
    if (done) queueMicrotask(() => done(null));
    return true;
  }

  /** Half-closes: the peer reads 'end' after the messages written before. */
  end(): void {
    if (this.writeDone || this.finished) return;
    this.writeDone = true;
    this.peer.inbox.push({ kind: 'end' });
    this.settle();
  }

  /** Both ends learn that the stream is over, now, with `code`. */
  protected abort(code: grpc.status, details: string): void {
    if (this.finished) return;
    this.peer.inbox.push({ kind: 'abort', code, details });
    this.inbox.push({ kind: 'abort', code, details });
  }

  private onEvent(e: Event): void {
    if (this.finished) return;
    if (e.kind === 'data') {
      if (!this.readDone) this.emit('data', e.message);
    } else if (e.kind === 'end') {
      if (this.readDone) return;
      this.readDone = true;
      this.emit('end');
      this.settle();
    } else {
      this.finished = true;
      this.aborted(e.code, e.details);
    }
  }

  /** Ended both ways: the stream is over. */
  private settle(): void {
    if (this.finished || !this.writeDone || !this.readDone) return;
    this.finished = true;
    this.closed();
  }

  protected abstract closed(): void;
  protected abstract aborted(code: grpc.status, details: string): void;

  link(peer: LocalEnd<unknown>): void {
    this.peer = peer;
  }
}

/** The client's end (the worker): grpc-js's ClientDuplexStream as the worker uses it. */
export class LocalClientStream<Write> extends LocalEnd<Write> {
  /** Fails the stream with UNAVAILABLE: nobody is there to answer (only this end hears it). */
  refuse(details: string): void {
    this.inbox.push({ kind: 'abort', code: grpc.status.UNAVAILABLE, details });
  }

  /** Ends the stream at once, both ways (CANCELLED), as a client's cancel() does. */
  cancel(): void {
    this.abort(grpc.status.CANCELLED, 'Cancelled on client');
  }

  protected closed(): void {
    this.emit('status', { code: grpc.status.OK, details: 'OK', metadata: new grpc.Metadata() });
  }

  protected aborted(code: grpc.status, details: string): void {
    const err = Object.assign(new Error(`${code} ${grpc.status[code]}: ${details}`), { code, details, metadata: new grpc.Metadata() });
    // Unheard, an 'error' would throw: an end nobody listens to is not worth a crash.
    if (this.listenerCount('error') > 0) this.emit('error', err);
    this.emit('status', { code, details, metadata: err.metadata });
  }
}

/** The server's end (the controller): grpc-js's ServerDuplexStream as the worker service uses it. */
export class LocalServerStream<Write> extends LocalEnd<Write> {
  readonly metadata = new grpc.Metadata();

  /** The server ends the call with an error status: the client reads it as its 'error'. */
  destroy(err?: Error): void {
    this.abort(grpc.status.UNAVAILABLE, err?.message ?? 'the stream was closed');
  }

  protected closed(): void {
    this.emit('close');
  }

  protected aborted(code: grpc.status, details: string): void {
    if (code === grpc.status.CANCELLED) this.emit('cancelled');
    if (this.listenerCount('error') > 0) this.emit('error', Object.assign(new Error(details), { code, details }));
    this.emit('close');
  }
}

/** A connected pair: what the client writes the server reads as `up` carries it, and the reverse with `down`. */
export function localStreamPair<Up, Down>(up: Carry<Up>, down: Carry<Down>): { client: LocalClientStream<Up>; server: LocalServerStream<Down> } {
  const client = new LocalClientStream<Up>(up);
  const server = new LocalServerStream<Down>(down);
  client.link(server as LocalEnd<unknown>);
  server.link(client as LocalEnd<unknown>);
  return { client, server };
}

/** A client end with no server: it fails with UNAVAILABLE (after the caller has attached its listeners). */
export function refusedClientStream<Up>(details: string): LocalClientStream<Up> {
  const client = new LocalClientStream<Up>(() => undefined);
  const nobody = new LocalServerStream<unknown>(() => undefined);
  client.link(nobody as LocalEnd<unknown>);
  nobody.link(client as LocalEnd<unknown>);
  client.refuse(details);
  return client;
}
