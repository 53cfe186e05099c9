// A stand-in for the controller's side of WorkerControl.Connect, for tests: a
// real grpc-js server on 127.0.0.1:0 that records each worker stream and lets
// a test send ControllerMessages and await the worker's replies in order.
import * as grpc from '@grpc/grpc-js';
import { protos, SERVER_OPTIONS } from '../../common/protos.js';
import type { ControllerMessage, WorkerControlHandlers, WorkerMessage__Output } from '../../common/wire.js';

type Kind = 'hello' | 'result' | 'pong' | 'bytesAck' | 'draining';
type Payload<K extends Kind> = NonNullable<WorkerMessage__Output[K]>;
type ServerStream = grpc.ServerDuplexStream<WorkerMessage__Output, ControllerMessage>;

/** Rejects after `ms` with a message saying what was awaited. */
function within<T>(ms: number, what: string, p: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

/** One worker's stream, seen from the controller. */
export class FakeWorkerStream {
  private readonly received: WorkerMessage__Output[] = [];
  private readonly waiters: { match: (m: WorkerMessage__Output) => boolean; resolve: (m: WorkerMessage__Output) => void }[] = [];
  /** Resolves when the worker ends its side or the stream fails. */
  readonly ended: Promise<void>;

  /** ResultBatch messages received (their results are taken one by one, as if each had come alone). */
  resultBatches = 0;

  constructor(private readonly call: ServerStream) {
    call.on('data', (m: WorkerMessage__Output) => {
      if (m.results) {
        this.resultBatches++;
        for (const result of m.results.results) this.take({ msg: 'result', result });
      } else this.take(m);
    });
    this.ended = new Promise<void>((resolve) => {
      call.on('end', () => {
        call.end(); // answer the worker's half-close, as the controller would
        resolve();
      });
      call.on('error', () => resolve());
      call.on('cancelled', () => resolve());
    });
  }

  private take(m: WorkerMessage__Output): void {
    const i = this.waiters.findIndex((w) => w.match(m));
    if (i >= 0) this.waiters.splice(i, 1)[0]!.resolve(m);
    else this.received.push(m);
  }

  send(m: ControllerMessage): void {
    this.call.write(m);
  }

  /** The next message of this kind (optionally matching), in arrival order. */
  next<K extends Kind>(kind: K, match: (v: Payload<K>) => boolean = () => true, timeoutMs = 10_000): Promise<Payload<K>> {
    const matches = (m: WorkerMessage__Output): boolean => m.msg === kind && m[kind] != null && match(m[kind] as Payload<K>);
    const i = this.received.findIndex(matches);
    if (i >= 0) return Promise.resolve(this.received.splice(i, 1)[0]![kind] as Payload<K>);
    const waiting = new Promise<WorkerMessage__Output>((resolve) => this.waiters.push({ match: matches, resolve }));
    return within(timeoutMs, `a ${kind} from the worker`, waiting.then((m) => m[kind] as Payload<K>));
  }

  /** The result of one action. */
  result(actionId: number, timeoutMs?: number): Promise<Payload<'result'>> {
    return this.next('result', (r) => r.actionId === actionId, timeoutMs);
  }

  /** Ends the stream from the controller's side (as a controller restart would). */
  end(): void {
    this.call.end();
  }
}

export class FakeController {
  private readonly streams: FakeWorkerStream[] = [];
  private readonly waiters: ((s: FakeWorkerStream) => void)[] = [];

  private constructor(private readonly server: grpc.Server) {}

  /** The port it listens on (picked by the system). */
  port = 0;

  static async start(): Promise<FakeController> {
    const server = new grpc.Server(SERVER_OPTIONS);
    const self = new FakeController(server);
    const handlers: WorkerControlHandlers = {
      Connect: (call) => self.accept(new FakeWorkerStream(call)),
    };
    server.addService(protos().worker.punctual.v1.WorkerControl.service, handlers);
    self.port = await new Promise<number>((resolve, reject) =>
      server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
    );
    return self;
  }

  get address(): string {
    return `127.0.0.1:${this.port}`;
  }

  /** The next worker stream to arrive (or one that arrived and was not yet taken). */
  nextStream(timeoutMs = 10_000): Promise<FakeWorkerStream> {
    const s = this.streams.shift();
    if (s) return Promise.resolve(s);
    return within(timeoutMs, 'a worker to connect', new Promise<FakeWorkerStream>((resolve) => this.waiters.push(resolve)));
  }

  close(): Promise<void> {
    this.server.forceShutdown();
    return Promise.resolve();
  }

  private accept(s: FakeWorkerStream): void {
    const w = this.waiters.shift();
    if (w) w(s);
    else this.streams.push(s);
  }
}
