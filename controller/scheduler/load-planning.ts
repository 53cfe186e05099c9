// Load planning: which models are resident where. Demand-driven loads (a
// model's queue that its holders cannot finish in time), placed on the
// least-booked executor that can make room by evicting idle models in
// least-recently-used order; warm-up of a joining executor; unloading a
// model where it sits idle. Loads share the executor's timeline with
// inferences (or, with a load lane, hold up the models of the thread they
// run on), so the tick plans them after dispatch.
import { ExecutorPlan, holderFreeTimes, newPlanMemo } from './executor-plan.js';
import type { ExecutorTimeline } from './executor-timeline.js';
import type { ModelState, SchedulerState } from './state.js';

/** How long a cold rejection keeps its model wanted, ms. */
const COLD_DEMAND_MS = 2000;

export class LoadPlanner {
  constructor(private readonly st: SchedulerState) {}

  /**
   * Warms a newly joined executor: loads the given models, in order, while
   * they fit in its free memory without evicting anything, so the first
   * requests do not pay for a load. Demand-driven loads take over from there.
   */
  warm(executorId: string, models: readonly string[], now: number): void {
    const st = this.st;
    const e = st.executors.get(executorId);
    if (!e || !e.usable) return;
    for (const key of models) {
      if (!st.models.has(key) || e.holds(key)) continue;
      const memory = st.est.memory(key);
      if (memory > e.freeMemory()) continue;
      st.planLoad(e, key, memory, now);
    }
  }

  /**
   * Warms a newly joined executor in the background: the given models are
   * loaded in order, one at a time and only while the executor is idle
   * (nothing booked, nothing queued for what it holds) and no request has
   * been admitted for preloadQuietMs, while they fit in its free memory
   * without evicting anything. Unlike warm(), a warm-up of
   * many models never books a minute of loads ahead of the first requests;
   * demand-driven loads take over as soon as requests come.
   */
  preload(executorId: string, models: readonly string[]): void {
    const e = this.st.executors.get(executorId);
    if (e) e.preloads = [...models];
  }

  /** Starts the next background warm-up load on each idle executor that has one (see preload). */
  planPreloads(now: number): void {
    const st = this.st;
    // Warm-up yields to traffic: only after a lull in admissions.
    if (now - st.lastAdmitted < st.cfg.preloadQuietMs) return;
    for (const e of st.executors.values()) {
      if (e.preloads.length === 0 || !e.usable || e.inflight.length > 0 || e.loadLine.length > 0 || e.freeAt > now) continue;
      if (this.hasQueuedWork(e)) continue;
      while (e.preloads.length > 0) {
        const key = e.preloads.shift()!;
        if (!st.models.has(key) || e.holds(key)) continue;
        const memory = st.est.memory(key);
        if (memory > e.freeMemory()) continue;
        st.planLoad(e, key, memory, now);
        break;
      }
    }
  }

  private hasQueuedWork(e: ExecutorTimeline): boolean {
    for (const m of this.st.active) if (e.holds(m.key)) return true;
    return false;
  }

  /**
   * Unloads a model from every executor where it sits idle (loaded, nothing
   * queued or running on it); it stays registered and loads again on demand.
   * Returns how many executors were asked to unload it.
   */
  unloadIdle(model: string, now: number): number {
    let n = 0;
    for (const e of this.st.executors.values()) {
      const res = e.models.get(model);
      if (!res || !this.st.isIdle(model, res)) continue;
      this.st.planUnload(e, model, now);
      n++;
    }
    return n;
  }

  /** Unloads a model from every executor where it is loaded (it is being removed). */
  unloadEverywhere(model: string, now: number): void {
    for (const e of this.st.executors.values()) {
      const res = e.models.get(model);
      if (res && res.state === 'loaded') this.st.planUnload(e, model, now);
    }
  }

  /**
   * Demand-driven loads. A model's unmet demand is the work of its queue that
   * the executors holding it cannot finish by the queue's last deadline.
   * Highest unmet demand loads first, on the least-booked executor that can
   * make room by evicting idle models (least likely to be asked for again
   * first).
   */
  planLoads(now: number): void {
    const st = this.st;
    if (st.active.size === 0 && st.coldDemand.size === 0 && st.replicaDemand.size === 0) return;
    const wants: { m: ModelState; unmet: number }[] = [];
    this.planReplicas(now);
    // Models whose requests were turned away cold come after every queue's demand, while that demand is recent.
    for (const [m, at] of st.coldDemand) {
      if (now - at > COLD_DEMAND_MS || !st.models.has(m.key) || st.holders(m.key) > 0) st.coldDemand.delete(m);
      else if (!st.active.has(m)) wants.push({ m, unmet: 0 });
    }
    for (const m of st.active) {
      const last = m.queue.lastDeadline();
      if (last === undefined) continue;
      let capacity = 0;
      let holders = 0;
      let cls = '';
      for (const e of st.executors.values()) {
        if (!e.usable) continue;
        const res = e.models.get(m.key);
        if (!res) {
          cls ||= e.spec.cls;
          continue;
        }
        holders++;
        cls = e.spec.cls;
        capacity += Math.max(0, last - Math.max(now, e.freeAt, e.readyAt(res)));
      }
      const unmet = st.work(m, m.queue.length, cls).typical - capacity;
      if (holders === 0 || unmet > 0) wants.push({ m, unmet: holders === 0 ? Infinity : unmet });
    }
    wants.sort((a, b) => b.unmet - a.unmet);
    // Each executor's plan of queued work is built once and kept while no load is placed (most
    // wants place none); a placement changes who holds what, so the next want starts afresh.
    let plans = new Map<ExecutorTimeline, ExecutorPlan>();
    let memo = newPlanMemo();
    const planOf = (e: ExecutorTimeline): ExecutorPlan => {
      let plan = plans.get(e);
      if (!plan) plans.set(e, (plan = new ExecutorPlan(st, e, now, memo)));
      return plan;
    };
    for (const { m } of wants) {
      if (!this.placeLoad(m, now, planOf)) continue;
      plans = new Map();
      memo = newPlanMemo();
    }
  }

  /**
   * One more replica of each popular model recently turned away for want of
   * time on its holders (replicaDemand): on the least booked executor that
   * does not hold it, is free sooner than every holder and has the memory
   * free (a replica evicts nothing), where its load pushes no admitted
   * request. The requests that come next then have somewhere to go.
   */
  private planReplicas(now: number): void {
    const st = this.st;
    // Figures shared by the plans until a replica is placed (a placement changes who holds what).
    let memo = newPlanMemo();
    for (const [m, at] of st.replicaDemand) {
      // Holders can change meanwhile: the demand is judged afresh each time.
      const holdersFree = holderFreeTimes(st, memo, m.key, now)[0] ?? Infinity;
      if (now - at > COLD_DEMAND_MS || !st.models.has(m.key) || holdersFree === Infinity) {
        st.replicaDemand.delete(m);
        continue;
      }
      const memory = st.est.memory(m.key);
      let best: ExecutorTimeline | undefined;
      let bestFree = holdersFree;
      for (const e of st.executors.values()) {
        if (!e.usable || e.holds(m.key) || e.freeMemory() < memory || e.loadsInFlight >= st.cfg.maxLoadsInFlight) continue;
        const free = Math.max(now, e.freeAt);
        if (free >= bestFree) continue;
        if (new ExecutorPlan(st, e, now, memo).loadPushesOthers(m.key, st.est.load(m.key, e.spec.cls))) continue;
        best = e;
        bestFree = free;
      }
      if (!best) continue;
      st.replicaDemand.delete(m);
      st.planLoad(best, m.key, memory, now);
      memo = newPlanMemo();
    }
  }

  /** Places a load of m where one fits without pushing admitted requests; whether it did. */
  private placeLoad(m: ModelState, now: number, planOf: (e: ExecutorTimeline) => ExecutorPlan): boolean {
    const st = this.st;
    const memory = st.est.memory(m.key);
    let best: ExecutorTimeline | undefined;
    let bestScore = Infinity;
    for (const e of st.executors.values()) {
      if (!e.usable || e.holds(m.key) || !st.canLoad(e, memory)) continue;
      // A load lands in front of the queued work not yet dispatched: never where it would push admitted requests past their deadlines.
      if (planOf(e).loadPushesOthers(m.key, st.est.load(m.key, e.spec.cls))) continue;
      // The least booked; among equals, one that needs no eviction.
      const score = Math.max(now, e.freeAt) + (e.freeMemory() >= memory ? 0 : 0.001);
      if (score < bestScore) {
        bestScore = score;
        best = e;
      }
    }
    if (!best) return false;
    this.loadOnto(best, m.key, memory, now);
    return true;
  }

  /**
   * Loads a model where admission counted on loading it (it was resident
   * nowhere): at once, so that no other load takes the place the prediction
   * gave it. The caller dispatches first, so the load lands behind what
   * the executor runs next, as the prediction assumed.
   */
  loadFor(executorId: string, model: string, now: number): void {
    const e = this.st.executors.get(executorId);
    const memory = this.st.est.memory(model);
    if (e && e.usable && !e.holds(model) && this.st.canLoad(e, memory)) this.loadOnto(e, model, memory, now);
  }

  /** Makes room on e by evicting idle models (by predicted re-use, then recency) and plans the load. */
  private loadOnto(e: ExecutorTimeline, key: string, memory: number, now: number): void {
    const st = this.st;
    st.evictToFit(e, memory, now);
    st.planLoad(e, key, memory, now);
  }

}
