// What the rest of the controller may see of the scheduler: a narrow,
// read-only view for the admin and V2 services, metrics and status. Changes
// go through the serving core (which pumps the scheduler after each), never
// through this.
import type { ExecutorTimeline } from './scheduler/executor-timeline.js';
import type { Policy } from './scheduler/policy.js';
import type { Scheduler } from './scheduler/scheduler.js';

/** An executor as the controller's views read it. */
export type ExecutorView = Readonly<Pick<ExecutorTimeline, 'spec' | 'models' | 'memoryUsed' | 'completed' | 'freeAt' | 'loads' | 'unloads' | 'suspended' | 'usable'>> & {
  holds(model: string): boolean;
};

export interface Residency {
  /** Executors where the model is loaded. */
  loaded: string[];
  /** Whether a load of it is in flight somewhere. */
  loading: boolean;
}

export class SchedulingView {
  constructor(
    private readonly sched: Scheduler,
    private readonly now: () => number,
  ) {}

  get policy(): Policy {
    return this.sched.policy;
  }

  get executorCount(): number {
    return this.sched.executors.size;
  }

  executors(): Iterable<ExecutorView> {
    return this.sched.executors.values();
  }

  executor(id: string): ExecutorView | undefined {
    return this.sched.executors.get(id);
  }

  /** Requests waiting in the model's queue (or all queues), not yet dispatched. */
  queued(model?: string): number {
    return this.sched.queued(model);
  }

  /** What admission currently sets aside for a model version: its largest recent prediction error, ms (before the SLO cap). */
  recentError(model: string): number {
    return this.sched.recentError(model, this.now());
  }

  residency(model: string): Residency {
    const loaded: string[] = [];
    let loading = false;
    for (const e of this.sched.executors.values()) {
      const res = e.models.get(model);
      if (res?.state === 'loaded') loaded.push(e.spec.id);
      else if (res) loading = true;
    }
    return { loaded, loading };
  }
}
