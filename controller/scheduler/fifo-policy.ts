// The fifo baseline: among the models an executor holds, the queue whose
// head arrived first goes, in the batch that runs the most requests per
// millisecond of what is queued. Deadlines play no part (admission rejects
// nothing for them, nothing is dropped for them) and the window never
// closes: late work runs late.
import { chooseBatch } from './dispatch.js';
import { queuedHeld } from './queued-held.js';
import type { ExecutorTimeline } from './executor-timeline.js';
import { FIFO_WINDOW_MS, type SchedulingPolicy } from './policy.js';
import type { ModelState, SchedulerState } from './state.js';

export const fifoPolicy: SchedulingPolicy = {
  name: 'fifo',
  rejectsPastDeadline: false,

  dropHopeless(): void {},

  hopelessAt(): undefined {
    return undefined;
  },

  dispatchOne(st: SchedulerState, e: ExecutorTimeline, now: number): boolean {
    const cls = e.spec.cls;
    let chosen: ModelState | undefined;
    let oldest = Infinity;
    let chosenSeq = Infinity;
    for (const [m, res] of queuedHeld(st, e)) {
      const head = m.queue.peek();
      if (!head || e.laneBusy(res.lane) || Math.max(now, e.freeAt, e.readyAt(res)) > now + st.cfg.scheduleAheadMs) continue;
      // Equal arrivals: the model held here longest (queuedHeld's order is not the executor's).
      if (head.arrival < oldest || (head.arrival === oldest && res.seq < chosenSeq)) {
        oldest = head.arrival;
        chosen = m;
        chosenSeq = res.seq;
      }
    }
    if (!chosen) return false;
    const m = chosen;
    const batch = chooseBatch(st, m, cls, () => true);
    st.planInfer(e, m, batch, st.exec(m.key, batch, cls), now, now + FIFO_WINDOW_MS);
    return true;
  },
};
