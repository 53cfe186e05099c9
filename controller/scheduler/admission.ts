// Admission at arrival: accept a request into its model's queue, or say now
// why it cannot make its deadline. The prediction is when the last of the
// request's items would finish on the best executor if it served them as
// soon as it could: what is booked there, the queued work of the models it
// shares, its own runs, one margin for all of it, and a reserve learned from
// how late recent answers came against their predictions.
import type { ExecutorTimeline } from './executor-timeline.js';
import type { SchedulingPolicy } from './policy.js';
import { fmt, type ModelState, type SchedulerState, type Work } from './state.js';
import type { Admission, SchedRequest } from './types.js';

/** Figures shared by the per-executor predictions of one admission decision. */
interface PredictMemo {
  holders: Map<string, number>;
  /** class → model → predicted time to run its queue. */
  work: Map<string, Map<ModelState, Work>>;
}

export type Judgement = Admission & { reserve: number };

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
  submitAll(reqs: readonly SchedRequest[], now: number): Admission {
    const first = reqs[0];
    if (!first) throw new Error('submitAll needs at least one request');
    for (const r of reqs) {
      if (r.model !== first.model || r.deadline !== first.deadline || r.arrival !== first.arrival) {
        throw new Error('submitAll: requests must share model, arrival and deadline');
      }
    }
    const adm = this.judge(first.model, reqs.length, first.arrival, first.deadline, now);
    if (!adm.ok) return adm;
    const m = this.st.models.get(first.model)!;
    for (const r of reqs) {
      r.predicted = adm.predicted - adm.reserve;
      m.queue.insert(r);
    }
    this.st.active.add(m);
    return { ok: true, predicted: adm.predicted };
  }

  /**
   * What admission would say of n requests of `model` that arrived at
   * `arrival` with `deadline`, without queuing them: the early check on a
   * request's first bytes (controller/early-admission.ts) and submitAll
   * share it.
   */
  judge(model: string, n: number, arrival: number, deadline: number, now: number): Judgement {
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
    const memo: PredictMemo = { holders: new Map(), work: new Map() };
    for (const e of st.executors.values()) {
      if (!e.usable) continue;
      usable++;
      largestBudget = Math.max(largestBudget, e.spec.memoryBudget);
      const p = this.predictCompletion(m, e, now, memory, memo, n);
      if (p < best) best = p;
    }
    if (usable === 0) {
      const why = [...st.executors.values()].some((e) => e.suspended) ? 'every connected worker is draining or not answering' : 'every connected worker is draining';
      return { ok: false, code: 'no_executor', message: `${why}: no executor takes new work`, reserve: 0 };
    }
    if (best === Infinity) {
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
    return { ok: true, predicted, reserve };
  }

  /**
   * When the last of n requests for m arriving now would finish on e, at the
   * high percentile, if e served them as soon as it could: the typical time
   * of what is booked and queued ahead of them and of their own runs, plus
   * one margin for all of it together (the square root of the summed squared
   * spreads).
   */
  private predictCompletion(m: ModelState, e: ExecutorTimeline, now: number, memory: number, memo: PredictMemo, n: number): number {
    const st = this.st;
    const cls = e.spec.cls;
    const res = e.models.get(m.key);
    let start: number;
    if (res) start = Math.max(now, e.freeAt, res.readyAt);
    else if (memory <= e.spec.memoryBudget) start = Math.max(now, e.freeAt) + st.est.load(m.key, cls);
    else return Infinity;
    let backlog = 0;
    let spreadSq = e.spreadSq;
    let work = memo.work.get(cls);
    if (!work) memo.work.set(cls, (work = new Map()));
    for (const other of st.active) {
      if (other !== m && !e.holds(other.key)) continue;
      let holders = memo.holders.get(other.key);
      if (holders === undefined) memo.holders.set(other.key, (holders = st.holders(other.key)));
      let w = work.get(other);
      if (w === undefined) work.set(other, (w = st.work(other, other.queue.length, cls)));
      const share = Math.max(1, other === m ? holders + (res ? 0 : 1) : holders);
      backlog += w.typical / share;
      spreadSq += w.spreadSq / share;
    }
    const own = st.work(m, n, cls);
    return start + backlog + own.typical + Math.sqrt(spreadSq + own.spreadSq);
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
    const worst = m.errors.max(now);
    return worst !== undefined && worst > 0 ? worst : 0;
  }
}

function mib(bytes: number): string {
  return `${(bytes / (1024 * 1024)).toFixed(1)} MiB`;
}
