// The request book: every accepted request not yet answered. The entry the
// scheduler queues *is* the booked request (a SchedRequest carrying its
// model, inputs and promise), so a decision that names requests hands back
// their inputs with them: nothing is re-joined by id. Answering takes a
// request out of the book first, so each is answered once.
import type { PunctualError } from '../common/errors.js';
import type { WireTensor } from '../common/tensor.js';
import type { Tensor } from '../common/wire.js';
import type { ServedModel } from './model-registry.js';
import type { SchedRequest } from './scheduler/types.js';

export interface InferAnswer {
  outputs: Tensor[];
  queueMs: number;
  execMs: number;
  totalMs: number;
  batchSize: number;
  worker: string;
  executor: number;
}

/** Where a dispatched data-plane request's client is to send its tensors (the Admit stream's StageAt). */
export interface StageAt {
  ticket: string;
  dataAddress: string;
  windowMs: number;
  /** The worker's data port speaks TLS. */
  tls: boolean;
}

/**
 * A request whose tensors come over the data plane: admitted from what they
 * declare, they travel from its client to the worker its batch is dispatched
 * to, under a ticket made then and told through `stage`.
 */
export interface StagedInput {
  /** Called at each dispatch (again, with a new ticket, if a run was lost). */
  stage(at: StageAt): void;
  /** Its client went away (the Admit call was cancelled): a batch dispatched from now on does not wait for its tensors. */
  cancelled?: boolean;
  /** Set at each dispatch: tells the worker of that dispatch that its tensors will not come (an Unstage), for a client gone after it. */
  withdraw?: () => void;
}

export interface BookedRequest extends SchedRequest {
  readonly served: ServedModel;
  /** Its validated inputs; none for a staged request. */
  readonly inputs: WireTensor[];
  /** Set for a request whose tensors come over the data plane. */
  readonly staged?: StagedInput;
  readonly resolve: (a: InferAnswer) => void;
  readonly reject: (e: PunctualError) => void;
}

export class RequestBook {
  private readonly entries = new Map<number, BookedRequest>();
  private nextId = 1;

  /**
   * Books one request per item, each with its promise; every promise has a
   * handler attached here, so an item that fails after another already
   * failed never goes unhandled.
   */
  book(served: ServedModel, items: readonly WireTensor[][], arrival: number, deadline: number, staged?: StagedInput): { requests: BookedRequest[]; answers: Promise<InferAnswer>[] } {
    const requests: BookedRequest[] = [];
    const answers = items.map(
      (inputs) =>
        new Promise<InferAnswer>((resolve, reject) => {
          requests.push({ id: this.nextId++, model: served.key, arrival, deadline, served, inputs, resolve, reject, ...(staged ? { staged } : {}) });
        }),
    );
    for (const a of answers) a.catch(() => undefined);
    return { requests, answers };
  }

  /** Opens the booked requests: admission accepted them. */
  admit(requests: readonly BookedRequest[]): void {
    for (const r of requests) this.entries.set(r.id, r);
  }

  /** Takes a request out of the book to answer it; undefined when it was answered already. */
  take(r: SchedRequest): BookedRequest | undefined {
    const b = this.entries.get(r.id);
    if (b) this.entries.delete(r.id);
    return b;
  }

  /** Takes every open request out (shutdown). */
  takeAll(): BookedRequest[] {
    const all = [...this.entries.values()];
    this.entries.clear();
    return all;
  }

  /** Open requests of one model version. */
  pendingFor(key: string): number {
    let n = 0;
    for (const r of this.entries.values()) if (r.model === key) n++;
    return n;
  }

  get size(): number {
    return this.entries.size;
  }
}

/** The booked request a scheduler's record is (the live core queues only booked requests); throws if it is not one. */
export function booked(r: SchedRequest): BookedRequest {
  if (!('inputs' in r) || !('served' in r)) throw new Error(`request ${r.id} was not booked by the request book`);
  return r as BookedRequest;
}
