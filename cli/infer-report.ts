// What `punctual infer` prints: one report of one or more requests, as JSON
// (--json) or for people. Outputs are summarized (dtype, shape, first few
// values), never dumped whole. Pure: built from outcomes, no I/O.
import type { InferResult } from '../client/client.js';
import type { OutputTensor } from '../client/tensors.js';
import { describeError, formatMs, formatShape, painter, renderTable, round } from './format.js';

/** One request as the CLI saw it: its result or its error, and the latency it measured. */
export interface RequestOutcome {
  latencyMs: number;
  result?: InferResult;
  error?: unknown;
}

export interface OutputSummary {
  dtype: string;
  shape: number[];
  elements: number;
  /** The first few values (64-bit integers as strings when beyond 2^53). */
  first: (number | string)[];
}

export interface RequestSummary {
  status: string;
  latency_ms: number;
  batch_size?: number;
  message?: string;
}

export interface InferReport {
  /** "OK", or the gRPC status name of the first failed request. */
  status: string;
  message: string;
  reason?: string;
  /** Client-measured latency: the request's, or with --batch the slowest request's. */
  latency_ms: number;
  model: string;
  version?: number;
  slo_ms?: number;
  batch_size?: number;
  worker?: string;
  executor?: number;
  timings?: { queue_ms: number; exec_ms: number; total_ms: number };
  /** Outputs of the first successful request. */
  outputs: Record<string, OutputSummary>;
  /** Per request, when more than one was sent. */
  requests?: RequestSummary[];
}

export const FIRST_VALUES = 6;

function jsonValue(v: number | bigint): number | string {
  if (typeof v === 'bigint') return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v.toString();
  return Number.isInteger(v) ? v : Number(v.toPrecision(6));
}

export function summarizeOutput(t: OutputTensor, n = FIRST_VALUES): OutputSummary {
  const first: (number | string)[] = [];
  for (let i = 0; i < Math.min(n, t.data.length); i++) first.push(jsonValue(t.data[i]!));
  return { dtype: t.dtype, shape: t.shape, elements: t.data.length, first };
}

function statusOf(o: RequestOutcome): { status: string; message: string; reason?: string } {
  return o.error === undefined ? { status: 'OK', message: '' } : describeError(o.error);
}

export function buildInferReport(model: string, outcomes: readonly RequestOutcome[], sloMs?: number): InferReport {
  const failed = outcomes.find((o) => o.error !== undefined);
  const ok = outcomes.find((o) => o.result !== undefined)?.result;
  const { status, message, reason } = failed ? statusOf(failed) : { status: 'OK', message: '', reason: undefined };
  const report: InferReport = {
    status,
    message: ok && !failed ? `${ok.model} v${ok.version} ran in a batch of ${ok.batchSize} on ${ok.worker}/${ok.executor}` : message,
    ...(reason !== undefined ? { reason } : {}),
    latency_ms: round(Math.max(0, ...outcomes.map((o) => o.latencyMs))),
    model,
    ...(ok ? { version: ok.version } : {}),
    ...(sloMs !== undefined ? { slo_ms: sloMs } : {}),
    ...(ok
      ? {
          batch_size: ok.batchSize,
          worker: ok.worker,
          executor: ok.executor,
          timings: { queue_ms: round(ok.timings.queueMs), exec_ms: round(ok.timings.execMs), total_ms: round(ok.timings.totalMs) },
        }
      : {}),
    outputs: {},
  };
  if (ok) for (const [name, t] of Object.entries(ok.outputs)) report.outputs[name] = summarizeOutput(t);
  if (outcomes.length > 1) {
    report.requests = outcomes.map((o) => {
      const s = statusOf(o);
      const r: RequestSummary = { status: s.status, latency_ms: round(o.latencyMs) };
      if (o.result) r.batch_size = o.result.batchSize;
      if (s.message) r.message = s.message;
      return r;
    });
  }
  return report;
}

/** 0 when every request succeeded, else 1. */
export function inferExitCode(report: Pick<InferReport, 'status'>): number {
  return report.status === 'OK' ? 0 : 1;
}

export function renderInferHuman(r: InferReport, color = false): string {
  const paint = painter(color);
  const lines: string[] = [];
  const head = `${paint(r.status === 'OK' ? 'green' : 'red', r.status)}  ${r.model}${r.version !== undefined ? ` v${r.version}` : ''}  ${formatMs(r.latency_ms)}`;
  if (r.status === 'OK') {
    const t = r.timings;
    const detail = t ? `  (queue ${formatMs(t.queue_ms)}, exec ${formatMs(t.exec_ms)}, server ${formatMs(t.total_ms)}; batch ${r.batch_size} on ${r.worker}/${r.executor})` : '';
    lines.push(head + (r.requests ? `  ${r.requests.length} requests` : detail));
  } else {
    lines.push(`${head}  ${r.message}`);
  }
  if (r.requests) {
    const ok = r.requests.filter((q) => q.status === 'OK').length;
    lines.push(`  ${ok}/${r.requests.length} OK`);
    lines.push(
      renderTable(
        ['#', 'STATUS', 'LATENCY', 'BATCH', 'MESSAGE'],
        r.requests.map((q, i) => [String(i + 1), q.status, formatMs(q.latency_ms), q.batch_size?.toString() ?? '-', q.message ?? '']),
      ),
    );
  }
  const outputs = Object.entries(r.outputs);
  if (outputs.length > 0) {
    lines.push(r.requests ? '  outputs of the first OK request:' : '  outputs:');
    lines.push(
      renderTable(
        ['NAME', 'DTYPE', 'SHAPE', 'FIRST VALUES'],
        outputs.map(([name, o]) => [name, o.dtype, formatShape(o.shape), o.first.join(' ') + (o.elements > o.first.length ? ' …' : '')]),
        '    ',
      ),
    );
  }
  return lines.join('\n');
}
