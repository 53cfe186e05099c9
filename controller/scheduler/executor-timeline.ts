// What the controller believes about one executor: the models it holds, its
// memory, and the actions sent to it but not yet answered, in the order the
// worker will run them. Predictions re-anchor on every result: when an action
// ends late (or early), every later action's predicted start and end move
// with it, so one slow run does not leave the timeline lying.
//
// Predicted starts and ends use each action's typical (mean) duration: that
// is when the worker most likely gets to the next one, and dispatch keeps it
// fed from there. How far the sum of the booked actions may run past that is
// kept apart as the sum of their squared spreads (high figure − typical):
// see margin().
import { RecentSamples } from './recent-samples.js';
import type { ExecutorSpec, SchedRequest } from './types.js';

/** Return times kept per executor. */
const RETURN_SAMPLES = 100;

export interface Residency {
  state: 'loading' | 'loaded';
  /** Predicted time it becomes usable (end of its LOAD), or when it did. */
  readyAt: number;
  /** Last time an inference on it was planned to end: LRU order. */
  lastUsed: number;
  memory: number;
  /** INFER actions in flight on this model. */
  inflightInfers: number;
}

export interface InflightAction {
  id: number;
  type: 'infer' | 'load' | 'unload';
  model: string;
  earliest: number;
  /** High-percentile duration: what the worker is told, and what its window allows for. */
  expected: number;
  /** Mean duration: what predicted starts and ends advance by. */
  typical: number;
  predictedStart: number;
  predictedEnd: number;
  batch: number;
  requests: SchedRequest[];
}

export class ExecutorTimeline {
  readonly models = new Map<string, Residency>();
  /** In the order the worker runs them (ascending earliest). */
  readonly inflight: InflightAction[] = [];
  memoryUsed = 0;
  /** Typical end of the last in-flight action; never before the last re-anchor. */
  freeAt: number;
  /** Σ (expected − typical)² over the actions in flight. */
  spreadSq = 0;
  loadsInFlight = 0;
  /** Its worker is shutting down: nothing new is planned here; what is in flight finishes. */
  draining = false;
  /**
   * Its worker stopped answering pings (a frozen or partitioned machine):
   * nothing is planned here until it answers again.
   */
  unresponsive = false;
  /**
   * When an action here went missing (no result long past its predicted
   * end): nothing is planned here until a result from it arrives, or its
   * worker is live and a retry interval has passed. Undefined when fine.
   */
  lostAt: number | undefined;
  completed = 0;
  /**
   * How long an inference's answer took from the worker's measured end to
   * the controller (result message, decoding, the controller's own queue):
   * time the deadline must cover too, and that the run's end does not show.
   */
  readonly returns = new RecentSamples(RETURN_SAMPLES);
  /**
   * Models to load here in the background, in order, while it is idle (see
   * LoadPlanner.preload): a joining executor's warm-up, which must never
   * book loads ahead of requests.
   */
  preloads: string[] = [];
  /** LOAD and UNLOAD actions planned on it. */
  loads = 0;
  unloads = 0;

  constructor(
    readonly spec: ExecutorSpec,
    now: number,
  ) {
    this.freeAt = now;
  }

  /** Whether new work may be planned here: not draining, its worker answering, no action gone missing. */
  get usable(): boolean {
    return !this.draining && !this.unresponsive && this.lostAt === undefined;
  }

  /** Set aside (unresponsive or missing an action), as opposed to draining by choice. */
  get suspended(): boolean {
    return this.unresponsive || this.lostAt !== undefined;
  }

  /** Appends an action at the end of the timeline and returns it. */
  plan(
    id: number,
    type: InflightAction['type'],
    model: string,
    earliest: number,
    expected: number,
    requests: SchedRequest[] = [],
    typical = expected,
  ): InflightAction {
    const predictedStart = Math.max(earliest, this.freeAt);
    const a: InflightAction = {
      id,
      type,
      model,
      earliest,
      expected,
      typical,
      predictedStart,
      predictedEnd: predictedStart + typical,
      batch: requests.length,
      requests,
    };
    this.inflight.push(a);
    this.spreadSq += (expected - typical) ** 2;
    if (type === 'load') this.loads++;
    else if (type === 'unload') this.unloads++;
    this.freeAt = a.predictedEnd;
    return a;
  }

  /**
   * Removes an answered (or abandoned) action and re-anchors what follows it
   * at `anchor`: the measured end, or now for a lost or refused one.
   */
  settle(id: number, anchor: number): InflightAction | undefined {
    const i = this.inflight.findIndex((a) => a.id === id);
    if (i < 0) return undefined;
    const [a] = this.inflight.splice(i, 1);
    this.completed++;
    this.spreadSq = this.inflight.length === 0 ? 0 : Math.max(0, this.spreadSq - (a!.expected - a!.typical) ** 2);
    // Actions before it in order started before it ended; those after cannot
    // start before the anchor nor before their own earliest.
    let t = anchor;
    for (let j = 0; j < this.inflight.length; j++) {
      const b = this.inflight[j]!;
      if (j < i) {
        t = Math.max(t, b.predictedEnd);
        continue;
      }
      b.predictedStart = Math.max(t, b.earliest);
      b.predictedEnd = b.predictedStart + b.typical;
      t = b.predictedEnd;
    }
    this.freeAt = this.inflight.length === 0 ? anchor : Math.max(t, anchor);
    return a;
  }

  /**
   * How far past freeAt the booked actions may end, at the high percentile:
   * the square root of their summed squared spreads (independent runs), so
   * one action gets its full spread and n actions √n of it, not n.
   */
  margin(): number {
    return Math.sqrt(this.spreadSq);
  }

  holds(model: string): boolean {
    return this.models.has(model);
  }

  freeMemory(): number {
    return this.spec.memoryBudget - this.memoryUsed;
  }
}
