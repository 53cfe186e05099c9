// An INFER batch some of whose rows came over the data plane (issue 13 point
// 3): the action carries the other rows' inputs concatenated, and names the
// staged rows by ticket; their tensors were staged on this worker by their
// clients (worker/staging.ts). Before the run the batch is put back together
// in row order, a row whose tensors did not come in time filled with zeros
// (the batch keeps the size the controller planned and timed; that row's
// client is told it missed its window). After the run each staged row's
// outputs go to its client and the controller gets the inline rows' only.
import type { WireTensor } from '../common/tensor.js';
import { bytesPerElement, elementCount, isDType } from '../common/dtype.js';
import type { Staging } from './staging.js';

/** A model input as the action declares it for staged batches: per item, no batch axis. */
export interface InputSpec {
  name: string;
  dtype: string;
  shape: number[];
}

/** Bytes of one item of `spec`; throws on a dtype the wire does not know. */
function itemBytes(spec: InputSpec): number {
  if (!isDType(spec.dtype)) throw new Error(`input ${spec.name}: unknown dtype ${spec.dtype}`);
  return elementCount(spec.shape) * bytesPerElement(spec.dtype);
}

/** What each staged row must carry: the model's inputs with a batch axis of 1. */
export function stagedRowHeaders(specs: readonly InputSpec[]): { name: string; dtype: never; shape: number[] }[] {
  return specs.map((s) => ({ name: s.name, dtype: s.dtype as never, shape: [1, ...s.shape] }));
}

/**
 * The batch's inputs in row order. `inline` holds the rows not staged,
 * concatenated (batch axis = their count); `staged` maps each staged row to
 * its tensors, or undefined when they did not come (zeros in its place).
 */
export function assembleBatch(specs: readonly InputSpec[], batch: number, inline: readonly WireTensor[], staged: ReadonlyMap<number, readonly WireTensor[] | undefined>): WireTensor[] {
  return specs.map((spec, i) => {
    const n = itemBytes(spec);
    const data = new Uint8Array(n * batch); // zeros: what a missing row runs with
    const from = inline.find((t) => t.name === spec.name) ?? inline[i];
    let k = 0;
    for (let row = 0; row < batch; row++) {
      if (staged.has(row)) {
        const t = staged.get(row)?.[i];
        if (t) data.set(t.data.subarray(0, n), row * n);
      } else if (from) {
        data.set(from.data.subarray(k * n, (k + 1) * n), row * n);
        k++;
      }
    }
    return { name: spec.name, dtype: spec.dtype, shape: [batch, ...spec.shape], data };
  });
}

/** One row's slice of each batched output (batch axis 1), as views. */
export function rowOf(outputs: readonly WireTensor[], batch: number, row: number): WireTensor[] {
  return outputs.map((o) => {
    const per = o.data.byteLength / batch;
    return { name: o.name, dtype: o.dtype, shape: [1, ...o.shape.slice(1)], data: o.data.subarray(row * per, (row + 1) * per) };
  });
}

/** The outputs of the rows not in `staged`, concatenated in row order (what the controller answers its own requests from). */
export function inlineOutputs(outputs: readonly WireTensor[], batch: number, staged: ReadonlySet<number>): WireTensor[] {
  const rows = Array.from({ length: batch }, (_, r) => r).filter((r) => !staged.has(r));
  if (rows.length === batch) return [...outputs];
  if (rows.length === 0) return [];
  return outputs.map((o) => {
    const per = o.data.byteLength / batch;
    const data = new Uint8Array(per * rows.length);
    rows.forEach((r, k) => data.set(o.data.subarray(r * per, (r + 1) * per), k * per));
    return { name: o.name, dtype: o.dtype, shape: [rows.length, ...o.shape.slice(1)], data };
  });
}

/** What an executor needs of the worker's data plane (worker/staging.ts, worker/data-port.ts). */
export interface ExecutorDataPlane {
  staging: Staging;
  /** Sends a staged row's outputs to its client. */
  answer(ticket: string, outputs: readonly WireTensor[], execMs: number): void;
  /** Tells a staged row's client that its batch did not run here, and why. */
  refuse(ticket: string, code: string, message: string): void;
  /**
   * How long past its earliest start a batch waits for its staged rows at
   * most, ms (and never past its start window): a client that never sends
   * costs its batch at most this. @default the whole window
   */
  stageWaitMs?: number;
}

/** A row of the batch whose tensors come over the data plane; ticket '' when its client has gone. */
export interface StagedRow {
  row: number;
  ticket: string;
}

/** Each staged row's tensors, or undefined for a row whose tensors did not come. */
export type Arrivals = Map<number, WireTensor[] | undefined>;

/** What the run came to, as far as its staged rows need to know. */
export interface RunOutcome {
  ok: boolean;
  message: string;
  durationMs: number;
  outputs: WireTensor[];
}

/**
 * One batch's staged rows on an executor: expected from the moment its
 * action arrives (a client stages them as soon as it hears of the dispatch,
 * maybe long before the action runs), waited for until the end of its start
 * window (or stageWaitMs past its earliest start), answered after the run.
 */
export class StagedRows {
  /** Settles when every row's tensors came or will not. */
  readonly arrivals: Promise<Arrivals>;

  constructor(
    private readonly plane: ExecutorDataPlane | undefined,
    private readonly rows: readonly StagedRow[],
    private readonly specs: readonly InputSpec[],
    window: { earliestMs: number; latestMs: number; receivedMs: number },
  ) {
    const staging = plane?.staging;
    const headers = stagedRowHeaders(specs);
    const latestMs = Math.min(window.latestMs, Math.max(window.earliestMs, window.receivedMs) + (plane?.stageWaitMs ?? Infinity));
    this.arrivals = Promise.allSettled(
      rows.map((r) => (staging && r.ticket !== '' ? staging.expect(r.ticket, { tensors: headers, latestMs }) : Promise.reject(new Error('no tensors to wait for')))),
    ).then((got) => new Map(rows.map((r, i) => [r.row, got[i]!.status === 'fulfilled' ? (got[i] as PromiseFulfilledResult<WireTensor[]>).value : undefined])));
  }

  /** The batch's inputs in row order, its inline rows' (`inline`) with the staged ones. */
  inputs(batch: number, inline: readonly WireTensor[], arrived: Arrivals): WireTensor[] {
    return assembleBatch(this.specs, batch, inline, arrived);
  }

  /** The batch will not run here: the rows' expectations end, their clients are told. */
  drop(why: string): void {
    for (const { ticket } of this.rows) {
      if (ticket === '') continue;
      this.plane?.staging.cancel(ticket, why);
      this.plane?.refuse(ticket, 'not_run', why);
    }
  }

  /**
   * After the run: each staged row's client gets its outputs (or why not),
   * and the result carries the inline rows' outputs and the rows that never came.
   */
  settle(outcome: RunOutcome, batch: number, arrived: Arrivals, where: string): { outputs: WireTensor[]; missingRows: number[] } {
    const missingRows: number[] = [];
    for (const { row, ticket } of this.rows) {
      if (!arrived.get(row)) missingRows.push(row);
      else if (!outcome.ok) this.plane?.refuse(ticket, 'not_run', `its batch failed on ${where}: ${outcome.message}`);
      else this.plane?.answer(ticket, outcome.outputs.length > 0 ? rowOf(outcome.outputs, batch, row) : [], outcome.durationMs);
    }
    const outputs = outcome.ok ? inlineOutputs(outcome.outputs, batch, new Set(this.rows.map((r) => r.row))) : [];
    return { outputs, missingRows };
  }
}
