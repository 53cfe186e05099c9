// Arrivals: trace mapping and counts, Poisson rates of the synthetic
// workloads (seeded, with tolerances several standard deviations wide),
// determinism for a seed.
import { describe, expect, it } from 'vitest';
import { parseAzureTrace } from './azure-trace.js';
import { syntheticArrivals, SYNTHETIC_WORKLOADS } from './synthetic.js';
import { blockMapping, traceArrivals, type Arrival } from './trace-arrivals.js';
import { parseMinutes } from './workload.js';

function collect(it: Iterable<Arrival>): Arrival[] {
  return [...it];
}

describe('workloads', () => {
  it('maps functions onto models in contiguous blocks', () => {
    expect([...blockMapping(6, 3)]).toEqual([0, 0, 1, 1, 2, 2]);
    expect([...blockMapping(5, 2)]).toEqual([0, 0, 0, 1, 1]);
  });

  it('replays a trace: exact counts per minute at scale 1, in time order, compressed minutes', () => {
    const t = parseAzureTrace('HashOwner,HashApp,HashFunction,Trigger,1,2\no,a,f1,http,30,10\no,a,f2,http,0,20\n');
    const a = collect(traceArrivals(t, { models: ['m1', 'm2'], minuteSeconds: 2, seed: 5 }));
    expect(a).toHaveLength(60);
    for (let i = 1; i < a.length; i++) expect(a[i]!.time).toBeGreaterThanOrEqual(a[i - 1]!.time);
    const first = a.filter((x) => x.time < 2000);
    expect(first).toHaveLength(30);
    expect(first.every((x) => x.model === 'm1')).toBe(true);
    expect(a.filter((x) => x.time >= 2000 && x.model === 'm2')).toHaveLength(20);
    expect(a[a.length - 1]!.time).toBeLessThan(4000);
  });

  it('scales a trace by the rate scale, keeping the mean', () => {
    const t = parseAzureTrace('HashOwner,HashApp,HashFunction,1,2,3,4\no,a,f,1000,1000,1000,1000\n');
    const n = collect(traceArrivals(t, { models: ['m'], rateScale: 0.25, seed: 2 })).length;
    expect(n).toBe(1000);
    const m = collect(traceArrivals(parseAzureTrace('HashOwner,HashApp,HashFunction,1\no,a,f,7\n'), { models: ['m'], rateScale: 1.5, seed: 4 })).length;
    expect([10, 11]).toContain(m);
  });

  it('constant Poisson arrivals have the right mean rate and exponential gaps', () => {
    const a = collect(syntheticArrivals('constant', { models: ['m'], rate: 200, durationS: 100, seed: 11 }));
    // 20,000 expected; a Poisson count's sd is ~141: allow 4 sd.
    expect(Math.abs(a.length - 20_000)).toBeLessThan(570);
    const gaps = a.slice(1).map((x, i) => x.time - a[i]!.time);
    const mean = gaps.reduce((s, g) => s + g, 0) / gaps.length;
    expect(mean).toBeGreaterThan(4.8);
    expect(mean).toBeLessThan(5.2);
    // Exponential: the share of gaps under the mean is 1 - 1/e ≈ 0.632.
    const under = gaps.filter((g) => g < 5).length / gaps.length;
    expect(Math.abs(under - 0.632)).toBeLessThan(0.02);
  });

  it('every synthetic workload keeps its mean rate; bursty and diurnal vary it over time', () => {
    for (const name of SYNTHETIC_WORKLOADS) {
      const a = collect(syntheticArrivals(name, { models: ['a', 'b', 'c'], rate: 100, durationS: 200, seed: 3 }));
      expect(Math.abs(a.length - 20_000), name).toBeLessThan(1200);
    }
    const bursty = collect(syntheticArrivals('bursty', { models: ['a'], rate: 100, durationS: 100, seed: 3 }));
    const on = bursty.filter((x) => x.time % 10_000 < 2500).length;
    expect(on / bursty.length).toBeGreaterThan(0.75); // 25 % of the time carries 85 % of the load
    const diurnal = collect(syntheticArrivals('diurnal', { models: ['a'], rate: 100, durationS: 100, seed: 3 }));
    const middle = diurnal.filter((x) => x.time > 40_000 && x.time < 60_000).length;
    const edge = diurnal.filter((x) => x.time < 10_000).length;
    expect(middle).toBeGreaterThan(4 * edge);
  });

  it('zipf popularity: the first model gets the most, the tail the least', () => {
    const models = Array.from({ length: 100 }, (_, i) => `m${i}`);
    const a = collect(syntheticArrivals('zipf', { models, rate: 1000, durationS: 50, seed: 8 }));
    const count = (m: string): number => a.filter((x) => x.model === m).length;
    // Zipf(1) over 100 models: the first takes 1/H(100) ≈ 19 %.
    expect(count('m0') / a.length).toBeGreaterThan(0.17);
    expect(count('m0') / a.length).toBeLessThan(0.21);
    expect(count('m0')).toBeGreaterThan(5 * count('m9'));
  });

  it('is the same stream for the same seed, a different one for another', () => {
    const a = collect(syntheticArrivals('bursty', { models: ['a', 'b'], rate: 50, durationS: 10, seed: 7 }));
    const b = collect(syntheticArrivals('bursty', { models: ['a', 'b'], rate: 50, durationS: 10, seed: 7 }));
    const c = collect(syntheticArrivals('bursty', { models: ['a', 'b'], rate: 50, durationS: 10, seed: 8 }));
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
  });

  it('parses minute ranges', () => {
    expect(parseMinutes('1-60')).toEqual({ from: 1, to: 60 });
    expect(parseMinutes('5')).toEqual({ from: 5, to: 5 });
    expect(() => parseMinutes('60-1')).toThrow(/FROM <= TO/);
    expect(() => parseMinutes('x')).toThrow(/not a minute range/);
  });
});
