// A workload as replay and simulate take it: an Azure Functions trace file
// (the 2019 per-minute format or the 2021 per-invocation one, told apart by
// its header) or a built-in synthetic workload, plus the shared options
// (minutes, minute length, rate scale, models, seed, duration). compiled
// once, replayed as a lazy stream of arrivals that can be iterated again with
// the same result.
import { detectTraceFormat, invocationArrivals, MAX_2021_MINUTE, readAzure2021 } from './azure-2021.js';
import { readAzureTrace, type AzureTrace } from './azure-trace.js';
import { isSyntheticName, syntheticArrivals, SYNTHETIC_WORKLOADS, type SyntheticName } from './synthetic.js';
import { traceArrivals, type Arrival } from './trace-arrivals.js';

export interface WorkloadSpec {
  /** Path of an Azure Functions trace CSV, 2019 or 2021 format. Exactly one of trace and workload. */
  trace?: string;
  workload?: string;
  /** Synthetic: mean rate, requests/s. @default 50 */
  rate?: number;
  /** Stop after this many seconds (synthetic: the run's length, default 60). */
  durationS?: number;
  /** Trace: minutes FROM-TO, 1-based inclusive. @default the whole file */
  minutes?: { from: number; to: number };
  /** Trace: seconds a trace minute lasts. @default 60 */
  minuteSeconds?: number;
  /** Trace: multiplies every count. @default 1 */
  rateScale?: number;
  /** Models to send to. @default every model available */
  models?: readonly string[];
  /** @default 1 */
  seed?: number;
}

export interface Workload {
  /** The configuration that produced it, for the summary. */
  readonly config: Record<string, unknown>;
  readonly durationMs: number;
  /** Expected number of arrivals (for progress). */
  readonly expected: number;
  readonly models: readonly string[];
  /** A fresh, identical stream on every call. */
  arrivals(): Iterable<Arrival>;
}

export const DEFAULT_RATE = 50;
export const DEFAULT_SYNTHETIC_SECONDS = 60;

/** "FROM-TO" (or a single minute "N"), 1-based; up to two weeks (a 2021 trace), a 2019 trace has 1440. */
export function parseMinutes(s: string): { from: number; to: number } {
  const m = /^\s*(\d+)\s*(?:-\s*(\d+)\s*)?$/.exec(s);
  if (!m) throw new Error(`${JSON.stringify(s)} is not a minute range FROM-TO (e.g. 1-60)`);
  const from = Number(m[1]);
  const to = m[2] === undefined ? from : Number(m[2]);
  if (from < 1 || to < from || to > MAX_2021_MINUTE) throw new Error(`minute range ${s} must satisfy 1 <= FROM <= TO <= ${MAX_2021_MINUTE}`);
  return { from, to };
}

function* until(source: Iterable<Arrival>, endMs: number): Generator<Arrival> {
  for (const a of source) {
    if (a.time >= endMs) return;
    yield a;
  }
}

/** Checks the spec and reads the trace (if any). `available` lists the models that exist. */
export async function compileWorkload(spec: WorkloadSpec, available: readonly string[]): Promise<Workload> {
  if ((spec.trace === undefined) === (spec.workload === undefined)) {
    throw new Error(`give a trace file or --workload ${SYNTHETIC_WORKLOADS.join('|')} (one of the two)`);
  }
  const models = spec.models && spec.models.length > 0 ? [...spec.models] : [...available];
  const unknown = models.filter((m) => !available.includes(m));
  if (unknown.length > 0) throw new Error(`unknown model(s) ${unknown.join(', ')} (available: ${available.join(', ') || 'none'})`);
  if (models.length === 0) throw new Error('no models to send requests to');
  const seed = spec.seed ?? 1;
  if (spec.workload !== undefined) {
    if (!isSyntheticName(spec.workload)) throw new Error(`unknown workload ${spec.workload} (one of ${SYNTHETIC_WORKLOADS.join(', ')})`);
    const name: SyntheticName = spec.workload;
    const rate = spec.rate ?? DEFAULT_RATE;
    const durationS = spec.durationS ?? DEFAULT_SYNTHETIC_SECONDS;
    return {
      config: { workload: name, rate_rps: rate, duration_s: durationS, models, seed },
      durationMs: durationS * 1000,
      expected: rate * durationS,
      models,
      arrivals: () => syntheticArrivals(name, { models, rate, durationS, seed }),
    };
  }
  const minuteSeconds = spec.minuteSeconds ?? 60;
  const rateScale = spec.rateScale ?? 1;
  const opts = spec.minutes ? { minutes: spec.minutes } : {};
  // Both formats give a window of minutes with a total; only how arrivals are drawn from them differs.
  const compile = <T extends { fromMinute: number; toMinute: number; total: number; functions: readonly unknown[] }>(
    trace: T,
    format: string | undefined,
    draw: (t: T, o: { models: string[]; minuteSeconds: number; rateScale: number; seed: number }) => Iterable<Arrival>,
  ): Workload => {
    const traceMs = (trace.toMinute - trace.fromMinute + 1) * minuteSeconds * 1000;
    const durationMs = spec.durationS !== undefined ? Math.min(traceMs, spec.durationS * 1000) : traceMs;
    return {
      config: {
        trace: spec.trace,
        ...(format !== undefined ? { format } : {}),
        minutes: `${trace.fromMinute}-${trace.toMinute}`,
        minute_seconds: minuteSeconds,
        rate_scale: rateScale,
        functions: trace.functions.length,
        models,
        seed,
        ...(spec.durationS !== undefined ? { duration_s: spec.durationS } : {}),
      },
      durationMs,
      expected: (trace.total * rateScale * durationMs) / traceMs,
      models,
      arrivals: () => until(draw(trace, { models, minuteSeconds, rateScale, seed }), durationMs),
    };
  };
  if ((await detectTraceFormat(spec.trace!)) === '2021') return compile(await readAzure2021(spec.trace!, opts), 'azure-2021', invocationArrivals);
  const trace: AzureTrace = await readAzureTrace(spec.trace!, opts);
  return compile(trace, undefined, traceArrivals);
}
