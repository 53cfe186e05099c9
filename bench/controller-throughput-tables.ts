// The controller-throughput bench's tables (bench/controller-throughput.ts):
// one row per step, and the top of the controller's CPU profile, per request.
import type { ProfileSummary, Spread } from './controller-throughput-stats.js';
import { fmt } from './support.js';

/** One step of a series: what was offered, sent and answered, and what it cost whom. */
export interface StepRow {
  model: string;
  workers: number;
  offered: number;
  offeredRps: number;
  sentRps: number;
  lag: Spread;
  okRps: number;
  ok: number;
  rejected: number;
  errors: number;
  /** The other failures by gRPC status name. */
  errorsByCode: Record<string, number>;
  unanswered: number;
  skipped: number;
  overhead: Spread;
  serverOverhead: Spread;
  queue: Spread;
  exec: Spread;
  meanBatch: number;
  /** CPU seconds per second of the step: the controller, the workers, the generators, the rest of the machine. */
  controllerCpu: number;
  workersCpu: number;
  generatorsCpu: number;
  othersCpu: number;
  /** Controller CPU µs per request answered (OK, rejected or failed). */
  controllerUsPerRequest: number;
}

export const f1 = (v: number): string => fmt(v, 1);
export const f2 = (v: number): string => fmt(v, 2);
export const pct = (v: number): string => `${Math.round(v * 100)} %`;

/** The step table (markdown), one row per step. */
export function stepTable(rows: StepRow[]): string {
  const head =
    '| model | workers | offered/s | sent/s | gen lag p50 / p99 ms | OK/s | rejected | other | overhead p50 / p99 ms | server p50 / p99 ms | queue p99 ms | exec p50 ms | batch | controller CPU | µs/req | workers CPU | generators CPU | rest of machine |';
  const sep = `|${head.split('|').slice(1, -1).map(() => '---').join('|')}|`;
  const lines = rows.map(
    (r) =>
      `| ${r.model} | ${r.workers} | ${Math.round(r.offeredRps)} | ${Math.round(r.sentRps)} | ${f2(r.lag.p50)} / ${f1(r.lag.p99)} | ${Math.round(r.okRps)} | ${r.rejected} | ${r.errors + r.unanswered + r.skipped} | ${f2(r.overhead.p50)} / ${f2(r.overhead.p99)} | ${f2(r.serverOverhead.p50)} / ${f2(r.serverOverhead.p99)} | ${f1(r.queue.p99)} | ${f2(r.exec.p50)} | ${f1(r.meanBatch)} | ${pct(r.controllerCpu)} | ${Math.round(r.controllerUsPerRequest)} | ${pct(r.workersCpu)} | ${pct(r.generatorsCpu)} | ${pct(r.othersCpu)} |`,
  );
  return [head, sep, ...lines].join('\n');
}

/** The top of a profile, per request (markdown). */
export function profileTable(s: ProfileSummary, requests: number): string {
  const lines = s.top.map((t) => `| ${t.name.replace(/\|/g, '\\|')} | ${fmt(t.selfUs / 1000, 1)} | ${pct(t.share)} | ${fmt(t.selfUs / Math.max(1, requests), 2)} |`);
  const modules = s.modules.map((t) => `| ${t.name} | ${fmt(t.selfUs / 1000, 1)} | ${pct(t.share)} | ${fmt(t.selfUs / Math.max(1, requests), 2)} |`);
  return [
    '| function (self time) | ms | share of busy | µs per request |',
    '|---|---|---|---|',
    ...lines,
    '',
    '| where the code lives (self time) | ms | share of busy | µs per request |',
    '|---|---|---|---|',
    ...modules,
  ].join('\n');
}

