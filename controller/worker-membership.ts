// Workers joining, draining, going silent, answering again and leaving, as
// the serving core hears of them (controller/services/worker-service.ts and
// liveness.ts tell it): each change is made in the scheduler (executors
// added, set aside, taken back, removed), in the dispatcher's routes, in the
// logs and to the observers. The core pumps the scheduler after each.
import type { Clock } from '../common/clock.js';
import { executorClass, parseDevice } from '../common/device.js';
import type { Logger } from '../common/log.js';
import type { ExecutorRoute } from './action-dispatcher.js';
import type { ModelRegistry } from './model-registry.js';
import type { Scheduler } from './scheduler/scheduler.js';
import { executorId } from './scheduler/types.js';
import type { WorkerConnection } from './worker-connection.js';
import type { ExecutorInfo__Output } from '../common/wire.js';

export interface MembershipDeps {
  scheduler: Scheduler;
  routes: Map<string, ExecutorRoute>;
  registry: ModelRegistry;
  clock: Clock;
  log: Logger;
  /** Load models onto a joining executor while they fit. */
  warmOnJoin: boolean;
  /** The number of workers connected changed (or one's state did). */
  changed: (connected: number) => void;
}

/** Most sessions adopted per executor from one Hello (a hostile worker's list is not read further). */
export const MAX_ADOPTED_PER_EXECUTOR = 8192;

/** A session a joining worker kept from an earlier controller, which this one takes as its own. */
export interface AdoptedSession {
  executor: number;
  modelKey: string;
  lane: number;
  memoryBytes: number;
}

/**
 * The sessions a joining worker announced (ExecutorInfo.loaded) that this
 * controller takes as its own: registered models, on executors and threads
 * the worker has, each once. Its Welcome names them; the worker releases the
 * rest.
 */
export function adoptedSessions(executors: readonly ExecutorInfo__Output[], registry: ModelRegistry): AdoptedSession[] {
  const out: AdoptedSession[] = [];
  const seen = new Set<number>();
  for (const e of executors) {
    if (seen.has(e.index)) continue;
    seen.add(e.index);
    const lanes = clampLanes(e.lanes);
    const keys = new Set<string>();
    for (const l of (e.loaded ?? []).slice(0, MAX_ADOPTED_PER_EXECUTOR)) {
      if (keys.has(l.modelKey) || !registry.get(l.modelKey) || l.lane >= lanes) continue;
      keys.add(l.modelKey);
      out.push({ executor: e.index, modelKey: l.modelKey, lane: l.lane, memoryBytes: l.memoryBytes });
    }
  }
  return out;
}

export class WorkerMembership {
  readonly workers = new Map<string, WorkerConnection>();

  constructor(private readonly d: MembershipDeps) {}

  /** A worker finished its handshake and holds every model's bytes: its executors join. */
  add(conn: WorkerConnection): void {
    const { scheduler, clock } = this.d;
    const now = clock.now();
    this.workers.set(conn.id, conn);
    const models = this.d.registry.all().map((m) => m.key);
    let adopted = 0;
    const kept = new Map<number, AdoptedSession[]>();
    for (const a of conn.adopted) {
      const list = kept.get(a.executor);
      if (list) list.push(a);
      else kept.set(a.executor, [a]);
    }
    for (const e of conn.executors) {
      const id = executorId(conn.id, e.index);
      this.d.routes.set(id, { conn, index: e.index });
      // lanes ≥ 2: the executor's loads run on a lane of their own, beside its inferences (0 from a worker before lanes: one).
      scheduler.addExecutor({ id, workerId: conn.id, cls: executorClass(parseDevice(e.device), e.threads), memoryBudget: e.memoryBytes, lanes: clampLanes(e.lanes) }, now);
      // What it already holds (a restarted controller's workers coming back) is booked as loaded, not loaded again.
      for (const a of kept.get(e.index) ?? []) if (scheduler.adopt(id, a.modelKey, a.lane, a.memoryBytes, now)) adopted++;
      if (this.d.warmOnJoin) scheduler.preload(id, models);
    }
    this.d.log.info({ event: 'worker_joined', worker: conn.name, id: conn.id, executors: conn.executors.length, adoptedSessions: adopted }, adopted > 0 ? `worker joined holding ${adopted} session(s), adopted` : 'worker joined');
    this.d.changed(this.workers.size);
  }

  /** A worker is shutting down: no new actions for it. False when nothing changed. */
  drain(conn: WorkerConnection): boolean {
    if (conn.draining) return false;
    conn.draining = true;
    if (!this.workers.has(conn.id)) return false;
    this.d.scheduler.drainWorker(conn.id);
    this.d.log.info({ event: 'worker_draining', worker: conn.name, id: conn.id }, 'worker draining: no new work for it');
    return true;
  }

  /** A worker stopped answering within its liveness deadline: set aside, its work in flight re-planned. False when nothing changed. */
  suspend(conn: WorkerConnection, silentMs: number): boolean {
    if (!this.workers.has(conn.id) || conn.unresponsive) return false;
    conn.unresponsive = true;
    const n = this.d.scheduler.suspendWorker(conn.id, this.d.clock.now());
    const ms = Math.round(silentMs);
    this.d.log.warn({ event: 'worker_unresponsive', worker: conn.name, id: conn.id, silentMs: ms, actionsReplanned: n }, `worker ${conn.name} has not answered for ${ms} ms: set aside, ${n} action(s) re-planned`);
    this.d.changed(this.workers.size);
    return true;
  }

  /** A set-aside worker answered again: it takes work again. False when nothing changed. */
  resume(conn: WorkerConnection): boolean {
    if (!this.workers.has(conn.id) || !conn.unresponsive) return false;
    conn.unresponsive = false;
    this.d.scheduler.resumeWorker(conn.id, this.d.clock.now());
    this.d.log.info({ event: 'worker_responsive', worker: conn.name, id: conn.id }, `worker ${conn.name} answers again: taking work again`);
    this.d.changed(this.workers.size);
    return true;
  }

  /** A worker left (stream ended or broke): its work is re-planned or failed. False when it was not a member. */
  remove(conn: WorkerConnection): boolean {
    if (!this.workers.delete(conn.id)) return false;
    conn.close();
    for (const e of conn.executors) this.d.routes.delete(executorId(conn.id, e.index));
    this.d.scheduler.removeWorker(conn.id, this.d.clock.now());
    this.d.log.info({ event: 'worker_left', worker: conn.name, id: conn.id }, 'worker left');
    this.d.changed(this.workers.size);
    return true;
  }
}

/** Session threads an executor may announce at most (the worker's --lanes allows 1–8). */
const MAX_LANES = 8;

/** A worker's announced lanes, within 1..MAX_LANES: 0 (a worker from before lanes) is one; a larger figure from a broken worker is capped. */
export function clampLanes(lanes: number | undefined): number {
  return Number.isFinite(lanes) ? Math.min(MAX_LANES, Math.max(1, Math.floor(lanes!))) : 1;
}
