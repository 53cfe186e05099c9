// Dispatch: what runs next on each executor. Each executor's timeline is
// kept filled up to scheduleAheadMs into the future, one action at a time,
// the policy choosing which of the models it holds goes next
// (punctual-policy.ts, fifo-policy.ts); the batch choice and the look at the
// other holders of a model are shared here.
import type { ExecutorTimeline } from './executor-timeline.js';
import type { SchedulingPolicy } from './policy.js';
import type { ModelState, SchedulerState } from './state.js';

/** Fills each usable executor's timeline up to scheduleAheadMs past now, the least booked first. */
export function dispatch(st: SchedulerState, policy: SchedulingPolicy, now: number): void {
  if (st.active.size === 0) return;
  const ahead = st.cfg.scheduleAheadMs;
  const order = [...st.executors.values()].filter((e) => e.usable).sort((a, b) => a.freeAt - b.freeAt);
  for (const e of order) {
    // Nothing is booked behind a load in flight: a load that overruns its
    // estimate would make what follows it start late and be refused. The
    // load's result re-anchors the timeline and the next tick fills it.
    // With a load lane only the loading thread's models wait (the policies
    // skip them while laneBusy).
    if (e.loadsInFlight > 0 && !e.hasLoadLane) continue;
    while (st.active.size > 0 && Math.max(now, e.freeAt) <= now + ahead) {
      if (!policy.dispatchOne(st, e, now)) break;
    }
  }
}

/**
 * The batch for m's queue on class cls: the largest whose run `fits`, unless
 * a smaller one runs more requests per millisecond (on CPU, batching can cost
 * more than it saves: then batch 1 is both faster and fairer).
 */
export function chooseBatch(st: SchedulerState, m: ModelState, cls: string, fits: (ms: number) => boolean): number {
  let batch = 1;
  let bestRate = 1 / st.exec(m.key, 1, cls);
  for (const b of m.batchSizes) {
    if (b > m.queue.length) break;
    const t = st.exec(m.key, b, cls);
    if (!fits(t)) continue;
    const rate = b / t;
    if (rate >= bestRate * 0.98) {
      batch = b;
      bestRate = Math.max(rate, bestRate);
    }
  }
  return batch;
}

/** Whether another usable executor holding the model could start it before `start`. */
export function someoneSooner(st: SchedulerState, model: string, self: ExecutorTimeline, start: number): boolean {
  for (const e of st.executors.values()) {
    if (e === self || !e.usable) continue;
    const res = e.models.get(model);
    if (res && Math.max(e.freeAt, e.readyAt(res)) < start) return true;
  }
  return false;
}
