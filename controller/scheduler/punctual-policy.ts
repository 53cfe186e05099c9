// The punctual policy: deadlines first, never run late. On each free slot,
// among the models an executor holds, the queue whose head has the least
// slack (deadline − estimate − the answer's way back) goes first, in the
// largest batch that still finishes before the earliest deadline in it. A
// request that cannot make its deadline here, when no other holder can start
// it sooner, is dropped rather than run late; so is one that could not make
// it even started now on the fastest class.
import { chooseBatch, someoneSooner } from './dispatch.js';
import type { ExecutorTimeline } from './executor-timeline.js';
import { queuedHeld } from './queued-held.js';
import type { SchedulingPolicy } from './policy.js';
import type { ModelState, SchedulerState } from './state.js';

/** hopelessAt() names a time just past a request's last possible start, so the tick then drops it. */
const HOPELESS_EPSILON_MS = 0.001;

export const punctualPolicy: SchedulingPolicy = {
  name: 'punctual',
  rejectsPastDeadline: true,

  dropHopeless(st: SchedulerState, now: number): void {
    for (const m of st.active) {
      const fastest = st.bestExec(m.key, 1);
      for (let head = m.queue.peek(); head && now + fastest > head.deadline; head = m.queue.peek()) st.dropMissed(m, now);
      if (m.queue.length === 0) st.active.delete(m);
    }
  },

  hopelessAt(st: SchedulerState, m: ModelState): number | undefined {
    const head = m.queue.peek();
    // Just after the last instant it could still start: dropHopeless acts then.
    return head ? head.deadline - st.bestExec(m.key, 1) + HOPELESS_EPSILON_MS : undefined;
  },

  dispatchOne(st: SchedulerState, e: ExecutorTimeline, now: number): boolean {
    const cls = e.spec.cls;
    const ahead = st.cfg.scheduleAheadMs;
    let chosen: ModelState | undefined;
    let chosenStart = 0;
    let chosenSeq = Infinity;
    let bestSlack = Infinity;
    for (const [m, res] of queuedHeld(st, e)) {
      const key = m.key;
      if (e.laneBusy(res.lane)) continue;
      const start = Math.max(now, e.freeAt, e.readyAt(res));
      if (start > now + ahead) continue; // not usable inside the window yet
      // Drop what cannot make it here, when no other holder can start sooner.
      const e1 = st.exec(key, 1, cls);
      let head = m.queue.peek();
      while (head && start + e1 + st.returnAllowance(e, head) > head.deadline && !someoneSooner(st, key, e, start)) {
        st.dropMissed(m, now);
        head = m.queue.peek();
      }
      if (!head) {
        st.active.delete(m);
        continue;
      }
      const finishBy = head.deadline - st.returnAllowance(e, head);
      if (start + e1 > finishBy) continue; // another holder will take it
      const slack = finishBy - e1;
      // Equal slack: the model held here longest (queuedHeld's order is not the executor's).
      if (slack < bestSlack || (slack === bestSlack && res.seq < chosenSeq)) {
        bestSlack = slack;
        chosen = m;
        chosenStart = start;
        chosenSeq = res.seq;
      }
    }
    if (!chosen) return false;
    const m = chosen;
    const head = m.queue.peek()!;
    const finishBy = head.deadline - st.returnAllowance(e, head);
    // The largest batch that finishes before the earliest deadline in it.
    const batch = chooseBatch(st, m, cls, (t) => chosenStart + t <= finishBy);
    const expected = st.exec(m.key, batch, cls);
    st.planInfer(e, m, batch, expected, now, finishBy - expected);
    return true;
  },
};
