// Outcomes: what the scheduler learns and re-plans when work ends. A result
// per action type (an inference's measured run teaches the estimates and the
// reserve; a load makes a model resident or counts a failure; a refusal or a
// failure sends requests back to their queue), an action gone missing (the
// executor is set aside and everything in flight there is given up on), a
// worker that stops answering, answers again, or leaves.
import { actionCost } from './action-cost.js';
import type { ExecutorTimeline, InflightAction } from './executor-timeline.js';
import type { LostListener, LostReason, SchedulerState } from './state.js';
import type { ActionOutcome } from './types.js';

export interface CompletedInfer {
  action: InflightAction;
  executor: ExecutorTimeline;
}

export class Outcomes {
  constructor(
    private readonly st: SchedulerState,
    private readonly onLost: LostListener | undefined,
  ) {}

  /**
   * An action's result. Returns the finished inference (so the caller can
   * answer its requests), or undefined for loads, unloads, refusals and
   * unknown (already abandoned) actions, whose consequences are decided here.
   */
  complete(actionId: number, outcome: ActionOutcome, now: number): CompletedInfer | undefined {
    const st = this.st;
    st.seen(now);
    const e = st.actionExecutor.get(actionId);
    if (!e) {
      // The late answer of an action given up on: its executor is answering again.
      const from = st.abandoned.get(actionId);
      st.abandoned.delete(actionId);
      if (from && st.executors.get(from.spec.id) === from) from.lostAt = undefined;
      return undefined;
    }
    st.actionExecutor.delete(actionId);
    const anchor = outcome.status === 'ok' ? outcome.end : now;
    const a = e.settle(actionId, anchor);
    if (!a) return undefined;
    if (a.type === 'infer' && outcome.status === 'ok') st.costs.observe(e.spec.cls, actionCost(outcome, a.earliest, e.lastRunEnd), now);
    // The next inference's cost counts from this end (on its line; a refusal's, unknown, by now at the latest).
    if (a.type === 'infer' || !e.hasLoadLane) e.lastRunEnd = outcome.status === 'ok' ? outcome.end : now;
    switch (a.type) {
      case 'infer':
        return this.inferDone(e, a, outcome, now);
      case 'load':
        this.loadDone(e, a, outcome, now);
        return undefined;
      case 'unload':
        // Memory was released from our books when it was planned.
        return undefined;
    }
  }

  private inferDone(e: ExecutorTimeline, a: InflightAction, outcome: ActionOutcome, now: number): CompletedInfer | undefined {
    const st = this.st;
    const res = e.models.get(a.model);
    if (res) res.inflightInfers--;
    if (outcome.status === 'ok') {
      st.est.observeExec(a.model, a.batch, e.spec.cls, outcome.duration);
      e.returns.add(Math.max(0, now - outcome.end));
      const m = st.models.get(a.model);
      // Retried requests are not prediction errors: a worker failed under them.
      if (m) {
        for (const r of a.requests) if (r.predicted !== undefined && !r.retried) m.errors.add(now - r.predicted, now);
        m.lastOutcomeAt = Math.max(m.lastOutcomeAt, now);
      }
      return { action: a, executor: e };
    }
    if (outcome.status === 'failed' && res) {
      // The worker and we disagree about this model: forget it there.
      st.evict(e, a.model);
      st.planUnload(e, a.model, now, { lane: res.lane });
    }
    for (const r of a.requests) {
      if (outcome.status === 'failed') {
        if (r.retried) {
          st.drop(r, 'failed', `inference failed: ${outcome.message}`);
          continue;
        }
        r.retried = true;
      }
      st.requeue(r);
    }
    return undefined;
  }

  private loadDone(e: ExecutorTimeline, a: InflightAction, outcome: ActionOutcome, now: number): void {
    const st = this.st;
    const res = e.models.get(a.model);
    e.loadsInFlight--;
    const m = st.models.get(a.model);
    if (outcome.status === 'ok') {
      st.est.observeLoad(a.model, e.spec.cls, outcome.duration, outcome.memory);
      if (res) {
        res.state = 'loaded';
        res.readyAt = outcome.end;
        // Books keep the larger of the estimate and what the worker measured:
        // an RSS reading taken right after session creation can undercount.
        if (outcome.memory !== undefined && outcome.memory > res.memory) {
          e.memoryUsed += outcome.memory - res.memory;
          res.memory = outcome.memory;
          // Measured over the estimate, it may have taken the executor past its budget: idle models make room.
          if (e.freeMemory() < 0) st.evictToFit(e, 0, now, a.model);
        }
      }
      if (m) m.loadFailures = 0;
      return;
    }
    if (res) st.evict(e, a.model);
    if (m && outcome.status === 'failed') {
      m.loadFailures++;
      m.lastFailure = outcome.message;
      if (m.loadFailures >= st.cfg.maxLoadFailures) {
        for (const r of m.queue.drain()) st.drop(r, 'failed', `model ${m.key} failed to load: ${outcome.message}`);
        st.active.delete(m);
      }
    }
  }

  /**
   * An action far past its predicted end is taken as lost: the executor is
   * set aside (nothing new planned there) and everything in flight on it is
   * given up on, since the worker runs its actions in order and the rest wait
   * behind the missing one; their requests go back to the queue, to run
   * elsewhere if their deadlines allow.
   */
  detectLost(now: number): void {
    const { lostAfterMs, suspendRetryMs } = this.st.cfg;
    for (const e of this.st.executors.values()) {
      const due = firstEnd(e) + lostAfterMs;
      if (now >= due && confirmedBy(e, due, lostAfterMs)) {
        e.lostAt = now;
        this.abandonAll(e, now, 'overdue');
      } else if (e.lostAt !== undefined && !e.unresponsive && now - e.lostAt >= suspendRetryMs) {
        // Its worker answers pings: try it again. If it is stuck, the next action is lost too.
        e.lostAt = undefined;
      }
    }
  }

  /** When e next needs the tick for lost detection: its first action overdue, or its retry after a loss. */
  lostWakeup(e: ExecutorTimeline, withRetry: boolean): number {
    const { lostAfterMs, suspendRetryMs } = this.st.cfg;
    const due = firstEnd(e) + lostAfterMs;
    // Until a late enough ping is answered no time decides it: that pong (answered()) does.
    let t = confirmedBy(e, due, lostAfterMs) ? due : Infinity;
    if (withRetry && e.lostAt !== undefined && !e.unresponsive) t = Math.min(t, e.lostAt + suspendRetryMs);
    return t;
  }

  /**
   * A worker stopped answering (no reply to pings within its liveness
   * deadline): its executors are set aside and their work in flight is
   * re-planned elsewhere. Returns how many actions were given up on.
   */
  suspendWorker(workerId: string, now: number): number {
    this.st.seen(now);
    let n = 0;
    for (const e of this.st.executors.values()) {
      if (e.spec.workerId !== workerId || e.unresponsive) continue;
      e.unresponsive = true;
      n += e.allInflight().length;
      this.abandonAll(e, now, 'unresponsive');
    }
    return n;
  }

  /**
   * The worker answered a ping sent at `sentAt` (controller clock): see
   * ExecutorTimeline.pingAnsweredFrom. True when one of its executors has
   * work in flight, whose lost verdict this may decide (run a tick then).
   */
  answered(workerId: string, sentAt: number, now: number): boolean {
    this.st.seen(now);
    const at = Math.min(sentAt, now);
    let busy = false;
    for (const e of this.st.executors.values()) {
      if (e.spec.workerId !== workerId) continue;
      e.pingAnsweredFrom = Math.max(e.pingAnsweredFrom ?? -Infinity, at);
      busy ||= firstEnd(e) < Infinity;
    }
    return busy;
  }

  /** A set-aside worker answers again: its executors take work again. */
  resumeWorker(workerId: string, now: number): void {
    this.st.seen(now);
    for (const e of this.st.executors.values()) {
      if (e.spec.workerId !== workerId) continue;
      e.unresponsive = false;
      e.lostAt = undefined;
      if (e.inflight.length === 0) e.freeAt = Math.max(e.freeAt, now);
      if (e.loadLine.length === 0) e.loadFreeAt = Math.max(e.loadFreeAt, now);
    }
  }

  /**
   * A worker left: its executors vanish. Requests of its in-flight inferences
   * go back to their queues (retried elsewhere if time allows, else dropped as
   * UNAVAILABLE). With no executor left, everything queued fails now.
   */
  removeWorker(workerId: string): void {
    const st = this.st;
    for (const [id, e] of st.executors) {
      if (e.spec.workerId !== workerId) continue;
      st.executors.delete(id);
      for (const a of e.allInflight()) {
        st.actionExecutor.delete(a.id);
        for (const r of a.requests) {
          r.retried = true;
          st.requeue(r);
        }
      }
    }
    st.refreshClasses();
    if (st.executors.size === 0) {
      for (const m of st.active) {
        for (const r of m.queue.drain()) st.drop(r, 'unavailable', 'no worker connected');
      }
      st.active.clear();
    }
  }

  /** Gives up on every action in flight on e (see detectLost). */
  private abandonAll(e: ExecutorTimeline, now: number, why: LostReason): void {
    for (const a of [...e.allInflight()]) {
      this.abandon(e, a, now);
      this.st.rememberAbandoned(a.id, e);
      this.st.lostActions++;
      this.onLost?.({ actionId: a.id, executor: e.spec.id, type: a.type, model: a.model, why });
    }
  }

  private abandon(e: ExecutorTimeline, a: InflightAction, now: number): void {
    const st = this.st;
    e.settle(a.id, now);
    e.lastRunEnd = now;
    st.actionExecutor.delete(a.id);
    const res = e.models.get(a.model);
    if (a.type === 'load') {
      e.loadsInFlight--;
      if (res) st.evict(e, a.model);
      // The worker may hold it after all: free it there too.
      st.planUnload(e, a.model, now, /*already evicted from*/ { lane: a.lane });
    } else if (a.type === 'infer') {
      if (res) res.inflightInfers--;
      for (const r of a.requests) {
        r.retried = true;
        st.requeue(r);
      }
    }
  }
}

/**
 * Whether e's worker has shown it still reads its stream since an action
 * overdue at `due` should have ended: it answered a ping sent half the lost
 * interval before `due` or later. Always, for an executor whose worker has
 * answered no ping (a simulator's).
 */
function confirmedBy(e: ExecutorTimeline, due: number, lostAfterMs: number): boolean {
  return e.pingAnsweredFrom === undefined || e.pingAnsweredFrom >= due - lostAfterMs / 2;
}

/** The earliest predicted end among the first actions of e's lines (Infinity when nothing is in flight): the one a lost check watches. */
function firstEnd(e: ExecutorTimeline): number {
  return Math.min(e.inflight[0]?.predictedEnd ?? Infinity, e.loadLine[0]?.predictedEnd ?? Infinity);
}
