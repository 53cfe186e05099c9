// The models with queued requests that one executor holds. Dispatch and the
// wake-up ask this for every executor on every tick; an executor may hold
// hundreds of models (a V100's 32 GB, 112 MB each) while a few have work, so
// the scan walks whichever of the two sets is smaller: the models with work
// (SchedulerState.active), looked up on the executor, or what it holds. The
// order is either's: a caller that breaks ties takes Residency.seq (the
// order models came to the executor) as the tie-break, as a scan of what it
// holds would.
import type { ExecutorTimeline, Residency } from './executor-timeline.js';
import type { ModelState, SchedulerState } from './state.js';

export function* queuedHeld(st: SchedulerState, e: ExecutorTimeline): Generator<[ModelState, Residency]> {
  if (st.active.size <= e.models.size) {
    for (const m of st.active) {
      const res = m.queue.length > 0 ? e.models.get(m.key) : undefined;
      if (res) yield [m, res];
    }
    return;
  }
  for (const [key, res] of e.models) {
    const m = st.models.get(key);
    if (m && m.queue.length > 0) yield [m, res];
  }
}
