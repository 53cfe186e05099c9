// PunctualRingClient: a client of a ring of controllers (punctual controller
// --ring), each owning the models its name hashes to (common/ring.ts). It
// learns the ring from any one controller it is given (Admin.GetRing), sends
// each request to its model's owner through one PunctualClient per
// controller, and retries only what cannot have run:
//
//   answer                                   what it does
//   other_shard (a controller that does      at once to the owner it names (trailer
//    not own the model)                        punctual-owner), and learns the ring again
//   UNAVAILABLE that never reached a          again after a backoff, at the owner the ring
//    controller (no connection, stream         then names (relearnt from another member when
//    refused) or that one answered without     a controller cannot be reached): a controller
//    admitting (no_executor, draining)         restarting, its workers not yet back
//   anything else (admitted, then failed;     to the caller
//    rejected for its SLO; bad input)
//
// Retries stay inside the request's own budget (its sloMs, else its deadline,
// else `retry.withinMs`): each attempt carries what is left of the SLO, so
// the controller's admission judges the time the caller still has.
import { status as Status } from '@grpc/grpc-js';
import { ControllerRing, OTHER_SHARD, OWNER_TRAILER, RING_VERSION_TRAILER, parseOwnerTrailer, type RingMember } from '../common/ring.js';
import { PunctualClient, type ClusterStatus, type InferResult, type ModelInfo } from './client.js';
import { PunctualClientError } from './errors.js';
import { checkInferOptions, type InferOptions, type PunctualClientOptions } from './options.js';
import type { InferInputs } from './tensors.js';

/** How a ring client retries what did not run. */
export interface RetryOptions {
  /** Attempts per request, the first included; 1 turns retries off. @default 4 */
  attempts?: number;
  /** Wait before the first retry of an UNAVAILABLE, doubled for each next, ms. @default 25 */
  backoffMs?: number;
  /** Time retries may take when the request has neither sloMs nor a deadline, ms. @default 250 */
  withinMs?: number;
}

export interface RingClientOptions extends PunctualClientOptions {
  retry?: RetryOptions;
  /** Learn the ring again at most this often when controllers cannot be reached, ms. @default 1000 */
  ringRefreshMs?: number;
}

const RETRY_DEFAULTS: Required<RetryOptions> = { attempts: 4, backoffMs: 25, withinMs: 250 };
/** UNAVAILABLE answers a controller gives without admitting the request. */
const NOT_ADMITTED = new Set(['no_executor', 'draining']);
/** grpc-js's details for a call that never reached a server. */
const NEVER_SENT = /No connection established|Stream refused by server/;

/** What to do after a failed attempt: try `address` after `waitMs`, or give up (undefined). */
interface NextRoute {
  address: string;
  waitMs: number;
}

/** The owner an other_shard answer names in its trailer. */
function ownerNamedBy(err: PunctualClientError): RingMember | undefined {
  return parseOwnerTrailer(err.metadata?.get(OWNER_TRAILER)[0]);
}

/** Whether an UNAVAILABLE is one no controller admitted (safe to send again). */
export function notAdmitted(err: PunctualClientError): boolean {
  if (err.code !== Status.UNAVAILABLE) return false;
  if (err.reason !== undefined) return NOT_ADMITTED.has(err.reason);
  return NEVER_SENT.test(err.message);
}

/**
 * Client of a ring of controllers (or of one controller alone: then it is a
 * PunctualClient that retries what did not run).
 *
 * ```ts
 * const client = new PunctualRingClient(['controller-0:7000', 'controller-1:7000']);
 * const { outputs } = await client.infer('det', { x }, { sloMs: 50 });
 * ```
 */
export class PunctualRingClient {
  private readonly retry: Required<RetryOptions>;
  private readonly clients = new Map<string, PunctualClient>();
  private readonly seeds: readonly string[];
  /** The ring as last learnt; undefined: a controller alone (every model at the first seed that answered). */
  private current: ControllerRing | undefined;
  /** The controller alone, named by its address, when it is in no ring. */
  private alone: RingMember | undefined;
  private learning: Promise<void> | undefined;
  private learntAt = -Infinity;
  private closed = false;

  /**
   * @param seeds controllers to learn the ring from (`host:port`), tried in order
   * @throws RangeError for an invalid option or no seed
   */
  constructor(
    seeds: string | readonly string[],
    private readonly options: RingClientOptions = {},
  ) {
    this.seeds = typeof seeds === 'string' ? [seeds] : [...seeds];
    if (this.seeds.length === 0) throw new RangeError('a ring client needs at least one controller address');
    const r = { ...RETRY_DEFAULTS, ...(options.retry ?? {}) };
    if (!(Number.isInteger(r.attempts) && r.attempts >= 1 && r.attempts <= 16)) throw new RangeError(`retry.attempts must be a whole number from 1 to 16, not ${r.attempts}`);
    for (const k of ['backoffMs', 'withinMs'] as const) {
      if (!(Number.isFinite(r[k]) && r[k] >= 0)) throw new RangeError(`retry.${k} must be 0 or more ms, not ${r[k]}`);
    }
    this.retry = r;
    // Checks the PunctualClient options now, not at the first request.
    this.client(this.seeds[0]!);
  }

  /** The ring as learnt (learning it first if need be); undefined when the controller is alone. */
  async ring(): Promise<ControllerRing | undefined> {
    if (!this.current && !this.alone) await this.learn(true);
    return this.current;
  }

  /** The controller that owns `model`, as the ring says (learning it first if need be). */
  async ownerOf(model: string): Promise<RingMember> {
    const ring = await this.ring();
    return ring ? ring.owner(model) : this.alone!;
  }

  /** Runs one inference request on its model's owner (see the file's head for retries). Throws as PunctualClient.infer. */
  async infer(model: string, inputs: InferInputs, options: InferOptions = {}): Promise<InferResult> {
    checkInferOptions(options);
    const start = performance.now();
    const budget = options.sloMs ?? options.deadlineMs ?? this.options.defaultDeadlineMs ?? this.retry.withinMs;
    let address = (await this.ownerOf(model)).address;
    for (let attempt = 1; ; attempt++) {
      const spent = performance.now() - start;
      try {
        return await this.client(address).infer(model, inputs, left(options, spent));
      } catch (err) {
        if (!(err instanceof PunctualClientError)) throw err;
        const next = await this.nextRoute(err, model, address, attempt);
        const after = performance.now() - start + (next?.waitMs ?? 0);
        if (!next || attempt >= this.retry.attempts || after >= budget - 1 || options.signal?.aborted) throw err;
        if (next.waitMs > 0) await sleep(next.waitMs);
        address = next.address;
      }
    }
  }

  /** Every controller's models (each lists the ones it holds; a model being handed over is listed once). */
  async listModels(options: { signal?: AbortSignal } = {}): Promise<ModelInfo[]> {
    const seen = new Map<string, ModelInfo>();
    for (const { address } of await this.members()) {
      for (const m of await this.client(address).listModels(options)) seen.set(`${m.name}@${m.version}`, m);
    }
    return [...seen.values()].sort((a, b) => (a.name === b.name ? a.version - b.version : a.name < b.name ? -1 : 1));
  }

  /** Each controller's status, by member. */
  async clusterStatus(options: { signal?: AbortSignal } = {}): Promise<{ controller: RingMember; status: ClusterStatus }[]> {
    const members = await this.members();
    return Promise.all(members.map(async (controller) => ({ controller, status: await this.client(controller.address).clusterStatus({ ...options, brief: true }) })));
  }

  close(): void {
    this.closed = true;
    for (const c of this.clients.values()) c.close();
    this.clients.clear();
  }

  /** The ring's members, or the controller alone. */
  private async members(): Promise<readonly RingMember[]> {
    const ring = await this.ring();
    return ring ? ring.members : [this.alone!];
  }

  private client(address: string): PunctualClient {
    if (this.closed) throw new PunctualClientError(Status.CANCELLED, 'the ring client is closed');
    let c = this.clients.get(address);
    if (!c) {
      const { retry: _retry, ringRefreshMs: _refresh, ...clientOptions } = this.options;
      c = new PunctualClient(address, clientOptions);
      this.clients.set(address, c);
    }
    return c;
  }

  private async nextRoute(err: PunctualClientError, model: string, address: string, attempt: number): Promise<NextRoute | undefined> {
    if (err.reason === OTHER_SHARD) {
      const owner = ownerNamedBy(err);
      if (!owner || owner.address === address) return undefined;
      const version = err.metadata?.get(RING_VERSION_TRAILER)[0];
      if (version !== this.current?.version) void this.learn(true, owner.address).catch(() => undefined);
      return { address: owner.address, waitMs: 0 };
    }
    if (!notAdmitted(err)) return undefined;
    // Perhaps the ring moved (a controller replaced, the model handed over): ask another member.
    if (err.reason === undefined) await this.learn(false, undefined, address).catch(() => undefined);
    return { address: (await this.ownerOf(model)).address, waitMs: this.retry.backoffMs * 2 ** (attempt - 1) };
  }

  /**
   * Learns the ring from `from`, else the known members and seeds, in order,
   * skipping `avoid` (a controller that just failed to answer). Without
   * `force`, at most once per ringRefreshMs.
   */
  private learn(force: boolean, from?: string, avoid?: string): Promise<void> {
    if (!force && performance.now() - this.learntAt < (this.options.ringRefreshMs ?? 1000)) return Promise.resolve();
    this.learning ??= (async () => {
      const candidates = [...new Set([...(from ? [from] : []), ...(this.current?.members.map((m) => m.address) ?? []), ...this.seeds])].filter((a) => a !== avoid);
      let last: unknown;
      for (const address of candidates) {
        try {
          const r = await this.client(address).getRing();
          if (r.members.length === 0) {
            this.current = undefined;
            this.alone = { name: address, address };
          } else {
            this.current = new ControllerRing(r.members);
            this.alone = undefined;
          }
          this.learntAt = performance.now();
          return;
        } catch (e) {
          last = e;
        }
      }
      this.learntAt = performance.now();
      // Nothing answered: keep what we knew; with nothing known, the first call's failure is the caller's.
      if (!this.current && !this.alone) throw last ?? new PunctualClientError(Status.UNAVAILABLE, 'no controller of the ring answered');
    })().finally(() => {
      this.learning = undefined;
    });
    return this.learning;
  }
}

/** The options of an attempt made `spent` ms after the request began: what is left of its SLO and deadline. */
function left(options: InferOptions, spent: number): InferOptions {
  if (spent <= 0) return options;
  return {
    ...options,
    ...(options.sloMs !== undefined ? { sloMs: Math.max(1, options.sloMs - spent) } : {}),
    ...(options.deadlineMs !== undefined ? { deadlineMs: Math.max(1, options.deadlineMs - spent) } : {}),
  };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
