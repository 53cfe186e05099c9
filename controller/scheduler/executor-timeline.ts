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
//
// An executor with several session threads (spec.lanes ≥ 2) has a load lane:
// its LOADs and UNLOADs run one at a time on a second line of their own
// (loadLine), beside the inferences on the first (inflight), each on one
// thread (its lane). A model's inferences run on the thread that loaded it,
// so while a lane's thread loads another model, the models it holds wait:
// readyAt() says until when, and dispatch books nothing for them until the
// load's result comes (laneBusy). With one lane everything is on one line.
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
  /** The session thread holding it (0 with one lane). */
  lane: number;
  /** Order of arrival on this executor (ExecutorTimeline.hold): ties between models go to the one held longest. */
  seq: number;
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
  /** The session thread a LOAD or UNLOAD runs on (0 for an INFER: its model's thread). */
  lane: number;
}

/** A line of actions run one at a time, in order. */
interface Line {
  actions: InflightAction[];
  /** Typical end of the last action; never before the last re-anchor. */
  freeAt: number;
  /** Σ (expected − typical)² over its actions. */
  spreadSq: number;
}

export class ExecutorTimeline {
  /** What it holds or is loading, in the order it came (Residency.seq). */
  readonly models = new Map<string, Residency>();
  private nextSeq = 0;
  /** Session threads (spec.lanes, at least 1). */
  readonly lanes: number;
  /** In the order the worker runs them (ascending earliest): every action, or only the inferences with a load lane. */
  readonly inflight: InflightAction[] = [];
  /** LOADs and UNLOADs in flight on the load lane, in order (empty with one lane). */
  readonly loadLine: InflightAction[] = [];
  memoryUsed = 0;
  /** Typical end of the last in-flight action on the first line; never before the last re-anchor. */
  freeAt: number;
  /** Σ (expected − typical)² over the actions in flight on the first line. */
  spreadSq = 0;
  /** The load lane's freeAt and spread (see the first line's). */
  loadFreeAt: number;
  loadSpreadSq = 0;
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
  /**
   * When the latest ping its worker answered was sent (controller clock);
   * undefined until one is (a simulator's executors never have one). An
   * action is taken as lost only once a ping sent well after its predicted
   * end has been answered (Outcomes.detectLost): the worker is reading its
   * stream, and the result is still missing. A worker that is merely slow
   * (its whole machine busy) answers that ping after the result.
   */
  pingAnsweredFrom: number | undefined;
  completed = 0;
  /** The measured end of the last inference answered here (action-cost.ts measures the next one's cost from it). */
  lastRunEnd: number | undefined;
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
    this.loadFreeAt = now;
    this.lanes = Math.max(1, Math.floor(spec.lanes ?? 1));
  }

  /** Whether LOADs and UNLOADs run on a lane of their own, beside the inferences. */
  get hasLoadLane(): boolean {
    return this.lanes > 1;
  }

  /** Every action in flight here, on either line. */
  allInflight(): InflightAction[] {
    return this.loadLine.length === 0 ? this.inflight : [...this.inflight, ...this.loadLine];
  }

  /**
   * Whether a LOAD is in flight on the thread `lane` (with a load lane): its
   * models wait for the result. UNLOADs do not count: a session's release
   * takes about a millisecond, which an inference waiting for the thread can
   * absorb.
   */
  laneBusy(lane: number): boolean {
    return this.laneFreeAt(lane) > -Infinity;
  }

  /** When the thread `lane` is predicted free of loads (-Infinity when none is in flight). */
  laneFreeAt(lane: number): number {
    let t = -Infinity;
    for (const a of this.loadLine) if (a.lane === lane && a.type === 'load') t = Math.max(t, a.predictedEnd);
    return t;
  }

  /** When a model resident here can next run: its own load's end, and with a load lane its thread's loads. */
  readyAt(res: Residency): number {
    return this.hasLoadLane ? Math.max(res.readyAt, this.laneFreeAt(res.lane)) : res.readyAt;
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
    lane = 0,
  ): InflightAction {
    const onLoadLane = type !== 'infer' && this.hasLoadLane;
    const predictedStart = Math.max(earliest, onLoadLane ? this.loadFreeAt : this.freeAt);
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
      lane: type === 'infer' ? 0 : lane,
    };
    if (type === 'load') this.loads++;
    else if (type === 'unload') this.unloads++;
    if (onLoadLane) {
      this.loadLine.push(a);
      this.loadSpreadSq += (expected - typical) ** 2;
      this.loadFreeAt = a.predictedEnd;
      return a;
    }
    this.inflight.push(a);
    this.spreadSq += (expected - typical) ** 2;
    this.freeAt = a.predictedEnd;
    return a;
  }

  /**
   * Removes an answered (or abandoned) action and re-anchors what follows it
   * at `anchor`: the measured end, or now for a lost or refused one.
   */
  settle(id: number, anchor: number): InflightAction | undefined {
    const first: Line = { actions: this.inflight, freeAt: this.freeAt, spreadSq: this.spreadSq };
    const a = settleOn(first, id, anchor);
    if (a) {
      this.freeAt = first.freeAt;
      this.spreadSq = first.spreadSq;
      this.completed++;
      return a;
    }
    const load: Line = { actions: this.loadLine, freeAt: this.loadFreeAt, spreadSq: this.loadSpreadSq };
    const b = settleOn(load, id, anchor);
    if (!b) return undefined;
    this.loadFreeAt = load.freeAt;
    this.loadSpreadSq = load.spreadSq;
    this.completed++;
    return b;
  }

  /**
   * How far past freeAt the booked actions may end, at the high percentile:
   * the square root of their summed squared spreads (independent runs), so
   * one action gets its full spread and n actions √n of it, not n.
   */
  margin(): number {
    return Math.sqrt(this.spreadSq);
  }

  /** Books `key` as held (loading or loaded) here; it must not be held already. */
  hold(key: string, r: Omit<Residency, 'seq'>): void {
    this.models.set(key, { ...r, seq: this.nextSeq++ });
  }

  holds(model: string): boolean {
    return this.models.has(model);
  }

  freeMemory(): number {
    return this.spec.memoryBudget - this.memoryUsed;
  }
}

/** Removes action `id` from the line and re-anchors what follows it at `anchor` (see ExecutorTimeline.settle). */
function settleOn(line: Line, id: number, anchor: number): InflightAction | undefined {
  const actions = line.actions;
  const i = actions.findIndex((a) => a.id === id);
  if (i < 0) return undefined;
  const [a] = actions.splice(i, 1);
  line.spreadSq = actions.length === 0 ? 0 : Math.max(0, line.spreadSq - (a!.expected - a!.typical) ** 2);
  // Actions before it in order started before it ended; those after cannot
  // start before the anchor nor before their own earliest.
  let t = anchor;
  for (let j = 0; j < actions.length; j++) {
    const b = actions[j]!;
    if (j < i) {
      t = Math.max(t, b.predictedEnd);
      continue;
    }
    b.predictedStart = Math.max(t, b.earliest);
    b.predictedEnd = b.predictedStart + b.typical;
    t = b.predictedEnd;
  }
  line.freeAt = actions.length === 0 ? anchor : Math.max(t, anchor);
  return a;
}
