// Several controllers, simulated (`punctual simulate --controllers N`): the
// models are split over a ring of N controllers exactly as a live ring
// splits them (common/ring.ts, by model name), the workers evenly or by each
// shard's offered work (as a per-shard autoscaler would settle: the ring
// balances models, not load, and traffic follows a few popular models; each
// worker dials one controller and serves its shard), and each shard is
// simulated on its own, since shards share nothing: a controller schedules
// only its models onto only its workers, and a client sends each request
// straight to its model's owner. The shards' outcomes add up to the
// cluster's summary; beside it, what each controller must do: the rate it
// takes and the CPU time its simulation spent per request, which is one
// controller's scheduling CPU on one core (plus the emulation's small share;
// no gRPC: add the socket path's cost from the controller-throughput bench
// for the whole of it).
import { ControllerRing, MAX_RING_MEMBERS } from '../common/ring.js';
import type { SimModel } from './sim-models.js';
import { simulate, type SimulationOptions } from './simulator.js';
import { SummaryBuilder, type Summary } from './summary.js';
import type { Arrival } from './trace-arrivals.js';

export interface ShardedSimulationOptions extends Omit<SimulationOptions, 'onProgress' | 'durationMs'> {
  /** Controllers in the ring, 1–MAX_RING_MEMBERS; at most `workers`. */
  controllers: number;
  /** Length of the run for rates; one for every shard. */
  durationMs: number;
  /** Called now and then with the number of requests ended so far, over all shards. */
  onProgress?: (ended: number) => void;
  /**
   * Each shard's CPU per request is timed from its first arrival at or after
   * this (virtual ms) to its last arrival, leaving out a start-up such as the
   * executors' warm-up loads and the drain. @default 0
   */
  steadyFromMs?: number;
  /** How workers are split over the controllers: evenly, or by each one's offered work (splitWorkersByLoad). @default 'even' */
  workerSplit?: WorkerSplit;
}

export type WorkerSplit = 'even' | 'load';
export const WORKER_SPLITS: readonly WorkerSplit[] = ['even', 'load'];

/** One controller's share and what it cost to schedule. */
export interface ShardFigures {
  controller: string;
  models: number;
  workers: number;
  requests: number;
  /** Requests per second this controller takes: its share of the offered rate. */
  offered_rps: number;
  slo_attainment: number;
  accepted_slo_attainment: number;
  rejected: number;
  late: number;
  /** CPU seconds of this shard's simulation (this process, every thread). */
  cpu_s: number;
  /**
   * CPU per request from the steady start (steadyFromMs) to the last
   * arrival, µs: the controller's scheduling
   * CPU per request (the simulation is one thread: it runs on one core).
   */
  cpu_us_per_request: number;
  /** offered_rps × cpu_us_per_request: cores of scheduling this controller needs to keep up in real time. */
  scheduling_cores: number;
}

export interface ShardedSimulationResult {
  /** The whole cluster, as one simulation's summary (config.controllers = N). */
  summary: Summary;
  builder: SummaryBuilder;
  shards: ShardFigures[];
}

/** The ring a simulation splits models over: controller-0 … controller-(n-1). */
export function simulatedRing(controllers: number): ControllerRing {
  return new ControllerRing(Array.from({ length: controllers }, (_, i) => ({ name: `controller-${i}`, address: `controller-${i}:7000` })));
}

/** Workers per controller: as even as they go, the first ones one more. */
export function splitWorkers(workers: number, controllers: number): number[] {
  return Array.from({ length: controllers }, (_, i) => Math.floor(workers / controllers) + (i < workers % controllers ? 1 : 0));
}

/**
 * Workers per controller in proportion to each one's offered work (as a
 * per-shard autoscaler would settle), at least one each: every controller
 * one, then the rest by largest remainder.
 */
export function splitWorkersByLoad(workers: number, work: readonly number[]): number[] {
  const n = work.length;
  if (workers < n) throw new RangeError(`${n} controllers need at least ${n} workers, not ${workers}`);
  const total = work.reduce((a, b) => a + b, 0);
  if (!(total > 0)) return splitWorkers(workers, n);
  const spare = workers - n;
  const quota = work.map((w) => (spare * w) / total);
  const out = quota.map((q) => 1 + Math.floor(q));
  let left = workers - out.reduce((a, b) => a + b, 0);
  const order = quota.map((q, i) => [q - Math.floor(q), i] as const).sort((x, y) => y[0] - x[0] || x[1] - y[1]);
  for (const [, i] of order) {
    if (left-- <= 0) break;
    out[i]!++;
  }
  return out;
}

/** This process's CPU time (user + system, every thread), ms. */
function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

/** One shard's arrivals, compact (20 bytes each): times, model indices, SLOs (NaN: none). */
class ShardStream {
  private times = new Float64Array(1024);
  private slos = new Float64Array(1024);
  private models = new Int32Array(1024);
  length = 0;
  /** Σ batch-1 p50 of its arrivals, ms: its offered work. */
  work = 0;

  push(time: number, model: number, sloMs: number | undefined): void {
    if (this.length === this.times.length) {
      const grow = <T extends Float64Array | Int32Array>(a: T, make: (n: number) => T): T => {
        const b = make(a.length * 2);
        b.set(a);
        return b;
      };
      this.times = grow(this.times, (n) => new Float64Array(n));
      this.slos = grow(this.slos, (n) => new Float64Array(n));
      this.models = grow(this.models, (n) => new Int32Array(n));
    }
    this.times[this.length] = time;
    this.slos[this.length] = sloMs ?? NaN;
    this.models[this.length++] = model;
  }

  /**
   * Its arrivals again, noting the CPU time when the first one at or after
   * `steadyFromMs` is taken and when the last one is.
   */
  *arrivals(keys: readonly string[], steadyFromMs: number, marks: { steady?: Mark; last?: Mark }): Generator<Arrival> {
    for (let i = 0; i < this.length; i++) {
      const time = this.times[i]!;
      if (!marks.steady && time >= steadyFromMs) marks.steady = { cpu: cpuMs(), taken: i };
      const slo = this.slos[i]!;
      yield Number.isNaN(slo) ? { time, model: keys[this.models[i]!]! } : { time, model: keys[this.models[i]!]!, sloMs: slo };
    }
    marks.last = { cpu: cpuMs(), taken: this.length };
  }
}

/** Where a shard's stream stood at one moment: CPU ms, arrivals taken. */
interface Mark {
  cpu: number;
  taken: number;
}

/** Each shard's models, and one pass over the stream putting each arrival into its owner's stream. */
function partition(arrivals: Iterable<Arrival>, models: readonly SimModel[], ring: ControllerRing): { keys: string[]; owned: SimModel[][]; streams: ShardStream[] } {
  const keys = models.map((m) => m.key);
  const owned = ring.members.map((): SimModel[] => []);
  const index = new Map<string, { model: number; shard: number; run1: number }>();
  models.forEach((m, i) => {
    const cls = Object.values(m.profile.classes)[0];
    const shard = ring.members.indexOf(ring.owner(m.name));
    owned[shard]!.push(m);
    index.set(m.key, { model: i, shard, run1: cls?.batches.find((b) => b.batch === 1)?.p50Ms ?? 0 });
  });
  const streams = ring.members.map(() => new ShardStream());
  for (const a of arrivals) {
    const at = index.get(a.model);
    if (!at) throw new Error(`arrival for unknown model ${a.model}`);
    const s = streams[at.shard]!;
    s.push(a.time, at.model, a.sloMs);
    s.work += at.run1;
  }
  return { keys, owned, streams };
}

/**
 * Simulates a ring of `controllers` controllers. The arrivals are drawn once
 * and held per shard, 20 bytes each (a million requests: 20 MB), so that each
 * shard's CPU time is its own scheduling and not the drawing of the others'.
 */
export function simulateSharded(arrivals: Iterable<Arrival>, opts: ShardedSimulationOptions): ShardedSimulationResult {
  const n = opts.controllers;
  if (!Number.isInteger(n) || n < 1 || n > MAX_RING_MEMBERS) throw new RangeError(`controllers must be an integer from 1 to ${MAX_RING_MEMBERS}, not ${n}`);
  if (opts.workers < n) throw new RangeError(`${n} controllers need at least ${n} workers (each controller serves its shard on workers of its own), not ${opts.workers}`);
  const ring = simulatedRing(n);
  const { keys: allKeys, owned, streams } = partition(arrivals, opts.models, ring);
  const workers = opts.workerSplit === 'load' ? splitWorkersByLoad(opts.workers, streams.map((x) => x.work)) : splitWorkers(opts.workers, n);
  const builder = new SummaryBuilder(1000, true);
  const shards: ShardFigures[] = [];
  let ended = 0;
  let offeredExecutorMs = 0;
  let template: Record<string, unknown> = {};
  ring.members.forEach((member, i) => {
    const models = owned[i]!;
    const marks: { steady?: Mark; last?: Mark } = {};
    const before = ended;
    const t0 = cpuMs();
    const r = simulate(streams[i]!.arrivals(allKeys, opts.steadyFromMs ?? 0, marks), {
      ...opts,
      models,
      workers: workers[i]!,
      onProgress: (e) => opts.onProgress?.((ended = before + e)),
    });
    const cpuS = (cpuMs() - t0) / 1000;
    streams[i] = new ShardStream(); // its arrivals are spent: let them go
    ended = before + r.summary.requests;
    builder.absorb(r.builder);
    const s = r.summary;
    const { steady, last } = marks;
    const span = steady && last && last.taken > steady.taken ? { ms: last.cpu - steady.cpu, n: last.taken - steady.taken } : undefined;
    const perRequestUs = span ? (span.ms * 1000) / span.n : s.requests > 0 ? (cpuS * 1e6) / s.requests : 0;
    if (i === 0) template = s.config;
    offeredExecutorMs += Number(s.config.utilisation) * opts.durationMs * workers[i]! * opts.executorsPerWorker;
    shards.push({
      controller: member.name,
      models: models.length,
      workers: workers[i]!,
      requests: s.requests,
      offered_rps: s.offered_rps,
      slo_attainment: s.slo_attainment,
      accepted_slo_attainment: s.accepted_slo_attainment,
      rejected: s.rejected,
      late: s.late,
      cpu_s: cpuS,
      cpu_us_per_request: perRequestUs,
      scheduling_cores: (s.offered_rps * perRequestUs) / 1e6,
    });
  });
  const summary = builder.build(opts.durationMs, {
    ...template,
    controllers: n,
    workers: opts.workers,
    model_instances: opts.models.length,
    utilisation: offeredExecutorMs / (opts.durationMs * opts.workers * opts.executorsPerWorker),
    ring_version: ring.version,
    worker_split: opts.workerSplit ?? 'even',
  });
  return { summary, builder, shards };
}
