// Writes to a message stream, coalesced while one is in flight. A grpc-js
// stream is an object-mode Writable that hands its transport one message at
// a time and the next only once the last one's write has finished, which
// takes at least one turn of the event loop. A busy process turns its loop
// slowly (thousands of requests a second on two cores: 5-10 ms a turn), so a
// stream that carries a few hundred small messages a second queues them, and
// each waits for every one before it: the controller's actions reached their
// workers 0.3-3 s late, long past their windows, and were refused (issue 13,
// bench --only controller-throughput). Here a message goes out at once when
// nothing is in flight; those sent meanwhile wait in `queue` and leave
// together when the write in flight finishes: `pack` folds them into as few
// messages as it can (a batch of actions, of results), in order.
//
// Nothing is dropped: a write whose stream has failed calls back with its
// error and the rest follow into the same failed stream (whose owner learns
// of the failure from the stream's own events), as plain writes would.

/** Writes one message and calls `done` once it has gone (or failed). */
export type WriteOne<M> = (message: M, done: () => void) => void;

/** Folds queued messages, in order, into the messages to write, in order (at least one). */
export type Pack<M> = (queued: M[]) => M[];

export class CoalescedWrites<M> {
  private queue: M[] = [];
  private inFlight = false;
  /** Writes made (each a message or a pack), for tests and benchmarks. */
  writes = 0;

  constructor(
    private readonly write: WriteOne<M>,
    private readonly pack: Pack<M>,
  ) {}

  /** Messages waiting for the write in flight. */
  get waiting(): number {
    return this.queue.length;
  }

  send(message: M): void {
    if (this.inFlight) {
      this.queue.push(message);
      return;
    }
    this.inFlight = true;
    this.writes++;
    this.write(message, this.flush);
  }

  private readonly flush = (): void => {
    if (this.queue.length === 0) {
      this.inFlight = false;
      return;
    }
    const out = this.pack(this.queue);
    this.queue = [];
    for (let i = 0; i < out.length; i++) {
      this.writes++;
      this.write(out[i]!, i === out.length - 1 ? this.flush : noop);
    }
  };
}

function noop(): void {}

/** Bytes of tensor data a pack puts in one message at most (a larger item goes alone). */
export const PACK_MAX_BYTES = 4 * 1024 * 1024;

/** Items a pack puts in one message at most. */
export const PACK_MAX_ITEMS = 512;

/**
 * A Pack for a stream whose messages are a oneof where some kind (`item`)
 * can travel several at a time in a batch message (`batch`): runs of
 * consecutive items become batches of at most PACK_MAX_ITEMS items and
 * PACK_MAX_BYTES of their data (a lone item stays as it is); every other
 * message keeps its place.
 */
export function packRuns<M, I>(item: (m: M) => I | undefined, batch: (items: I[]) => M, bytes: (i: I) => number): Pack<M> {
  return (queued) => {
    const out: M[] = [];
    let run: { items: I[]; first: M; bytes: number } | undefined;
    const close = (): void => {
      if (run) out.push(run.items.length === 1 ? run.first : batch(run.items));
      run = undefined;
    };
    for (const m of queued) {
      const i = item(m);
      if (i === undefined) {
        close();
        out.push(m);
        continue;
      }
      const b = bytes(i);
      if (run && (run.items.length >= PACK_MAX_ITEMS || run.bytes + b > PACK_MAX_BYTES)) close();
      if (!run) run = { items: [], first: m, bytes: 0 };
      run.items.push(i);
      run.bytes += b;
    }
    close();
    return out;
  };
}

/** Bytes of tensor data in a list of wire tensors. */
export function tensorBytes(tensors: readonly { data?: Uint8Array | string | null }[] | null | undefined): number {
  let n = 0;
  for (const t of tensors ?? []) n += typeof t.data === 'string' ? t.data.length : (t.data?.byteLength ?? 0);
  return n;
}
