// Cold starts (issue 11): how long a LOAD takes and what it does to the
// inferences around it. Two parts, each interleaving its variants in one run
// (ratios within one run hold up on a shared, noisy machine where absolute
// figures do not):
//
// 1. Session creation of det, rec and cls from the raw bytes with the
//    executors' options, against the model onnxruntime optimized once
//    (optimizeModel) and loaded with optimizations off, and against other
//    creation settings; each load followed by its first run (the warm-up) and a
//    second one, whose outputs are compared with the raw session's on fixed
//    random inputs.
// 2. The load-lane question: cls inferences arriving every few milliseconds at
//    a real executor thread (the compiled worker/executor-thread.js) alone,
//    while a second thread creates det sessions (or optimizes det), and while
//    the executor's own thread takes a det load every 200 ms (the status quo).
//
// `npm run bench -- --only load-time`, or `node dist/bench/load-time.js
// --rounds 20 --lane-rounds 10 --lane-seconds 1 --period-ms 4 --parts loads,lane`
// for other sizes.
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { Command } from 'commander';
import { typedView } from '../common/dtype.js';
import type { WireTensor } from '../common/tensor.js';
import { BUNDLED_MODELS, bundledModelsDir } from '../profiles/bundled-models.js';
import { createSession, optimizeModel, runSession, type SessionOptions } from '../worker/ort-session.js';
import { ThreadClient } from '../worker/thread-client.js';
import type { ThreadReply } from '../worker/thread-protocol.js';
import { fmt, machine, percentile, type Figure } from './support.js';

export interface LoadTimeOptions {
  /** Loads of each variant of each model. @default 20 */
  rounds?: number;
  /** Rounds of the lane scenarios (each scenario once per round, in rotating order). @default 10 */
  laneRounds?: number;
  /** Seconds per lane scenario per round. @default 1 */
  laneSeconds?: number;
  /** Milliseconds between cls arrivals in the lane scenarios. @default 4 */
  periodMs?: number;
  /** @default both */
  parts?: ('loads' | 'lane')[];
}

interface Model {
  name: string;
  raw: Uint8Array;
  /** Optimized at 'all' (the executors' level), at 'extended', and at 'all' in ORT format. */
  all: Uint8Array;
  extended: Uint8Array;
  ortFormat: Uint8Array;
  input: WireTensor;
}

interface Variant {
  name: string;
  bytes: (m: Model) => Uint8Array;
  opts: Partial<SessionOptions>;
}

const BASE: SessionOptions = { device: 'cpu', threads: 1 };

const VARIANTS: Variant[] = [
  { name: 'raw bytes, executor options (baseline)', bytes: (m) => m.raw, opts: {} },
  { name: "optimized ('all'), loaded 'disabled'", bytes: (m) => m.all, opts: { optimization: 'disabled' } },
  { name: "optimized ('all'), loaded 'all'", bytes: (m) => m.all, opts: {} },
  { name: "optimized ('all', ORT format), 'disabled'", bytes: (m) => m.ortFormat, opts: { optimization: 'disabled' } },
  { name: "optimized ('extended'), loaded 'disabled'", bytes: (m) => m.extended, opts: { optimization: 'disabled' } },
  { name: "optimized ('all'), 'disabled', no prepacking", bytes: (m) => m.all, opts: { optimization: 'disabled', tuning: { prepacking: false } } },
  // The executors' options have both off on CPU (bench/session-memory.ts); these are onnxruntime's defaults.
  { name: 'raw, CPU memory arena on', bytes: (m) => m.raw, opts: { tuning: { memArena: true } } },
  { name: 'raw, memory pattern on', bytes: (m) => m.raw, opts: { tuning: { memPattern: true } } },
  { name: 'raw, parallel execution mode', bytes: (m) => m.raw, opts: { tuning: { executionMode: 'parallel' } } },
  { name: 'raw, 2 intra-op threads', bytes: (m) => m.raw, opts: { threads: 2 } },
  { name: 'raw, no prepacking', bytes: (m) => m.raw, opts: { tuning: { prepacking: false } } },
];

/** Deterministic inputs in [0, 1) (mulberry32), the same for every session. */
function randomInput(name: string, shape: number[], seed: number): WireTensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const values = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    values[i] = ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  return { name, dtype: 'float32', shape, data: new Uint8Array(values.buffer) };
}

async function prepareModels(): Promise<Model[]> {
  const dir = bundledModelsDir();
  const out: Model[] = [];
  for (const [i, b] of BUNDLED_MODELS.entries()) {
    const raw = new Uint8Array(fs.readFileSync(path.join(dir, b.file)));
    const input = b.config.inputs[0]!;
    out.push({
      name: b.config.name,
      raw,
      all: await optimizeModel(raw, { ...BASE, optimization: 'all' }),
      extended: await optimizeModel(raw, { ...BASE, optimization: 'extended' }),
      ortFormat: await optimizeModel(raw, { ...BASE, optimization: 'all', format: 'ort' }),
      input: randomInput(input.name, [1, ...input.shape], 1234 + i),
    });
  }
  return out;
}

interface Samples {
  create: number[];
  firstRun: number[];
  secondRun: number[];
  maxAbsDiff: number;
  bitwise: boolean;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.byteLength !== b.byteLength) return false;
  for (let i = 0; i < a.byteLength; i++) if (a[i] !== b[i]) return false;
  return true;
}

function maxAbsDiff(a: WireTensor, b: WireTensor): number {
  const x = typedView('float32', a.data) as Float32Array;
  const y = typedView('float32', b.data) as Float32Array;
  if (x.length !== y.length) return Infinity;
  let m = 0;
  for (let i = 0; i < x.length; i++) m = Math.max(m, Math.abs(x[i]! - y[i]!));
  return m;
}

/** Part 1: every variant of every model, `rounds` times, interleaved; plus the cost of optimizing once. */
async function measureLoads(models: Model[], rounds: number): Promise<Figure[]> {
  const samples = new Map<string, Samples>();
  const optimizeMs = new Map<string, number[]>();
  const reference = new Map<string, WireTensor>();
  // The reference outputs: a session from the raw bytes with the executors' options.
  for (const m of models) {
    const s = await createSession(new Uint8Array(m.raw), BASE);
    reference.set(m.name, (await runSession(s, [m.input]))[0]!);
    await s.release();
  }
  for (let r = 0; r < rounds; r++) {
    for (const m of models) {
      const order = VARIANTS.map((_, i) => VARIANTS[(i + r) % VARIANTS.length]!);
      for (const v of order) {
        const own = new Uint8Array(v.bytes(m)); // the executor thread copies out of the SharedArrayBuffer before timing too
        const t0 = performance.now();
        const session = await createSession(own, { ...BASE, ...v.opts });
        const t1 = performance.now();
        const first = await runSession(session, [m.input]);
        const t2 = performance.now();
        await runSession(session, [m.input]);
        const t3 = performance.now();
        await session.release();
        const key = `${m.name}\u0000${v.name}`;
        const s = samples.get(key) ?? { create: [], firstRun: [], secondRun: [], maxAbsDiff: 0, bitwise: true };
        samples.set(key, s);
        s.create.push(t1 - t0);
        s.firstRun.push(t2 - t1);
        s.secondRun.push(t3 - t2);
        const ref = reference.get(m.name)!;
        s.maxAbsDiff = Math.max(s.maxAbsDiff, maxAbsDiff(first[0]!, ref));
        s.bitwise &&= sameBytes(first[0]!.data, ref.data);
      }
      const t0 = performance.now();
      await optimizeModel(m.raw, { ...BASE, optimization: 'all' });
      const list = optimizeMs.get(m.name) ?? [];
      list.push(performance.now() - t0);
      optimizeMs.set(m.name, list);
    }
  }
  const figures: Figure[] = [];
  for (const m of models) {
    const base = samples.get(`${m.name}\u0000${VARIANTS[0]!.name}`)!;
    const baseP50 = percentile(base.create, 50);
    for (const v of VARIANTS) {
      const s = samples.get(`${m.name}\u0000${v.name}`)!;
      const p50 = percentile(s.create, 50);
      const bytes = v.bytes(m).byteLength;
      figures.push({
        name: `load ${m.name}: ${v.name}`,
        value: p50,
        unit: 'ms create p50',
        note:
          `p99 ${fmt(percentile(s.create, 99), 1)} ms, ×${fmt(p50 / baseP50, 2)} of raw p50; ` +
          `first run p50 ${fmt(percentile(s.firstRun, 50), 2)}, second ${fmt(percentile(s.secondRun, 50), 2)} ms; ` +
          `output ${s.bitwise ? 'bitwise equal' : `max |diff| ${s.maxAbsDiff.toExponential(1)}`}; ${(bytes / 1e6).toFixed(2)} MB; n=${s.create.length}`,
      });
    }
    const opt = optimizeMs.get(m.name)!;
    figures.push({
      name: `load ${m.name}: optimizing once (create 'all' + save + read)`,
      value: percentile(opt, 50),
      unit: 'ms p50',
      note: `p99 ${fmt(percentile(opt, 99), 1)} ms, ×${fmt(percentile(opt, 50) / baseP50, 2)} of a raw load; n=${opt.length}`,
    });
  }
  return figures;
}

/** A copy of `bytes` in a SharedArrayBuffer, as the worker's model cache holds them. */
function shared(bytes: Uint8Array): Uint8Array {
  const s = new Uint8Array(new SharedArrayBuffer(bytes.byteLength));
  s.set(bytes);
  return s;
}

function okReply(r: ThreadReply): Extract<ThreadReply, { ok: true }> {
  if (!r.ok) throw new Error(r.message);
  return r;
}

type Background =
  | { kind: 'none' }
  /** The second thread loads and unloads det back to back, or one load every `everyMs`. */
  | { kind: 'other-thread'; what: 'raw' | 'optimized' | 'optimize'; everyMs?: number }
  /** The executor's own thread takes a det load (and its unload) every `everyMs`. */
  | { kind: 'same-thread'; what: 'raw' | 'optimized'; everyMs: number };

interface Scenario {
  name: string;
  background: Background;
}

const SCENARIOS: Scenario[] = [
  { name: 'alone', background: { kind: 'none' } },
  { name: 'other thread: det loads (raw) back to back', background: { kind: 'other-thread', what: 'raw' } },
  { name: 'other thread: det loads (optimized) back to back', background: { kind: 'other-thread', what: 'optimized' } },
  { name: 'other thread: optimizing det back to back', background: { kind: 'other-thread', what: 'optimize' } },
  { name: 'other thread: a det load (raw) every 200 ms', background: { kind: 'other-thread', what: 'raw', everyMs: 200 } },
  { name: 'same thread: a det load (raw) every 200 ms', background: { kind: 'same-thread', what: 'raw', everyMs: 200 } },
  { name: 'same thread: a det load (optimized) every 200 ms', background: { kind: 'same-thread', what: 'optimized', everyMs: 200 } },
];

interface LaneSamples {
  latency: number[];
  exec: number[];
  detLoads: number[];
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));

/** One scenario for `seconds`: cls arrivals every `periodMs` at `exec`, with its background. */
async function runScenario(
  exec: ThreadClient,
  other: ThreadClient,
  det: { raw: Uint8Array; optimized: Uint8Array },
  cls: WireTensor,
  sc: Scenario,
  seconds: number,
  periodMs: number,
  into: LaneSamples,
): Promise<void> {
  const b = sc.background;
  const endAt = performance.now() + seconds * 1000;
  const loadReq = (what: 'raw' | 'optimized') =>
    ({ type: 'load', modelKey: 'det@1', bytes: det.raw, ...(what === 'optimized' ? { optimized: det.optimized } : {}) }) as const;
  const recordLoad = (r: ThreadReply): void => {
    into.detLoads.push(okReply(r).durationMs);
  };
  const background = (async () => {
    if (b.kind !== 'other-thread') return;
    for (let next = performance.now(); performance.now() < endAt; ) {
      if (b.everyMs !== undefined) {
        await sleep(next - performance.now());
        next += b.everyMs;
      }
      if (b.what === 'optimize') {
        recordLoad(await other.request({ type: 'optimize', bytes: det.raw }));
      } else {
        recordLoad(await other.request(loadReq(b.what)));
        okReply(await other.request({ type: 'unload', modelKey: 'det@1' }));
      }
    }
  })();
  const pending: Promise<void>[] = [];
  const start = performance.now();
  let nextLoad = start + (b.kind === 'same-thread' ? b.everyMs / 2 : Infinity);
  for (let k = 0; ; k++) {
    const due = start + k * periodMs;
    if (due >= endAt) break;
    await sleep(due - performance.now());
    if (b.kind === 'same-thread' && performance.now() >= nextLoad) {
      nextLoad += b.everyMs;
      pending.push(exec.request(loadReq(b.what)).then(recordLoad));
      pending.push(exec.request({ type: 'unload', modelKey: 'det@1' }).then((r) => void okReply(r)));
    }
    const data = new Uint8Array(cls.data); // a fresh buffer each time: it moves to the thread
    const sent = performance.now();
    pending.push(
      exec.request({ type: 'infer', modelKey: 'cls@1', inputs: [{ ...cls, data }] }, [data.buffer]).then((r) => {
        into.latency.push(performance.now() - sent);
        into.exec.push(okReply(r).durationMs);
      }),
    );
  }
  await Promise.all(pending);
  await background;
}

/** Part 2: the lane scenarios, `rounds` times each in rotating order. */
async function measureLane(models: Model[], o: Required<LoadTimeOptions>): Promise<Figure[]> {
  const det = models.find((m) => m.name === 'det')!;
  const cls = models.find((m) => m.name === 'cls')!;
  const log = (line: string): void => console.error(line);
  const exec = new ThreadClient({ index: 0, device: 'cpu', threads: 1, log });
  const other = new ThreadClient({ index: 1, device: 'cpu', threads: 1, log });
  try {
    await Promise.all([exec.start(), other.start()]);
    okReply(await exec.request({ type: 'load', modelKey: 'cls@1', bytes: shared(cls.raw) }));
    const detBytes = { raw: shared(det.raw), optimized: shared(det.all) };
    const fresh = (): LaneSamples => ({ latency: [], exec: [], detLoads: [] });
    await runScenario(exec, other, detBytes, cls.input, SCENARIOS[0]!, 1, o.periodMs, fresh()); // warm-up
    // One LaneSamples per scenario per round: a p99 per round, and their
    // median, which a few seconds of someone else's work on the machine
    // cannot move the way they move a pooled p99.
    const rounds = new Map<string, LaneSamples[]>(SCENARIOS.map((sc) => [sc.name, []]));
    for (let r = 0; r < o.laneRounds; r++) {
      for (let i = 0; i < SCENARIOS.length; i++) {
        const sc = SCENARIOS[(i + r) % SCENARIOS.length]!;
        const into = fresh();
        await runScenario(exec, other, detBytes, cls.input, sc, o.laneSeconds, o.periodMs, into);
        rounds.get(sc.name)!.push(into);
      }
    }
    const medianP99 = (list: LaneSamples[], pick: (s: LaneSamples) => number[]): number => percentile(list.map((s) => percentile(pick(s), 99)), 50);
    const aloneP99 = medianP99(rounds.get('alone')!, (s) => s.latency);
    return SCENARIOS.map((sc) => {
      const list = rounds.get(sc.name)!;
      const all = (pick: (s: LaneSamples) => number[]): number[] => list.flatMap(pick);
      const latency = all((s) => s.latency);
      const loadsMs = all((s) => s.detLoads);
      const p99 = medianP99(list, (s) => s.latency);
      const over10 = latency.filter((l) => l > 10).length / latency.length;
      const what = sc.background.kind === 'other-thread' && sc.background.what === 'optimize' ? 'optimizations' : 'loads';
      const loads = loadsMs.length > 0 ? `; det ${what}: ${loadsMs.length}, p50 ${fmt(percentile(loadsMs, 50), 1)} ms` : '';
      return {
        name: `lane, cls every ${o.periodMs} ms: ${sc.name}`,
        value: p99,
        unit: 'ms latency p99 (median of rounds)',
        note:
          `×${fmt(p99 / aloneP99, 2)} of alone; pooled p50 ${fmt(percentile(latency, 50), 2)}, p99 ${fmt(percentile(latency, 99), 1)}, max ${fmt(Math.max(...latency), 1)} ms, ${fmt(100 * over10, 1)} % over 10 ms; ` +
          `exec p50 ${fmt(percentile(all((s) => s.exec), 50), 2)}, p99 ${fmt(medianP99(list, (s) => s.exec), 2)} ms; n=${latency.length} in ${list.length} rounds${loads}`,
      };
    });
  } finally {
    await Promise.all([exec.close(), other.close()]);
  }
}

export async function runLoadTimeBench(options: LoadTimeOptions = {}): Promise<Figure[]> {
  const o: Required<LoadTimeOptions> = { rounds: 20, laneRounds: 10, laneSeconds: 1, periodMs: 4, parts: ['loads', 'lane'], ...options };
  const models = await prepareModels();
  return [...(o.parts.includes('loads') ? await measureLoads(models, o.rounds) : []), ...(o.parts.includes('lane') ? await measureLane(models, o) : [])];
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const opts = new Command('load-time')
    .option('--rounds <n>', 'loads of each variant of each model', '20')
    .option('--lane-rounds <n>', 'rounds of the lane scenarios', '10')
    .option('--lane-seconds <s>', 'seconds per lane scenario per round', '1')
    .option('--period-ms <ms>', 'milliseconds between cls arrivals', '4')
    .option('--parts <list>', 'loads, lane', 'loads,lane')
    .option('--json', 'print JSON')
    .parse()
    .opts<{ rounds: string; laneRounds: string; laneSeconds: string; periodMs: string; parts: string; json?: boolean }>();
  const figures = await runLoadTimeBench({
    rounds: Number(opts.rounds),
    laneRounds: Number(opts.laneRounds),
    laneSeconds: Number(opts.laneSeconds),
    periodMs: Number(opts.periodMs),
    parts: opts.parts.split(',').filter((p): p is 'loads' | 'lane' => p === 'loads' || p === 'lane'),
  });
  if (opts.json) console.log(JSON.stringify({ machine: machine(), figures }, null, 2));
  else console.log(`machine: ${machine()}\n${figures.map((f) => `${f.name.padEnd(62)} ${fmt(f.value, 2).padStart(8)} ${f.unit}  ${f.note ?? ''}`).join('\n')}`);
}
