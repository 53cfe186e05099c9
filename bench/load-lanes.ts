// The load lane through the real worker executor (worker/executor.ts): cls
// inferences arriving every few milliseconds at one CPU executor while det is
// loaded (and unloaded) every 200 ms, with lanes=1 (the load runs on the
// executor's one thread and queue, in front of the inferences) against lanes=2
// (det loads on lane 1 from the LOAD queue while cls infers on lane 0), and each
// without loads as its baseline. The four scenarios rotate within each round of
// one run, so their ratios hold up on a shared, noisy machine. Latency is
// from submitting the INFER to its result reaching the main thread.
//
// `npm run bench -- --only load-lanes`, or `node dist/bench/load-lanes.js
// --rounds 10 --seconds 1 --period-ms 4 --load-every-ms 200` for other sizes.
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { Command } from 'commander';
import { systemClock } from '../common/clock.js';
import type { Action__Output, ActionResult } from '../common/wire.js';
import { BUNDLED_MODELS, bundledModelsDir } from '../profiles/bundled-models.js';
import { Executor } from '../worker/executor.js';
import { ModelCache } from '../worker/model-cache.js';
import { fmt, machine, percentile, type Figure } from './support.js';

export interface LoadLanesOptions {
  /** Rounds (each scenario once per round, in rotating order). @default 10 */
  rounds?: number;
  /** Seconds per scenario per round. @default 1 */
  seconds?: number;
  /** Milliseconds between cls arrivals. @default 4 */
  periodMs?: number;
  /** Milliseconds between det loads (each followed by its unload). @default 200 */
  loadEveryMs?: number;
}

interface Scenario {
  name: string;
  lanes: 1 | 2;
  loads: boolean;
}

const SCENARIOS: Scenario[] = [
  { name: 'lanes=1, alone', lanes: 1, loads: false },
  { name: 'lanes=1, det loads on the one thread', lanes: 1, loads: true },
  { name: 'lanes=2, alone', lanes: 2, loads: false },
  { name: 'lanes=2, det loads on lane 1', lanes: 2, loads: true },
];

interface RoundSamples {
  latency: number[];
  detLoads: number[];
  refused: number;
}

/** Hands each result to whoever submitted its action. */
class Answers {
  private readonly waiting = new Map<number, (r: ActionResult) => void>();
  readonly onResult = (r: ActionResult): void => {
    const id = Number(r.actionId);
    this.waiting.get(id)?.(r);
    this.waiting.delete(id);
  };
  expect(id: number): Promise<ActionResult> {
    return new Promise((resolve) => this.waiting.set(id, resolve));
  }
}

let nextId = 1;
function action(a: Partial<Action__Output>): Action__Output {
  const now = systemClock.now();
  return { id: nextId++, type: 'INFER', executor: 0, modelKey: 'cls@1', earliestMs: now, latestMs: now + 10_000, expectedMs: 1, batchSize: 1, inputs: [], lane: 0, threads: 0, emulated: null, staged: [], inputSpecs: [], ...a };
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));

/** Submits now and resolves with the result, failing on anything but OK. */
async function run(e: Executor, answers: Answers, a: Partial<Action__Output>): Promise<ActionResult> {
  const act = action(a);
  const done = answers.expect(act.id);
  e.submit(act, systemClock.now());
  const r = await done;
  if (r.status !== 'OK') throw new Error(`${act.type} ${act.modelKey}: ${r.status} ${r.message ?? ''}`);
  return r;
}

/** One scenario for `seconds`: cls every `periodMs`, and det loaded every `loadEveryMs` if it loads. */
async function runScenario(e: Executor, answers: Answers, sc: Scenario, o: Required<LoadLanesOptions>, clsInput: Buffer, into: RoundSamples): Promise<void> {
  const start = performance.now();
  const endAt = start + o.seconds * 1000;
  const background = (async () => {
    if (!sc.loads) return;
    for (let next = start + o.loadEveryMs / 2; next < endAt; next += o.loadEveryMs) {
      await sleep(next - performance.now());
      const loaded = await run(e, answers, { type: 'LOAD', modelKey: 'det@1', lane: sc.lanes - 1 });
      into.detLoads.push(Number(loaded.durationMs));
      await run(e, answers, { type: 'UNLOAD', modelKey: 'det@1' });
    }
  })();
  const pending: Promise<void>[] = [];
  for (let k = 0; ; k++) {
    const due = start + k * o.periodMs;
    if (due >= endAt) break;
    await sleep(due - performance.now());
    const act = action({ inputs: [{ name: 'x', dtype: 'float32', shape: [1, 3, 48, 192], data: clsInput }] });
    const done = answers.expect(act.id);
    const sent = performance.now();
    e.submit(act, systemClock.now());
    pending.push(
      done.then((r) => {
        if (r.status !== 'OK') into.refused++;
        else into.latency.push(performance.now() - sent);
      }),
    );
  }
  await Promise.all(pending);
  await background;
}


export async function runLoadLanesBench(options: LoadLanesOptions = {}): Promise<Figure[]> {
  const o: Required<LoadLanesOptions> = { rounds: 10, seconds: 1, periodMs: 4, loadEveryMs: 200, ...options };
  const dir = bundledModelsDir();
  const file = (name: string): Uint8Array => new Uint8Array(fs.readFileSync(path.join(dir, BUNDLED_MODELS.find((b) => b.config.name === name)!.file)));
  const cache = ModelCache.holding({ 'det@1': file('det'), 'cls@1': file('cls') });
  const answers = new Answers();
  const laneWaits = new Map<number, number>([[1, 0], [2, 0]]);
  const log = (line: string): void => console.error(line);
  // One executor per lane count, both kept for the whole run (the idle one costs nothing); raw loads, no optimizer thread.
  const executors = new Map<number, Executor>();
  try {
    for (const lanes of [1, 2]) {
      const e = await Executor.start({
        index: 0,
        device: 'cpu',
        threads: 1,
        memoryBytes: 1e9,
        clock: systemClock,
        cache,
        optimizer: false,
        lanes,
        log,
        onResult: answers.onResult,
        onLaneWait: () => laneWaits.set(lanes, laneWaits.get(lanes)! + 1),
      });
      executors.set(lanes, e);
      await run(e, answers, { type: 'LOAD', modelKey: 'cls@1', lane: 0 });
    }
    const clsInput = Buffer.from(new Float32Array(3 * 48 * 192).map((_, i) => ((i * 7919) % 1000) / 1000).buffer);
    const fresh = (): RoundSamples => ({ latency: [], detLoads: [], refused: 0 });
    for (const sc of SCENARIOS) await runScenario(executors.get(sc.lanes)!, answers, { ...sc, loads: false }, { ...o, seconds: 0.5 }, clsInput, fresh()); // warm-up
    const rounds = new Map<string, RoundSamples[]>(SCENARIOS.map((sc) => [sc.name, []]));
    for (let r = 0; r < o.rounds; r++) {
      for (let i = 0; i < SCENARIOS.length; i++) {
        const sc = SCENARIOS[(i + r) % SCENARIOS.length]!;
        const into = fresh();
        await runScenario(executors.get(sc.lanes)!, answers, sc, o, clsInput, into);
        rounds.get(sc.name)!.push(into);
      }
    }
    // A p99 per round and their median (a few seconds of someone else's work cannot move it as it moves a pooled p99).
    const medianOf = (list: RoundSamples[], p: number): number => percentile(list.map((s) => percentile(s.latency, p)), 50);
    const p99 = new Map(SCENARIOS.map((sc) => [sc.name, medianOf(rounds.get(sc.name)!, 99)]));
    const figures: Figure[] = SCENARIOS.map((sc) => {
      const list = rounds.get(sc.name)!;
      const latency = list.flatMap((s) => s.latency);
      const loads = list.flatMap((s) => s.detLoads);
      const alone = p99.get(`lanes=${sc.lanes}, alone`)!;
      const over10 = latency.filter((l) => l > 10).length / latency.length;
      return {
        name: `load lanes, cls every ${o.periodMs} ms: ${sc.name}`,
        value: p99.get(sc.name)!,
        unit: 'ms latency p99 (median of rounds)',
        note:
          `p50 ${fmt(medianOf(list, 50), 2)} ms (median of rounds); ×${fmt(p99.get(sc.name)! / alone, 2)} of its alone p99; pooled p50 ${fmt(percentile(latency, 50), 2)}, p99 ${fmt(percentile(latency, 99), 1)}, max ${fmt(Math.max(...latency), 1)} ms, ${fmt(100 * over10, 1)} % over 10 ms; ` +
          `n=${latency.length} in ${list.length} rounds` +
          (loads.length > 0 ? `; det loads every ${o.loadEveryMs} ms: ${loads.length}, p50 ${fmt(percentile(loads, 50), 1)} ms` : '') +
          (list.some((s) => s.refused > 0) ? `; refused ${list.reduce((n, s) => n + s.refused, 0)}` : ''),
      };
    });
    const one = p99.get(SCENARIOS[1]!.name)!;
    const two = p99.get(SCENARIOS[3]!.name)!;
    figures.push({
      name: 'load lanes: cls p99 while det loads, lanes=1 / lanes=2',
      value: one / two,
      unit: '×',
      note: `${fmt(one, 1)} vs ${fmt(two, 1)} ms; p50 ${fmt(medianOf(rounds.get(SCENARIOS[1]!.name)!, 50), 2)} vs ${fmt(medianOf(rounds.get(SCENARIOS[3]!.name)!, 50), 2)} ms; lane waits (an action behind its busy thread): lanes=1 ${laneWaits.get(1)}, lanes=2 ${laneWaits.get(2)}`,
    });
    return figures;
  } finally {
    await Promise.all([...executors.values()].map((e) => e.close()));
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const opts = new Command('load-lanes')
    .option('--rounds <n>', 'rounds (each scenario once per round)', '10')
    .option('--seconds <s>', 'seconds per scenario per round', '1')
    .option('--period-ms <ms>', 'milliseconds between cls arrivals', '4')
    .option('--load-every-ms <ms>', 'milliseconds between det loads', '200')
    .option('--json', 'print JSON')
    .parse()
    .opts<{ rounds: string; seconds: string; periodMs: string; loadEveryMs: string; json?: boolean }>();
  const figures = await runLoadLanesBench({ rounds: Number(opts.rounds), seconds: Number(opts.seconds), periodMs: Number(opts.periodMs), loadEveryMs: Number(opts.loadEveryMs) });
  if (opts.json) console.log(JSON.stringify({ machine: machine(), figures }, null, 2));
  else console.log(`machine: ${machine()}\n${figures.map((f) => `${f.name.padEnd(62)} ${fmt(f.value, 2).padStart(8)} ${f.unit}  ${f.note ?? ''}`).join('\n')}`);
}
