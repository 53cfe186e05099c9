// Clockwork's experiments (Gujarati et al., OSDI 2020, §6), replayed in the
// simulator: the controller's own Scheduler in virtual time against emulated
// executors (traces/simulator.ts), with the paper's ResNet50-on-a-V100 profile
// set (profiles/clockwork-v100.ts) and, for contrast, this machine's det, rec
// and cls. Four experiments, as issue 11 point 5 lists them:
//   1. the Azure replay: 4,026 instances on 6 executors, an Azure-like trace, 100 ms SLO (paper §6.5);
//   2. the many-models ramp: one model at 200 r/s, 1,000 r/s over the rest, one more active every second (§6.2);
//   3. tight SLOs: the SLO from one batch-1 run, ×1.5 every 30 s (§6.3);
//   4. controller scalability: 10–150 emulated workers, wall time per request (§6.6).
// Everything but experiment 4's wall-clock figures is virtual time, so the
// machine's noise cannot move it; the same seed gives the same figures.
import path from 'node:path';
import { clockworkV100Set, RESNET50_V100_MEMORY_BYTES, V100_MEMORY_BYTES } from '../profiles/clockwork-v100.js';
import { renderReportSvg } from '../traces/report-svg.js';
import { loadSimModels } from '../traces/sim-models.js';
import type { Figure } from './support.js';
import { OUT, V100_B1_MS, writeOut, pct, azureReplay, replayFigures, ramp, windowOf, tightSloSteps, tightSlo, scalability, type Run, type AzureReplayCase, type RampOptions, type Window, type TightSloOptions, type ScaleCase } from './clockwork-experiments.js';
export { rampArrivals, ramp, tightSloArrivals, tightSloSteps, tightSlo, type RampOptions, type TightSloOptions } from './clockwork-experiments.js';

interface Series {
  label: string;
  color: string;
  points: [number, number][];
  /** Plotted against the right axis (0..rightMax). */
  right?: boolean;
}

/** A small line chart: x against a left axis, optionally a second series set against a right one. */
export function lineChartSvg(title: string, subtitle: string, xLabel: string, yLeft: string, yRight: string | undefined, series: Series[], logX = false): string {
  const W = 960;
  const H = 480;
  const L = 80;
  const R = yRight ? 80 : 30;
  const T = 80;
  const B = 70;
  const pw = W - L - R;
  const ph = H - T - B;
  const xs = series.flatMap((s) => s.points.map((p) => p[0]));
  const fx = (x: number): number => (logX ? Math.log(x) : x);
  const x0 = Math.min(...xs.map(fx));
  const x1 = Math.max(...xs.map(fx));
  const nice = (v: number): number => {
    if (!(v > 0)) return 1;
    const p = 10 ** Math.floor(Math.log10(v));
    for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= v) return m * p;
    return 10 * p;
  };
  const maxOf = (right: boolean): number => nice(Math.max(0, ...series.filter((s) => !!s.right === right).flatMap((s) => s.points.map((p) => p[1]))));
  const lMax = maxOf(false);
  const rMax = maxOf(true);
  const px = (x: number): number => L + (x1 > x0 ? ((fx(x) - x0) / (x1 - x0)) * pw : pw / 2);
  const py = (y: number, right: boolean): number => T + ph - (ph * y) / (right ? rMax : lMax);
  const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  const out: string[] = [`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif">`, `<rect width="${W}" height="${H}" fill="#fff"/>`];
  out.push(`<text x="${L}" y="26" font-size="16" font-weight="bold">${esc(title)}</text>`, `<text x="${L}" y="46" font-size="12">${esc(subtitle)}</text>`);
  for (let i = 0; i <= 4; i++) {
    const y = T + ph - (ph * i) / 4;
    out.push(`<line x1="${L}" x2="${W - R}" y1="${y}" y2="${y}" stroke="#ddd"/>`);
    out.push(`<text x="${L - 6}" y="${y + 4}" text-anchor="end" font-size="11">${+((lMax * i) / 4).toFixed(2)}</text>`);
    if (yRight) out.push(`<text x="${W - R + 6}" y="${y + 4}" font-size="11">${+((rMax * i) / 4).toFixed(2)}</text>`);
  }
  const ticks = [...new Set(xs)].sort((a, b) => a - b);
  const every = Math.max(1, Math.ceil(ticks.length / 12));
  ticks.forEach((x, i) => {
    if (i % every === 0) out.push(`<text x="${px(x).toFixed(1)}" y="${T + ph + 18}" text-anchor="middle" font-size="11">${+x.toFixed(1)}</text>`);
  });
  out.push(`<text x="${L + pw / 2}" y="${H - 30}" text-anchor="middle" font-size="12">${esc(xLabel)}</text>`);
  out.push(`<text x="16" y="${T + ph / 2}" font-size="12" transform="rotate(-90 16 ${T + ph / 2})" text-anchor="middle">${esc(yLeft)}</text>`);
  if (yRight) out.push(`<text x="${W - 14}" y="${T + ph / 2}" font-size="12" transform="rotate(90 ${W - 14} ${T + ph / 2})" text-anchor="middle">${esc(yRight)}</text>`);
  series.forEach((s, i) => {
    const pts = s.points.map(([x, y]) => `${px(x).toFixed(1)},${py(y, !!s.right).toFixed(1)}`).join(' ');
    out.push(`<polyline points="${pts}" fill="none" stroke="${s.color}" stroke-width="2"${s.right ? ' stroke-dasharray="6 3"' : ''}/>`);
    const lx = L + i * 210;
    out.push(`<rect x="${lx}" y="${T - 24}" width="12" height="12" fill="${s.color}"/><text x="${lx + 16}" y="${T - 14}" font-size="11">${esc(s.label)}${s.right ? ' (right)' : ''}</text>`);
  });
  out.push('</svg>');
  return out.join('\n') + '\n';
}

/** The ramp's figures over time, the points where goodput and attainment fall, and its picture. */
function rampFigures(label: string, file: string, o: RampOptions, windowS: number, rr: Run): Figure[] {
  const figures: Figure[] = [];
  const buckets = rr.result.builder.buckets;
  const endS = o.warmupS + o.majors;
  const rows: Window[] = [];
  for (let s = 0; s < endS; s += windowS) rows.push(windowOf(buckets, rr.loadsPerSecond, s, Math.min(endS, s + windowS)));
  const early = windowOf(buckets, rr.loadsPerSecond, o.warmupS, o.warmupS + 20);
  const active = (s: number): number => Math.max(0, Math.min(o.majors, s - o.warmupS + 1));
  const fits = Math.floor(V100_MEMORY_BYTES / RESNET50_V100_MEMORY_BYTES);
  const name = `clockwork ramp, ${label} (${o.minorRate} + ${o.majorRate} r/s)`;
  const dropG = rows.find((w) => w.fromS >= o.warmupS + 20 && w.goodput < 0.9 * early.goodput);
  const dropA = rows.find((w) => w.fromS >= o.warmupS && w.attainment < 0.99);
  figures.push({
    name: `${name}: goodput with the first 20 majors active`,
    value: early.goodput,
    unit: 'r/s',
    note: `offered ${early.offered.toFixed(0)} r/s, attainment ${pct(early.attainment, 1)}; 1 executor, ${fits} models fit in 32 GB`,
  });
  const every = Math.max(1, Math.round(rows.length / 10));
  for (const w of rows.filter((_, i) => i % every === 0 || i === rows.length - 1)) {
    figures.push({
      name: `${name}: ${w.fromS}-${w.toS} s (${active(w.fromS)}-${active(w.toS - 1)} majors)`,
      value: w.goodput,
      unit: 'r/s goodput',
      note: `offered ${w.offered.toFixed(0)} r/s, attainment ${pct(w.attainment, 1)}, ${w.loads.toFixed(1)} loads/s`,
    });
  }
  figures.push({
    name: `${name}: first eviction`,
    value: rr.firstUnloadMs !== undefined ? active(Math.floor(rr.firstUnloadMs / 1000)) : NaN,
    unit: 'majors active',
    note: rr.firstUnloadMs !== undefined ? `at ${(rr.firstUnloadMs / 1000).toFixed(1)} s: memory full (${fits} models)` : 'memory never filled',
  });
  figures.push({
    name: `${name}: goodput below 90 % of its early level`,
    value: dropG ? active(dropG.fromS) : NaN,
    unit: 'majors active',
    note: dropG ? `from ${dropG.fromS} s: ${dropG.goodput.toFixed(0)} r/s, ${dropG.loads.toFixed(1)} loads/s` : 'never in this run',
  });
  figures.push({
    name: `${name}: attainment below 99 %`,
    value: dropA ? active(dropA.fromS) : NaN,
    unit: 'majors active',
    note: dropA ? `from ${dropA.fromS} s: ${pct(dropA.attainment, 1)}, ${dropA.loads.toFixed(1)} loads/s` : 'never in this run',
  });
  const s = rr.summary;
  const why = rr.reasons;
  figures.push({
    name: `${name}: the whole run`,
    value: 100 * s.slo_attainment,
    unit: '% SLO attainment',
    note:
      `${s.requests} requests; accepted ${pct(s.accepted_slo_attainment)}, ${s.rejected} rejected (resident nowhere: ${why.coldPredictedLate} predicted late, ${why.coldWouldPush} would push; ` +
      `resident: ${why.warmPredictedLate} + ${why.warmWouldPush}), ${s.late} late, ${rr.result.loads} loads; simulated in ${rr.wallS.toFixed(1)} s`,
  });
  writeOut(
    file,
    lineChartSvg(
      `Clockwork's many-models ramp at ${label}, simulated (V100 ResNet50 profile, 1 executor, 32 GB, SLO 100 ms)`,
      `minor model ${o.minorRate} r/s; ${o.majorRate} r/s over the majors, one more active each second from ${o.warmupS} s; ${fits} models fit in memory`,
      'majors active',
      `requests/s (${windowS} s windows)`,
      'loads/s',
      [
        { label: 'offered', color: '#9e9e9e', points: rows.map((w) => [active(w.fromS), w.offered]) },
        { label: 'goodput (ok within SLO)', color: '#2e7d32', points: rows.map((w) => [active(w.fromS), w.goodput]) },
        { label: 'loads (cold starts)', color: '#ef6c00', points: rows.map((w) => [active(w.fromS), w.loads]), right: true },
      ],
    ),
  );
  return figures;
}

// ---- the benchmark ----------------------------------------------------------------

export interface ClockworkBenchOptions {
  /** Shrinks every experiment's duration (1 = the lengths below; the BENCHMARKS.md figures are from 1). */
  scale?: number;
}

export function runClockworkBench(opts: ClockworkBenchOptions = {}): Figure[] {
  const k = opts.scale ?? 1;
  const figures: Figure[] = [];
  const log = (s: string): void => void process.stderr.write(`clockwork: ${s}\n`);

  // 1. The Azure replay.
  const v100 = loadSimModels({ sources: clockworkV100Set(), instances: 4026 });
  const ours = loadSimModels({ instances: 1000 });
  const minutes = Math.max(1, Math.round(10 * k));
  for (const u of [0.5, 0.75]) {
    const cases: AzureReplayCase[] = [
      { label: `V100, 4,026 instances, 6 executors × 32 GB, ${pct(u, 0)} utilisation`, models: v100, workers: 6, memoryBytes: V100_MEMORY_BYTES, functions: 5 * 4026, minutes, utilisation: u, sloMs: 100, seed: 1 },
      { label: `det/rec/cls, 1,000 instances, 3 executors × 2 GiB, ${pct(u, 0)} utilisation`, models: ours, workers: 3, functions: 5 * 1000, minutes, utilisation: u, sloMs: 100, seed: 1 },
    ];
    for (const c of cases) {
      log(`azure replay: ${c.label}`);
      const r = azureReplay(c);
      figures.push(...replayFigures(c, r));
      const file = `azure-${c.label.startsWith('V100') ? 'v100' : 'cpu'}-${Math.round(100 * u)}.svg`;
      writeOut(file, renderReportSvg(r.result.builder, { ...r.summary, config: { ...r.summary.config, mode: 'simulate', workload: `Clockwork's Azure replay, ${c.label}` } }, [c.sloMs]));
    }
  }

  // 2. The many-models ramp: the paper's rates (one executor is overloaded from the start), then
  // a tenth of them (memory saturates before the executor does). To 330 majors at the paper's
  // rates: past saturation every tick re-plans the loads that turned-away requests ask for,
  // which makes the simulation ~30× slower per request (BENCHMARKS.md).
  const ramps: { label: string; file: string; o: RampOptions; windowS: number }[] = [
    { label: "the paper's rates", file: 'ramp-v100.svg', o: { warmupS: 10, majors: Math.max(20, Math.round(330 * k)), minorRate: 200, majorRate: 1000, seed: 1 }, windowS: 10 },
    { label: 'a tenth of the rates', file: 'ramp-v100-tenth.svg', o: { warmupS: 10, majors: Math.max(20, Math.round(1000 * k)), minorRate: 20, majorRate: 100, seed: 1 }, windowS: 20 },
  ];
  for (const { label, file, o, windowS } of ramps) {
    log(`ramp, ${label}: ${o.majors} major models`);
    figures.push(...rampFigures(label, file, o, windowS, ramp(o)));
  }

  // 3. Tight SLOs.
  for (const [copies, rate] of [
    [12, 600],
    [48, 2400],
  ] as const) {
    const o: TightSloOptions = { copies, rate, workers: 6, startMs: V100_B1_MS, factor: 1.5, stepS: Math.max(5, Math.round(30 * k)), untilMultiple: 100, seed: 1 };
    log(`tight SLOs: ${copies} copies at ${rate} r/s`);
    const r = tightSlo(o);
    const slos = tightSloSteps(o);
    const steps = slos.map((slo, i) => ({ slo, ...windowOf(r.result.builder.buckets, r.loadsPerSecond, i * o.stepS, (i + 1) * o.stepS) }));
    for (const s of steps) {
      figures.push({
        name: `clockwork tight SLO, ${copies} copies, ${rate} r/s: SLO ${s.slo.toFixed(1)} ms (${(s.slo / o.startMs).toFixed(2)}×)`,
        value: 100 * s.attainment,
        unit: '% SLO attainment',
        note: `goodput ${s.goodput.toFixed(0)} of ${s.offered.toFixed(0)} r/s`,
      });
    }
    writeOut(
      `tight-slo-${copies}x${rate}.svg`,
      lineChartSvg(
        `Clockwork's tight SLOs, simulated: ${copies} ResNet50 copies on 6 V100 executors, ${rate} r/s`,
        `SLO starts at one batch-1 run (${o.startMs} ms) and grows ×${o.factor} every ${o.stepS} s`,
        'SLO, ms (log scale)',
        'requests/s',
        'SLO attainment',
        [
          { label: 'offered', color: '#9e9e9e', points: steps.map((s) => [s.slo, s.offered]) },
          { label: 'goodput', color: '#2e7d32', points: steps.map((s) => [s.slo, s.goodput]) },
          { label: 'attainment', color: '#1565c0', points: steps.map((s) => [s.slo, s.attainment]), right: true },
        ],
        true,
      ),
    );
  }

  // 4. Controller scalability.
  const scale: { workers: number; run: Run }[] = [];
  for (const workers of [10, 25, 50, 100, 150]) {
    const c: ScaleCase = { workers, modelsPerWorker: 40, utilisation: 0.5, seconds: Math.max(6, Math.round(7 * k)), steadyFromS: 4, seed: 1 };
    log(`scalability: ${workers} workers`);
    const r = scalability(c);
    scale.push({ workers, run: r });
    const s = r.summary;
    const wallRps = r.steady?.arrivalsPerS ?? s.requests / r.wallS;
    figures.push({
      name: `clockwork scalability, ${workers} workers: requests per second of wall time`,
      value: wallRps,
      unit: 'req/s',
      note:
        `from ${c.steadyFromS} s on: ${(r.steady?.decisionsPerS ?? 0).toFixed(0)} decisions/s, ${(1e6 / wallRps).toFixed(0)} µs per request; ` +
        `offered ${s.offered_rps.toFixed(0)} r/s (${(wallRps / s.offered_rps).toFixed(2)}× real time on one core); whole run ${s.requests} requests in ${r.wallS.toFixed(1)} s; ` +
        `${workers * c.modelsPerWorker} models; attainment ${pct(s.slo_attainment)}, accepted ${pct(s.accepted_slo_attainment)}, ${s.rejected} rejected, ${s.late} late`,
    });
  }
  writeOut(
    'scalability-v100.svg',
    lineChartSvg(
      "Controller scalability, simulated: Punctual's scheduler on one core of this machine",
      'emulated V100 workers (1 executor each), 40 models and 50 % utilisation per worker, Azure-like trace, SLO 100 ms',
      'workers',
      'requests/s',
      'SLO attainment',
      [
        { label: 'scheduled per s of wall time', color: '#6a1b9a', points: scale.map((x) => [x.workers, x.run.steady?.arrivalsPerS ?? x.run.summary.requests / x.run.wallS]) },
        { label: 'offered (virtual)', color: '#9e9e9e', points: scale.map((x) => [x.workers, x.run.summary.offered_rps]) },
        { label: 'attainment', color: '#1565c0', points: scale.map((x) => [x.workers, x.run.summary.slo_attainment]), right: true },
      ],
    ),
  );
  log(`pictures in ${path.relative(process.cwd(), OUT)}`);
  return figures;
}
