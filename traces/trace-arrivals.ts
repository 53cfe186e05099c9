// Arrivals from an Azure Functions trace: functions map onto models in
// contiguous blocks (as Clockwork did: with F functions and M models, function
// i → model ⌊i·M/F⌋), each minute's count is scaled by the rate scale, and the
// arrivals of a minute fall at uniformly random instants inside it — given
// the count, that is exactly a Poisson process within the minute. A trace
// minute may last S seconds. Produced lazily, one minute at a time.
import type { AzureTrace } from './azure-trace.js';
import { prng } from './random.js';

/** One request to send: when (ms from the start) and to which model. */
export interface Arrival {
  time: number;
  model: string;
  /** This request's SLO, ms; the simulator honours it over its own sloMs and the model's default. */
  sloMs?: number;
}

export interface TraceArrivalOptions {
  models: readonly string[];
  /** Length of a trace minute in seconds. @default 60 */
  minuteSeconds?: number;
  /** Multiplies every count (fractions are rounded at random, keeping the mean). @default 1 */
  rateScale?: number;
  seed?: number;
}

/** Model index of each function: contiguous blocks of (nearly) equal size. */
export function blockMapping(functions: number, models: number): Int32Array {
  const out = new Int32Array(functions);
  for (let i = 0; i < functions; i++) out[i] = Math.floor((i * models) / functions);
  return out;
}

export function* traceArrivals(trace: AzureTrace, opts: TraceArrivalOptions): Generator<Arrival> {
  if (opts.models.length === 0) throw new Error('no models to map the trace onto');
  const rand = prng(opts.seed ?? 1);
  const minuteMs = (opts.minuteSeconds ?? 60) * 1000;
  const scale = opts.rateScale ?? 1;
  const map = blockMapping(trace.functions.length, opts.models.length);
  const minutes = trace.toMinute - trace.fromMinute + 1;
  for (let m = 0; m < minutes; m++) {
    const times: number[] = [];
    const which: number[] = [];
    for (let f = 0; f < trace.functions.length; f++) {
      const expected = trace.functions[f]!.counts[m]! * scale;
      if (expected === 0) continue;
      const n = Math.floor(expected) + (rand() < expected - Math.floor(expected) ? 1 : 0);
      for (let k = 0; k < n; k++) {
        times.push(m * minuteMs + rand() * minuteMs);
        which.push(map[f]!);
      }
    }
    const order = Array.from(times.keys()).sort((a, b) => times[a]! - times[b]!);
    for (const i of order) yield { time: times[i]!, model: opts.models[which[i]!]! };
  }
}
