// What the controller believes about one executor: the models it holds, its
// memory, and the actions sent to it but not yet answered, in the order the
// worker will run them. Predictions re-anchor on every result: when an action
// ends late (or early), every later action's predicted start and end move
// with it, so one slow run does not leave the timeline lying.
import type { ExecutorSpec, SchedRequest } from './types.js';

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
  expected: number;
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
  /** Predicted end of the last in-flight action; never before the last re-anchor. */
  freeAt: number;
  loadsInFlight = 0;
  completed = 0;
  /** LOAD and UNLOAD actions planned on it. */
  loads = 0;
  unloads = 0;

  constructor(
    readonly spec: ExecutorSpec,
    now: number,
  ) {
    this.freeAt = now;
  }

  /** Appends an action at the end of the timeline and returns it. */
  plan(
    id: number,
    type: InflightAction['type'],
    model: string,
    earliest: number,
    expected: number,
    requests: SchedRequest[] = [],
  ): InflightAction {
    const predictedStart = Math.max(earliest, this.freeAt);
    const a: InflightAction = {
      id,
      type,
      model,
      earliest,
      expected,
      predictedStart,
      predictedEnd: predictedStart + expected,
      batch: requests.length,
      requests,
    };
    this.inflight.push(a);
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
      b.predictedEnd = b.predictedStart + b.expected;
      t = b.predictedEnd;
    }
    this.freeAt = this.inflight.length === 0 ? anchor : Math.max(t, anchor);
    return a;
  }

  holds(model: string): boolean {
    return this.models.has(model);
  }

  freeMemory(): number {
    return this.spec.memoryBudget - this.memoryUsed;
  }
}
