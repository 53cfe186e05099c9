// The simulator: the controller's own Scheduler and Estimates, driven by a
// discrete-event loop in virtual time against emulated executors whose
// durations are drawn from stored profiles (p50 plus normal noise scaled to
// the profile's own p50→p99 spread × `noise`). Executors are the worker's
// (traces/emulated-executor.ts, the executor contract): actions ordered by
// earliest, one at a time, none started before its `earliest` or after its
// `latest` (refused, when the worker would refuse it, instead). It is driven
// as the live ServingCore is, by the same
// SchedulerDriver: tick after every event until quiet, wake at nextWakeup
// (never sooner than MIN_WAKE_MS). No sockets, no sleeps; the same seed gives
// the same run. With `lanes` ≥ 2 each executor has a load lane: its LOADs
// and UNLOADs run on a second emulated queue beside its inferences, as the
// worker runs them on their own ActionRunner.
import { ESTIMATES_DEFAULTS, Estimates } from '../controller/scheduler/estimates.js';
import { SchedulerDriver } from '../controller/scheduler/driver.js';
import { DEFAULT_POLICY, type Policy } from '../controller/scheduler/policy.js';
import { Scheduler } from '../controller/scheduler/scheduler.js';
import { executorId, type Decision } from '../controller/scheduler/types.js';
import { DROP_STATUS, REJECT_STATUS } from '../controller/reasons.js';
import { statusName } from '../common/errors.js';
import type { ClassProfile } from '../common/profile.js';
import { sessionClass } from '../common/model-threads.js';
import { EmulatedExecutor } from './emulated-executor.js';
import { EventHeap } from './event-heap.js';
import { gaussian, prng, type Rand } from './random.js';
import type { SimModel } from './sim-models.js';
import { outcomeOfStatus, SummaryBuilder, type OutcomeStatus, type Summary } from './summary.js';
import type { Arrival } from './trace-arrivals.js';

/** The defaults of SimulationOptions (the CLI's `simulate` flags read them too). */
export const SIMULATION_DEFAULTS = { memoryBytes: 2 ** 31, noise: 1, seed: 1, lanes: 2 } as const;

export interface SimulationOptions {
  models: readonly SimModel[];
  workers: number;
  executorsPerWorker: number;
  /** Memory budget of each executor, bytes. @default 2 GiB */
  memoryBytes?: number;
  /** SLO of every request, ms. @default each model's default SLO */
  sloMs?: number;
  /** @default DEFAULT_POLICY */
  policy?: Policy;
  /** Spread of emulated durations, as a multiple of each profile's own p50→p99 spread. @default 1 */
  noise?: number;
  /** @default 1 */
  seed?: number;
  /** @default SCHEDULER_DEFAULTS.scheduleAheadMs */
  scheduleAheadMs?: number;
  /** Session threads per executor; ≥ 2 gives loads a lane of their own (ExecutorSpec.lanes). @default 2, a CPU worker's (defaultLanes) */
  lanes?: number;
  /** Length of the run for rates (e.g. the workload's duration). @default the last arrival's time */
  durationMs?: number;
  /** Called now and then with the number of requests ended so far. */
  onProgress?: (ended: number) => void;
  /** Told of every decision the scheduler hands the executors (infer, load, unload) or makes (drop), with the virtual time. */
  onDecision?: (d: Decision, atMs: number) => void;
  /** Told of every rejection at admission: the model, the virtual time and the scheduler's message. */
  onReject?: (model: string, atMs: number, message: string) => void;
}

export interface SimulationResult {
  summary: Summary;
  builder: SummaryBuilder;
  /** Events processed, and actions the executors refused. */
  events: number;
  refused: number;
  loads: number;
}

type Action = Exclude<Decision, { type: 'drop' }>;

/** An action as its executor queues it. */
interface Queued {
  action: Action;
  earliestMs: number;
  latestMs: number;
}


export function simulate(arrivals: Iterable<Arrival>, opts: SimulationOptions): SimulationResult {
  const rand: Rand = prng((opts.seed ?? SIMULATION_DEFAULTS.seed) ^ 0x5eed);
  const noise = opts.noise ?? SIMULATION_DEFAULTS.noise;
  const policy = opts.policy ?? DEFAULT_POLICY;
  // Virtual time: the estimates age their measurements on the simulated clock.
  let now = 0;
  const estimates = new Estimates({ clock: { now: () => now } });
  const sched = new Scheduler({ estimates, policy, scheduleAheadMs: opts.scheduleAheadMs });
  const byKey = new Map<string, SimModel>();
  const cls = Object.keys(opts.models[0]?.profile.classes ?? {})[0] ?? 'cpu/t1';
  const classOf = new Map<string, ClassProfile>();
  for (const m of opts.models) {
    byKey.set(m.key, m);
    estimates.seed(m.key, m.profile);
    sched.addModel(m.key, m.batchSizes);
    // A model with its own thread count (bestThreads) runs as its session's class, as on a worker.
    const p = m.profile.classes[sessionClass(cls, estimates.threads(m.key))] ?? m.profile.classes[cls] ?? Object.values(m.profile.classes)[0];
    if (!p) throw new Error(`model ${m.key}: its profile has no executor class`);
    classOf.set(m.key, p);
  }
  // Per model and batch: [p50, sigma] of emulated durations.
  const durations = new Map<string, Map<number, [number, number]>>();
  for (const [key, p] of classOf) {
    const byBatch = new Map<number, [number, number]>();
    for (const b of p.batches) byBatch.set(b.batch, [b.p50Ms, (Math.max(0, b.p99Ms - b.p50Ms) / 2.326) * noise]);
    durations.set(key, byBatch);
  }

  const builder = new SummaryBuilder(1000, true);
  // A cold start at the high figures a punctual scheduler must plan with: the
  // load 10 % over its profile (ESTIMATES_DEFAULTS.loadSpread) and the p99 run.
  const floorMs = new Map<string, number>();
  for (const [key, p] of classOf) {
    const one = p.batches.find((b) => b.batch === 1);
    floorMs.set(key, p.loadMs * (1 + ESTIMATES_DEFAULTS.loadSpread) + (one?.p99Ms ?? 0));
  }
  /** Requests no scheduler could have served (see Stats.floor), by id, until they end. */
  const floorIds = new Set<number>();
  /** Σ batch-1 run time (p50) of every arrival, ms: the offered work. */
  let offeredMs = 0;
  const resident = (key: string): boolean => {
    for (const e of sched.executors.values()) if (e.holds(key)) return true;
    return false;
  };
  const heap = new EventHeap<EmulatedExecutor<Queued>>();
  let ended = 0;
  let refused = 0;
  let loads = 0;
  let events = 0;
  const finish = (r: { id: number; model: string; arrival: number }, status: OutcomeStatus, latency: number, within: boolean): void => {
    builder.add(r.model, r.arrival, status, latency, within, floorIds.delete(r.id));
    if (++ended % 100_000 === 0) opts.onProgress?.(ended);
  };

  const duration = (a: Action): number => {
    if (a.type === 'unload') return 1;
    const p = classOf.get(a.model)!;
    if (a.type === 'load') return Math.max(1, p.loadMs * (1 + 0.05 * noise * gaussian(rand)));
    const [p50, sigma] = durations.get(a.model)!.get(a.requests.length) ?? [a.expected, 0];
    return Math.max(p50 * 0.5, p50 + sigma * gaussian(rand));
  };

  const clock = { now: (): number => now };
  /** Each executor's queue for inferences, and for loads and unloads (the same one without a load lane). */
  const execs = new Map<string, { infer: EmulatedExecutor<Queued>; load: EmulatedExecutor<Queued> }>();
  const models = opts.models.map((m) => m.key);
  const lanes = opts.lanes ?? SIMULATION_DEFAULTS.lanes;
  const emulated = (id: string): EmulatedExecutor<Queued> => {
    const x: EmulatedExecutor<Queued> = new EmulatedExecutor<Queued>(id, clock, {
      schedule: (at) => heap.push(at, x),
      duration: (q) => duration(q.action),
      onStart: () => {},
      onRefuse: (q, at) => {
        refused++;
        sched.complete(q.action.actionId, { status: 'refused', message: 'COULD_NOT_START_IN_TIME' }, at);
      },
      onComplete: (q, start, end) => {
        const done = sched.complete(q.action.actionId, { status: 'ok', start, end, duration: end - start }, end);
        if (done) {
          for (const r of done.action.requests) finish(r, 'ok', end - r.arrival, end <= r.deadline);
        }
      },
    });
    return x;
  };
  for (let w = 0; w < opts.workers; w++) {
    for (let e = 0; e < opts.executorsPerWorker; e++) {
      const id = executorId(`w${w}`, e);
      sched.addExecutor({ id, workerId: `w${w}`, cls, memoryBudget: opts.memoryBytes ?? SIMULATION_DEFAULTS.memoryBytes, lanes }, 0);
      sched.preload(id, models);
      const infer = emulated(id);
      execs.set(id, { infer, load: lanes > 1 ? emulated(`${id}/load`) : infer });
    }
  }

  const driver = new SchedulerDriver(sched, (d) => {
    opts.onDecision?.(d, now);
    if (d.type === 'drop') {
      const r = d.request;
      finish(r, outcomeOfStatus(statusName(DROP_STATUS[d.code])), now - r.arrival, false);
      return;
    }
    if (d.type === 'load') loads++;
    const x = execs.get(d.executor)!;
    (d.type === 'infer' ? x.infer : x.load).submit({ action: d, earliestMs: d.earliest, latestMs: d.latest });
  });

  const it = arrivals[Symbol.iterator]();
  let next = it.next();
  let nextId = 1;
  let wake = Infinity;
  let lastArrival = 0;
  driver.pump(clock.now);
  for (;;) {
    const tA = next.done ? Infinity : next.value.time;
    const tE = heap.peekTime();
    const t = Math.min(tA, tE, wake);
    if (t === Infinity) break;
    now = t;
    if (tE <= t) {
      // A completion or an executor's timer; a timer since re-armed is no event.
      if (!heap.pop()!.fire()) continue;
    } else if (tA <= t) {
      const arrival = next.value as Arrival;
      next = it.next();
      lastArrival = arrival.time;
      const m = byKey.get(arrival.model);
      if (!m) throw new Error(`arrival for unknown model ${arrival.model}`);
      const slo = arrival.sloMs ?? opts.sloMs ?? m.defaultSloMs;
      const r = { id: nextId++, model: m.key, arrival: now, deadline: now + slo };
      const [run1] = durations.get(m.key)!.get(1)!;
      offeredMs += run1;
      if (!resident(m.key) && floorMs.get(m.key)! > slo) floorIds.add(r.id);
      const adm = sched.submit(r, now);
      if (!adm.ok) {
        opts.onReject?.(m.key, now, adm.message);
        finish(r, outcomeOfStatus(statusName(REJECT_STATUS[adm.code])), 0, false);
      }
    } else {
      wake = Infinity;
    }
    events++;
    driver.pump(clock.now);
    const w = driver.wakeAt(now);
    wake = w ?? Infinity;
    if (w === undefined && next.done && heap.size === 0) break;
  }
  if (sched.queued() > 0) throw new Error(`simulation ended with ${sched.queued()} requests still queued`);

  const durationMs = opts.durationMs ?? Math.max(lastArrival, 1);
  const summary = builder.build(durationMs, {
    mode: 'simulate',
    policy,
    workers: opts.workers,
    executors_per_worker: opts.executorsPerWorker,
    lanes,
    memory_bytes: opts.memoryBytes ?? SIMULATION_DEFAULTS.memoryBytes,
    model_instances: opts.models.length,
    slo_ms: opts.sloMs ?? 'model default',
    noise,
    seed: opts.seed ?? SIMULATION_DEFAULTS.seed,
    // The offered load: every arrival's batch-1 run (p50) over the executors' time.
    utilisation: offeredMs / (durationMs * opts.workers * opts.executorsPerWorker),
  });
  return { summary, builder, events, refused, loads };
}
