// What glibc's allocator settings do to a worker that swaps sessions in and
// out for hours (issue 11: on the 1,000-instance live run the worker's RSS
// crept 400 MiB past budget + cached bytes + 300 MB while its bookings stayed
// inside the budget). Each variant is a fresh process (glibc reads its MALLOC_*
// settings at start-up, and RSS is process-wide) that plays one seeded
// sequence the way a worker executor with two lanes does: two session threads,
// each holding the sessions it loaded; requests over 1,000 det/rec/cls copies
// with Zipf popularity; a copy no thread holds is loaded on the less loaded
// thread, least recently used copies evicted while the bookings (what each
// model's load reads on this machine: det 8, rec 11.5, cls 2.0 MiB) exceed the
// budget; every request is one run, mostly at batch 1. The variants: glibc's
// settings (arenas, mmap threshold), and malloc_trim after unloads as the
// worker calls it (worker/memory-trim.ts), always or over a limit. Reported per variant:
// RSS peak and at the end, RSS over the bookings, the run time of each model
// (p50, p99) and the load time, all side by side in one run.
//
// `npm run bench -- --only allocator-churn`, or `node dist/bench/allocator-churn.js
// [--requests 6000] [--budget-mib 1024] [--rounds 1] [--json]`.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { Command } from 'commander';
import type { InferenceSession } from 'onnxruntime-node';
import type { WireTensor } from '../common/tensor.js';
import { prng } from '../traces/random.js';
import { loadMallocTrim, MemoryTrimmer } from '../worker/memory-trim.js';
import { createSession, runSession } from '../worker/ort-session.js';
import { prepare } from './session-memory.js';
import { fmt, machine, patternInput, peakRss, percentile, runJsonChild, type Figure } from './support.js';

const MIB = 2 ** 20;

export interface AllocatorVariant {
  name: string;
  env: Record<string, string>;
  /** malloc_trim through the worker's MemoryTrimmer after unloads: its shortest wait and the allowance over idle RSS + budget (null: no limit, every release). */
  trim?: { minIntervalMs: number; allowanceMiB: number | null };
}

/** The variants, each a set of glibc malloc settings (empty: glibc's defaults). */
export const ALLOCATOR_VARIANTS: AllocatorVariant[] = [
  { name: 'glibc defaults', env: {} },
  { name: 'MALLOC_ARENA_MAX=2', env: { MALLOC_ARENA_MAX: '2' } },
  { name: 'MALLOC_ARENA_MAX=1', env: { MALLOC_ARENA_MAX: '1' } },
  { name: 'MALLOC_MMAP_THRESHOLD_=1MiB', env: { MALLOC_MMAP_THRESHOLD_: String(2 ** 20) } },
  { name: 'MALLOC_MMAP_THRESHOLD_=4MiB', env: { MALLOC_MMAP_THRESHOLD_: String(4 * 2 ** 20) } },
  { name: 'MALLOC_ARENA_MAX=2, MALLOC_MMAP_THRESHOLD_=1MiB', env: { MALLOC_ARENA_MAX: '2', MALLOC_MMAP_THRESHOLD_: String(2 ** 20) } },
  { name: 'malloc_trim after every unload', env: {}, trim: { minIntervalMs: 0, allowanceMiB: null } },
  { name: 'malloc_trim at most every 2 s after unloads', env: {}, trim: { minIntervalMs: 2000, allowanceMiB: null } },
  // What the worker does by default (worker/worker.ts).
  { name: 'the worker: malloc_trim over idle + budget + 128 MiB', env: {}, trim: { minIntervalMs: 1000, allowanceMiB: 128 } },
];

export interface AllocatorChurnOptions {
  /** Requests per variant. @default 6000 */
  requests?: number;
  /** The budget the bookings are held to. @default 1 GiB */
  budgetBytes?: number;
  /** Processes per variant, the order rotating. @default 1 */
  rounds?: number;
  seed?: number;
  variants?: AllocatorVariant[];
  /** What each model's session is booked at, MiB. @default what its load reads: det 8, rec 11.5, cls 2 */
  bookedMiB?: Record<string, number>;
}

interface ModelFile {
  name: string;
  file: string;
  shape: number[];
  bookedBytes: number;
}

interface ChildJob {
  trim?: AllocatorVariant['trim'];
  models: ModelFile[];
  requests: number;
  budgetBytes: number;
  seed: number;
}

interface ChildResult {
  baseline: number;
  peak: number;
  end: number;
  /** RSS every 500 requests. */
  steps: number[];
  /** Bookings at the end. */
  booked: number;
  resident: number;
  loads: number;
  unloads: number;
  runMs: Record<string, number[]>;
  loadMs: number[];
  seconds: number;
  trims: number;
  trimmedBytes: number;
  trimMs: number;
}

// Booked as the executor thread's clean loads read them (BENCHMARKS.md, "Session memory").
const BOOKED_MIB: Record<string, number> = { det: 8, rec: 11.5, cls: 2 };
const COPIES = 1000;


function rssNow(): number {
  return process.memoryUsage.rss();
}



type LaneMsg =
  | { op: 'load'; key: string; file: string }
  | { op: 'run'; key: string; shape: number[]; batch: number }
  | { op: 'unload'; key: string };

/** In a lane thread: the sessions it loaded, one action at a time. */
function lane(): void {
  const port = parentPort!;
  const sessions = new Map<string, InferenceSession>();
  const files = new Map<string, Uint8Array>();
  const inputs = new Map<string, WireTensor>();
  port.on('message', (m: LaneMsg) => {
    void (async () => {
      const t0 = performance.now();
      if (m.op === 'load') {
        let bytes = files.get(m.file);
        if (!bytes) files.set(m.file, (bytes = new Uint8Array(fs.readFileSync(m.file))));
        // The executor thread copies out of the shared buffer before creating, too.
        sessions.set(m.key, await createSession(new Uint8Array(bytes), { device: 'cpu', threads: 1, optimization: 'disabled' }));
      } else if (m.op === 'run') {
        const k = `${m.shape.join('x')}@${m.batch}`;
        let x = inputs.get(k);
        if (!x) inputs.set(k, (x = patternInput(m.shape, m.batch)));
        await runSession(sessions.get(m.key)!, [x]);
      } else {
        await sessions.get(m.key)!.release();
        sessions.delete(m.key);
      }
      port.postMessage(performance.now() - t0);
    })();
  });
}

class LaneHandle {
  private readonly worker: Worker;
  private chain: Promise<unknown> = Promise.resolve();
  sessions = 0;

  constructor(script: string) {
    this.worker = new Worker(script, { workerData: { lane: true } });
    this.worker.unref();
  }

  /** Queued behind this lane's earlier actions, as on an executor thread. */
  send(m: LaneMsg): Promise<number> {
    const p = this.chain.then(
      () =>
        new Promise<number>((resolve) => {
          this.worker.once('message', (ms: number) => resolve(ms));
          this.worker.postMessage(m);
        }),
    );
    this.chain = p;
    return p;
  }

  idle(): Promise<unknown> {
    return this.chain;
  }

  async stop(): Promise<void> {
    await this.worker.terminate();
  }
}

/** In the child process: one variant's whole sequence. */
async function child(job: ChildJob): Promise<ChildResult> {
  const script = fileURLToPath(import.meta.url);
  const lanes = [new LaneHandle(script), new LaneHandle(script)];
  const rand = prng(job.seed); // the same sequence in every variant
  // Zipf(1.1) over the copies: copy i of model i % 3.
  const weights = Array.from({ length: COPIES }, (_, i) => 1 / (i + 1) ** 1.1);
  const total = weights.reduce((a, b) => a + b, 0);
  const cdf: number[] = [];
  let acc = 0;
  for (const w of weights) cdf.push((acc += w / total));
  // A fixed shuffle so that popularity does not follow the model.
  const order = Array.from({ length: COPIES }, (_, i) => i);
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  const resident = new Map<string, { lane: number; bytes: number }>(); // insertion order = recency
  let booked = 0;
  let loads = 0;
  let unloads = 0;
  const runMs: Record<string, number[]> = {};
  const loadMs: number[] = [];
  const steps: number[] = [];
  const baseline = rssNow();
  const t0 = performance.now();
  const inFlight: Promise<unknown>[] = [];
  let trimMs = 0;
  let trimmer: MemoryTrimmer | undefined;
  if (job.trim) {
    const call = loadMallocTrim();
    if (typeof call === 'string') throw new Error(call);
    const allowance = job.trim.allowanceMiB;
    trimmer = new MemoryTrimmer({
      limitBytes: () => (allowance === null ? 0 : baseline + job.budgetBytes + allowance * MIB),
      trim: call,
      minIntervalMs: job.trim.minIntervalMs,
      onTrim: (t) => (trimMs += t.ms),
    });
  }
  for (let r = 0; r < job.requests; r++) {
    const u = rand();
    let idx = cdf.findIndex((c) => c >= u);
    if (idx < 0) idx = COPIES - 1;
    const copy = order[idx]!;
    const model = job.models[copy % job.models.length]!;
    const key = `${model.name}-${copy}`;
    let holder = resident.get(key);
    if (holder) {
      resident.delete(key);
      resident.set(key, holder);
    } else {
      while (booked + model.bookedBytes > job.budgetBytes && resident.size > 0) {
        const [victim, v] = resident.entries().next().value as [string, { lane: number; bytes: number }];
        resident.delete(victim);
        booked -= v.bytes;
        lanes[v.lane]!.sessions--;
        unloads++;
        void lanes[v.lane]!.send({ op: 'unload', key: victim }).then(() => trimmer?.released());
      }
      const l = lanes[0]!.sessions <= lanes[1]!.sessions ? 0 : 1;
      holder = { lane: l, bytes: model.bookedBytes };
      resident.set(key, holder);
      booked += model.bookedBytes;
      lanes[l]!.sessions++;
      loads++;
      void lanes[l]!.send({ op: 'load', key, file: model.file }).then((ms) => loadMs.push(ms));
    }
    const b = rand();
    const batch = b < 0.85 ? 1 : b < 0.95 ? 2 : 4;
    const p = lanes[holder.lane]!.send({ op: 'run', key, shape: model.shape, batch }).then((ms) => {
      if (batch === 1) (runMs[model.name] ??= []).push(ms);
    });
    // At most two requests in flight: the executor runs one per lane.
    inFlight.push(p);
    if (inFlight.length >= 2) await inFlight.shift();
    if ((r + 1) % 500 === 0) steps.push(rssNow());
  }
  await Promise.all(lanes.map((l) => l.idle()));
  const seconds = (performance.now() - t0) / 1000;
  trimmer?.close();
  const result: ChildResult = {
    baseline,
    peak: peakRss(),
    end: rssNow(),
    steps,
    booked,
    resident: resident.size,
    loads,
    unloads,
    runMs,
    loadMs,
    seconds,
    trims: trimmer?.trims ?? 0,
    trimmedBytes: trimmer?.trimmedBytes ?? 0,
    trimMs,
  };
  await Promise.all(lanes.map((l) => l.stop()));
  return result;
}

function runChild(job: ChildJob, env: Record<string, string>): Promise<ChildResult> {
  // Every MALLOC_* setting comes from the variant alone, none from this process's environment.
  const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('MALLOC_')));
  return runJsonChild<ChildResult>(fileURLToPath(import.meta.url), job, { ...base, ...env });
}

const mib = (b: number): string => fmt(b / MIB, 0);

export async function runAllocatorChurnBench(o: AllocatorChurnOptions = {}): Promise<Figure[]> {
  const requests = o.requests ?? 6000;
  const budgetBytes = o.budgetBytes ?? 1024 * MIB;
  const rounds = o.rounds ?? 1;
  const variants = o.variants ?? ALLOCATOR_VARIANTS;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'punctual-allocator-churn-'));
  try {
    const load0 = os.loadavg()[0]!;
    const booked = { ...BOOKED_MIB, ...o.bookedMiB };
    const models: ModelFile[] = (await prepare(dir)).map((m) => ({ name: m.name, file: m.file, shape: m.shape, bookedBytes: (booked[m.name] ?? 8) * MIB }));
    const results = new Map<string, ChildResult[]>();
    for (let r = 0; r < rounds; r++) {
      for (let i = 0; i < variants.length; i++) {
        const v = variants[(i + r) % variants.length]!;
        const res = await runChild({ models, requests, budgetBytes, seed: o.seed ?? 1, ...(v.trim ? { trim: v.trim } : {}) }, v.env);
        results.set(v.name, [...(results.get(v.name) ?? []), res]);
      }
    }
    const figures: Figure[] = [];
    const base = results.get(variants[0]!.name)!;
    const baseP50 = (m: string): number => percentile(base.flatMap((x) => x.runMs[m] ?? []), 50);
    for (const v of variants) {
      for (const [k, x] of results.get(v.name)!.entries()) {
        const runs = models
          .map((m) => {
            const ms = x.runMs[m.name] ?? [];
            return `${m.name} ${fmt(percentile(ms, 50), 1)} / ${fmt(percentile(ms, 99), 1)} ms (×${fmt(percentile(ms, 50) / baseP50(m.name), 2)})`;
          })
          .join(', ');
        figures.push({
          name: `${v.name}, process ${k + 1}: RSS peak`,
          value: x.peak / MIB,
          unit: 'MiB',
          note:
            `end ${mib(x.end)} MiB, idle ${mib(x.baseline)}; every 500 requests ${x.steps.map(mib).join(' ')}; ` +
            `booked ${mib(x.booked)} MiB in ${x.resident} sessions, so the peak is ${mib(x.peak - x.baseline - x.booked)} MiB over idle + bookings; ` +
            `${x.loads} loads (p50 ${fmt(percentile(x.loadMs, 50), 1)} ms), ${x.unloads} unloads; batch-1 runs p50 / p99 ${runs}; ${fmt(x.seconds, 0)} s` +
            (x.trims > 0 ? `; ${x.trims} trims gave back ${mib(x.trimmedBytes)} MiB in ${fmt(x.trimMs, 0)} ms` : ''),
        });
      }
    }
    figures.push({ name: 'machine load (1-min average) before / after', value: load0, unit: '', note: `${fmt(load0, 2)} / ${fmt(os.loadavg()[0]!, 2)} on ${machine()}` });
    return figures;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

if (!isMainThread && (workerData as { lane?: boolean } | null)?.lane) {
  lane();
} else if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const opts = new Command('allocator-churn')
    .option('--child <job>', 'internal: play the sequence in this process and print the result as JSON')
    .option('--requests <n>', 'requests per variant', '6000')
    .option('--budget-mib <n>', 'the budget the bookings are held to', '1024')
    .option('--rounds <n>', 'processes per variant', '1')
    .option('--variants <list>', 'comma-separated variant names (default: all)')
    .option('--booked <list>', 'MiB booked per session, by model (default det=8,rec=11.5,cls=2)')
    .option('--json', 'print JSON')
    .parse()
    .opts<{ child?: string; requests: string; budgetMib: string; rounds: string; variants?: string; booked?: string; json?: boolean }>();
  if (opts.child) {
    console.log(JSON.stringify(await child(JSON.parse(opts.child) as ChildJob)));
    process.exit(0);
  } else {
    const names = opts.variants?.split(',');
    const variants = names ? ALLOCATOR_VARIANTS.filter((v) => names.includes(v.name)) : undefined;
    const bookedMiB = opts.booked ? Object.fromEntries(opts.booked.split(',').map((kv) => [kv.split('=')[0]!, Number(kv.split('=')[1])])) : undefined;
    const figures = await runAllocatorChurnBench({
      requests: Number(opts.requests),
      budgetBytes: Number(opts.budgetMib) * MIB,
      rounds: Number(opts.rounds),
      ...(variants ? { variants } : {}),
      ...(bookedMiB ? { bookedMiB } : {}),
    });
    if (opts.json) console.log(JSON.stringify({ machine: machine(), figures }, null, 2));
    else console.log(`machine: ${machine()}\n${figures.map((f) => `${f.name.padEnd(44)} ${fmt(f.value, 0).padStart(6)} ${f.unit}  ${f.note ?? ''}`).join('\n')}`);
  }
}
