// The replay/simulation picture, written by hand as SVG (no dependency):
// top, requests/s over time as stacked bars — goodput (ok within SLO), ok
// past SLO, late (dropped or timed out), rejected, errors — whose height is
// the offered load; bottom, p50 and p99 latency of ok requests against the
// SLO. A headline states the totals so the picture reads at a glance.
import { pct, type Bucket, type Summary, type SummaryBuilder } from './summary.js';

const W = 960;
const H = 616;
const LEFT = 70;
const RIGHT = 20;
const PLOT_W = W - LEFT - RIGHT;
const TOP1 = 96;
const H1 = 250;
const TOP2 = TOP1 + H1 + 60;
const H2 = 150;
const MAX_COLUMNS = 120;

const SERIES: { key: keyof Omit<Bucket, 'latencies' | 'offered'>; label: string; color: string }[] = [
  { key: 'okWithin', label: 'goodput (ok within SLO)', color: '#2e7d32' },
  { key: 'okPast', label: 'ok past SLO', color: '#f9a825' },
  { key: 'late', label: 'late (dropped / timed out)', color: '#c62828' },
  { key: 'rejected', label: 'rejected at admission', color: '#ef6c00' },
  { key: 'errors', label: 'errors', color: '#757575' },
];

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function niceMax(v: number): number {
  if (!(v > 0)) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= v) return m * p;
  return 10 * p;
}

function axis(top: number, height: number, max: number, unit: string): string {
  let s = '';
  for (let i = 0; i <= 4; i++) {
    const v = (max * i) / 4;
    const y = top + height - (height * i) / 4;
    s += `<line x1="${LEFT}" x2="${W - RIGHT}" y1="${y}" y2="${y}" stroke="#ddd"/>`;
    s += `<text x="${LEFT - 6}" y="${y + 4}" text-anchor="end" font-size="11">${+v.toFixed(1)}${unit}</text>`;
  }
  return s;
}

export function renderReportSvg(builder: SummaryBuilder, summary: Summary, slos: readonly number[]): string {
  const buckets = builder.buckets;
  const group = Math.max(1, Math.ceil(buckets.length / MAX_COLUMNS));
  const cols: Bucket[] = [];
  for (let i = 0; i < buckets.length; i += group) {
    const c: Bucket = { offered: 0, okWithin: 0, okPast: 0, rejected: 0, late: 0, errors: 0, latencies: [] };
    for (const b of buckets.slice(i, i + group)) {
      for (const k of ['offered', 'okWithin', 'okPast', 'rejected', 'late', 'errors'] as const) c[k] += b[k];
      for (const l of b.latencies) c.latencies.push(l);
    }
    cols.push(c);
  }
  const secondsPerCol = (group * builder.bucketMs) / 1000;
  const n = Math.max(1, cols.length);
  const cw = PLOT_W / n;
  const maxRate = niceMax(Math.max(...cols.map((c) => c.offered / secondsPerCol), 1));
  const p50 = cols.map((c) => pct(Float64Array.from(c.latencies).sort(), 50));
  const p99 = cols.map((c) => pct(Float64Array.from(c.latencies).sort(), 99));
  const slo = slos.length > 0 ? Math.max(...slos) : 0;
  const maxLat = niceMax(Math.max(...p99, slo * 1.2, 1));
  const parts: string[] = [];
  parts.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif">`);
  parts.push(`<rect width="${W}" height="${H}" fill="#fff"/>`);
  const cfg = summary.config;
  const what = String(cfg.workload ?? cfg.trace ?? '') + (cfg.policy ? `, policy ${String(cfg.policy)}` : '') + (cfg.protocol === 'v2' ? ` · V2 against ${String(cfg.target)}` : '');
  parts.push(`<text x="${LEFT}" y="24" font-size="16" font-weight="bold">${esc(`Punctual ${String(cfg.mode ?? '')}: ${what}`)}</text>`);
  // Two short lines: one long line ran off the right edge.
  const headline =
    `${summary.requests} requests, ${summary.offered_rps.toFixed(1)} req/s offered · goodput ${summary.goodput_rps.toFixed(1)} req/s · ` +
    `SLO attainment ${(100 * summary.slo_attainment).toFixed(1)} % (of accepted ${(100 * summary.accepted_slo_attainment).toFixed(2)} %)`;
  const outcomes = `rejected ${summary.rejected}, late ${summary.late}, errors ${summary.errors} · p99 ${summary.p99_ms.toFixed(1)} ms (ok requests)`;
  parts.push(`<text x="${LEFT}" y="43" font-size="12">${esc(headline)}</text>`);
  parts.push(`<text x="${LEFT}" y="59" font-size="12">${esc(outcomes)}</text>`);

  // Top panel: outcomes per second, stacked (their sum is the offered load).
  parts.push(`<text x="${LEFT}" y="${TOP1 - 10}" font-size="13" font-weight="bold">requests/s by outcome (bar height = offered load)</text>`);
  parts.push(axis(TOP1, H1, maxRate, ''));
  cols.forEach((c, i) => {
    let y = TOP1 + H1;
    for (const s of SERIES) {
      const h = (H1 * (c[s.key] / secondsPerCol)) / maxRate;
      if (h <= 0) continue;
      y -= h;
      parts.push(`<rect x="${(LEFT + i * cw).toFixed(1)}" y="${y.toFixed(1)}" width="${Math.max(cw - 0.5, 0.5).toFixed(1)}" height="${h.toFixed(1)}" fill="${s.color}"/>`);
    }
  });
  SERIES.forEach((s, i) => {
    const x = LEFT + i * 180;
    parts.push(`<rect x="${x}" y="${TOP1 + H1 + 12}" width="12" height="12" fill="${s.color}"/><text x="${x + 16}" y="${TOP1 + H1 + 22}" font-size="11">${esc(s.label)}</text>`);
  });

  // Bottom panel: latency of ok requests.
  parts.push(`<text x="${LEFT}" y="${TOP2 - 10}" font-size="13" font-weight="bold">latency of ok requests (ms): p50 blue, p99 purple, SLO dashed</text>`);
  parts.push(axis(TOP2, H2, maxLat, ''));
  const line = (vals: number[], color: string): void => {
    const pts = vals
      .map((v, i) => (cols[i]!.latencies.length === 0 ? undefined : `${(LEFT + (i + 0.5) * cw).toFixed(1)},${(TOP2 + H2 - (H2 * Math.min(v, maxLat)) / maxLat).toFixed(1)}`))
      .filter((p): p is string => p !== undefined);
    if (pts.length > 0) parts.push(`<polyline points="${pts.join(' ')}" fill="none" stroke="${color}" stroke-width="2"/>`);
  };
  line(p50, '#1565c0');
  line(p99, '#6a1b9a');
  if (slo > 0) {
    const y = TOP2 + H2 - (H2 * slo) / maxLat;
    parts.push(`<line x1="${LEFT}" x2="${W - RIGHT}" y1="${y}" y2="${y}" stroke="#c62828" stroke-dasharray="6 4"/><text x="${W - RIGHT}" y="${y - 4}" text-anchor="end" font-size="11" fill="#c62828">SLO ${slo} ms</text>`);
  }
  // Time axis.
  const totalS = cols.length * secondsPerCol;
  for (let i = 0; i <= 5; i++) {
    const x = LEFT + (PLOT_W * i) / 5;
    parts.push(`<text x="${x}" y="${TOP2 + H2 + 18}" text-anchor="middle" font-size="11">${((totalS * i) / 5).toFixed(0)} s</text>`);
  }
  parts.push(`<text x="${LEFT + PLOT_W / 2}" y="${TOP2 + H2 + 36}" text-anchor="middle" font-size="11">time since start (by arrival)</text>`);
  parts.push('</svg>');
  return parts.join('\n') + '\n';
}
