// Decisions → wire: turns the scheduler's INFER, LOAD and UNLOAD decisions
// into actions on the executors' worker streams, windows translated to each
// worker's clock. The executor a decision names is looked up in the routes
// (filled when a worker's executors join, emptied when it leaves); an
// executor whose worker is gone fails the action at once, and the scheduler
// re-plans it. A LOAD to an emulated executor carries the model's profile
// figures (emulated-profile.ts): what that device's runs of it take.
import crypto from 'node:crypto';
import { newTicket } from '../common/data-frames.js';
import type { Logger } from '../common/log.js';
import type { ModelProfile } from '../common/profile.js';
import { concatBatch } from '../common/tensor.js';
import { emulatedLoad } from './emulated-profile.js';
import { booked } from './request-book.js';
import type { Decision } from './scheduler/types.js';
import type { WorkerConnection } from './worker-connection.js';

/** Where an executor id sends to: its worker's stream and its index there. */
export interface ExecutorRoute {
  conn: WorkerConnection;
  index: number;
}

export type ActionDecision = Exclude<Decision, { type: 'drop' }>;

/** Keeps the offset's measurement error from putting `earliest` a hair in the worker's future (it would then wait for a timer). */
const EARLIEST_MARGIN_MS = 1;

export class ActionDispatcher {
  readonly routes = new Map<string, ExecutorRoute>();

  constructor(
    private readonly log: Logger,
    /** An action that cannot be sent (its worker left): told at once, as a failure. */
    private readonly unsendable: (actionId: number) => void,
    /** An UNLOAD about to be sent (eviction or explicit). */
    private readonly unloading: (model: string, executor: string) => void,
    /** A model's stored profile, for LOADs to emulated executors. @default none: they take their expected time */
    private readonly profileOf: (model: string) => ModelProfile | undefined = () => undefined,
  ) {}

  send(d: ActionDecision): void {
    const route = this.routes.get(d.executor);
    if (!route || route.conn.closed) {
      this.unsendable(d.actionId);
      return;
    }
    const { conn, index } = route;
    if (d.type === 'unload') {
      this.unloading(d.model, d.executor);
      this.log.info({ event: 'model_unloaded', model: d.model, executor: d.executor }, `unloading ${d.model} from ${d.executor}`);
    }
    // Windows open at dispatch time; `latest` is exact: never run late.
    const window = {
      earliestMs: conn.toWorker(d.earliest) - EARLIEST_MARGIN_MS,
      latestMs: conn.toWorker(d.latest),
      expectedMs: d.expected,
    };
    switch (d.type) {
      case 'infer': {
        const requests = d.requests.map(booked);
        const first = requests[0];
        // Staged rows (the data plane) get a ticket each, told to their clients; the others travel here.
        // A row whose client has gone gets no ticket (''): the worker runs the batch without waiting for it.
        const staged = requests.flatMap((r, row) => (r.staged ? [{ row, ticket: r.staged.cancelled ? '' : newTicket(crypto.randomBytes), request: r }] : []));
        const inline = requests.filter((r) => !r.staged);
        const inputs = first && inline.length > 0 ? concatBatch(first.served.config.inputs, inline.map((r) => r.inputs)) : [];
        const specs = first && staged.length > 0 ? first.served.config.inputs.map((s) => ({ name: s.name, dtype: s.dtype, shape: s.shape })) : [];
        conn.send({
          action: { id: d.actionId, type: 'INFER', executor: index, modelKey: d.model, batchSize: requests.length, inputs, staged: staged.map(({ row, ticket }) => ({ row, ticket })), inputSpecs: specs, ...window },
        });
        for (const s of staged) {
          if (!s.ticket) continue;
          const input = s.request.staged!;
          input.withdraw = () => conn.send({ unstage: { ticket: s.ticket } });
          input.stage({ ticket: s.ticket, dataAddress: conn.dataAddress, windowMs: Math.max(0, d.latest - d.earliest), tls: conn.dataTls });
        }
        return;
      }
      case 'load':
      case 'unload': {
        // A LOAD names its session's intra-op threads when the model asks for a count (common/model-threads.ts).
        const threads = d.type === 'load' && d.threads !== undefined ? { threads: d.threads } : {};
        const emulated = d.type === 'load' ? emulatedLoad(conn.executors, index, this.profileOf(d.model)) : {};
        conn.send({ action: { id: d.actionId, type: d.type === 'load' ? 'LOAD' : 'UNLOAD', executor: index, modelKey: d.model, lane: d.lane, ...threads, ...emulated, ...window } });
        this.log.debug({ event: d.type, model: d.model, executor: d.executor, expectedMs: d.expected, ...threads }, `${d.type} planned`);
        return;
      }
    }
  }
}
