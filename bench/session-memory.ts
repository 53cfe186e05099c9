// What a resident session costs in memory, and what its memory settings cost
// in latency (issue 11: a worker holding many models went hundreds of MiB
// over its budget). onnxruntime's CPU memory arena keeps what a session's
// runs allocated, so a session grows at its first runs, after the load that
// the controller's books measured. Two parts, the variants side by side in
// one run:
//
// 1. Memory: for each model (det, rec, cls) and each variant, a fresh process
//    (RSS is process-wide, and memory freed stays with the allocator, so
//    variants cannot share one) creates N sessions from the model onnxruntime
//    optimized (as an executor loads every copy after the first), each
//    measured as the executor thread measures a load (the RSS growth across
//    its creation), then runs each session a few times (batch 1, the largest
//    batch, batch 1). RSS is read before, after the loads and after the runs.
// 2. Latency: in this process, one session of each variant per model, their
//    runs interleaved (the order rotating), at every batch size of the model:
//    p50 and p99, and their ratios to the arena-on session.
//
// `npm run bench -- --only session-memory`, or `node dist/bench/session-memory.js
// [--rounds 2] [--copies cls=100,det=10,rec=10] [--iterations 100] [--json]`.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Command } from 'commander';
import { BUNDLED_MODELS, bundledModelsDir } from '../profiles/bundled-models.js';
import { createSession, optimizeModel, runSession, type SessionTuning } from '../worker/ort-session.js';
import { fmt, machine, patternInput, peakRss, percentile, runJsonChild, type Figure } from './support.js';

export interface SessionMemoryOptions {
  /** Processes per model and variant (their order rotating). @default 2 */
  rounds?: number;
  /** Sessions per process, by model. @default { cls: 100, det: 10, rec: 10 } */
  copies?: Record<string, number>;
  /** Timed runs per variant at batch 1 (a quarter as many at each larger batch size). @default 100 */
  iterations?: number;
}

interface Variant {
  name: string;
  tuning: SessionTuning;
}

/** Every variant says both settings, so a change of the defaults in ort-session.ts does not change what is measured. */
const VARIANTS: Variant[] = [
  { name: 'arena on', tuning: { memArena: true, memPattern: true } },
  { name: 'arena off', tuning: { memArena: false, memPattern: true } },
  { name: 'arena off, no memory pattern', tuning: { memArena: false, memPattern: false } },
  { name: 'arena on, no memory pattern', tuning: { memArena: true, memPattern: false } },
];

interface ChildJob {
  file: string;
  shape: number[];
  maxBatch: number;
  copies: number;
  tuning: SessionTuning;
}

interface ChildResult {
  baseline: number;
  loaded: number;
  ran: number;
  peak: number;
  /** Each load's RSS growth across its creation, as executor-thread.ts measures it. */
  loadDeltas: number[];
  /** RSS after each session's runs. */
  ranSteps: number[];
}

const MIB = 2 ** 20;



/** In the child process: N sessions of one model with one variant's settings. */
async function child(job: ChildJob): Promise<ChildResult> {
  const bytes = new Uint8Array(fs.readFileSync(job.file));
  const one = patternInput(job.shape, 1);
  const max = patternInput(job.shape, job.maxBatch);
  const opts = { device: 'cpu' as const, threads: 1, optimization: 'disabled' as const, tuning: job.tuning };
  const baseline = process.memoryUsage.rss();
  const sessions = [];
  const loadDeltas: number[] = [];
  for (let i = 0; i < job.copies; i++) {
    const own = new Uint8Array(bytes); // the executor thread copies out of the shared buffer before measuring too
    const before = process.memoryUsage.rss();
    sessions.push(await createSession(own, opts));
    loadDeltas.push(process.memoryUsage.rss() - before);
  }
  const loaded = process.memoryUsage.rss();
  const ranSteps: number[] = [];
  for (const s of sessions) {
    await runSession(s, [one]);
    await runSession(s, [max]);
    await runSession(s, [one]);
    ranSteps.push(process.memoryUsage.rss());
  }
  const ran = process.memoryUsage.rss();
  const peak = peakRss();
  for (const s of sessions) await s.release();
  return { baseline, loaded, ran, peak, loadDeltas, ranSteps };
}

function runChild(job: ChildJob): Promise<ChildResult> {
  return runJsonChild<ChildResult>(fileURLToPath(import.meta.url), job);
}

/** A bundled model as onnxruntime optimized it for one CPU thread, saved to a file. */
export interface Prepared {
  name: string;
  file: string;
  bytes: Uint8Array;
  shape: number[];
  maxBatch: number;
  batchSizes: number[];
}

export async function prepare(dir: string): Promise<Prepared[]> {
  const out: Prepared[] = [];
  for (const b of BUNDLED_MODELS) {
    const raw = new Uint8Array(fs.readFileSync(path.join(bundledModelsDir(), b.file)));
    const optimized = await optimizeModel(raw, { device: 'cpu', threads: 1, optimization: 'all' });
    const file = path.join(dir, `${b.config.name}.onnx`);
    fs.writeFileSync(file, optimized);
    out.push({ name: b.config.name, file, bytes: optimized, shape: b.config.inputs[0]!.shape, maxBatch: b.config.maxBatch, batchSizes: b.config.batchSizes });
  }
  return out;
}

const mib = (b: number): string => `${fmt(b / MIB, 1)} MiB`;

/** Part 1. */
async function measureMemory(models: Prepared[], rounds: number, copies: Record<string, number>): Promise<Figure[]> {
  const results = new Map<string, ChildResult[]>();
  for (let r = 0; r < rounds; r++) {
    for (const m of models) {
      for (let i = 0; i < VARIANTS.length; i++) {
        const v = VARIANTS[(i + r) % VARIANTS.length]!;
        const n = copies[m.name] ?? 0;
        if (n < 1) continue;
        const res = await runChild({ file: m.file, shape: m.shape, maxBatch: m.maxBatch, copies: n, tuning: v.tuning });
        const key = `${m.name}\u0000${v.name}`;
        results.set(key, [...(results.get(key) ?? []), res]);
      }
    }
  }
  const figures: Figure[] = [];
  for (const m of models) {
    const n = copies[m.name] ?? 0;
    if (n < 1) continue;
    const base = results.get(`${m.name}\u0000${VARIANTS[0]!.name}`)!;
    const baseRan = percentile(base.map((x) => (x.ran - x.baseline) / n), 50);
    for (const v of VARIANTS) {
      const list = results.get(`${m.name}\u0000${v.name}`)!;
      // Per session, the median over the rounds' processes (of two, the lower).
      const med = (pick: (x: ChildResult) => number): number => percentile(list.map(pick), 50);
      const ran = med((x) => (x.ran - x.baseline) / n);
      const loaded = med((x) => (x.loaded - x.baseline) / n);
      const counted = med((x) => x.loadDeltas.reduce((a, b) => a + b, 0) / n);
      const loadP50 = percentile(list.flatMap((x) => x.loadDeltas), 50);
      // What the runs of one more session add once the allocator holds what a
      // run needs (the second half's sessions): the growth that is the
      // session's own, not the allocator's pool, which is paid once.
      const half = Math.floor(n / 2);
      const marginal = n >= 2 ? med((x) => (x.ranSteps[n - 1]! - x.ranSteps[half - 1]!) / (n - half)) : NaN;
      figures.push({
        name: `memory ${m.name} ×${n}: ${v.name}`,
        value: ran / MIB,
        unit: 'MiB per session after runs',
        note:
          `×${fmt(ran / baseRan, 2)} of arena on; after the loads ${mib(loaded)}, the loads' own RSS growth ${mib(counted)} (one load p50 ${mib(loadP50)}), ` +
          `so the runs added ${mib(ran - loaded)} (a session's runs in the second half ${mib(marginal)}); process RSS ${list.map((x) => `${mib(x.baseline)} → ${mib(x.loaded)} → ${mib(x.ran)} (peak ${mib(x.peak)})`).join('; ')}; ` +
          `model ${fmt(m.bytes.byteLength / 1e6, 2)} MB; ${list.length} processes`,
      });
    }
  }
  return figures;
}

/** Part 2. */
async function measureLatency(models: Prepared[], iterations: number): Promise<Figure[]> {
  const figures: Figure[] = [];
  for (const m of models) {
    const sessions = [];
    for (const v of VARIANTS) sessions.push(await createSession(new Uint8Array(m.bytes), { device: 'cpu', threads: 1, optimization: 'disabled', tuning: v.tuning }));
    for (const batch of m.batchSizes) {
      const x = patternInput(m.shape, batch);
      const n = batch === 1 ? iterations : Math.max(10, Math.round(iterations / 4));
      for (const s of sessions) for (let i = 0; i < 3; i++) await runSession(s, [x]); // warm-up
      const ms: number[][] = VARIANTS.map(() => []);
      for (let it = 0; it < n; it++) {
        for (let i = 0; i < VARIANTS.length; i++) {
          const k = (i + it) % VARIANTS.length;
          const t0 = performance.now();
          await runSession(sessions[k]!, [x]);
          ms[k]!.push(performance.now() - t0);
        }
      }
      const p50On = percentile(ms[0]!, 50);
      const p99On = percentile(ms[0]!, 99);
      VARIANTS.forEach((v, k) => {
        const p50 = percentile(ms[k]!, 50);
        const p99 = percentile(ms[k]!, 99);
        figures.push({
          name: `latency ${m.name} batch ${batch}: ${v.name}`,
          value: p50,
          unit: 'ms p50',
          note: `p99 ${fmt(p99, 2)} ms; ×${fmt(p50 / p50On, 2)} p50, ×${fmt(p99 / p99On, 2)} p99 of arena on; n=${n}`,
        });
      });
    }
    for (const s of sessions) await s.release();
  }
  return figures;
}

export async function runSessionMemoryBench(o: SessionMemoryOptions = {}): Promise<Figure[]> {
  const rounds = o.rounds ?? 2;
  const copies = o.copies ?? { cls: 100, det: 10, rec: 10 };
  const iterations = o.iterations ?? 100;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'punctual-session-memory-'));
  try {
    const load0 = os.loadavg()[0]!;
    const models = await prepare(dir);
    const figures = [...(await measureMemory(models, rounds, copies)), ...(await measureLatency(models, iterations))];
    figures.push({ name: 'machine load (1-min average) before / after', value: load0, unit: '', note: `${fmt(load0, 2)} / ${fmt(os.loadavg()[0]!, 2)} on ${machine()}` });
    return figures;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const opts = new Command('session-memory')
    .option('--child <job>', 'internal: run one memory measurement and print it as JSON')
    .option('--rounds <n>', 'processes per model and variant', '2')
    .option('--copies <list>', 'sessions per process, by model', 'cls=100,det=10,rec=10')
    .option('--iterations <n>', 'timed runs per variant at batch 1', '100')
    .option('--json', 'print JSON')
    .parse()
    .opts<{ child?: string; rounds: string; copies: string; iterations: string; json?: boolean }>();
  if (opts.child) {
    console.log(JSON.stringify(await child(JSON.parse(opts.child) as ChildJob)));
  } else {
    const copies = Object.fromEntries(opts.copies.split(',').map((kv) => {
      const [k, v] = kv.split('=');
      return [k!, Number(v)];
    }));
    const figures = await runSessionMemoryBench({ rounds: Number(opts.rounds), copies, iterations: Number(opts.iterations) });
    if (opts.json) console.log(JSON.stringify({ machine: machine(), figures }, null, 2));
    else console.log(`machine: ${machine()}\n${figures.map((f) => `${f.name.padEnd(52)} ${fmt(f.value, 2).padStart(8)} ${f.unit}  ${f.note ?? ''}`).join('\n')}`);
  }
}
