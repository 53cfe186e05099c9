// Many models on one worker (issue 11, point 6), against real processes: a
// controller and one worker (real onnxruntime) with an empty repository,
// then copies of the bundled cls model registered through Admin.RegisterModel
// (`--copies`, in calls of `chunk` copies) up to 1,000, then on to `target`
// while it fits in `budgetS`. Measured: time to 1,000 and to the end (and the
// rate), `punctual status --json` and `punctual models list --json` as a user
// runs them (a CLI process each, median and p99), the RPCs behind them, the
// RSS and JS heap of controller and worker (controller bytes per model from
// the growth between 1,000 and the end), the worker's RSS against its memory
// budget plus the bytes it caches, requests across random copies, and a
// controller restart on the repository it left. A progress bar runs on a
// terminal; otherwise it is quiet.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import cliProgress from 'cli-progress';
import { PunctualAdmin, PunctualClient } from '../client/index.js';
import { stopChild, waitForEvent, waitForListeningPort } from '../cli/child-process.js';
import { SERVER_NODE_FLAGS } from '../common/node-flags.js';
import { bundledModelsDir } from '../profiles/bundled-models.js';
import { CLI, machine, percentile, spawnCli, tempRepo, type Figure } from './support.js';

export interface ManyModelsOptions {
  /** Copies registered in all, if they fit in budgetS. @default 4000 */
  target?: number;
  /** Copies per RegisterModel call. @default 250 */
  chunk?: number;
  /** Stop registering after this long (and report how far it got). @default 600 */
  budgetS?: number;
  /** The worker's --memory: small enough that not every copy fits loaded (cls takes ~2 MB loaded). @default '256MiB' */
  workerMemory?: string;
  /** CLI runs per timed command. @default 15 */
  cliRuns?: number;
  /** Requests sent across random copies. @default 400 */
  requests?: number;
  /** The worker with onnxruntime's CPU memory arena and memory patterns on (`--mem-arena`), as before they were turned off. @default false */
  memArena?: boolean;
}

const MIB = 1024 * 1024;
const CLS_FILE = 'ch_ppocr_mobile_v2.0_cls_infer.onnx';
const CLS_SHAPE = [3, 48, 192];

function rssOf(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) * 1024 : 0;
}

async function metric(port: number, name: string): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const m = new RegExp(`^${name}(?:\\{[^}]*\\})? ([0-9.e+-]+)$`, 'm').exec(text);
  return m ? Number(m[1]) : NaN;
}

/** RSS and the smallest JS heap in use over a few samples (the heap between collections). */
async function memoryOf(pid: number, metricsPort: number): Promise<{ rss: number; heap: number }> {
  let heap = Infinity;
  for (let i = 0; i < 6; i++) {
    await new Promise((r) => setTimeout(r, 250));
    heap = Math.min(heap, await metric(metricsPort, 'nodejs_heap_size_used_bytes'));
  }
  return { rss: rssOf(pid), heap };
}

/** Runs the compiled CLI once; resolves with its wall time and how much it printed. */
function timeCli(args: string[]): Promise<{ ms: number; bytes: number; code: number | null }> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(process.execPath, [...SERVER_NODE_FLAGS, CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let bytes = 0;
    let err = '';
    child.stdout.on('data', (d: Buffer) => (bytes += d.byteLength));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('exit', (code) => {
      if (code !== 0) reject(new Error(`punctual ${args.join(' ')} exited with ${code}: ${err}`));
      else resolve({ ms: performance.now() - t0, bytes, code });
    });
  });
}

async function timed(runs: number, fn: () => Promise<unknown>): Promise<number[]> {
  const ms: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await fn();
    ms.push(performance.now() - t0);
  }
  return ms;
}

const p50p99 = (ms: number[]): string => `median ${percentile(ms, 50).toFixed(0)} ms, p99 ${percentile(ms, 99).toFixed(0)} ms over ${ms.length}`;
const mib = (b: number): string => `${(b / MIB).toFixed(0)} MiB`;

async function startController(repo: string, port = 0): Promise<{ child: ChildProcess; address: string; metricsPort: number }> {
  const child = spawnCli(['controller', '--port', String(port), '--host', '127.0.0.1', '--metrics-port', '0', '--http-port', '-1', '--repo', repo]);
  const { port: bound, metricsPort } = await waitForListeningPort(child, { timeoutMs: 300_000 });
  return { child, address: `127.0.0.1:${bound}`, metricsPort };
}

async function waitForWorker(client: PunctualClient, timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const st = await client.clusterStatus({ pageSize: 1, brief: true }).catch(() => undefined);
    if (st && st.workers.length > 0 && st.workers.every((w) => w.executors.every((e) => e.executorClass !== ''))) return;
    if (Date.now() > until) throw new Error('the worker did not join');
    await new Promise((r) => setTimeout(r, 100));
  }
}

export async function runManyModelsBench(o: ManyModelsOptions = {}): Promise<Figure[]> {
  const target = o.target ?? 4000;
  const chunk = o.chunk ?? 250;
  const budgetMs = (o.budgetS ?? 600) * 1000;
  const workerMemory = o.workerMemory ?? '256MiB';
  const cliRuns = o.cliRuns ?? 15;
  const figures: Figure[] = [];
  const load0 = os.loadavg();
  const repo = await tempRepo([]);
  let controller = await startController(repo.dir);
  const worker = spawnCli(['worker', '--controller', controller.address, '--executors', '1', '--threads', '1', '--memory', workerMemory, '--metrics-port', '0', '--health-port', '0', ...(o.memArena ? ['--mem-arena'] : [])]);
  const workerPorts = waitForEvent(worker, 'worker_listening', { timeoutMs: 60_000 });
  let client = new PunctualClient(controller.address);
  let admin = new PunctualAdmin(controller.address);
  const bytes = fs.readFileSync(path.join(bundledModelsDir(), CLS_FILE));
  try {
    await waitForWorker(client, 60_000);
    const workerMetricsPort = Number((await workerPorts).metricsPort);
    const idle = await memoryOf(controller.child.pid!, controller.metricsPort);
    const addr = ['--controller', controller.address];
    const statusEmpty = await timed(Math.max(3, Math.round(cliRuns / 3)), () => timeCli([...addr, 'status', '--json']));

    // Register: calls of `chunk` copies, names cls-K-0 … cls-K-(chunk-1).
    const bar = process.stderr.isTTY ? new cliProgress.SingleBar({ format: 'registering copies of cls [{bar}] {value}/{total}  {rate}/s', stream: process.stderr, clearOnComplete: true, hideCursor: true }, cliProgress.Presets.shades_classic) : undefined;
    bar?.start(target, 0, { rate: '-' });
    const t0 = performance.now();
    let registered = 0;
    let at1000: { ms: number; controller: { rss: number; heap: number }; worker: number } | undefined;
    const callMs: number[] = [];
    for (let k = 0; registered < target && performance.now() - t0 < budgetMs; k++) {
      const n = Math.min(chunk, target - registered);
      const c0 = performance.now();
      await admin.register(bytes, { name: `cls-${k}`, inputs: [{ name: '', shape: CLS_SHAPE }], maxBatch: 16, defaultSloMs: 50, copies: n });
      callMs.push(performance.now() - c0);
      registered += n;
      bar?.update(registered, { rate: (registered / ((performance.now() - t0) / 1000)).toFixed(0) });
      if (registered >= 1000 && !at1000) {
        const ms = performance.now() - t0;
        at1000 = { ms, controller: await memoryOf(controller.child.pid!, controller.metricsPort), worker: rssOf(worker.pid!) };
      }
    }
    const totalMs = performance.now() - t0;
    bar?.stop();
    const registeredMemory = { controller: await memoryOf(controller.child.pid!, controller.metricsPort), worker: rssOf(worker.pid!) };
    if (at1000) {
      figures.push({ name: 'register 1,000 copies of cls', value: at1000.ms / 1000, unit: 's', target: '< 120 s', note: `${Math.ceil(1000 / chunk)} RegisterModel calls of ${chunk} copies; the first validates and profiles` });
    }
    figures.push({
      name: `register ${registered.toLocaleString('en')} copies in all`,
      value: totalMs / 1000,
      unit: 's',
      note: `${(registered / (totalMs / 1000)).toFixed(0)} copies/s; ${registered < target ? `stopped at the ${o.budgetS ?? 600} s budget, short of ${target}` : 'every one'}; calls ${p50p99(callMs)}`,
    });

    // Status and list as users run them, and the RPCs behind them.
    const cliFloor = await timed(5, () => timeCli(['--help']));
    const statusCli = await timed(cliRuns, () => timeCli([...addr, 'status', '--json']));
    const statusOut = (await timeCli([...addr, 'status', '--json'])).bytes;
    figures.push({ name: `punctual status --json at ${registered.toLocaleString('en')} models`, value: percentile(statusCli, 50), unit: 'ms', target: '< 200 ms', note: `${p50p99(statusCli)}; first page of 50 models + summary, ${(statusOut / 1024).toFixed(0)} KiB printed; the CLI alone (--help) ${percentile(cliFloor, 50).toFixed(0)} ms; status --json with no model registered ${percentile(statusEmpty, 50).toFixed(0)} ms` });
    const statusRpc = await timed(30, () => client.clusterStatus({ pageSize: 50 }));
    figures.push({ name: 'ClusterStatus RPC, a page of 50 + summary', value: percentile(statusRpc, 50), unit: 'ms', note: p50p99(statusRpc) });
    const fullRpc = await timed(5, () => client.clusterStatus());
    const fullBytes = JSON.stringify(await client.clusterStatus()).length;
    figures.push({ name: 'ClusterStatus RPC, every model (old clients)', value: percentile(fullRpc, 50), unit: 'ms', note: `${p50p99(fullRpc)}; ${(fullBytes / MIB).toFixed(1)} MiB as JSON` });
    const listCli = await timed(Math.max(3, Math.round(cliRuns / 3)), () => timeCli([...addr, 'models', 'list', '--json']));
    figures.push({ name: `punctual models list --json (every model)`, value: percentile(listCli, 50), unit: 'ms', note: `${p50p99(listCli)}; read in pages of 1,000` });
    const listBriefCli = await timed(Math.max(3, Math.round(cliRuns / 3)), () => timeCli([...addr, 'models', 'list', '--json', '--brief']));
    figures.push({ name: `punctual models list --json --brief`, value: percentile(listBriefCli, 50), unit: 'ms', note: p50p99(listBriefCli) });
    const listPageCli = await timed(cliRuns, () => timeCli([...addr, 'models', 'list', '--json', '--limit', '100']));
    figures.push({ name: `punctual models list --json --limit 100`, value: percentile(listPageCli, 50), unit: 'ms', note: p50p99(listPageCli) });

    // Requests across random copies: loads and evictions as they go.
    const x = new Float32Array(CLS_SHAPE.reduce((a, b) => a * b, 1));
    const requests = o.requests ?? 400;
    let workerPeak = rssOf(worker.pid!);
    const sampler = setInterval(() => (workerPeak = Math.max(workerPeak, rssOf(worker.pid!))), 50);
    const outcomes = new Map<string, number>();
    const latencies: number[] = [];
    let sent = 0;
    await Promise.all(
      Array.from({ length: 4 }, async () => {
        while (sent < requests) {
          sent++;
          // Every call but maybe the last made `chunk` copies: copy i is cls-⌊i/chunk⌋-(i mod chunk).
          const i = Math.floor(Math.random() * registered);
          const name = `cls-${Math.floor(i / chunk)}-${i % chunk}`;
          try {
            const r = await client.infer(name, { x }, { sloMs: 2000 });
            latencies.push(r.timings.totalMs);
            outcomes.set('OK', (outcomes.get('OK') ?? 0) + 1);
          } catch (err) {
            const code = (err as { code?: number }).code ?? -1;
            outcomes.set(String(code), (outcomes.get(String(code)) ?? 0) + 1);
          }
        }
      }),
    );
    clearInterval(sampler);
    const st = await client.clusterStatus({ pageSize: 1, brief: true });
    const ex = st.workers[0]?.executors[0];
    const ok = outcomes.get('OK') ?? 0;
    figures.push({
      name: 'requests across random copies (SLO 2 s)',
      value: ok,
      unit: `ok of ${[...outcomes.values()].reduce((a, b) => a + b, 0)}`,
      note: `outcomes ${JSON.stringify(Object.fromEntries(outcomes))}; server-side p50 ${percentile(latencies, 50).toFixed(1)} ms, p99 ${percentile(latencies, 99).toFixed(1)} ms; executor loads ${ex?.loads ?? 0}, unloads ${ex?.unloads ?? 0}, ${ex?.loaded.length ?? 0} resident, ${mib(Number(ex?.memoryUsedBytes ?? 0))} of ${mib(Number(ex?.memoryBudgetBytes ?? 0))}`,
    });

    // Memory: the controller's as registration left it, before status calls built their answers.
    const end = registeredMemory.controller;
    const perModelRss = at1000 && registered > 1000 ? (end.rss - at1000.controller.rss) / (registered - 1000) : (end.rss - idle.rss) / registered;
    const perModelHeap = at1000 && registered > 1000 ? (end.heap - at1000.controller.heap) / (registered - 1000) : (end.heap - idle.heap) / registered;
    figures.push({
      name: 'controller memory per registered model',
      value: perModelHeap / 1024,
      unit: 'KiB heap',
      note: `${(perModelRss / 1024).toFixed(1)} KiB RSS; ${at1000 && registered > 1000 ? `growth from 1,000 to ${registered} models` : `growth from 0 to ${registered}`}, right after registering; RSS idle ${mib(idle.rss)}, at 1,000 ${at1000 ? mib(at1000.controller.rss) : '-'}, at ${registered} ${mib(end.rss)}; heap idle ${mib(idle.heap)}, at 1,000 ${at1000 ? mib(at1000.controller.heap) : '-'}, at ${registered} ${mib(end.heap)}`,
    });
    const cacheBytes = await metric(workerMetricsPort, 'punctual_worker_model_cache_bytes');
    const budget = Number(ex?.memoryBudgetBytes ?? 0);
    const resident = ex?.loaded.length ?? 0;
    const perSession = (b: number): string => (resident > 0 ? `${(b / resident / MIB).toFixed(2)} MiB` : '-');
    figures.push({
      name: `worker RSS, peak while serving random copies${o.memArena ? ' (--mem-arena)' : ''}`,
      value: workerPeak / MIB,
      unit: 'MiB',
      target: '<= budget + cached bytes + 300 MB',
      note: `budget ${mib(budget)}, model bytes cached ${(cacheBytes / MIB).toFixed(2)} MiB (cls once: bytes are held once per content), ${mib(workerPeak - budget - cacheBytes)} beyond the two; RSS with ${registered} registered and none loaded ${mib(registeredMemory.worker)}, at 1,000 ${at1000 ? mib(at1000.worker) : '-'}; per session resident at the end, booked ${perSession(Number(ex?.memoryUsedBytes ?? 0))}, peak RSS over the idle worker's ${perSession(workerPeak - registeredMemory.worker)}`,
    });

    // Restart on the repository it left: the worker redials the same port.
    const port = controller.address.slice(controller.address.lastIndexOf(':') + 1);
    client.close();
    admin.close();
    await stopChild(controller.child, 10_000);
    const r0 = performance.now();
    controller = await startController(repo.dir, Number(port));
    const listening = performance.now() - r0;
    client = new PunctualClient(controller.address);
    admin = new PunctualAdmin(controller.address);
    await waitForWorker(client, 120_000);
    const rejoined = performance.now() - r0;
    const again = await client.clusterStatus({ pageSize: 1, brief: true });
    figures.push({ name: `controller restart with ${registered} models`, value: listening / 1000, unit: 's to listen', note: `${again.modelSummary?.models ?? 0} models served; the worker back with every model's bytes after ${(rejoined / 1000).toFixed(1)} s (it redials with backoff)` });
    const load1 = os.loadavg();
    figures.push({ name: 'machine load (1-min average) before / after', value: load0[0]!, unit: '', note: `${load0[0]!.toFixed(2)} / ${load1[0]!.toFixed(2)} on ${machine()} (other work on the machine shows here)` });
    return figures;
  } finally {
    client.close();
    admin.close();
    await Promise.all([stopChild(worker, 10_000), stopChild(controller.child, 10_000)]);
    repo.cleanup();
  }
}
