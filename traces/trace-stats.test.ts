// Trace statistics on small traces whose figures are known by hand, on both
// file formats, and the side-by-side rows.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseAzure2021 } from './azure-2021.js';
import { binnedCounts, comparisonRows, traceFileStatistics, traceStatistics, type CountsTrace } from './trace-stats.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'punctual-stats-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function fn(app: string, name: string, counts: number[], trigger?: string): CountsTrace['functions'][number] {
  return { owner: 'o', app, fn: name, counts, ...(trigger !== undefined ? { trigger } : {}) };
}

const minutes = 120;
const at = (entries: [number, number][]): number[] => {
  const c = new Array<number>(minutes).fill(0);
  for (const [m, v] of entries) c[m] = v;
  return c;
};
// Totals: 0, 2, 3, 120, 121 over two hours (1/hour = 2, 1/minute = 120).
const TRACE: CountsTrace = {
  minutes,
  functions: [
    fn('x', 'idle', at([]), 'http'),
    fn('x', 'two', at([[5, 1], [70, 1]]), 'http'),
    fn('y', 'three', at([[0, 1], [40, 1], [80, 1]]), 'timer'), // every 40 minutes: periodic
    fn('z', 'steady', new Array<number>(minutes).fill(1), 'queue'), // once a minute
    fn('z', 'burst', at([[10, 100], [11, 21]]), 'event'), // one burst
  ],
};

describe('trace statistics', () => {
  const s = traceStatistics(TRACE);

  it('counts functions, apps and invocations', () => {
    expect([s.functions, s.active_functions, s.apps, s.invocations, s.minutes]).toEqual([5, 4, 3, 246, 120]);
    expect(s.invocations_per_minute).toBe(2.05);
  });

  it('mean-rate buckets of functions and apps, idle ones at rate 0', () => {
    expect(s.functions_by_rate).toEqual({ at_most_1_per_hour: 0.4, at_most_1_per_minute: 0.8, more_than_1_per_minute: 0.2 });
    // Apps: x = 2 (at most 1/hour), y = 3, z = 241.
    expect(s.apps_by_rate).toEqual({ at_most_1_per_hour: 0.3333, at_most_1_per_minute: 0.6667, more_than_1_per_minute: 0.3333 });
  });

  it('popularity: top shares, the apps making 99.6 %, orders of magnitude', () => {
    // 18.6 % of 5 functions rounds to 1: the busiest, 121 of 246.
    expect(s.top_functions_share['18.6%']).toBeCloseTo(121 / 246, 4);
    expect(s.top_apps_share['1%']).toBeCloseTo(241 / 246, 4);
    expect(s.apps_for_99_6_percent).toBe(1); // z and y make 244 < 99.6 % of 246: all three
    expect(s.rate_orders_of_magnitude).toBe(Number(Math.log10(121 / 2).toFixed(2)));
    expect(s.busiest_per_minute).toBeCloseTo(121 / 120, 3);
    expect(s.rarest_active_per_day).toBe(24);
  });

  it('trigger mix by functions and by invocations', () => {
    expect(s.triggers).toEqual({
      http: { functions: 0.4, invocations: 0.0081 },
      timer: { functions: 0.2, invocations: 0.0122 },
      queue: { functions: 0.2, invocations: 0.4878 },
      event: { functions: 0.2, invocations: 0.4919 },
    });
    expect(Object.keys(s.triggers!)[0]).toBe('http'); // most functions first
  });

  it('functions per app, idle minutes', () => {
    expect(s.functions_per_app).toEqual({ '1': 0.3333, '2': 0.6667, '3': 0, '4-5': 0, '6-10': 0, '11+': 0 });
    // Idle minute counts: 120, 118, 117, 0, 118 of 600.
    expect(s.idle_minutes).toBeCloseTo(473 / 600, 4);
    expect(s.idle_minutes_median_function).toBeCloseTo(118 / 120, 4);
  });

  it('variability: periodic timers and steady functions at CV 0, clusters far above 1, bursty functions found', () => {
    expect(s.iat_cv_timer).toEqual({ p25: 0, median: 0, p75: 0 });
    const steady = traceStatistics({ minutes, functions: [TRACE.functions[3]!] });
    expect(steady.iat_cv.median).toBe(0);
    expect(steady.count_cv.median).toBe(0);
    const clusters = traceStatistics({ minutes, functions: [fn('c', 'c', at([[0, 5], [100, 5]]))] });
    expect(clusters.iat_cv.median).toBeGreaterThan(2);
    expect(s.bursty_functions).toBe(0.25); // the burst: 100 in a minute against a mean of ~1
    // Per-minute counts 0, 2, 0, 2: mean 1, standard deviation 1.
    const two = traceStatistics({ minutes: 4, functions: [fn('a', 'f', [0, 2, 0, 2])] });
    expect(two.count_cv.median).toBe(1);
    // Invocations at 1.25, 1.75, 3.25, 3.75: gaps 0.5, 1.5, 0.5.
    expect(two.iat_cv.median).toBeCloseTo(Math.sqrt(2.75 / 3 - (2.5 / 3) ** 2) / (2.5 / 3), 3);
  });

  it('the hourly swing, only with two whole hours and no idle one', () => {
    expect(s.hourly_peak_to_trough).toBeCloseTo((1 + 2 + 60 + 121) / (1 + 1 + 60), 2);
    expect(traceStatistics({ minutes: 90, functions: TRACE.functions }).hourly_peak_to_trough).toBeUndefined();
  });

  it('an empty trace gives zeros, not NaN', () => {
    const e = traceStatistics({ minutes: 10, functions: [] });
    expect(JSON.stringify(e)).not.toMatch(/NaN|null/);
    expect(e.invocations).toBe(0);
  });

  it('bins a 2021 trace into minutes', () => {
    const t = parseAzure2021('app,func,end_timestamp,duration\na,f,10,0\na,f,70,1\na,g,59.5,0\na,f,150,0\n');
    const b = binnedCounts(t);
    expect(b.minutes).toBe(3);
    expect(b.functions.map((f) => [f.app, f.fn, Array.from(f.counts)])).toEqual([
      ['a', 'f', [1, 1, 1]],
      ['a', 'g', [1, 0, 0]],
    ]);
  });

  it('reads files of both formats, idle rows included, and lays the figures beside the published ones', async () => {
    const f2019 = path.join(dir, 'a.csv');
    fs.writeFileSync(f2019, 'HashOwner,HashApp,HashFunction,Trigger,1,2\no,a,f,http,1,2\no,a,g,timer,0,0\no,b,h,queue,0,3\n');
    const a = await traceFileStatistics(f2019);
    expect([a.format, a.functions, a.active_functions, a.apps, a.invocations]).toEqual(['2019', 3, 2, 2, 6]);
    const f2021 = path.join(dir, 'b.csv');
    fs.writeFileSync(f2021, 'app,func,end_timestamp,duration\na,f,10,0\na,f,70,1\n');
    let bytes = 0;
    const b = await traceFileStatistics(f2021, { onBytes: (n) => (bytes = n) });
    expect([b.format, b.functions, b.minutes, b.invocations]).toEqual(['2021', 1, 2, 2]);
    expect(bytes).toBe(fs.statSync(f2021).size);
    const rows = comparisonRows(a);
    expect(rows.find((r) => r.figure.startsWith('apps invoked at most once an hour'))).toEqual({ figure: 'apps invoked at most once an hour (mean)', value: '0.0 %', published: '45.0 %' });
    expect(rows.find((r) => r.figure.startsWith('timer:'))?.published).toBe('15.6 % / 2.0 %');
  });

  it('a 2019 file with a line far too long fails with its line number', async () => {
    const huge = path.join(dir, 'huge2019.csv');
    fs.writeFileSync(huge, 'HashOwner,HashApp,HashFunction,1\n' + 'o,a,f,' + '1'.repeat(3 << 20) + '\n');
    await expect(traceFileStatistics(huge)).rejects.toThrow(/^line 2: longer than 1048576 bytes/);
  });
});
