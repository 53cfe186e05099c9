// Inputs a client staged on this worker over the data plane (issue 13 point
// 3; common/data-frames.ts), held until the action that names them runs.
//
// The controller admits a request from its small header and, when it
// dispatches it, names its ticket in the INFER action it sends here and gives
// the same ticket to the client, which sends the tensors straight to this
// worker. This store matches the two, and refuses, with a code and a message
// the client can act on, every tensor it must not run:
//
// - no_admission: no action names its ticket (held a little first, in case
//   the client's bytes overtook the controller's action; then refused);
// - outside_window: it arrived after the window its action was given to
//   start in;
// - mismatch: its names, dtypes or shapes are not what was admitted;
// - duplicate: its ticket was staged already;
// - staging_full: holding it would pass the worker's budget for staged bytes.
//
// What it holds is bounded by that budget, early arrivals included, and
// nothing stays past its window: an expectation not met by then fails, so
// its action refuses that request rather than waiting.
import type { Clock } from '../common/clock.js';
import { dims, quoted } from '../common/bounded-text.js';
import type { TensorHeader } from '../common/data-frames.js';
import type { WireTensor } from '../common/tensor.js';

export type StageRefusal = 'no_admission' | 'outside_window' | 'mismatch' | 'duplicate' | 'staging_full';

export type StageOutcome = { ok: true } | { ok: false; code: StageRefusal; message: string };

/** What an action expects of one ticket. */
export interface Expectation {
  /** The inputs admitted for it, in the model's order, per request (batch axis 1). */
  tensors: readonly TensorHeader[];
  /** Worker clock, ms: the end of its action's start window. Staged later, it is refused. */
  latestMs: number;
}

export interface Timer {
  cancel(): void;
}

export interface StagingOptions {
  clock: Clock;
  /** Bytes of staged tensors held at most, early arrivals included. */
  maxBytes: number;
  /** How long a stage whose ticket no action names yet is held before it is refused, ms. @default 50 */
  holdUnknownMs?: number;
  /** @default setTimeout */
  setTimer?: (fn: () => void, ms: number) => Timer;
}

/** Why an expectation failed: its action refuses that request with this. */
export class NotStagedError extends Error {
  constructor(
    readonly code: 'not_staged_in_time' | 'cancelled',
    message: string,
  ) {
    super(message);
  }
}

interface Waiting {
  expectation: Expectation;
  resolve: (tensors: WireTensor[]) => void;
  reject: (err: NotStagedError) => void;
  timer: Timer;
}

interface Early {
  tensors: WireTensor[];
  bytes: number;
  settle: (o: StageOutcome) => void;
  timer: Timer;
}

const defaultTimer = (fn: () => void, ms: number): Timer => {
  const t = setTimeout(fn, Math.max(0, ms));
  return { cancel: () => clearTimeout(t) };
};

/** Settled tickets remembered, at most (36 bytes each: ~2.4 MB). */
const SEEN_TICKETS = 65_536;

function bytesOf(tensors: readonly WireTensor[]): number {
  let n = 0;
  for (const t of tensors) n += t.data.byteLength;
  return n;
}

function describe(t: { name: string; dtype: string; shape: readonly number[] }): string {
  return `${quoted(t.name)} ${t.dtype}${dims(t.shape)}`;
}

/** What is wrong with `got` against what was admitted, or undefined when they agree. */
function mismatch(want: readonly TensorHeader[], got: readonly WireTensor[]): string | undefined {
  if (want.length !== got.length) return `${got.length} tensors were staged; ${want.length} were admitted (${want.map(describe).join(', ')})`;
  for (let i = 0; i < want.length; i++) {
    const w = want[i]!;
    const g = got[i]!;
    if (w.name !== g.name || w.dtype !== g.dtype || w.shape.length !== g.shape.length || w.shape.some((d, k) => d !== g.shape[k])) {
      return `tensor ${i} is ${describe(g)}; ${describe(w)} was admitted`;
    }
  }
  return undefined;
}

export class Staging {
  private readonly waiting = new Map<string, Waiting>();
  private readonly early = new Map<string, Early>();
  /**
   * Tickets staged, refused or expired: a second stage of one is a duplicate.
   * The most recent SEEN_TICKETS only (tickets are random: an older one staged
   * again is named by no action, so it is refused as no_admission instead).
   */
  private readonly seen = new Map<string, { expiredAt?: number }>();
  private held = 0;
  private readonly holdUnknownMs: number;
  private readonly setTimer: (fn: () => void, ms: number) => Timer;

  constructor(private readonly opts: StagingOptions) {
    this.holdUnknownMs = opts.holdUnknownMs ?? 50;
    this.setTimer = opts.setTimer ?? defaultTimer;
  }

  /** Bytes held now (early arrivals). Tensors handed to an action are its own. */
  bytes(): number {
    return this.held;
  }

  /** Tickets an action waits for. */
  expected(): number {
    return this.waiting.size;
  }

  /**
   * An action names `ticket`: resolves with its tensors when they are staged
   * (at once if they came early), or rejects with NotStagedError when its
   * window ends first or it is cancelled.
   */
  expect(ticket: string, expectation: Expectation): Promise<WireTensor[]> {
    return new Promise((resolve, reject) => {
      if (this.waiting.has(ticket)) {
        reject(new NotStagedError('cancelled', `ticket ${ticket.slice(0, 8)}… is named by another action already`));
        return;
      }
      if (this.seen.has(ticket)) {
        reject(new NotStagedError('cancelled', `ticket ${ticket.slice(0, 8)}… was settled before this action arrived (staged and refused, or named before)`));
        return;
      }
      const early = this.early.get(ticket);
      if (early) {
        this.early.delete(ticket);
        early.timer.cancel();
        this.held -= early.bytes;
        this.settled(ticket);
        const wrong = mismatch(expectation.tensors, early.tensors);
        if (wrong) {
          early.settle({ ok: false, code: 'mismatch', message: wrong });
          reject(new NotStagedError('cancelled', `its staged tensors were refused: ${wrong}`));
          return;
        }
        early.settle({ ok: true });
        resolve(early.tensors);
        return;
      }
      const wait = Math.max(0, expectation.latestMs - this.opts.clock.now());
      const timer = this.setTimer(() => {
        if (this.waiting.get(ticket)?.timer !== timer) return;
        this.waiting.delete(ticket);
        this.settled(ticket, expectation.latestMs);
        reject(new NotStagedError('not_staged_in_time', `its inputs were not staged on this worker by the end of its start window`));
      }, wait);
      this.waiting.set(ticket, { expectation, resolve, reject, timer });
    });
  }

  /** The action no longer needs `ticket` (refused, cancelled, the controller gone). */
  cancel(ticket: string, why: string): void {
    const w = this.waiting.get(ticket);
    if (!w) return;
    this.waiting.delete(ticket);
    this.settled(ticket);
    w.timer.cancel();
    w.reject(new NotStagedError('cancelled', why));
  }

  /** A client staged `tensors` for `ticket`: resolves once it is taken or refused (an early one waits up to holdUnknownMs). */
  stage(ticket: string, tensors: WireTensor[]): Promise<StageOutcome> {
    const now = this.opts.clock.now();
    const past = this.seen.get(ticket);
    if (past?.expiredAt !== undefined) {
      return Promise.resolve({ ok: false, code: 'outside_window', message: `staged ${(now - past.expiredAt).toFixed(1)} ms after the window its action was given to start in` });
    }
    if (past || this.early.has(ticket)) {
      return Promise.resolve({ ok: false, code: 'duplicate', message: `ticket ${ticket.slice(0, 8)}… was staged or settled already; each ticket carries one request once` });
    }
    const w = this.waiting.get(ticket);
    if (w) {
      this.waiting.delete(ticket);
      this.settled(ticket);
      w.timer.cancel();
      if (now > w.expectation.latestMs) {
        // The timer has not fired yet, but the window is over: the same answer as if it had.
        w.reject(new NotStagedError('not_staged_in_time', 'its inputs were staged after the end of its start window'));
        return Promise.resolve({ ok: false, code: 'outside_window', message: `staged ${(now - w.expectation.latestMs).toFixed(1)} ms after the window its action was given to start in` });
      }
      const wrong = mismatch(w.expectation.tensors, tensors);
      if (wrong) {
        w.reject(new NotStagedError('cancelled', `its staged tensors were refused: ${wrong}`));
        return Promise.resolve({ ok: false, code: 'mismatch', message: wrong });
      }
      w.resolve(tensors);
      return Promise.resolve({ ok: true });
    }
    const bytes = bytesOf(tensors);
    if (this.held + bytes > this.opts.maxBytes) {
      return Promise.resolve({ ok: false, code: 'staging_full', message: `holding ${bytes} more bytes would pass this worker's ${this.opts.maxBytes} bytes for staged inputs (${this.held} held); try again` });
    }
    return new Promise((settle) => {
      this.held += bytes;
      const timer = this.setTimer(() => {
        if (this.early.get(ticket)?.timer !== timer) return;
        this.early.delete(ticket);
        this.held -= bytes;
        this.settled(ticket);
        settle({ ok: false, code: 'no_admission', message: `no action on this worker names this ticket (held ${this.holdUnknownMs} ms); only a request the controller admitted and dispatched here may be staged` });
      }, this.holdUnknownMs);
      this.early.set(ticket, { tensors, bytes, settle, timer });
    });
  }

  /** `expiredAt`: its window ended at that time with nothing staged. */
  private settled(ticket: string, expiredAt?: number): void {
    this.seen.set(ticket, expiredAt === undefined ? {} : { expiredAt });
    if (this.seen.size > SEEN_TICKETS) this.seen.delete(this.seen.keys().next().value!);
  }

  /** Drops everything (the controller is gone): expectations fail as cancelled, early stages are refused. */
  clear(why: string): void {
    for (const [ticket, w] of [...this.waiting]) {
      this.waiting.delete(ticket);
      w.timer.cancel();
      w.reject(new NotStagedError('cancelled', why));
    }
    for (const [ticket, e] of [...this.early]) {
      this.early.delete(ticket);
      e.timer.cancel();
      e.settle({ ok: false, code: 'no_admission', message: why });
    }
    this.held = 0;
    this.seen.clear();
  }
}
