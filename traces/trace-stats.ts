// Statistics of a per-minute trace: the figures Shahrad et al. ("Serverless
// in the Wild", ATC'20) publish for the Azure Functions 2019 workload, so a
// generated or downloaded trace can be set beside them. Mean-rate buckets of
// functions and apps, the share of invocations from the most popular ones, the
// orders of magnitude between the busiest and the rarest active function, the
// trigger mix, functions per app, idle minutes, per-function variability
// (per-minute counts, and inter-arrival times at minute resolution), bursts
// and the daily swing. `punctual trace stats FILE` prints them; a 2021-format
// (per-invocation) file is binned into minutes first.
import { AzureTraceParser, MAX_2019_LINE_BYTES } from './azure-trace.js';
import { detectTraceFormat, readAzure2021, type InvocationTrace } from './azure-2021.js';
import { fileLines } from './line-reader.js';

/** What the statistics read: per-minute counts per function (a parsed 2019 trace, or a 2021 one binned). */
export interface CountsTrace {
  /** Minutes covered: each function's counts has this length. */
  minutes: number;
  functions: readonly { owner?: string; app: string; fn: string; trigger?: string; counts: ArrayLike<number> }[];
}

/** Shares of functions (or apps) by mean rate over the trace; idle ones count as rate 0. */
export interface RateBuckets {
  at_most_1_per_hour: number;
  /** The first bucket included. */
  at_most_1_per_minute: number;
  more_than_1_per_minute: number;
}

export interface Quartiles {
  p25: number;
  median: number;
  p75: number;
}

/** Share of invocations from the most popular 1 %, 10 % and 18.6 % (the paper's figure) of functions or apps. */
export interface TopShares {
  '1%': number;
  '10%': number;
  '18.6%': number;
}

export interface TraceStatistics {
  minutes: number;
  /** Rows: functions in the trace, idle ones included. */
  functions: number;
  /** Functions with at least one invocation. */
  active_functions: number;
  apps: number;
  invocations: number;
  invocations_per_minute: number;
  functions_by_rate: RateBuckets;
  apps_by_rate: RateBuckets;
  top_functions_share: TopShares;
  top_apps_share: TopShares;
  /** Smallest share of apps, most popular first, that makes 99.6 % of the invocations. */
  apps_for_99_6_percent: number;
  /** log10(busiest ÷ rarest mean rate) over active functions. */
  rate_orders_of_magnitude: number;
  busiest_per_minute: number;
  rarest_active_per_day: number;
  /** Per trigger group, most functions first: share of functions and of invocations (absent without a Trigger column). */
  triggers?: Record<string, { functions: number; invocations: number }>;
  /** Share of apps with 1, 2, 3, 4–5, 6–10 and 11+ functions. */
  functions_per_app: { '1': number; '2': number; '3': number; '4-5': number; '6-10': number; '11+': number };
  /** Share of all function-minutes with no invocation, and the median function's share. */
  idle_minutes: number;
  idle_minutes_median_function: number;
  /** Coefficient of variation of each active function's per-minute counts. */
  count_cv: Quartiles;
  /**
   * Coefficient of variation of inter-arrival times, at minute resolution (a
   * minute's invocations taken as evenly spaced in it), over functions with
   * at least three invocations; timers and the rest apart (where triggers are known).
   * 0 is periodic, 1 Poisson, above 1 bursty.
   */
  iat_cv: Quartiles;
  iat_cv_timer?: Quartiles;
  iat_cv_non_timer?: Quartiles;
  /** Share of active functions with a minute over 10× their mean and at least 10 invocations. */
  bursty_functions: number;
  /** Busiest ÷ quietest whole hour of the trace (absent under two whole hours or with an idle hour). */
  hourly_peak_to_trough?: number;
}

const round = (x: number, digits = 4): number => Number(x.toFixed(digits));

function quartiles(values: readonly number[]): Quartiles {
  if (values.length === 0) return { p25: 0, median: 0, p75: 0 };
  const v = [...values].sort((a, b) => a - b);
  const q = (p: number): number => {
    const x = p * (v.length - 1);
    const lo = Math.floor(x);
    return round(v[lo]! + (v[Math.min(v.length - 1, lo + 1)]! - v[lo]!) * (x - lo));
  };
  return { p25: q(0.25), median: q(0.5), p75: q(0.75) };
}

function buckets(totals: readonly number[], minutes: number): RateBuckets {
  const n = Math.max(1, totals.length);
  const hour = totals.filter((t) => t <= minutes / 60).length / n;
  const minute = totals.filter((t) => t <= minutes).length / n;
  return { at_most_1_per_hour: round(hour), at_most_1_per_minute: round(minute), more_than_1_per_minute: round(totals.length === 0 ? 0 : 1 - minute) };
}

function topShares(desc: readonly number[], sum: number): TopShares {
  const share = (p: number): number => {
    if (sum === 0) return 0;
    const k = Math.max(1, Math.round(p * desc.length));
    let s = 0;
    for (let i = 0; i < k && i < desc.length; i++) s += desc[i]!;
    return round(s / sum);
  };
  return { '1%': share(0.01), '10%': share(0.1), '18.6%': share(0.186) };
}

/** One function's figures in one pass over its minutes. */
interface FunctionFigures {
  total: number;
  zeros: number;
  countCv?: number;
  iatCv?: number;
  bursty: boolean;
}

function functionFigures(counts: ArrayLike<number>, minutes: number, hourly: Float64Array): FunctionFigures {
  let total = 0;
  let sumSq = 0;
  let max = 0;
  let zeros = 0;
  // Inter-arrival times: a minute's c invocations at m + (i + ½)/c.
  let gaps = 0;
  let gapSum = 0;
  let gapSq = 0;
  let last = -1;
  for (let m = 0; m < minutes; m++) {
    const c = counts[m] ?? 0;
    const h = Math.floor(m / 60);
    if (h < hourly.length) hourly[h]! += c;
    if (c === 0) {
      zeros++;
      continue;
    }
    total += c;
    sumSq += c * c;
    if (c > max) max = c;
    if (last >= 0) {
      const g = m + 0.5 / c - last;
      gaps++;
      gapSum += g;
      gapSq += g * g;
    }
    gaps += c - 1;
    gapSum += (c - 1) / c;
    gapSq += (c - 1) / (c * c);
    last = m + (c - 0.5) / c;
  }
  if (total === 0) return { total, zeros, bursty: false };
  const mean = total / minutes;
  const figures: FunctionFigures = { total, zeros, countCv: Math.sqrt(Math.max(0, sumSq / minutes - mean * mean)) / mean, bursty: max >= 10 && max > 10 * mean };
  if (gaps >= 2) {
    const g = gapSum / gaps;
    figures.iatCv = Math.sqrt(Math.max(0, gapSq / gaps - g * g)) / g;
  }
  return figures;
}

export function traceStatistics(trace: CountsTrace): TraceStatistics {
  const { minutes } = trace;
  const n = trace.functions.length;
  const hourly = new Float64Array(Math.floor(minutes / 60));
  const totals: number[] = [];
  const idleShares: number[] = [];
  const countCvs: number[] = [];
  const iat = { all: [] as number[], timer: [] as number[], other: [] as number[] };
  const apps = new Map<string, { total: number; functions: number }>();
  const triggers = new Map<string, { functions: number; invocations: number }>();
  let idle = 0;
  let bursty = 0;
  for (const f of trace.functions) {
    const fig = functionFigures(f.counts, minutes, hourly);
    totals.push(fig.total);
    idle += fig.zeros;
    idleShares.push(fig.zeros / minutes);
    if (fig.countCv !== undefined) countCvs.push(fig.countCv);
    if (fig.iatCv !== undefined) {
      iat.all.push(fig.iatCv);
      if (f.trigger !== undefined) (f.trigger === 'timer' ? iat.timer : iat.other).push(fig.iatCv);
    }
    if (fig.bursty) bursty++;
    const key = `${f.owner ?? ''}\u0000${f.app}`;
    const app = apps.get(key) ?? { total: 0, functions: 0 };
    app.total += fig.total;
    app.functions++;
    apps.set(key, app);
    if (f.trigger !== undefined) {
      const t = triggers.get(f.trigger) ?? { functions: 0, invocations: 0 };
      t.functions++;
      t.invocations += fig.total;
      triggers.set(f.trigger, t);
    }
  }
  const total = totals.reduce((s, t) => s + t, 0);
  const fnDesc = [...totals].sort((a, b) => b - a);
  const appDesc = [...apps.values()].map((a) => a.total).sort((a, b) => b - a);
  let covered = 0;
  let k = 0;
  while (k < appDesc.length && covered < 0.996 * total) covered += appDesc[k++]!;
  const active = fnDesc.filter((t) => t > 0);
  const perApp = { '1': 0, '2': 0, '3': 0, '4-5': 0, '6-10': 0, '11+': 0 };
  for (const a of apps.values()) perApp[a.functions <= 3 ? (String(a.functions) as '1' | '2' | '3') : a.functions <= 5 ? '4-5' : a.functions <= 10 ? '6-10' : '11+']++;
  for (const b of Object.keys(perApp) as (keyof typeof perApp)[]) perApp[b] = round(perApp[b] / Math.max(1, apps.size));
  const hours = [...hourly];
  const stats: TraceStatistics = {
    minutes,
    functions: n,
    active_functions: active.length,
    apps: apps.size,
    invocations: total,
    invocations_per_minute: round(total / minutes, 3),
    functions_by_rate: buckets(totals, minutes),
    apps_by_rate: buckets(appDesc, minutes),
    top_functions_share: topShares(fnDesc, total),
    top_apps_share: topShares(appDesc, total),
    apps_for_99_6_percent: round(appDesc.length === 0 ? 0 : k / appDesc.length),
    rate_orders_of_magnitude: active.length === 0 ? 0 : round(Math.log10(active[0]! / active[active.length - 1]!), 2),
    busiest_per_minute: active.length === 0 ? 0 : round(active[0]! / minutes, 3),
    rarest_active_per_day: active.length === 0 ? 0 : round((active[active.length - 1]! / minutes) * 1440, 3),
    functions_per_app: perApp,
    idle_minutes: round(n === 0 ? 0 : idle / (n * minutes)),
    idle_minutes_median_function: quartiles(idleShares).median,
    count_cv: quartiles(countCvs),
    iat_cv: quartiles(iat.all),
    bursty_functions: round(active.length === 0 ? 0 : bursty / active.length),
  };
  if (triggers.size > 0) {
    stats.triggers = Object.fromEntries(
      [...triggers.entries()]
        .sort((a, b) => b[1].functions - a[1].functions)
        .map(([t, v]) => [t, { functions: round(v.functions / n), invocations: round(total === 0 ? 0 : v.invocations / total) }]),
    );
    stats.iat_cv_timer = quartiles(iat.timer);
    stats.iat_cv_non_timer = quartiles(iat.other);
  }
  if (hours.length >= 2 && Math.min(...hours) > 0) stats.hourly_peak_to_trough = round(Math.max(...hours) / Math.min(...hours), 2);
  return stats;
}

/** The figures Shahrad et al. publish for the whole Azure Functions workload (two weeks of July 2019). */
export const PUBLISHED_AZURE_2019 = {
  apps_at_most_1_per_hour: 0.45,
  apps_at_most_1_per_minute: 0.81,
  top_18_6_percent_apps_share: 0.996,
  rate_orders_of_magnitude: 8,
  /** Figure 2, share of functions. */
  trigger_functions: { http: 0.55, queue: 0.15, event: 0.02, orchestration: 0.07, timer: 0.156, storage: 0.028 } as Record<string, number>,
  /** Figure 2, share of invocations (storage and others together: ~1 %). */
  trigger_invocations: { http: 0.36, queue: 0.34, event: 0.25, orchestration: 0.02, timer: 0.02 } as Record<string, number>,
  /** Figure 1. */
  functions_per_app: { '1': 0.54, '2': 0.16, '3': 0.1, '4-5': 0.08, '6-10': 0.07, '11+': 0.05 } as Record<string, number>,
} as const;

/** One line of the side-by-side view: a figure, this trace's value, the published one (or what the paper shows instead). */
export interface ComparisonRow {
  figure: string;
  value: string;
  published: string;
}

const pct = (x: number): string => `${(100 * x).toFixed(x < 0.001 && x > 0 ? 3 : 1)} %`;

/** The statistics beside the published figures, as rows for a table. */
export function comparisonRows(s: TraceStatistics): ComparisonRow[] {
  const P = PUBLISHED_AZURE_2019;
  const q = (x: Quartiles): string => `${x.p25.toFixed(2)} / ${x.median.toFixed(2)} / ${x.p75.toFixed(2)}`;
  const rows: ComparisonRow[] = [
    { figure: 'apps invoked at most once an hour (mean)', value: pct(s.apps_by_rate.at_most_1_per_hour), published: pct(P.apps_at_most_1_per_hour) },
    { figure: 'apps invoked at most once a minute (mean)', value: pct(s.apps_by_rate.at_most_1_per_minute), published: pct(P.apps_at_most_1_per_minute) },
    { figure: 'functions at most once an hour / a minute', value: `${pct(s.functions_by_rate.at_most_1_per_hour)} / ${pct(s.functions_by_rate.at_most_1_per_minute)}`, published: 'Fig. 5a (left of apps)' },
    { figure: 'invocations from the top 18.6 % of apps', value: pct(s.top_apps_share['18.6%']), published: pct(P.top_18_6_percent_apps_share) },
    { figure: 'apps making 99.6 % of invocations', value: pct(s.apps_for_99_6_percent), published: '18.6 %' },
    { figure: 'invocations from the top 1 % / 10 % of functions', value: `${pct(s.top_functions_share['1%'])} / ${pct(s.top_functions_share['10%'])}`, published: 'Fig. 5b' },
    { figure: 'orders of magnitude, busiest ÷ rarest active', value: s.rate_orders_of_magnitude.toFixed(1), published: `~${P.rate_orders_of_magnitude}` },
  ];
  for (const [t, v] of Object.entries(s.triggers ?? {})) {
    const pf = P.trigger_functions[t];
    const pi = P.trigger_invocations[t];
    rows.push({
      figure: `${t}: functions / invocations`,
      value: `${pct(v.functions)} / ${pct(v.invocations)}`,
      published: `${pf !== undefined ? pct(pf) : '~2 %'} / ${pi !== undefined ? pct(pi) : t === 'storage' ? '~1 % (with others)' : '~1 % (with storage)'}`,
    });
  }
  rows.push(
    {
      figure: 'apps with 1 / 2 / 3 / 4-5 / 6-10 / 11+ functions',
      value: Object.values(s.functions_per_app).map((x) => (100 * x).toFixed(0)).join(' / ') + ' %',
      published: Object.values(P.functions_per_app).map((x) => (100 * x).toFixed(0)).join(' / ') + ' %',
    },
    { figure: 'idle function-minutes', value: pct(s.idle_minutes), published: '(not tabulated)' },
    { figure: 'per-minute count CV p25 / median / p75', value: q(s.count_cv), published: '(not tabulated)' },
    { figure: 'inter-arrival CV, timers p25 / median / p75', value: s.iat_cv_timer ? q(s.iat_cv_timer) : '-', published: 'Fig. 6: ~0 for many' },
    { figure: 'inter-arrival CV, the rest p25 / median / p75', value: s.iat_cv_non_timer ? q(s.iat_cv_non_timer) : q(s.iat_cv), published: 'Fig. 6: mostly ≥ 1' },
    { figure: 'functions with a minute over 10× their mean', value: pct(s.bursty_functions), published: '(not tabulated)' },
    { figure: 'busiest ÷ quietest hour', value: s.hourly_peak_to_trough !== undefined ? s.hourly_peak_to_trough.toFixed(2) : '-', published: 'Fig. 4: diurnal' },
  );
  return rows;
}

/** Per-minute counts of each function of a 2021-format trace over its kept minutes. */
export function binnedCounts(trace: InvocationTrace): CountsTrace {
  const minutes = trace.toMinute - trace.fromMinute + 1;
  const counts = trace.functions.map(() => new Uint32Array(minutes));
  const origin = (trace.fromMinute - 1) * 60;
  for (let i = 0; i < trace.total; i++) {
    const m = Math.floor((trace.starts[i]! - origin) / 60);
    if (m >= 0 && m < minutes) counts[trace.fn[i]!]![m]!++;
  }
  return { minutes, functions: trace.functions.map((f, i) => ({ app: f.app, fn: f.func, counts: counts[i]! })) };
}

/** Reads a trace file of either format (streamed; idle functions kept) and computes its statistics. */
export async function traceFileStatistics(file: string, opts: { onBytes?: (bytes: number) => void } = {}): Promise<TraceStatistics & { format: '2019' | '2021' }> {
  const onBytes = opts.onBytes ? { onBytes: opts.onBytes } : {};
  if ((await detectTraceFormat(file)) === '2021') return { format: '2021', ...traceStatistics(binnedCounts(await readAzure2021(file, onBytes))) };
  const parser = new AzureTraceParser({ keepIdle: true });
  for await (const line of fileLines(file, { maxLineBytes: MAX_2019_LINE_BYTES, ...onBytes })) parser.line(line);
  const trace = parser.result();
  return { format: '2019', ...traceStatistics({ minutes: trace.toMinute - trace.fromMinute + 1, functions: trace.functions }) };
}
