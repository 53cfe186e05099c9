// Open-loop replay against a live controller: each arrival is sent at its
// time through PunctualClient without waiting for earlier answers, with a
// random input of the model's declared shape. The generator's own lag (how
// late each send left against its schedule) is measured and reported, so a
// slow generator cannot hide as a slow server. Every request ends exactly
// once, in requests.jsonl and in the summary.
import fs from 'node:fs';
import path from 'node:path';
import { PunctualClient } from '../client/client.js';
import { PunctualClientError } from '../client/errors.js';
import type { PunctualClientOptions } from '../client/options.js';
import type { TensorInput } from '../client/tensors.js';
import { randomInputs } from './random-input.js';
import { prng } from './random.js';
import { renderReportSvg } from './report-svg.js';
import { outcomeOfStatus, pct, SummaryBuilder, type OutcomeStatus, type Summary } from './summary.js';
import type { Workload } from './workload.js';

export interface ReplayOptions {
  controller: string;
  client?: PunctualClientOptions;
  workload: Workload;
  /** SLO of every request, ms. @default each model's default SLO */
  sloMs?: number;
  /** Folder for requests.jsonl, summary.json, report.svg. */
  outDir?: string;
  /** How long to wait past a request's SLO before giving up on it, ms. @default 10000 */
  graceMs?: number;
  onProgress?: (elapsedMs: number, sent: number, ended: number) => void;
}

export interface ReplaySummary extends Summary {
  generator: { lag_p50_ms: number; lag_p99_ms: number; lag_max_ms: number; late_sends_over_5ms: number };
  /** ok within SLO as the client saw it (round trip), ÷ requests. */
  e2e_slo_attainment: number;
}

/** Inputs made per model and cycled: fresh random data for every request would cost the generator more than sending. */
const INPUTS_PER_MODEL = 4;

function statusOf(err: unknown): { status: OutcomeStatus; code: string; message: string } {
  if (err instanceof PunctualClientError) {
    const code = err.statusName;
    return { status: outcomeOfStatus(code), code, message: err.message };
  }
  return { status: 'error', code: 'UNKNOWN', message: String(err) };
}

export async function replay(opts: ReplayOptions): Promise<ReplaySummary> {
  const client = new PunctualClient(opts.controller, opts.client ?? {});
  const infos = await client.listModels();
  const rand = prng(7);
  const inputs = new Map<string, Record<string, TensorInput>[]>();
  const slos = new Map<string, number>();
  for (const name of opts.workload.models) {
    const info = infos.filter((m) => m.name === name).sort((a, b) => b.version - a.version)[0];
    if (!info) throw new Error(`model ${name} is not registered at ${opts.controller}`);
    inputs.set(name, Array.from({ length: INPUTS_PER_MODEL }, () => randomInputs(info.inputs, rand)));
    slos.set(name, opts.sloMs ?? (info.defaultSloMs > 0 ? info.defaultSloMs : 100));
  }
  const grace = opts.graceMs ?? 10_000;
  const builder = new SummaryBuilder();
  const lags: number[] = [];
  let e2eWithin = 0;
  const out = opts.outDir ? fs.createWriteStream(path.join(opts.outDir, 'requests.jsonl')) : undefined;
  if (opts.outDir) fs.mkdirSync(opts.outDir, { recursive: true });
  const pending = new Set<Promise<void>>();
  let sent = 0;
  let ended = 0;
  const t0 = performance.now();
  const progress = setInterval(() => opts.onProgress?.(performance.now() - t0, sent, ended), 200);

  const send = (id: number, model: string, at: number, lag: number): void => {
    const slo = slos.get(model)!;
    const pool = inputs.get(model)!;
    const p = client
      .infer(model, pool[id % pool.length]!, { sloMs: slo, deadlineMs: slo + grace })
      .then(
        (r) => {
          const within = r.timings.totalMs <= slo;
          if (r.latencyMs <= slo) e2eWithin++;
          builder.add(model, at, 'ok', r.latencyMs, within);
          return { status: 'ok', latency_ms: r.latencyMs, within_slo: within, queue_ms: r.timings.queueMs, exec_ms: r.timings.execMs, server_ms: r.timings.totalMs, batch: r.batchSize, worker: r.worker };
        },
        (err: unknown) => {
          const s = statusOf(err);
          const latency = performance.now() - t0 - at - lag;
          builder.add(model, at, s.status, latency, false);
          return { status: s.status, code: s.code, latency_ms: latency, message: s.message };
        },
      )
      .then((rec) => {
        ended++;
        out?.write(JSON.stringify({ id, model, arrival_ms: at, lag_ms: lag, slo_ms: slo, ...rec }) + '\n');
      });
    pending.add(p);
    void p.finally(() => pending.delete(p));
  };

  let id = 0;
  try {
    for (const a of opts.workload.arrivals()) {
      const wait = t0 + a.time - performance.now();
      if (wait > 1) await new Promise((resolve) => setTimeout(resolve, wait));
      const lag = Math.max(0, performance.now() - t0 - a.time);
      lags.push(lag);
      sent++;
      send(id++, a.model, a.time, lag);
    }
    await Promise.all([...pending]);
  } finally {
    clearInterval(progress);
    client.close();
  }
  const elapsed = performance.now() - t0;
  opts.onProgress?.(elapsed, sent, ended);
  if (out) await new Promise<void>((resolve) => out.end(resolve));
  const base = builder.build(opts.workload.durationMs, {
    mode: 'replay',
    controller: opts.controller,
    slo_ms: opts.sloMs ?? 'model default',
    ...opts.workload.config,
  });
  const sorted = Float64Array.from(lags).sort();
  const summary: ReplaySummary = {
    ...base,
    e2e_slo_attainment: base.requests > 0 ? e2eWithin / base.requests : 0,
    generator: {
      lag_p50_ms: pct(sorted, 50),
      lag_p99_ms: pct(sorted, 99),
      lag_max_ms: sorted.length > 0 ? sorted[sorted.length - 1]! : 0,
      late_sends_over_5ms: lags.filter((l) => l > 5).length,
    },
  };
  if (opts.outDir) writeOutputs(opts.outDir, summary, builder, [...slos.values()]);
  return summary;
}

/** summary.json and report.svg beside requests.jsonl. */
export function writeOutputs(dir: string, summary: Summary, builder: SummaryBuilder, slos: number[]): void {
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'summary.json'), JSON.stringify(summary, null, 2) + '\n');
  fs.writeFileSync(path.join(dir, 'report.svg'), renderReportSvg(builder, summary, slos));
}
