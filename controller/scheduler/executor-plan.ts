// What an executor will most likely do with the work queued for it, in the
// order dispatch runs it: after what is booked on its timeline, the queued
// requests of the models it holds, least slack first (deadline − one run),
// each at its model's per-request cost (its queue batched as dispatch would,
// shared among the model's holders free to run it no later than this one).
// Admission asks where new requests would fall in that order and whether
// putting them there (and a load in front, when the model is not resident)
// would push requests already admitted past their deadlines; load planning
// asks whether a load fits in front of the queued work without doing so.
// Requests that already could not make it are not counted as pushed: the
// newcomer is not blamed for them.
// With a load lane (executor-timeline.ts) a load does not go in front of the
// queued work: it runs beside it, holding up only the models of its thread.
import type { ExecutorTimeline } from './executor-timeline.js';
import { movePredicted, type ModelState, type SchedulerState, type Work } from './state.js';
import type { SchedRequest } from './types.js';

/** Figures shared by the plans of one decision. */
export interface PlanMemo {
  holders: Map<string, number>;
  /** class → model → predicted time to run its whole queue. */
  work: Map<string, Map<ModelState, Work>>;
  /** model → when each of its holders is free to run it, sorted (sharersOf). */
  holderFree: Map<string, number[]>;
}

export function newPlanMemo(): PlanMemo {
  return { holders: new Map(), work: new Map(), holderFree: new Map() };
}

/** When x is free to run `key`'s queue (booked work done, the model ready there), or Infinity where it is not held (or x not usable). */
function holderFreeAt(x: ExecutorTimeline, key: string, now: number): number {
  const res = x.usable ? x.models.get(key) : undefined;
  return res ? Math.max(now, x.freeAt, x.readyAt(res)) : Infinity;
}

/** When each usable holder of `key` is free to run it, earliest first; worked out once per decision. */
export function holderFreeTimes(st: SchedulerState, memo: PlanMemo, key: string, now: number): readonly number[] {
  let times = memo.holderFree.get(key);
  if (!times) {
    times = [];
    for (const x of st.executors.values()) {
      const t = holderFreeAt(x, key, now);
      if (t !== Infinity) times.push(t);
    }
    times.sort((a, b) => a - b);
    memo.holderFree.set(key, times);
  }
  return times;
}

/**
 * How many holders of `key` share its queue with e: those free to run it no
 * later than e (e among them). A holder booked further ahead takes its part
 * only after e has taken the head, so e is not counted on a share of the
 * queue it would in fact run itself.
 */
export function sharersOf(st: SchedulerState, memo: PlanMemo, e: ExecutorTimeline, key: string, now: number): number {
  const times = holderFreeTimes(st, memo, key, now);
  const mine = holderFreeAt(e, key, now);
  // Holders free no later than e: the upper bound of `mine` in the sorted times.
  let lo = 0;
  let hi = times.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (times[mid]! <= mine) lo = mid + 1;
    else hi = mid;
  }
  return Math.max(1, lo);
}

/** Usable executors holding the model, counted once per decision. */
export function holdersOf(st: SchedulerState, memo: PlanMemo, key: string): number {
  let n = memo.holders.get(key);
  if (n === undefined) memo.holders.set(key, (n = st.holders(key)));
  return n;
}

/** The queued work of one executor, walked in dispatch order. */
export class ExecutorPlan {
  /** Each queued item's slack key (deadline − one run), in walk order. */
  private readonly keys: number[] = [];
  /** The queued request of each item, in walk order. */
  private readonly reqs: SchedRequest[] = [];
  /** Its typical finish, and Σ spread² up to and including it (the timeline's included). */
  private readonly finish: number[] = [];
  private readonly spreadSq: number[] = [];
  /** How much later it could finish and still make its deadline (deadline − finish − margin); Infinity for one that misses already. */
  private readonly room: number[] = [];
  /** Suffix minima of room (items from i on). */
  private readonly roomFrom: number[];
  /**
   * The first item that starts past the schedule-ahead window: a tick
   * dispatches everything before it before it plans a load, so a load
   * planned now lands in front of this item, not of the whole queue.
   */
  private readonly firstUndispatched: number;
  /** The least room among the queued items of each session thread (with a load lane). */
  private readonly laneRoom = new Map<number, number>();
  /** lane() for rare and for popular models, once asked. */
  private readonly lanes: ({ lane: number; from: number } | undefined)[] = [undefined, undefined];
  readonly start: number;

  constructor(
    private readonly st: SchedulerState,
    readonly e: ExecutorTimeline,
    private readonly now: number,
    memo: PlanMemo,
  ) {
    this.start = Math.max(now, e.freeAt);
    const cls = e.spec.cls;
    let work = memo.work.get(cls);
    if (!work) memo.work.set(cls, (work = new Map()));
    const items: { key: number; deadline: number; cost: number; spreadSq: number; readyAt: number; lane: number; r: SchedRequest }[] = [];
    for (const m of st.active) {
      const res = e.models.get(m.key);
      if (!res) continue;
      const n = m.queue.length;
      if (n === 0) continue;
      let w = work.get(m);
      if (w === undefined) work.set(m, (w = st.work(m, n, cls)));
      const share = sharersOf(st, memo, e, m.key, now) * n;
      const one = st.exec(m.key, 1, cls);
      const readyAt = e.readyAt(res);
      for (let i = 0; i < n; i++) {
        const r = m.queue.at(i)!;
        items.push({ key: r.deadline - one, deadline: r.deadline, cost: w.typical / share, spreadSq: w.spreadSq / share, readyAt, lane: res.lane, r });
      }
    }
    items.sort((a, b) => a.key - b.key);
    const window = now + st.cfg.scheduleAheadMs;
    let first = items.length;
    let t = this.start;
    let ss = e.spreadSq;
    for (let i = 0; i < items.length; i++) {
      const it = items[i]!;
      const begin = Math.max(t, it.readyAt);
      if (begin > window && first === items.length) first = i;
      t = begin + it.cost;
      ss += it.spreadSq;
      this.keys.push(it.key);
      this.reqs.push(it.r);
      this.finish.push(t);
      this.spreadSq.push(ss);
      const left = it.deadline - t - Math.sqrt(ss);
      const room = left >= 0 ? left : Infinity;
      this.room.push(room);
      if (e.hasLoadLane) this.laneRoom.set(it.lane, Math.min(this.laneRoom.get(it.lane) ?? Infinity, room));
    }
    this.firstUndispatched = first;
    this.roomFrom = new Array<number>(items.length + 1);
    this.roomFrom[items.length] = Infinity;
    for (let i = items.length - 1; i >= 0; i--) this.roomFrom[i] = Math.min(this.room[i]!, this.roomFrom[i + 1]!);
  }

  /**
   * Where `own` (new requests of m, slack key `key`) would finish here if
   * admitted now, at the high percentile, with `load` planned for them when
   * m is not resident (undefined when it is), and whether that would
   * push admitted requests that make their deadline today past it.
   */
  place(m: ModelState, key: number, own: Work, load: Work | undefined): { finish: number; pushesOthers: boolean; at: number } {
    // The first queued item that goes after the newcomers (ties: the earlier arrival first).
    let lo = 0;
    let hi = this.keys.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.keys[mid]! <= key) lo = mid + 1;
      else hi = mid;
    }
    const p = lo;
    const ownSpread = Math.sqrt(own.spreadSq);
    if (load === undefined) {
      const before = this.finishBefore(p);
      const res = this.e.models.get(m.key);
      const begin = res ? Math.max(before, this.e.readyAt(res)) : before;
      const finish = begin + own.typical + Math.sqrt(this.spreadBefore(p) + own.spreadSq);
      return { finish, pushesOthers: this.roomFrom[p]! < begin - before + own.typical + ownSpread, at: p };
    }
    if (this.e.hasLoadLane) return { ...this.placeBesideLoad(m.key, p, own, load), at: p };
    // The load lands in front of the first undispatched item, and the newcomers run once it is done:
    // the items between the load and the newcomers move by the load, those behind both by the load and their runs.
    const q = this.firstUndispatched;
    const k = Math.max(p, q);
    const begin = this.finishBefore(k) + load.typical;
    const finish = begin + own.typical + Math.sqrt(this.spreadBefore(k) + load.spreadSq + own.spreadSq);
    const loadHigh = load.typical + Math.sqrt(load.spreadSq);
    return { finish, pushesOthers: this.minRoom(q, k) < loadHigh || this.roomFrom[k]! < loadHigh + own.typical + ownSpread, at: k };
  }

  /**
   * Newcomers placed at `at` (place()) were admitted: the queued requests
   * after them, which now wait for their runs, have their predicted answers
   * moved by `by`. Deadline order let the newcomers overtake them within
   * their room; that delay is the scheduler's choice, not an error of its
   * predictions for the reserve to learn.
   */
  moveAfter(at: number, by: number): void {
    movePredicted(this.reqs.slice(at), by);
  }

  /**
   * Where `own` would finish after everything queued here has run and then
   * `load`: a load that must wait for room. With a load lane, one that waits
   * for the loads on the lane, and for the queued work only when it waits
   * for memory (`forRoom`); the newcomers then wait for what dispatch booked
   * meanwhile.
   */
  afterAll(model: string, own: Work, load: Work, forRoom = true): number {
    const n = this.keys.length;
    if (!this.e.hasLoadLane) return this.finishBefore(n) + load.typical + own.typical + Math.sqrt(this.spreadBefore(n) + load.spreadSq + own.spreadSq);
    const loadStart = Math.max(forRoom ? this.finishBefore(n) : this.now, this.loadStart(model));
    return loadStart + load.typical + this.st.cfg.scheduleAheadMs + own.typical + Math.sqrt(this.spreadBefore(n) + this.e.loadSpreadSq + load.spreadSq + own.spreadSq);
  }

  /** Whether a load taking `loadMs` (its high figure) planned now would push admitted requests past their deadlines. */
  loadPushesOthers(model: string, loadMs: number): boolean {
    if (this.e.hasLoadLane) return this.loadHoldsUp(model, this.loadStart(model) - this.now + loadMs);
    return this.roomFrom[this.firstUndispatched]! < loadMs;
  }

  /**
   * With a load lane: the load runs on the thread laneFor() picks, after the
   * loads already on the lane, and the newcomers once it is done and their
   * place in the queue comes; only the queued requests of that thread's
   * models wait for it (conservatively, for all of it).
   */
  private placeBesideLoad(model: string, p: number, own: Work, load: Work): { finish: number; pushesOthers: boolean } {
    const loadEnd = this.loadStart(model) + load.typical;
    const before = this.finishBefore(p);
    // Dispatch keeps booking the executor while the load runs, so when it ends up to a schedule-ahead
    // window of other work is booked in front of the newcomers.
    const begin = Math.max(before, loadEnd + this.st.cfg.scheduleAheadMs);
    const finish = begin + own.typical + Math.sqrt(this.spreadBefore(p) + this.e.loadSpreadSq + load.spreadSq + own.spreadSq);
    const pushes = this.roomFrom[p]! < begin - before + own.typical + Math.sqrt(own.spreadSq);
    return { finish, pushesOthers: pushes || this.loadHoldsUp(model, loadEnd - this.now + Math.sqrt(load.spreadSq)) };
  }

  /** When a load of `model` planned now would start (with a load lane): after the loads on the lane, once its thread is free. */
  private loadStart(model: string): number {
    return Math.max(this.now, this.e.loadFreeAt, this.lane(model).from);
  }

  /** The thread a load of `model` would use now, and from when (SchedulerState.laneFor), worked out once per plan for popular and for rare models. */
  private lane(model: string): { lane: number; from: number } {
    const popular = this.st.popular(model, this.now);
    let l = this.lanes[popular ? 1 : 0];
    if (!l) this.lanes[popular ? 1 : 0] = l = this.st.laneOf(this.e, this.now, popular);
    return l;
  }

  /** Whether the queued requests of the thread a load would use now have less room than `holdMs` (with a load lane). */
  private loadHoldsUp(model: string, holdMs: number): boolean {
    return (this.laneRoom.get(this.lane(model).lane) ?? Infinity) < holdMs;
  }

  private finishBefore(i: number): number {
    return i > 0 ? this.finish[i - 1]! : this.start;
  }

  private spreadBefore(i: number): number {
    return i > 0 ? this.spreadSq[i - 1]! : this.e.spreadSq;
  }

  private minRoom(from: number, to: number): number {
    let min = Infinity;
    for (let i = from; i < to; i++) min = Math.min(min, this.room[i]!);
    return min;
  }
}
