// Admission at arrival: accept a request into its model's queue, or say now
// why it cannot make its deadline. The prediction is when the last of the
// request's items would finish on the best executor if it served them as
// soon as it could: what is booked there, the queued work of the models it
// shares, its own runs, one margin for all of it, and a reserve learned from
// how late recent answers came against their predictions.
import type { ExecutorTimeline } from './executor-timeline.js';
import type { SchedulingPolicy } from './policy.js';
import { ExecutorPlan, holdersOf, newPlanMemo, type PlanMemo } from './executor-plan.js';
import { fmt, type ModelState, type SchedulerState } from './state.js';
import type { Admission, RejectCode, SchedRequest } from './types.js';

/** Admission's verdict, with the reserve in it and, when it counted on loading the model somewhere, where. */
export type Judgement = Admission & { reserve: number; loadOn?: string };

/** A judgement and, when admitted, what admitting it does to the predictions of the requests it overtakes. */
type Verdict = Judgement & { overtake?: () => void };

/** Where n requests would finish on one executor, whether that counts on loading their model there now, and the requests they would overtake there. */
interface Placement {
  finish: number;
  loadNow: boolean;
  overtake?: () => void;
}

export class AdmissionControl {
  constructor(
    private readonly st: SchedulerState,
    private readonly policy: SchedulingPolicy,
  ) {}

  /**
   * Admits several requests of one model that arrived together (a V2 request
   * with a batch axis): all of them, or none. They share the model, arrival
   * and deadline; the prediction is for the last of them to finish.
   */
  submitAll(reqs: readonly SchedRequest[], now: number): Admission & { loadOn?: string } {
    const first = reqs[0];
    if (!first) throw new Error('submitAll needs at least one request');
    for (const r of reqs) {
      if (r.model !== first.model || r.deadline !== first.deadline || r.arrival !== first.arrival) {
        throw new Error('submitAll: requests must share model, arrival and deadline');
      }
    }
    const adm = this.verdict(first.model, reqs.length, first.arrival, first.deadline, now);
    const m = this.st.models.get(first.model);
    if (!adm.ok) {
      this.turnedAway(first.model, reqs.length, adm.code, now);
      return adm;
    }
    if (!m) throw new Error(`model ${first.model} admitted but not registered`);
    this.st.noteDemand(m, reqs.length, now);
    for (const r of reqs) {
      r.predicted = adm.predicted - adm.reserve;
      m.queue.insert(r);
    }
    this.st.active.add(m);
    adm.overtake?.();
    this.st.lastAdmitted = Math.max(this.st.lastAdmitted, now);
    return { ok: true, predicted: adm.predicted, ...(adm.loadOn !== undefined ? { loadOn: adm.loadOn } : {}) };
  }

  /**
   * n requests of `model` were turned away (by submitAll, or on their first
   * bytes, judge()): they still count as demand, and when their model is
   * resident nowhere and a cold start could not make their deadline, the
   * model is loaded for the requests that come next. Without that a model
   * whose cold start is longer than its SLO would never be loaded. A popular
   * model resident but turned away gets one more replica where there is time.
   */
  turnedAway(model: string, n: number, code: RejectCode, now: number): void {
    const m = this.st.models.get(model);
    if (!m) return;
    this.st.noteDemand(m, n, now);
    if (code !== 'slo_unattainable') return;
    if (this.st.holders(m.key) === 0) this.st.coldDemand.set(m, now);
    // A popular model turned away warm: its holders are too busy, so it is replicated (a rare one is not worth the memory).
    else if (this.st.popular(m.key, now)) this.st.replicaDemand.set(m, now);
  }

  /**
   * What admission would say of n requests of `model` that arrived at
   * `arrival` with `deadline`, without queuing them: the early check on a
   * request's first bytes (controller/early-admission.ts) and submitAll
   * share it.
   */
  judge(model: string, n: number, arrival: number, deadline: number, now: number): Judgement {
    const { overtake: _, ...judgement } = this.verdict(model, n, arrival, deadline, now);
    return judgement;
  }

  private verdict(model: string, n: number, arrival: number, deadline: number, now: number): Verdict {
    const st = this.st;
    st.seen(now);
    const m = st.models.get(model);
    if (!m) return { ok: false, code: 'unknown_model', message: `model ${model} is not registered`, reserve: 0 };
    if (st.executors.size === 0) {
      return { ok: false, code: 'no_executor', message: 'no worker connected: no executor can run the request', reserve: 0 };
    }
    const memory = st.est.memory(model);
    let best = Infinity;
    let largestBudget = 0;
    let usable = 0;
    let pushing = 0;
    let via: ExecutorTimeline | undefined;
    let overtake: (() => void) | undefined;
    const memo = newPlanMemo();
    for (const e of st.executors.values()) {
      if (!e.usable) continue;
      usable++;
      largestBudget = Math.max(largestBudget, e.spec.memoryBudget);
      const p = this.predictCompletion(m, e, now, memory, memo, n, deadline);
      if (p === 'pushes') pushing++;
      else if (p.finish < best) {
        best = p.finish;
        via = p.loadNow ? e : undefined;
        overtake = p.overtake;
      }
    }
    if (usable === 0) {
      const why = [...st.executors.values()].some((e) => e.suspended) ? 'every connected worker is draining or not answering' : 'every connected worker is draining';
      return { ok: false, code: 'no_executor', message: `${why}: no executor takes new work`, reserve: 0 };
    }
    if (best === Infinity && pushing > 0 && this.policy.rejectsPastDeadline) {
      const what = n > 1 ? ` all ${n} items` : ' it';
      return {
        ok: false,
        code: 'slo_unattainable',
        message: `slo_unattainable: running${what} in time on any executor would push requests already admitted past their deadlines (admitted requests go first)`,
        reserve: 0,
      };
    }
    if (best === Infinity && pushing === 0) {
      return {
        ok: false,
        code: 'model_too_large',
        message: `model ${model} needs ${mib(memory)} but the largest executor memory budget is ${mib(largestBudget)}`,
        reserve: 0,
      };
    }
    const slo = deadline - arrival;
    const reserve = this.reserve(model, slo, now);
    const predicted = best + reserve;
    if (predicted > deadline && this.policy.rejectsPastDeadline) {
      const why = reserve > 0 ? ` (with a ${reserve.toFixed(1)} ms reserve: recent answers came up to that much later than predicted)` : '';
      const what = n > 1 ? ` for all ${n} items` : '';
      return {
        ok: false,
        code: 'slo_unattainable',
        predicted,
        message: `slo_unattainable: predicted ${(predicted - arrival).toFixed(1)} ms${what} > slo ${fmt(slo)} ms${why}`,
        reserve,
      };
    }
    return { ok: true, predicted, reserve, ...(via ? { loadOn: via.spec.id } : {}), ...(overtake ? { overtake } : {}) };
  }

  /**
   * When the last of n requests for m arriving now (all due at `deadline`)
   * would finish on e, at the high percentile, if e served them as dispatch
   * would (executor-plan.ts): after what is booked, after the queued
   * requests with less slack (the others go after them), and after a load
   * when e does not hold m; 'pushes' when that would push requests already
   * admitted there past their deadlines; Infinity when m cannot fit on e.
   * Under fifo nothing is pushed: it has no deadlines to keep.
   */
  private predictCompletion(m: ModelState, e: ExecutorTimeline, now: number, memory: number, memo: PlanMemo, n: number, deadline: number): Placement | 'pushes' {
    const st = this.st;
    const cls = e.spec.cls;
    const res = e.models.get(m.key);
    if (!res && memory > e.spec.memoryBudget) return { finish: Infinity, loadNow: false };
    let own = st.work(m, n, cls);
    if (!res && m.queue.length > 0) {
      // Its queue is served by its holders; here the newcomers would share it with them.
      const holders = holdersOf(st, memo, m.key);
      const queued = st.work(m, m.queue.length, cls);
      own = { typical: own.typical + queued.typical / (holders + 1), spreadSq: own.spreadSq + queued.spreadSq / (holders + 1) };
    }
    const plan = new ExecutorPlan(st, e, now, memo);
    const load = res ? undefined : st.loadWork(m.key, cls);
    // Not resident and no load can be planned here now (its load slots busy, its memory held by models in
    // use): the load waits until what is queued here has run and frees room, then the newcomers run.
    if (load && !st.canLoad(e, memory)) return { finish: plan.afterAll(m.key, own, load, !st.hasRoom(e, memory)), loadNow: false };
    const placed = plan.place(m, deadline - st.exec(m.key, 1, cls), own, load);
    if (placed.pushesOthers && this.policy.rejectsPastDeadline) return 'pushes';
    // Admitted here, the newcomers go ahead of the queued requests with more slack: their answers move by the newcomers' runs.
    return { finish: placed.finish, loadNow: load !== undefined, overtake: () => plan.moveAfter(placed.at, own.typical) };
  }

  /**
   * What admission adds to a prediction: the largest error of the recent
   * ones (answers that came later than predicted), at most maxReserveShare of
   * the SLO, so a stall cannot shut admission for long. A miss of an accepted
   * request costs more than a rejection, which the client hears in
   * microseconds and can act on.
   */
  reserve(model: string, sloMs: number, now: number): number {
    return Math.min(this.recentError(model, now), this.st.cfg.maxReserveShare * sloMs);
  }

  /** The largest recent prediction error of a model, ms (0 when answers came on time or its outcomes went stale): its reserve before the SLO cap. */
  recentError(model: string, now: number): number {
    const m = this.st.models.get(model);
    if (!m || now - m.lastOutcomeAt >= this.st.cfg.reserveStaleMs) return 0;
    const worst = m.errors.value(now);
    return worst !== undefined && worst > 0 ? worst : 0;
  }
}

function mib(bytes: number): string {
  return `${(bytes / (1024 * 1024)).toFixed(1)} MiB`;
}
