// Fixtures for the scheduler's unit tests (controller/scheduler/*.test.ts): a
// fixed table of estimates, request and executor builders, and a loop that
// completes actions as a punctual worker would. No sockets, no timers.
//
// Model "a@1" runs in 10 + 2·b ms at batch b (12, 14, 18, 26 ms at 1, 2, 4, 8),
// loads in 50 ms and takes 100 MB.
import { expect } from 'vitest';
import { Scheduler, type SchedulerOptions } from '../../controller/scheduler/scheduler.js';
import type { ActionOutcome, Decision, EstimateSource, ExecutorSpec, SchedRequest } from '../../controller/scheduler/types.js';

export const MB = 1024 * 1024;

export interface Cost {
  base: number;
  perItem: number;
  load: number;
  memory: number;
  /** Overrides base + perItem·b. */
  exec?: (b: number) => number;
}

export const COSTS: Record<string, Cost> = {
  'a@1': { base: 10, perItem: 2, load: 50, memory: 100 * MB },
  'b@1': { base: 20, perItem: 5, load: 80, memory: 100 * MB },
  'c@1': { base: 5, perItem: 1, load: 30, memory: 100 * MB },
  'big@1': { base: 10, perItem: 2, load: 50, memory: 2000 * MB },
  // Batching that does not pay: batch 2 costs more than two batch-1 runs.
  'cpu@1': { base: 0, perItem: 0, load: 50, memory: 100 * MB, exec: (b) => (b === 1 ? 12 : 12 * b + 10) },
  // Batching exactly linear: the same requests per ms at every size.
  'lin@1': { base: 0, perItem: 12, load: 50, memory: 100 * MB },
};

/** Estimates from a fixed table; records what it is told but never learns. */
export class TableEstimates implements EstimateSource {
  readonly execs: { model: string; batch: number; ms: number }[] = [];
  readonly loads: { model: string; ms: number }[] = [];
  private cost(model: string): Cost {
    const c = COSTS[model];
    if (!c) throw new Error(`no estimate for ${model}`);
    return c;
  }
  exec(model: string, batch: number): number {
    const c = this.cost(model);
    return c.exec ? c.exec(batch) : c.base + c.perItem * batch;
  }
  load(model: string): number {
    return this.cost(model).load;
  }
  memory(model: string): number {
    return this.cost(model).memory;
  }
  observeExec(model: string, batch: number, _cls: string, ms: number): void {
    this.execs.push({ model, batch, ms });
  }
  observeLoad(model: string, _cls: string, ms: number): void {
    this.loads.push({ model, ms });
  }
}

export type Infer = Extract<Decision, { type: 'infer' }>;
export type Load = Extract<Decision, { type: 'load' }>;
export type Unload = Extract<Decision, { type: 'unload' }>;
export type Drop = Extract<Decision, { type: 'drop' }>;
export type Action = Infer | Load | Unload;

export const infers = (ds: readonly Decision[]): Infer[] => ds.filter((d): d is Infer => d.type === 'infer');
export const loads = (ds: readonly Decision[]): Load[] => ds.filter((d): d is Load => d.type === 'load');
export const unloads = (ds: readonly Decision[]): Unload[] => ds.filter((d): d is Unload => d.type === 'unload');
export const drops = (ds: readonly Decision[]): Drop[] => ds.filter((d): d is Drop => d.type === 'drop');
export const ids = (rs: readonly SchedRequest[]): number[] => rs.map((r) => r.id);
export const ok = (start: number, end: number): ActionOutcome => ({ status: 'ok', start, end, duration: end - start });

export function executor(id: string, memoryMb = 1000): ExecutorSpec {
  return { id, workerId: id.split('/')[0]!, cls: 'cpu', memoryBudget: memoryMb * MB };
}

let nextId = 1;
export function req(model: string, arrival: number, slo: number): SchedRequest {
  return { id: nextId++, model, arrival, deadline: arrival + slo };
}

export function setup(opts: Partial<SchedulerOptions> = {}, executors: ExecutorSpec[] = [executor('w1/0')], est = new TableEstimates()) {
  const s = new Scheduler({ estimates: est, ...opts });
  s.addModel('a@1', [1, 2, 4, 8]);
  s.addModel('b@1', [1]);
  s.addModel('c@1', [1]);
  s.addModel('big@1', [1]);
  s.addModel('cpu@1', [1, 2, 4]);
  s.addModel('lin@1', [1, 2, 4]);
  for (const e of executors) s.addExecutor(e, 0);
  return { s, est };
}

/** Submits and expects acceptance. */
export function accept(s: Scheduler, r: SchedRequest, now = r.arrival): SchedRequest {
  const a = s.submit(r, now);
  expect(a, `request ${r.id} should be accepted`).toMatchObject({ ok: true });
  return r;
}

/** Where the executor's timeline predicts an action starts (windows open at dispatch time). */
export function predictedStart(s: Scheduler, actionId: number): number | undefined {
  for (const e of s.executors.values()) {
    const a = e.inflight.find((x) => x.id === actionId);
    if (a) return a.predictedStart;
  }
  return undefined;
}

/**
 * Completes the given actions as a punctual worker would (each starts at its
 * earliest or when the one before it on that executor ends, and takes what
 * was expected), then ticks at the last end, until nothing is left to do.
 * Returns the time everything is done and every decision seen.
 */
export function runUntilIdle(s: Scheduler, t: number, first: Decision[] = s.tick(t)): { t: number; all: Decision[] } {
  const all = [...first];
  let ds = first;
  for (let round = 0; round < 1000; round++) {
    const actions = ds.filter((d): d is Action => d.type !== 'drop');
    if (actions.length === 0) {
      if (s.queued() === 0) return { t, all };
      throw new Error(`stuck at ${t} with ${s.queued()} queued`);
    }
    const cursor = new Map<string, number>();
    let last = t;
    for (const d of actions) {
      const start = Math.max(d.earliest, cursor.get(d.executor) ?? t);
      const end = start + d.expected;
      cursor.set(d.executor, end);
      s.complete(d.actionId, ok(start, end), end);
      last = Math.max(last, end);
    }
    t = last;
    ds = s.tick(t);
    all.push(...ds);
  }
  throw new Error('runUntilIdle did not settle');
}

/** Loads `model` through the public API (one request, served) and returns when the executor is idle again. */
export function warm(s: Scheduler, model: string, t: number): number {
  accept(s, req(model, t, 100_000));
  return runUntilIdle(s, t).t;
}

/** Loads the model on every executor and runs until idle; returns the time. */
export function warmAll(s: Scheduler, model: string, t: number): number {
  for (const id of s.executors.keys()) s.warm(id, [model], t);
  return runUntilIdle(s, t).t;
}

/**
 * Two executors holding a@1: w1/0 has it; enough loose work is admitted that
 * w1/0 alone cannot finish it by its deadlines, so a@1 is loaded on w2/0 too.
 * Returns the load decision and when both are idle.
 */
export function replicate(s: Scheduler, t: number): { load: Load | undefined; t: number } {
  for (let i = 0; i < 500; i++) if (!s.submit(req('a@1', t, 300), t).ok) break;
  const first = s.tick(t);
  const load = loads(first).find((d) => d.model === 'a@1' && d.executor === 'w2/0');
  return { load, t: runUntilIdle(s, t, first).t };
}


/** TableEstimates whose typical (mean) run takes half its high figure: a spread of exec/2 per run. */
export class SpreadEstimates extends TableEstimates {
  typical(model: string, batch: number): number {
    return this.exec(model, batch) / 2;
  }
}

export function spreadSetup(opts: Partial<SchedulerOptions> = {}) {
  const { s, est } = setup(opts, [executor('w1/0')], new SpreadEstimates());
  return { s, est, e: s.executors.get('w1/0')! };
}
