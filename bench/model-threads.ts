// Per-model intra-op threads (issue 13 point 6), `--only model-threads`:
//  1. `punctual profile --max-threads 2` (Admin.ProfileModel) on det, rec and
//     cls: batch-1 p50/p99 at 1 and 2 intra-op threads in the controller's
//     profile thread, and the count each model's profile records as best
//     (lowest p99);
//  2. end to end, one request at a time through a real controller (in this
//     process) and one real worker process with one executor, round-robin
//     det → rec → cls: every session at 1 thread (worker --threads 1), every
//     session at 2 (--threads 2, profiles without bestThreads), and per-model
//     (--threads 2, each model at its profile's bestThreads). Per model p50 /
//     p99 of the client's latency and the mean over the mix; the sessions'
//     thread counts as the worker's /metrics reports them, so each case shows
//     what it ran.
import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import { PunctualAdmin, PunctualClient } from '../client/index.js';
import { createLogger } from '../common/log.js';
import { startController } from '../controller/controller.js';
import { httpGet } from '../test/support/http-get.js';
import { percentile, spawnWorker, stopAll, tempRepo, type Figure } from './support.js';

const MODELS = ['det', 'rec', 'cls'] as const;
const SHAPES: Record<(typeof MODELS)[number], number[]> = { det: [3, 224, 224], rec: [3, 48, 320], cls: [3, 48, 192] };
/** Timed runs per thread count in the profile; rounds of det → rec → cls end to end. */
const PROFILE_ITERATIONS = 200;
const ROUNDS = 200;
const WARMUP_ROUNDS = 20;

interface Case {
  name: string;
  workerThreads: number;
  /** Keep each profile's bestThreads (else removed: every session at the worker's count). */
  perModel: boolean;
  /** The worker's --no-spin-wait: intra-op threads do not spin between runs. */
  noSpin?: boolean;
}

const CASES: Case[] = [
  { name: 'fixed 1 thread', workerThreads: 1, perModel: false },
  { name: 'fixed 2 threads', workerThreads: 2, perModel: false },
  { name: 'per-model (bestThreads)', workerThreads: 2, perModel: true },
  { name: 'fixed 2 threads, --no-spin-wait', workerThreads: 2, perModel: false, noSpin: true },
];

export async function runModelThreadsBench(): Promise<Figure[]> {
  const repo = await tempRepo([...MODELS]);
  const figures: Figure[] = [];
  try {
    figures.push(...(await profileThreads(repo.dir)));
    for (const c of CASES) figures.push(...(await endToEnd(repo.dir, c)));
  } finally {
    repo.cleanup();
  }
  return figures;
}

/** Profiles each model at 1 and 2 threads through the controller, which stores the profiles (bestThreads included) in `repo`. */
async function profileThreads(repo: string): Promise<Figure[]> {
  const controller = await startController({ port: 0, host: '127.0.0.1', repoDir: repo, httpPort: -1, metricsPort: -1, logger: createLogger('bench', 'warn') });
  const admin = new PunctualAdmin(`127.0.0.1:${controller.port}`);
  const figures: Figure[] = [];
  try {
    for (const model of MODELS) {
      const res = await admin.profile(model, { batchSizes: [1], iterations: PROFILE_ITERATIONS, maxThreads: 2 });
      const p = res.profile!;
      for (const t of p.threadTrials) {
        figures.push({ name: `profile ${model} batch 1, ${t.threads} thread${t.threads > 1 ? 's' : ''} p50`, value: t.p50Ms, unit: 'ms' });
        figures.push({ name: `profile ${model} batch 1, ${t.threads} thread${t.threads > 1 ? 's' : ''} p99`, value: t.p99Ms, unit: 'ms' });
      }
      figures.push({ name: `profile ${model} bestThreads (lowest p99)`, value: p.bestThreads, unit: 'threads', note: `${PROFILE_ITERATIONS} runs per count` });
    }
  } finally {
    admin.close();
    await controller.close();
  }
  return figures;
}

/** One case: a copy of the profiled repository, a controller and a worker, then ROUNDS rounds of det → rec → cls one at a time. */
async function endToEnd(profiled: string, c: Case): Promise<Figure[]> {
  const dir = fs.mkdtempSync(path.join(path.dirname(profiled), 'case-'));
  fs.cpSync(profiled, dir, { recursive: true });
  if (!c.perModel) {
    for (const model of MODELS) {
      const file = path.join(dir, model, '1', 'profile.json');
      const p = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;
      delete p.bestThreads;
      delete p.threadTrials;
      fs.writeFileSync(file, JSON.stringify(p));
    }
  }
  const controller = await startController({ port: 0, host: '127.0.0.1', repoDir: dir, httpPort: -1, metricsPort: -1, logger: createLogger('bench', 'warn') });
  const address = `127.0.0.1:${controller.port}`;
  const worker = spawnWorker(address, ['--threads', String(c.workerThreads), '--metrics-port', '0', '--health-port', '0', ...(c.noSpin ? ['--no-spin-wait'] : [])]);
  const metricsPort = new Promise<number>((resolve) => {
    readline.createInterface({ input: worker.stdout! }).on('line', (line) => {
      try {
        const m = JSON.parse(line) as { event?: string; metricsPort?: number };
        if (m.event === 'worker_listening' && m.metricsPort) resolve(m.metricsPort);
      } catch {
        // not a JSON line
      }
    });
  });
  const client = new PunctualClient(address);
  try {
    for (let i = 0; i < 300; i++) {
      const s = await client.clusterStatus();
      if (s.workers.length === 1 && s.workers[0]!.executors[0]?.executorClass) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const inputs = Object.fromEntries(MODELS.map((m) => [m, new Float32Array(SHAPES[m].reduce((a, b) => a * b, 1)).map(() => Math.random())]));
    const latency: Record<string, number[]> = { det: [], rec: [], cls: [] };
    for (let round = 0; round < WARMUP_ROUNDS + ROUNDS; round++) {
      for (const model of MODELS) {
        const r = await client.infer(model, { x: inputs[model]! }, { sloMs: 5000 });
        if (round >= WARMUP_ROUNDS) latency[model]!.push(r.latencyMs);
      }
    }
    const text = (await httpGet(`http://127.0.0.1:${await metricsPort}/metrics`)).body;
    const sessions = MODELS.map((m) => {
      const match = new RegExp(`^punctual_worker_session_threads\\{executor="0",model="${m}@1"\\} (\\d+)$`, 'm').exec(text);
      return `${m} ${match?.[1] ?? '?'}`;
    }).join(', ');
    const figures: Figure[] = [];
    for (const model of MODELS) {
      const l = latency[model]!;
      figures.push({ name: `e2e ${c.name}: ${model} p50`, value: percentile(l, 50), unit: 'ms' });
      figures.push({ name: `e2e ${c.name}: ${model} p99`, value: percentile(l, 99), unit: 'ms' });
    }
    const all = MODELS.flatMap((m) => latency[m]!);
    figures.push({ name: `e2e ${c.name}: mean over the mix`, value: all.reduce((a, b) => a + b, 0) / all.length, unit: 'ms', note: `${ROUNDS} rounds det → rec → cls, one at a time; sessions' threads: ${sessions}` });
    return figures;
  } finally {
    client.close();
    await stopAll([worker]);
    await controller.close();
  }
}
