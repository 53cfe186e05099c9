// Issue 11's live target: one worker (real onnxruntime, the defaults a user
// gets: 1 executor × 1 thread, 2 lanes on CPU) serving 1,000 instances —
// copies of the bundled det, rec and cls, a third each, registered through
// Admin.RegisterModel (`--copies`) — under a 10-minute Azure-like trace
// (traces/generate-trace.ts, the 'azure' shape, 1,000 functions, seed fixed)
// scaled to ~40 % of the executor, SLO 100 ms, replayed open-loop from this
// process (traces/replay.ts, what `punctual replay` runs) against a
// controller and a worker started as real processes on this machine. The
// worker's memory budget (1 GiB) holds far fewer than 1,000 loaded copies,
// so models are loaded and evicted as the trace moves.
//
// The same trace is simulated on the same shape (one executor, the same
// lanes, memory and SLO, the profiles the controller measured when the
// copies were registered), to find the rate scale (the simulator's offered
// load, `config.utilisation`) and to set the figures side by side.
// Measured: the time to register, the worker's join and warm-up, live and
// simulated accepted SLO attainment, rejections (and those beyond the
// floor: requests whose model was resident nowhere when they arrived and
// whose cold start, at the high figures, is over the SLO; live, residency is
// read from ClusterStatus every 200 ms), late drops, errors, goodput, the
// worker's RSS every second against its budget + the model bytes it caches
// + 300 MB, and the generator's own lag. The run's requests.jsonl, both
// summaries and the RSS series are kept in bench/out/live-many-<time>/.
// A progress bar runs on a terminal; otherwise it is quiet.
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import cliProgress from 'cli-progress';
import { PunctualAdmin, PunctualClient } from '../client/index.js';
import { stopChild, waitForEvent, waitForListeningPort } from '../cli/child-process.js';
import { ESTIMATES_DEFAULTS } from '../controller/scheduler/estimates.js';
import { parseProfile, type ModelProfile } from '../common/profile.js';
import { BUNDLED_MODELS, bundledModelsDir } from '../profiles/bundled-models.js';
import { generateAzureTrace } from '../traces/generate-trace.js';
import { replay, type ReplaySummary } from '../traces/replay.js';
import type { SimModel } from '../traces/sim-models.js';
import { SIMULATION_DEFAULTS, simulate, type SimulationResult } from '../traces/simulator.js';
import type { Summary } from '../traces/summary.js';
import { compileWorkload, type Workload } from '../traces/workload.js';
import { machine, spawnCli, tempRepo, type Figure } from './support.js';

export interface LiveManyOptions {
  /** Instances registered, cycling det, rec, cls. @default 1000 */
  instances?: number;
  /** Trace minutes (each lasts a minute). @default 10 */
  minutes?: number;
  /** Offered load to scale the trace to, as the simulator counts it. @default 0.4 */
  utilisation?: number;
  /** The worker's --memory, bytes (its one executor's budget). @default 1 GiB */
  workerMemoryBytes?: number;
  /** SLO of every request, ms. @default 100 */
  sloMs?: number;
  /** Seed of the trace, its arrivals and the simulation. @default 1 */
  seed?: number;
  /** Where the run's files go. @default bench/out/live-many-<ISO time> of the working directory */
  outDir?: string;
  /** More flags for `punctual worker` (e.g. ['--trim-allowance', 'off']). @default none */
  workerArgs?: string[];
}

const MIB = 1024 * 1024;
/** The slack of the memory target: RSS ≤ budget + cached model bytes + 300 MB. */
const RSS_SLACK = 300e6;
/** The worker's default lanes on CPU (worker/worker.ts defaultLanes), which the simulator defaults to as well. */
const LANES = SIMULATION_DEFAULTS.lanes;
const STATUS_EVERY_MS = 200;

function rssOf(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

async function metricSum(port: number, name: string): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  let sum = 0;
  for (const m of text.matchAll(new RegExp(`^${name}(?:\\{[^}]*\\})? ([0-9.e+-]+)$`, 'gm'))) sum += Number(m[1]);
  return sum;
}

/** A progress bar on a terminal; a no-op otherwise. */
function progressBar(label: string, total: number): { update(v: number): void; stop(): void } {
  if (!process.stderr.isTTY) return { update: () => {}, stop: () => {} };
  const bar = new cliProgress.SingleBar({ format: `${label} [{bar}] {value}/{total}`, stream: process.stderr, clearOnComplete: true, hideCursor: true }, cliProgress.Presets.shades_classic);
  bar.start(total, 0);
  return { update: (v) => bar.update(v), stop: () => bar.stop() };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const mib = (b: number): string => `${(b / MIB).toFixed(0)} MiB`;
const pct = (n: number, of: number, digits = 3): string => `${((100 * n) / Math.max(1, of)).toFixed(digits)} %`;
const baseOf = (name: string): string => name.slice(0, name.lastIndexOf('-'));

/** Instance i is copy ⌊i/3⌋ of det, rec, cls in turn, so function i of the trace maps to it (blockMapping with as many models as functions). */
function instanceNames(n: number): string[] {
  const bases = BUNDLED_MODELS.map((m) => m.config.name);
  return Array.from({ length: n }, (_, i) => `${bases[i % bases.length]}-${Math.floor(i / bases.length)}`);
}

/** The profile the controller measured for a registration (shared by its copies), cut to class cpu/t1 (the worker runs 1 thread). */
function registeredProfile(repo: string, name: string): ModelProfile {
  const raw = parseProfile(JSON.parse(fs.readFileSync(path.join(repo, name, '1', 'profile.json'), 'utf8')));
  if (!raw) throw new Error(`no profile for ${name} in ${repo}`);
  const t1 = raw.classes['cpu/t1'];
  return t1 ? { ...raw, classes: { 'cpu/t1': t1 } } : raw;
}

interface StatusSnapshot {
  /** ms on the replay's clock (performance.now() − the replay's start). */
  at: number;
  loaded: Set<string>;
  memoryUsed: number;
}

export async function runLiveManyBench(o: LiveManyOptions = {}): Promise<Figure[]> {
  const n = o.instances ?? 1000;
  const minutes = o.minutes ?? 10;
  const target = o.utilisation ?? 0.4;
  const memoryBytes = o.workerMemoryBytes ?? 2 ** 30;
  const sloMs = o.sloMs ?? 100;
  const seed = o.seed ?? 1;
  const outDir = o.outDir ?? path.join(process.cwd(), 'bench', 'out', `live-many-${new Date().toISOString().replace(/[:.]/g, '-')}`);
  fs.mkdirSync(outDir, { recursive: true });
  const figures: Figure[] = [];
  const load0 = os.loadavg();
  const repo = await tempRepo([]);
  const controller = spawnCli(['controller', '--port', '0', '--host', '127.0.0.1', '--metrics-port', '0', '--http-port', '-1', '--repo', repo.dir]);
  let worker: ChildProcess | undefined;
  let client: PunctualClient | undefined;
  let admin: PunctualAdmin | undefined;
  try {
    const { port, metricsPort: controllerMetrics } = await waitForListeningPort(controller, { timeoutMs: 120_000 });
    const address = `127.0.0.1:${port}`;
    client = new PunctualClient(address);
    admin = new PunctualAdmin(address);

    // 1. Register n instances: one RegisterModel call per bundled model, --copies a third of n each.
    const names = instanceNames(n);
    const counts = new Map<string, number>();
    for (const nm of names) counts.set(baseOf(nm), (counts.get(baseOf(nm)) ?? 0) + 1);
    const regBar = progressBar('registering instances', n);
    const t0 = performance.now();
    const callS: string[] = [];
    let registered = 0;
    for (const m of BUNDLED_MODELS) {
      const copies = counts.get(m.config.name) ?? 0;
      if (copies === 0) continue;
      const c0 = performance.now();
      const bytes = fs.readFileSync(path.join(bundledModelsDir(), m.file));
      await admin.register(bytes, {
        name: m.config.name,
        inputs: m.config.inputs.map((i) => ({ name: i.name, shape: i.shape })),
        maxBatch: m.config.maxBatch,
        batchSizes: m.config.batchSizes,
        defaultSloMs: m.config.defaultSloMs,
        copies,
      });
      callS.push(`${m.config.name} ×${copies} ${((performance.now() - c0) / 1000).toFixed(1)} s`);
      registered += copies;
      regBar.update(registered);
    }
    const registerMs = performance.now() - t0;
    regBar.stop();
    figures.push({
      name: `live-many: register ${n.toLocaleString('en')} instances`,
      value: registerMs / 1000,
      unit: 's',
      target: '< 120 s',
      note: `${BUNDLED_MODELS.length} RegisterModel calls with --copies (each validated and profiled once): ${callS.join(', ')}; no worker connected yet`,
    });

    // 2. The worker, as a user starts it (defaults: 1 executor × 1 thread, 2 lanes on CPU), with the models registered: it joins and is warmed as the simulated executor is.
    const j0 = performance.now();
    worker = spawnCli(['worker', '--controller', address, '--memory', String(memoryBytes), '--metrics-port', '0', '--health-port', '0', ...(o.workerArgs ?? [])]);
    const workerListening = waitForEvent(worker, 'worker_listening', { timeoutMs: 120_000 });
    const workerPid = worker.pid!;
    let lastLoads = -1;
    let steadySince = performance.now();
    let joinedMs = NaN;
    for (;;) {
      const st = await client.clusterStatus({ pageSize: 1, brief: true }).catch(() => undefined);
      const ex = st?.workers[0]?.executors[0];
      if (ex && ex.executorClass !== '') {
        if (Number.isNaN(joinedMs)) joinedMs = performance.now() - j0;
        const loads = Number(ex.loads);
        if (loads !== lastLoads || Number(ex.bookedAheadMs) > 0) {
          lastLoads = loads;
          steadySince = performance.now();
        } else if (performance.now() - steadySince > 3000) break;
      }
      if (performance.now() - j0 > 180_000) throw new Error('the worker did not join and settle within 180 s');
      await sleep(200);
    }
    const workerMetrics = Number((await workerListening).metricsPort);
    const warm = (await client.clusterStatus({ pageSize: 1, brief: true })).workers[0]!.executors[0]!;
    const rssWarm = rssOf(workerPid);
    const byBaseOf = (loaded: readonly string[]): string => {
      const c = new Map<string, number>();
      for (const k of loaded) c.set(baseOf(k.slice(0, k.lastIndexOf('@'))), (c.get(baseOf(k.slice(0, k.lastIndexOf('@')))) ?? 0) + 1);
      return [...c].map(([b, v]) => `${b} ${v}`).join(' / ');
    };
    figures.push({
      name: 'live-many: worker joined / warmed',
      value: joinedMs / 1000,
      unit: 's to join',
      note: `warm-up settled after ${((performance.now() - j0 - 3000) / 1000).toFixed(1)} s: ${warm.loaded.length} of ${n} resident (${byBaseOf(warm.loaded)}), ${mib(Number(warm.memoryUsedBytes))} booked of ${mib(Number(warm.memoryBudgetBytes))}, ${warm.loads} loads; worker RSS ${mib(rssWarm)}`,
    });

    // 3. The trace, and the rate scale that makes the simulator's offered load the target.
    const trace = path.join(outDir, 'trace.csv');
    fs.writeFileSync(trace, generateAzureTrace({ functions: n, minutes, seed }));
    const profiles = new Map(BUNDLED_MODELS.map((m) => [m.config.name, registeredProfile(repo.dir, `${m.config.name}-0`)]));
    const simModels: SimModel[] = names.map((name) => {
      const b = BUNDLED_MODELS.find((m) => m.config.name === baseOf(name))!;
      return { key: `${name}@1`, name, profile: profiles.get(b.config.name)!, batchSizes: b.config.batchSizes, defaultSloMs: b.config.defaultSloMs };
    });
    const workloadAt = (rateScale: number): Promise<Workload> => compileWorkload({ trace, rateScale, seed, models: names }, names);
    const sim = async (rateScale: number): Promise<SimulationResult> => {
      const w = await workloadAt(rateScale);
      const arrivals = (function* () {
        for (const a of w.arrivals()) yield { time: a.time, model: `${a.model}@1` };
      })();
      return simulate(arrivals, { models: simModels, workers: 1, executorsPerWorker: 1, lanes: LANES, memoryBytes, sloMs, noise: 1, seed, durationMs: w.durationMs });
    };
    const utilisationOf = (r: SimulationResult): number => Number(r.summary.config.utilisation);
    const unit = utilisationOf(await sim(1));
    let rateScale = target / unit;
    let simulated = await sim(rateScale);
    if (Math.abs(utilisationOf(simulated) - target) > 0.005) {
      rateScale *= target / utilisationOf(simulated);
      simulated = await sim(rateScale);
    }
    const workload = await workloadAt(rateScale);
    // Inputs are made only for the models that get requests (the rest keep their place in the mapping).
    const used = new Set<string>();
    for (const a of workload.arrivals()) used.add(a.model);
    figures.push({
      name: 'live-many: offered load (simulated count)',
      value: 100 * utilisationOf(simulated),
      unit: '% of the executor',
      note: `${minutes}-minute Azure-like trace (generateAzureTrace functions ${n}, seed ${seed}), rate scale ${rateScale.toFixed(3)} (${(100 * unit).toFixed(1)} % at 1), ${simulated.summary.requests} requests (${simulated.summary.offered_rps.toFixed(1)}/s) to ${used.size} of ${n} instances; SLO ${sloMs} ms; every arrival's batch-1 p50 over the executor's time`,
    });

    // 4. Live: replay, sampling the worker's RSS every second and the executor's residency every 200 ms.
    const totalS = Math.ceil(workload.durationMs / 1000);
    const bar = progressBar('replay (s)', totalS);
    let replayStart = NaN;
    const snapshots: StatusSnapshot[] = [];
    const rss: { t: number; worker: number; controller: number; bench: number; load1: number }[] = [];
    let running = true;
    const sampleRss = (): void => {
      rss.push({ t: Number.isNaN(replayStart) ? 0 : (performance.now() - replayStart) / 1000, worker: rssOf(workerPid), controller: rssOf(controller.pid!), bench: process.memoryUsage().rss, load1: os.loadavg()[0]! });
    };
    sampleRss();
    const rssTimer = setInterval(sampleRss, 1000);
    const statusClient = client;
    const poller = (async () => {
      while (running) {
        const asked = performance.now();
        const st = await statusClient.clusterStatus({ pageSize: 1, brief: true }).catch(() => undefined);
        const ex = st?.workers[0]?.executors[0];
        // Stamped when asked: what it lists was resident at least from about then.
        if (ex && !Number.isNaN(replayStart)) snapshots.push({ at: asked - replayStart, loaded: new Set(ex.loaded), memoryUsed: Number(ex.memoryUsedBytes) });
        await sleep(Math.max(0, STATUS_EVERY_MS - (performance.now() - asked)));
      }
    })();
    let live: ReplaySummary;
    try {
      live = await replay({
        controller: address,
        workload: { ...workload, models: workload.models.filter((m) => used.has(m)) },
        sloMs,
        outDir,
        onProgress: (ms) => {
          if (Number.isNaN(replayStart)) replayStart = performance.now() - ms;
          bar.update(Math.min(totalS, Math.floor(ms / 1000)));
        },
      });
    } finally {
      running = false;
      clearInterval(rssTimer);
      await poller;
      bar.stop();
    }
    sampleRss();
    const end = (await client.clusterStatus({ pageSize: 1, brief: true })).workers[0]!.executors[0]!;
    const cacheBytes = await metricSum(workerMetrics, 'punctual_worker_model_cache_bytes');
    const trims = await metricSum(workerMetrics, 'punctual_worker_memory_trims_total');
    const trimmed = await metricSum(workerMetrics, 'punctual_worker_memory_trimmed_bytes_total');
    const trimSeconds = await metricSum(workerMetrics, 'punctual_worker_memory_trim_seconds_total');
    const refusedLive = await metricSum(controllerMetrics, 'punctual_actions_refused_total');
    const lostLive = await metricSum(controllerMetrics, 'punctual_actions_lost_total');
    fs.writeFileSync(path.join(outDir, 'simulated-summary.json'), JSON.stringify(simulated.summary, null, 2) + '\n');
    const bases = BUNDLED_MODELS.map((m) => m.config.name);
    fs.writeFileSync(
      path.join(outDir, 'status.csv'),
      `seconds,booked_bytes,resident,${bases.join(',')}\n` +
        snapshots
          .filter((_, i) => i % 5 === 0)
          .map((x) => `${(x.at / 1000).toFixed(1)},${x.memoryUsed},${x.loaded.size},${bases.map((b) => [...x.loaded].filter((k) => k.startsWith(`${b}-`)).length).join(',')}`)
          .join('\n') +
        '\n',
    );
    fs.writeFileSync(path.join(outDir, 'rss.csv'), 'seconds,worker_rss_bytes,controller_rss_bytes,bench_rss_bytes,load1\n' + rss.map((r) => `${r.t.toFixed(1)},${r.worker},${r.controller},${r.bench},${r.load1.toFixed(2)}`).join('\n') + '\n');

    // The live floor and the outcomes by model and reason, from requests.jsonl.
    const floorMs = new Map([...profiles].map(([b, p]) => {
      const c = Object.values(p.classes)[0]!;
      return [b, c.loadMs * (1 + ESTIMATES_DEFAULTS.loadSpread) + (c.batches.find((x) => x.batch === 1)?.p99Ms ?? 0)] as const;
    }));
    const residentAt = (model: string, at: number): boolean => {
      // The last snapshot taken before the arrival.
      let lo = 0;
      let hi = snapshots.length - 1;
      let found = -1;
      while (lo <= hi) {
        const mid = (lo + hi) >> 1;
        if (snapshots[mid]!.at <= at) {
          found = mid;
          lo = mid + 1;
        } else hi = mid - 1;
      }
      return found >= 0 && snapshots[found]!.loaded.has(`${model}@1`);
    };
    /** From this second of the trace on: past the start, when most of the trace's models are not yet resident. */
    const settledS = 120;
    const after = { accepted: 0, within: 0, rejected: 0, late: 0, requests: 0 };
    let floor = 0;
    let rejectedInFloor = 0;
    const byBase = new Map<string, { requests: number; rejected: number; beyond: number; late: number; errors: number }>();
    const reasons = new Map<string, number>();
    const errorCodes = new Map<string, number>();
    const lateByMinute = new Map<number, number>();
    for (const line of fs.readFileSync(path.join(outDir, 'requests.jsonl'), 'utf8').split('\n')) {
      if (!line) continue;
      const r = JSON.parse(line) as { model: string; arrival_ms: number; status: string; within_slo?: boolean; code?: string; message?: string };
      const b = baseOf(r.model);
      const t = byBase.get(b) ?? { requests: 0, rejected: 0, beyond: 0, late: 0, errors: 0 };
      byBase.set(b, t);
      t.requests++;
      if (r.arrival_ms >= settledS * 1000) {
        after.requests++;
        if (r.status === 'rejected') after.rejected++;
        else after.accepted++;
        if (r.status === 'late') after.late++;
        if (r.within_slo === true) after.within++;
      }
      const inFloor = floorMs.get(b)! > sloMs && !residentAt(r.model, r.arrival_ms);
      if (inFloor) floor++;
      if (r.status === 'rejected') {
        t.rejected++;
        if (inFloor) rejectedInFloor++;
        else t.beyond++;
        const m = r.message ?? '';
        const kind = /push requests already admitted/.test(m) ? 'would push admitted requests' : /predicted .* ms .*reserve/.test(m) ? 'predicted > slo, with a reserve' : /predicted/.test(m) ? 'predicted > slo, no reserve' : m.slice(0, 60);
        reasons.set(`${b}: ${kind}`, (reasons.get(`${b}: ${kind}`) ?? 0) + 1);
      } else if (r.status === 'late') {
        t.late++;
        const minute = Math.floor(r.arrival_ms / 60_000) + 1;
        lateByMinute.set(minute, (lateByMinute.get(minute) ?? 0) + 1);
      } else if (r.status === 'error') {
        t.errors++;
        const k = `${r.code ?? '?'}: ${(r.message ?? '').slice(0, 80)}`;
        errorCodes.set(k, (errorCodes.get(k) ?? 0) + 1);
      }
    }
    const liveBeyond = live.rejected - rejectedInFloor;
    const s = simulated.summary;
    const perBase = (sum: Summary): string =>
      [...new Set(Object.keys(sum.per_model).map(baseOf))]
        .map((b) => {
          let req = 0;
          let rej = 0;
          let beyond = 0;
          let late = 0;
          for (const [k, m] of Object.entries(sum.per_model)) {
            if (baseOf(k) !== b) continue;
            req += m.requests;
            rej += m.rejected;
            beyond += m.rejected_beyond_floor ?? m.rejected;
            late += m.late;
          }
          return `${b} ${req} requests, rejected ${pct(rej, req, 2)} (beyond the floor ${pct(beyond, req, 2)}), late ${late}`;
        })
        .join('; ');
    const liveBases = [...byBase].map(([b, t]) => `${b} ${t.requests} requests, rejected ${pct(t.rejected, t.requests, 2)} (beyond the floor ${pct(t.beyond, t.requests, 2)}), late ${t.late}, errors ${t.errors}`).join('; ');

    const side = (what: string, liveV: number, simV: number, unitS: string, targetS: string | undefined, liveNote: string, simNote: string): void => {
      figures.push({ name: `live-many, live: ${what}`, value: liveV, unit: unitS, ...(targetS ? { target: targetS } : {}), note: liveNote });
      figures.push({ name: `live-many, simulated: ${what}`, value: simV, unit: unitS, note: simNote });
    };
    side('accepted SLO attainment', 100 * live.accepted_slo_attainment, 100 * s.accepted_slo_attainment, '%', '≥ 99.9 %', `${live.ok_within_slo} within SLO of ${live.accepted} accepted; ${live.requests} requests; all requests within SLO ${(100 * live.slo_attainment).toFixed(2)} % (client round trip ${(100 * live.e2e_slo_attainment).toFixed(2)} %); ok p50 ${live.p50_ms.toFixed(1)} / p99 ${live.p99_ms.toFixed(1)} / max ${live.max_ms.toFixed(0)} ms (round trip)`, `${s.ok_within_slo} of ${s.accepted} accepted; ${s.requests} requests; all requests within SLO ${(100 * s.slo_attainment).toFixed(2)} %; ok p50 ${s.p50_ms.toFixed(1)} / p99 ${s.p99_ms.toFixed(1)} ms`);
    const simAfter = simulated.builder.buckets.slice(settledS).reduce((a, b) => ({ offered: a.offered + b.offered, within: a.within + b.okWithin, rejected: a.rejected + b.rejected, late: a.late + b.late }), { offered: 0, within: 0, rejected: 0, late: 0 });
    side(
      `accepted SLO attainment from second ${settledS} on`,
      (100 * after.within) / Math.max(1, after.accepted),
      (100 * simAfter.within) / Math.max(1, simAfter.offered - simAfter.rejected),
      '%',
      undefined,
      `${after.within} of ${after.accepted} accepted; rejected ${pct(after.rejected, after.requests)}, late ${after.late}, of ${after.requests} requests`,
      `${simAfter.within} of ${simAfter.offered - simAfter.rejected} accepted; rejected ${pct(simAfter.rejected, simAfter.offered)}, late ${simAfter.late}, of ${simAfter.offered} requests`,
    );
    side('rejected', (100 * live.rejected) / Math.max(1, live.requests), (100 * s.rejected) / Math.max(1, s.requests), '% of requests', undefined, `${live.rejected} of ${live.requests}; by reason ${JSON.stringify(Object.fromEntries([...reasons].sort((a, b) => b[1] - a[1])))}`, `${s.rejected} of ${s.requests}`);
    side('rejected beyond the floor', (100 * liveBeyond) / Math.max(1, live.requests), (100 * (s.rejected_beyond_floor ?? s.rejected)) / Math.max(1, s.requests), '% of requests', undefined, `${liveBeyond}; floor ${floor} (${pct(floor, live.requests, 2)}), ${rejectedInFloor} of them rejected; residency read from ClusterStatus every ${STATUS_EVERY_MS} ms (the last reading before each arrival), so approximate; cold start at the high figures: ${[...floorMs].map(([b, v]) => `${b} ${v.toFixed(1)} ms`).join(', ')}; ${liveBases}`, `${s.rejected_beyond_floor ?? s.rejected}; floor ${s.floor ?? 0} (${pct(s.floor ?? 0, s.requests, 2)}); ${perBase(s)}`);
    side('late (accepted, then dropped)', live.late, s.late, 'requests', undefined, `of ${live.accepted} accepted, ${pct(live.late, live.accepted)}; by minute of arrival ${JSON.stringify(Object.fromEntries(lateByMinute))}; actions refused by the worker ${refusedLive}, lost ${lostLive}`, `of ${s.accepted} accepted, ${pct(s.late, s.accepted)}; actions refused ${simulated.refused}`);
    side('errors', live.errors, s.errors, 'requests', '0', errorCodes.size > 0 ? JSON.stringify(Object.fromEntries(errorCodes)) : 'none', '');
    side('goodput', live.goodput_rps, s.goodput_rps, 'req/s within SLO', undefined, `offered ${live.offered_rps.toFixed(2)}/s; live ÷ simulated ×${(live.goodput_rps / Math.max(1e-9, s.goodput_rps)).toFixed(3)}`, `offered ${s.offered_rps.toFixed(2)}/s`);
    side('loads, warm-up included', Number(end.loads), simulated.loads, 'loads', undefined, `${Number(end.loads) - Number(warm.loads)} during the trace, unloads ${Number(end.unloads)}; ${end.loaded.length} resident at the end, ${mib(Number(end.memoryUsedBytes))} booked`, '');

    const peak = rss.reduce((a, r) => (r.worker > a.worker ? r : a), rss[0]!);
    const budget = Number(end.memoryBudgetBytes);
    const limit = budget + cacheBytes + RSS_SLACK;
    const bookedPeak = snapshots.reduce((a, x) => Math.max(a, x.memoryUsed), 0);
    const residentPeak = snapshots.reduce((a, x) => Math.max(a, x.loaded.size), 0);
    const atMinute = (m: number): string => mib(rss.filter((r) => r.t <= m * 60).at(-1)?.worker ?? 0);
    figures.push({
      name: 'live-many: worker RSS, peak during the trace',
      value: peak.worker / MIB,
      unit: 'MiB',
      target: `≤ budget + cached bytes + 300 MB = ${(limit / MIB).toFixed(0)} MiB`,
      note: `${peak.worker <= limit ? 'within' : 'over'} by ${mib(Math.abs(limit - peak.worker))}; at ${peak.t.toFixed(0)} s; budget ${mib(budget)}, model bytes cached ${(cacheBytes / MIB).toFixed(1)} MiB; RSS warmed ${mib(rssWarm)}, at minutes 1/${Math.ceil(minutes / 2)}/${minutes} ${atMinute(1)}/${atMinute(Math.ceil(minutes / 2))}/${atMinute(minutes)}, at the end ${mib(rss.at(-1)!.worker)}; booked at most ${mib(bookedPeak)}, at most ${residentPeak} resident; controller RSS peak ${mib(Math.max(...rss.map((r) => r.controller)))}; ${trims} malloc_trims gave back ${mib(trimmed)} in ${(trimSeconds * 1000).toFixed(0)} ms${o.workerArgs?.length ? ` (worker ${o.workerArgs.join(' ')})` : ''}; this process (generator) ${mib(Math.max(...rss.map((r) => r.bench)))}`,
    });
    const g = live.generator;
    figures.push({ name: 'live-many: generator lag (same machine)', value: g.lag_p99_ms, unit: 'ms p99', note: `p50 ${g.lag_p50_ms.toFixed(2)} ms, max ${g.lag_max_ms.toFixed(1)} ms, ${g.late_sends_over_5ms} sends more than 5 ms late of ${live.requests}` });
    const load1 = os.loadavg();
    const loads = rss.map((r) => r.load1);
    figures.push({ name: 'live-many: machine load (1-min average) before / after', value: load0[0]!, unit: '', note: `${load0[0]!.toFixed(2)} / ${load1[0]!.toFixed(2)}, during the trace ${Math.min(...loads).toFixed(2)}–${Math.max(...loads).toFixed(2)}, on ${machine()}; files in ${outDir}` });
    fs.writeFileSync(path.join(outDir, 'figures.json'), JSON.stringify({ machine: machine(), figures }, null, 2) + '\n');
    return figures;
  } finally {
    client?.close();
    admin?.close();
    await Promise.all([worker ? stopChild(worker, 10_000) : Promise.resolve(), stopChild(controller, 10_000)]);
    repo.cleanup();
  }
}
