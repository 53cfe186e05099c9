// Load planning: which models are resident where. Demand-driven loads (a
// model's queue that its holders cannot finish in time), placed on the
// least-booked executor that can make room by evicting idle models in
// least-recently-used order; warm-up of a joining executor; unloading a
// model where it sits idle. Loads share the executor's timeline with
// inferences, so the tick plans them after dispatch.
import type { ExecutorTimeline } from './executor-timeline.js';
import type { ModelState, SchedulerState } from './state.js';

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
   * make room by evicting idle models in least-recently-used order.
   */
  planLoads(now: number): void {
    const st = this.st;
    if (st.active.size === 0) return;
    const wants: { m: ModelState; unmet: number }[] = [];
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
        capacity += Math.max(0, last - Math.max(now, e.freeAt, res.readyAt));
      }
      const unmet = st.work(m, m.queue.length, cls).typical - capacity;
      if (holders === 0 || unmet > 0) wants.push({ m, unmet: holders === 0 ? Infinity : unmet });
    }
    wants.sort((a, b) => b.unmet - a.unmet);
    for (const { m } of wants) this.placeLoad(m, now);
  }

  private placeLoad(m: ModelState, now: number): void {
    const st = this.st;
    const memory = st.est.memory(m.key);
    let best: ExecutorTimeline | undefined;
    let bestScore = Infinity;
    for (const e of st.executors.values()) {
      if (!e.usable || e.holds(m.key) || e.loadsInFlight >= st.cfg.maxLoadsInFlight || memory > e.spec.memoryBudget) continue;
      if (e.freeMemory() < memory && this.evictable(e) < memory - e.freeMemory()) continue;
      // Prefer the least booked; among equals, one that needs no eviction.
      const score = Math.max(now, e.freeAt) + (e.freeMemory() >= memory ? 0 : 0.001);
      if (score < bestScore) {
        bestScore = score;
        best = e;
      }
    }
    if (!best) return;
    const e = best;
    if (e.freeMemory() < memory) {
      const victims = [...e.models.entries()].filter(([key, res]) => st.isIdle(key, res)).sort((a, b) => a[1].lastUsed - b[1].lastUsed);
      for (const [key] of victims) {
        if (e.freeMemory() >= memory) break;
        st.planUnload(e, key, now);
      }
    }
    st.planLoad(e, m.key, memory, now);
  }

  private evictable(e: ExecutorTimeline): number {
    let bytes = 0;
    for (const [key, res] of e.models) if (this.st.isIdle(key, res)) bytes += res.memory;
    return bytes;
  }
}
