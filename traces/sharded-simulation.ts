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
  /** CPU seconds of this shard's simulation (this process, every thread), without drawing the arrivals. */
  cpu_s: number;
  /**
   * CPU per request from the steady start (steadyFromMs) to the last
   * arrival, without drawing the arrivals, µs: the controller's scheduling
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

/** Where a shard's stream stood at one moment: CPU ms, arrivals drawn (kept or not), arrivals kept. */
interface Mark {
  cpu: number;
  drawn: number;
  kept: number;
}

/** What drawing a shard's arrivals saw: counts, and marks at the steady start and the last arrival. */
interface Draw {
  drawn: number;
  kept: number;
  steady?: Mark;
  last?: Mark;
}

/** The arrivals of `keys` only, counting every arrival drawn (kept or not). */
function* only(source: Iterable<Arrival>, keys: ReadonlySet<string>, steadyFromMs: number, d: Draw): Generator<Arrival> {
  for (const a of source) {
    d.drawn++;
    if (!keys.has(a.model)) continue;
    if (!d.steady && a.time >= steadyFromMs) d.steady = { cpu: cpuMs(), drawn: d.drawn, kept: d.kept };
    d.kept++;
    yield a;
  }
  d.last = { cpu: cpuMs(), drawn: d.drawn, kept: d.kept };
}

/** One pass over the stream: what drawing an arrival costs (CPU ms), and each controller's offered work (Σ batch-1 p50, ms). */
function survey(arrivals: Iterable<Arrival>, ownerOf: ReadonlyMap<string, number>, run1: ReadonlyMap<string, number>, controllers: number): { drawMs: number; work: number[] } {
  const work = new Array<number>(controllers).fill(0);
  let n = 0;
  const t0 = cpuMs();
  for (const a of arrivals) {
    n++;
    const i = ownerOf.get(a.model);
    if (i !== undefined) work[i]! += run1.get(a.model) ?? 0;
  }
  return { drawMs: n > 0 ? (cpuMs() - t0) / n : 0, work };
}

/**
 * Simulates a ring of `controllers` controllers. `arrivals` must give the
 * same stream on every call (a Workload's arrivals() does): each shard draws
 * the whole stream and keeps its own models' requests, so nothing is held in
 * memory however long the trace.
 */
export function simulateSharded(arrivals: () => Iterable<Arrival>, opts: ShardedSimulationOptions): ShardedSimulationResult {
  const n = opts.controllers;
  if (!Number.isInteger(n) || n < 1 || n > MAX_RING_MEMBERS) throw new RangeError(`controllers must be an integer from 1 to ${MAX_RING_MEMBERS}, not ${n}`);
  if (opts.workers < n) throw new RangeError(`${n} controllers need at least ${n} workers (each controller serves its shard on workers of its own), not ${opts.workers}`);
  const ring = simulatedRing(n);
  const byOwner = new Map<string, SimModel[]>(ring.members.map((m) => [m.name, []]));
  for (const m of opts.models) byOwner.get(ring.owner(m.name).name)!.push(m);
  const ownerOf = new Map<string, number>();
  const run1 = new Map<string, number>();
  for (const m of opts.models) {
    ownerOf.set(m.key, ring.members.findIndex((x) => x.name === ring.owner(m.name).name));
    const cls = Object.values(m.profile.classes)[0];
    run1.set(m.key, cls?.batches.find((b) => b.batch === 1)?.p50Ms ?? 0);
  }
  const { drawMs, work } = survey(arrivals(), ownerOf, run1, n);
  const workers = opts.workerSplit === 'load' ? splitWorkersByLoad(opts.workers, work) : splitWorkers(opts.workers, n);
  const builder = new SummaryBuilder(1000, true);
  const shards: ShardFigures[] = [];
  let ended = 0;
  let offeredExecutorMs = 0;
  let template: Record<string, unknown> = {};
  ring.members.forEach((member, i) => {
    const models = byOwner.get(member.name)!;
    const keys = new Set(models.map((m) => m.key));
    const draw: Draw = { drawn: 0, kept: 0 };
    const before = ended;
    const t0 = cpuMs();
    const r = simulate(only(arrivals(), keys, opts.steadyFromMs ?? 0, draw), {
      ...opts,
      models,
      workers: workers[i]!,
      durationMs: opts.durationMs,
      onProgress: (e) => opts.onProgress?.((ended = before + e)),
    });
    const cpuS = Math.max(0, cpuMs() - t0 - draw.drawn * drawMs) / 1000;
    ended = before + r.summary.requests;
    builder.absorb(r.builder);
    const s = r.summary;
    const { steady, last } = draw;
    const span = steady && last && last.kept > steady.kept ? { ms: last.cpu - steady.cpu - (last.drawn - steady.drawn) * drawMs, n: last.kept - steady.kept } : undefined;
    const perRequestUs = span ? (Math.max(0, span.ms) * 1000) / span.n : s.requests > 0 ? (cpuS * 1e6) / s.requests : 0;
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
