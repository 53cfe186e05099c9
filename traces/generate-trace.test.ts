// The trace generator: a seeded 1,000-function day has the published
// character of Azure Functions 2019 (within tolerances a sample of that size
// allows), the same seed gives the same trace in every format, timers are
// periodic, and the original zipf-poisson shape is unchanged.
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { parseAzure2021 } from './azure-2021.js';
import { parseAzureTrace } from './azure-trace.js';
import { functionPopulation, minuteCounts, TRIGGER_SHARE, TRIGGERS } from './function-model.js';
import { generateAzureTrace, populationOf, traceLines } from './generate-trace.js';
import { binnedCounts, PUBLISHED_AZURE_2019, traceStatistics } from './trace-stats.js';

const DAY = { functions: 1000, minutes: 1440, seed: 1 } as const;
const dayText = generateAzureTrace(DAY);
const day = parseAzureTrace(dayText, { keepIdle: true });
const stats = traceStatistics({ minutes: 1440, functions: day.functions });

describe('a generated day has the published character (Shahrad et al., ATC’20)', () => {
  // Tolerances: the paper's figures are over the whole Azure workload; a
  // 1,000-function day has ~300 apps. A share over 300 apps has a binomial
  // standard deviation of ~0.029, so ±0.08 is about 3 sd (40 seeds: all inside).
  it('apps by mean rate: ~45 % at most once an hour, ~81 % at most once a minute', () => {
    expect(stats.functions).toBe(1000);
    expect(stats.apps).toBeGreaterThan(200);
    expect(Math.abs(stats.apps_by_rate.at_most_1_per_hour - PUBLISHED_AZURE_2019.apps_at_most_1_per_hour)).toBeLessThan(0.08);
    expect(Math.abs(stats.apps_by_rate.at_most_1_per_minute - PUBLISHED_AZURE_2019.apps_at_most_1_per_minute)).toBeLessThan(0.08);
  });

  it('popularity: the top 18.6 % of apps carry nearly all invocations; rates span many orders of magnitude', () => {
    // Published 99.6 %; a sample of ~300 apps has a thinner tail (40 seeds: 95.8–99.99 %).
    expect(stats.top_apps_share['18.6%']).toBeGreaterThan(0.95);
    // Published ~8 orders over the whole workload; the extremes of 1,000 draws span less (40 seeds: 5.1–8.8).
    expect(stats.rate_orders_of_magnitude).toBeGreaterThan(4.5);
    expect(stats.rate_orders_of_magnitude).toBeLessThan(9.5);
    expect(stats.rarest_active_per_day).toBeLessThanOrEqual(2);
  });

  it('a larger sample pins the calibration: 5,000 functions, ~1,500 apps', () => {
    // ±0.04 is about 3 binomial sd at 1,500 apps (10 seeds: 0.42–0.46 and 0.78–0.81).
    const functions = functionPopulation({ functions: 5000, seed: 2 }).map((spec) => {
      const steps = minuteCounts(spec);
      return { ...spec, counts: Array.from({ length: 1440 }, () => steps.next().value) };
    });
    const big = traceStatistics({ minutes: 1440, functions });
    expect(Math.abs(big.apps_by_rate.at_most_1_per_hour - PUBLISHED_AZURE_2019.apps_at_most_1_per_hour)).toBeLessThan(0.04);
    expect(Math.abs(big.apps_by_rate.at_most_1_per_minute - PUBLISHED_AZURE_2019.apps_at_most_1_per_minute)).toBeLessThan(0.04);
    expect(big.top_apps_share['18.6%']).toBeGreaterThan(0.98);
    expect(big.rate_orders_of_magnitude).toBeGreaterThan(6);
  });

  it('trigger mix by functions within 3.5 binomial sd of the published one', () => {
    const triggers = stats.triggers!;
    for (const t of TRIGGERS) {
      const p = TRIGGER_SHARE[t];
      const sd = Math.sqrt((p * (1 - p)) / 1000);
      expect(Math.abs((triggers[t]?.functions ?? 0) - p), t).toBeLessThan(3.5 * sd + 0.002);
    }
  });

  it('functions per app: about half the apps have one function', () => {
    expect(Math.abs(stats.functions_per_app['1'] - 0.54)).toBeLessThan(0.09);
    expect(stats.functions_per_app['11+']).toBeGreaterThan(0);
  });

  it('rare, sporadic, periodic and bursty: idle minutes dominate, timers are periodic, the rest bursty', () => {
    expect(stats.idle_minutes).toBeGreaterThan(0.75);
    expect(stats.iat_cv_timer!.median).toBeLessThan(0.1); // periodic: CV 0
    expect(stats.iat_cv_non_timer!.median).toBeGreaterThan(1); // burstier than Poisson
    expect(stats.bursty_functions).toBeGreaterThan(0.03);
  });

  it('the busy steady functions follow a daily curve (afternoon peak, night trough)', () => {
    const population = functionPopulation({ functions: 1000, seed: 1 });
    let afternoon = 0;
    let night = 0;
    for (const [i, spec] of population.entries()) {
      if (spec.behaviour !== 'steady' || spec.rate < 1) continue;
      const counts = day.functions[i]!.counts;
      for (let m = 13 * 60; m < 16 * 60; m++) afternoon += counts[m]!;
      for (let m = 1 * 60; m < 4 * 60; m++) night += counts[m]!;
    }
    expect(afternoon).toBeGreaterThan(1.3 * night);
  });
});

describe('generator mechanics', () => {
  it('is deterministic for a seed and differs across seeds', () => {
    const small = { functions: 50, minutes: 30 };
    expect(generateAzureTrace({ ...small, seed: 4 })).toBe(generateAzureTrace({ ...small, seed: 4 }));
    expect(generateAzureTrace({ ...small, seed: 4 })).not.toBe(generateAzureTrace({ ...small, seed: 5 }));
    expect(generateAzureTrace({ ...small, format: '2021', seed: 4 })).toBe(generateAzureTrace({ ...small, format: '2021', seed: 4 }));
  });

  it('a shorter trace is the prefix of a longer one (each function has its own stream)', () => {
    const long = parseAzureTrace(generateAzureTrace({ functions: 200, minutes: 120, seed: 2 }), { keepIdle: true });
    const short = parseAzureTrace(generateAzureTrace({ functions: 200, minutes: 30, seed: 2 }), { keepIdle: true });
    expect(short.functions.map((f) => [...f.counts])).toEqual(long.functions.map((f) => [...f.counts.subarray(0, 30)]));
  });

  it('timers fire at their period with a constant count (a firing may complete in the next minute)', () => {
    const population = functionPopulation({ functions: 1000, seed: 1 });
    const timers = population.map((spec, i) => ({ spec, counts: day.functions[i]!.counts })).filter((t) => t.spec.behaviour === 'timer');
    expect(timers.length).toBeGreaterThan(100);
    const periods = new Set(timers.map((t) => t.spec.period));
    for (const p of [1, 5, 10, 15, 30, 60]) expect(periods.has(p), `period ${p}`).toBe(true);
    let exact = 0;
    let gaps = 0;
    const wrong: string[] = [];
    for (const [t, { spec, counts }] of timers.entries()) {
      const period = spec.period!;
      const k = spec.perFiring!;
      const total = counts.reduce((s, c) => s + c, 0);
      // As many firings as the period allows in a day, give or take the one at either end.
      if (Math.abs(total / k - 1440 / period) > 1) wrong.push(`timer ${t}: ${total / k} firings of every ${period} min`);
      const firing = [...counts.keys()].filter((m) => counts[m]! > 0);
      for (const m of firing) if (counts[m]! % k !== 0) wrong.push(`timer ${t}: ${counts[m]} in minute ${m}, not a multiple of ${k}`);
      for (let i = 1; i < firing.length; i++) {
        const gap = firing[i]! - firing[i - 1]!;
        gaps++;
        if (gap === period) exact++;
        else if (gap !== period - 1 && gap !== period + 1) wrong.push(`timer ${t}: ${gap} min between firings of every ${period} min`); // a slip moves one firing by a minute
      }
    }
    expect(wrong).toEqual([]);
    expect(exact / gaps).toBeGreaterThan(0.93);
  });

  it('gives the same per-minute counts in both formats and both header variants', () => {
    const opts = { functions: 60, minutes: 40, seed: 3, totalPerMinute: 300 };
    const t2019 = parseAzureTrace(generateAzureTrace(opts));
    const minuteVariant = parseAzureTrace(generateAzureTrace({ ...opts, variant: 'minute' }));
    expect(minuteVariant.functions.map((f) => [...f.counts])).toEqual(t2019.functions.map((f) => [...f.counts]));
    const binned = binnedCounts(parseAzure2021(generateAzureTrace({ ...opts, format: '2021' })));
    const byId = new Map(binned.functions.map((f) => [`${f.app}/${f.fn}`, Array.from(f.counts)]));
    expect(byId.size).toBe(t2019.functions.length);
    for (const f of t2019.functions) expect(byId.get(`${f.app}/${f.fn}`)).toEqual([...f.counts]);
  });

  it('totalPerMinute sets the expected load of the window', () => {
    const t = parseAzureTrace(generateAzureTrace({ functions: 1000, minutes: 1440, seed: 1, totalPerMinute: 600 }));
    // One seeded day; over 30 seeds the realised mean is 0.85–1.6 × the target (a few busy on/off functions decide it).
    expect(t.total / 1440).toBeGreaterThan(0.8 * 600);
    expect(t.total / 1440).toBeLessThan(1.25 * 600);
    expect(populationOf({ functions: 1000, minutes: 1440, seed: 1, totalPerMinute: 600 }).reduce((s, f) => s + f.rate, 0)).toBeCloseTo(600, -1);
  });

  it('the 2021 format: header, rows in start order, durations, ends after starts', () => {
    const lines = [...traceLines({ format: '2021', functions: 30, minutes: 20, seed: 6, totalPerMinute: 100 })];
    expect(lines[0]).toBe('app,func,end_timestamp,duration');
    let last = -1;
    for (const line of lines.slice(1)) {
      const [app, func, end, duration] = line.split(',');
      expect(app).toMatch(/^[0-9a-f]{64}$/);
      expect(func).toMatch(/^[0-9a-f]{64}$/);
      const start = Number(end) - Number(duration);
      expect(Number(duration)).toBeGreaterThanOrEqual(0);
      expect(start).toBeGreaterThanOrEqual(last - 1e-5);
      expect(start).toBeLessThan(20 * 60);
      last = start;
    }
    expect(lines.length).toBeGreaterThan(100);
  });

  it('rejects options that do not go together', () => {
    expect(() => generateAzureTrace({ peakPerMinute: 5 })).toThrow(/zipf-poisson/);
    expect(() => generateAzureTrace({ shape: 'zipf-poisson', totalPerMinute: 5 })).toThrow(/'azure' shape/);
    expect(() => generateAzureTrace({ shape: 'zipf-poisson', format: '2021' })).toThrow(/2021/);
    expect(() => generateAzureTrace({ minutes: 1441 })).toThrow(/1 to 1440/);
    expect(() => generateAzureTrace({ functions: 100, totalPerMinute: 0.001 })).toThrow(/timers' own/);
  });

  it("the 'zipf-poisson' shape is the original generator, byte for byte", () => {
    // sha256 of the original generator's output (git 5bfaa5c, traces/generate-trace.ts) for the
    // call test/simulate-golden.test.ts makes: its pinned simulator results depend on it.
    const text = generateAzureTrace({ shape: 'zipf-poisson', functions: 1000, minutes: 3, peakPerMinute: 600, seed: 7 });
    expect(createHash('sha256').update(text).digest('hex').slice(0, 12)).toBe('ad3bf71f3582');
    const t = parseAzureTrace(generateAzureTrace({ shape: 'zipf-poisson', functions: 8, minutes: 5, seed: 3 }));
    expect(t.functions).toHaveLength(8);
    expect(t.functions[0]!.trigger).toBe('http');
  });

  it('steps a function one minute at a time without end', () => {
    const [spec] = functionPopulation({ functions: 1, seed: 9 });
    const steps = minuteCounts(spec!);
    for (let m = 0; m < 3000; m++) expect(Number.isInteger(steps.next().value)).toBe(true);
  });
});
