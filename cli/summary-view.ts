// Human renderings of replay/simulate summaries: one block for a run, and a
// side-by-side table for `compare`.
import type { Summary } from '../traces/summary.js';

const ROWS: [string, (s: Summary) => string][] = [
  ['requests', (s) => String(s.requests)],
  ['offered req/s', (s) => s.offered_rps.toFixed(1)],
  ['goodput req/s', (s) => s.goodput_rps.toFixed(1)],
  ['SLO attainment', (s) => `${(100 * s.slo_attainment).toFixed(2)} %`],
  ['  of accepted', (s) => `${(100 * s.accepted_slo_attainment).toFixed(2)} %`],
  ['ok (any latency)', (s) => String(s.ok)],
  ['rejected', (s) => String(s.rejected)],
  ['  beyond floor', (s) => (s.rejected_beyond_floor === undefined ? '-' : String(s.rejected_beyond_floor))],
  ['floor (unservable)', (s) => (s.floor === undefined ? '-' : String(s.floor))],
  ['late', (s) => String(s.late)],
  ['errors', (s) => String(s.errors)],
  ['p50 ms', (s) => s.p50_ms.toFixed(1)],
  ['p99 ms', (s) => s.p99_ms.toFixed(1)],
  ['p99.9 ms', (s) => s.p999_ms.toFixed(1)],
  ['max ms', (s) => s.max_ms.toFixed(1)],
];

export function renderTable(columns: { title: string; summary: Summary }[]): string {
  const width = 18;
  const head = ''.padEnd(width) + columns.map((c) => c.title.padStart(width)).join('');
  const rows = columns.some((c) => c.summary.floor !== undefined) ? ROWS : ROWS.filter(([label]) => !label.includes('floor'));
  const lines = rows.map(([label, f]) => label.padEnd(width) + columns.map((c) => f(c.summary).padStart(width)).join(''));
  return [head, ...lines].join('\n') + '\n';
}

export function renderSummary(title: string, s: Summary): string {
  const models = s.models.length > 6 ? `${s.models.length} models` : s.models.join(', ');
  const load = typeof s.config.utilisation === 'number' ? `, offered load ${(100 * s.config.utilisation).toFixed(0)} % of the executors` : '';
  return `${title} (${s.duration_s.toFixed(1)} s, ${models}${load})\n` + renderTable([{ title: 'all', summary: s }]);
}
