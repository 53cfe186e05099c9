// Open-loop replay against a live server: each arrival is sent at its time
// through a ReplayTarget (Punctual's own protocol, or the Open Inference
// Protocol over gRPC or HTTP: targets/) without waiting for earlier answers,
// with a random input of the model's declared shape. The generator's own lag
// (how late each send left against its schedule) is measured and reported,
// and so is the transport's own queue (requests waiting for a connection), so
// a slow generator cannot hide as a slow server. Every request ends exactly
// once, in requests.jsonl and in the summary, with a reason when it was not
// answered.
import fs from 'node:fs';
import path from 'node:path';
import type { PunctualClientOptions } from '../client/options.js';
import { prng } from './random.js';
import { renderReportSvg } from './report-svg.js';
import { pct, SummaryBuilder, type OutcomeStatus, type Summary } from './summary.js';
import { PunctualTarget } from './targets/punctual-target.js';
import { TargetFailure, type Failure, type ReplayTarget, type TargetModel } from './targets/target.js';
import type { Workload } from './workload.js';

export interface ReplayOptions {
  /** Where to send: a ReplayTarget (targets/open-target.ts). Or `controller`, for Punctual's own protocol. */
  target?: ReplayTarget;
  /** A Punctual controller (host:port), spoken to with punctual.v1, when no `target` is given. */
  controller?: string;
  /** With `controller`: the client's options. */
  client?: PunctualClientOptions;
  workload: Workload;
  /** SLO of every request, ms. @default each model's default (a V2 server's: 100 ms) */
  sloMs?: number;
  /** Folder for requests.jsonl, summary.json, report.svg. */
  outDir?: string;
  /** How long to wait past a request's SLO before giving up on it, ms. @default 10000 */
  graceMs?: number;
  onProgress?: (elapsedMs: number, sent: number, ended: number) => void;
}

export interface ReplaySummary extends Summary {
  generator: {
    lag_p50_ms: number;
    lag_p99_ms: number;
    lag_max_ms: number;
    late_sends_over_5ms: number;
    /** Most requests that were waiting in the client's transport (HTTP: for a free connection) at a send; absent where the transport has no queue of its own. */
    transport_waiting_max?: number;
  };
  /** ok within SLO as the client saw it (round trip), ÷ requests. */
  e2e_slo_attainment: number;
  /** Requests not answered with outputs, by outcome and reason (e.g. rejected: {slo_unattainable: 12}, late: {deadline: 3}). */
  reasons: Record<Exclude<OutcomeStatus, 'ok'>, Record<string, number>>;
}

/** How a failure that is not a TargetFailure (a bug in a target) is counted. */
function failureOf(err: unknown): Failure {
  if (err instanceof TargetFailure) return err.failure;
  return { status: 'error', code: 'UNKNOWN', reason: 'unknown', message: err instanceof Error ? err.message : String(err) };
}

export async function replay(opts: ReplayOptions): Promise<ReplaySummary> {
  if (!opts.target && opts.controller === undefined) throw new Error('replay needs a target or a controller');
  const target = opts.target ?? new PunctualTarget(opts.controller!, opts.client ?? {});
  try {
    return await replayOn(target, opts);
  } finally {
    // A target passed in belongs to the caller.
    if (!opts.target) await target.close();
  }
}

async function replayOn(target: ReplayTarget, opts: ReplayOptions): Promise<ReplaySummary> {
  const rand = prng(7);
  const models = new Map<string, TargetModel>();
  const slos = new Map<string, number>();
  for (const name of opts.workload.models) {
    const m = await target.prepare(name, rand);
    models.set(name, m);
    slos.set(name, opts.sloMs ?? m.defaultSloMs);
  }
  const grace = opts.graceMs ?? 10_000;
  const builder = new SummaryBuilder();
  const lags: number[] = [];
  const reasons: ReplaySummary['reasons'] = { rejected: {}, late: {}, error: {} };
  let e2eWithin = 0;
  let waitingMax = 0;
  if (opts.outDir) fs.mkdirSync(opts.outDir, { recursive: true });
  const out = opts.outDir ? fs.createWriteStream(path.join(opts.outDir, 'requests.jsonl')) : undefined;
  const pending = new Set<Promise<void>>();
  let sent = 0;
  let ended = 0;
  const t0 = performance.now();
  const progress = setInterval(() => opts.onProgress?.(performance.now() - t0, sent, ended), 200);

  const send = (id: number, model: string, at: number, lag: number): void => {
    const slo = slos.get(model)!;
    const p = models
      .get(model)!
      .infer(id, slo, slo + grace)
      .then(
        (r) => {
          const within = (r.serverMs ?? r.latencyMs) <= slo;
          if (r.latencyMs <= slo) e2eWithin++;
          builder.add(model, at, 'ok', r.latencyMs, within);
          return { status: 'ok', latency_ms: r.latencyMs, within_slo: within, ...r.detail };
        },
        (err: unknown) => {
          const f = failureOf(err);
          const latency = performance.now() - t0 - at - lag;
          builder.add(model, at, f.status, latency, false);
          const byReason = reasons[f.status];
          byReason[f.reason] = (byReason[f.reason] ?? 0) + 1;
          return { status: f.status, code: f.code, reason: f.reason, latency_ms: latency, message: f.message };
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
      if (target.waiting) waitingMax = Math.max(waitingMax, target.waiting());
      sent++;
      send(id++, a.model, a.time, lag);
    }
    await Promise.all([...pending]);
  } finally {
    clearInterval(progress);
  }
  const elapsed = performance.now() - t0;
  opts.onProgress?.(elapsed, sent, ended);
  if (out) await new Promise<void>((resolve) => out.end(resolve));
  const base = builder.build(opts.workload.durationMs, {
    mode: 'replay',
    ...target.config,
    slo_ms: opts.sloMs ?? 'model default',
    ...opts.workload.config,
  });
  const sorted = Float64Array.from(lags).sort();
  const summary: ReplaySummary = {
    ...base,
    e2e_slo_attainment: base.requests > 0 ? e2eWithin / base.requests : 0,
    reasons,
    generator: {
      lag_p50_ms: pct(sorted, 50),
      lag_p99_ms: pct(sorted, 99),
      lag_max_ms: sorted.length > 0 ? sorted[sorted.length - 1]! : 0,
      late_sends_over_5ms: lags.filter((l) => l > 5).length,
      ...(target.waiting ? { transport_waiting_max: waitingMax } : {}),
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
