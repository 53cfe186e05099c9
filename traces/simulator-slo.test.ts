// The simulator honours a per-arrival SLO (arrival.sloMs over the run's sloMs
// over the model's default), and tells its observers of every decision and
// every rejection.
import { describe, expect, it } from 'vitest';
import { loadSimModels } from './sim-models.js';
import { simulate } from './simulator.js';
import type { Arrival } from './trace-arrivals.js';

const models = loadSimModels({}).filter((m) => m.key === 'det@1');
const det = models[0]!.profile.classes['cpu/t1']!.batches.find((b) => b.batch === 1)!;

/** det requests 200 ms apart on one idle executor: each is judged alone. */
function spaced(slos: (number | undefined)[]): Arrival[] {
  return slos.map((sloMs, i) => ({ time: 1000 + 200 * i, model: 'det@1', ...(sloMs !== undefined ? { sloMs } : {}) }));
}

describe('simulator: per-arrival SLOs', () => {
  it('judges each arrival against its own SLO, over the run-wide one and the model default', () => {
    // Below one run of det: nobody could serve it. Well above: an idle executor serves it in time.
    const tight = det.p50Ms / 2;
    const loose = det.p99Ms * 4;
    const slos = Array.from({ length: 20 }, (_, i) => (i % 2 === 0 ? tight : loose));
    const a = simulate(spaced(slos), { models, workers: 1, executorsPerWorker: 1, seed: 1 }).summary;
    expect(a.requests).toBe(20);
    expect(a.rejected).toBe(10);
    expect(a.ok_within_slo).toBe(10);

    // The arrival's SLO wins over the run's: a run-wide 1 ms SLO rejects only those without their own.
    const mixed = spaced(Array.from({ length: 20 }, (_, i) => (i % 2 === 0 ? undefined : loose)));
    const b = simulate(mixed, { models, workers: 1, executorsPerWorker: 1, sloMs: 1, seed: 1 }).summary;
    expect(b.rejected).toBe(10);
    expect(b.ok_within_slo).toBe(10);

    // Without either, the model's default (det: 100 ms) holds.
    const c = simulate(spaced(Array.from({ length: 10 }, () => undefined)), { models, workers: 1, executorsPerWorker: 1, seed: 1 }).summary;
    expect(c.rejected).toBe(0);
    expect(c.ok_within_slo).toBe(10);
  });

  it('counts an answer within SLO against the arrival’s own deadline', () => {
    // A burst of 6 at once with a 3-run SLO: the first ones fit, the last would not, and nothing served is past its SLO.
    const burst = Array.from({ length: 6 }, (_, i) => ({ time: 1000 + i * 0.01, model: 'det@1', sloMs: det.p99Ms * 3 }));
    const s = simulate(burst, { models, workers: 1, executorsPerWorker: 1, sloMs: 10_000, seed: 1 }).summary;
    expect(s.ok_within_slo).toBeGreaterThan(0);
    expect(s.rejected + s.late).toBeGreaterThan(0);
    expect(s.ok).toBe(s.ok_within_slo);
    expect(s.max_ms).toBeLessThanOrEqual(det.p99Ms * 3);
    // The same burst under the run-wide 10 s SLO alone: every request is served.
    const all = simulate(burst.map(({ time, model }) => ({ time, model })), { models, workers: 1, executorsPerWorker: 1, sloMs: 10_000, seed: 1 }).summary;
    expect(all.ok_within_slo).toBe(6);
  });

  it('tells onDecision of every load and onReject of every rejection, with the scheduler’s message', () => {
    const pair = loadSimModels({ instances: 4 });
    const arrivals: Arrival[] = Array.from({ length: 200 }, (_, i) => ({ time: 5 * i, model: pair[i % 4]!.key, sloMs: i % 3 === 0 ? 2 : 150 }));
    const loads: string[] = [];
    const rejections: string[] = [];
    const r = simulate(arrivals, {
      models: pair,
      workers: 1,
      executorsPerWorker: 1,
      memoryBytes: 60 * 2 ** 20,
      seed: 2,
      onDecision: (d) => {
        if (d.type === 'load') loads.push(d.model);
      },
      onReject: (_model, _at, message) => rejections.push(message),
    });
    expect(loads.length).toBe(r.loads);
    expect(r.loads).toBeGreaterThan(0);
    expect(rejections.length).toBe(r.summary.rejected);
    expect(rejections.length).toBeGreaterThan(0);
    expect(rejections.every((m) => m.startsWith('slo_unattainable'))).toBe(true);
  });
});
