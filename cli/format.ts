// Shared output helpers: sizes, durations, aligned tables, colour, and the
// {status, message} shape every failure takes in the CLI's output.
import { styleText } from 'node:util';
import { PunctualClientError } from '../client/errors.js';

/** 2147483648 → "2.0 GiB". */
export function formatBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return u === 0 ? `${v} B` : `${v.toFixed(1)} ${units[u]}`;
}

/** 8.1234 → "8.12 ms"; ≥ 100 ms without decimals. */
export function formatMs(ms: number): string {
  if (ms >= 100) return `${Math.round(ms)} ms`;
  return `${ms.toFixed(ms >= 10 ? 1 : 2)} ms`;
}

export function round(n: number, digits = 3): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}

export function formatShape(shape: readonly number[]): string {
  return `[${shape.join(',')}]`;
}

/** Left-aligned columns, two spaces apart; the header row as given. */
export function renderTable(header: readonly string[], rows: readonly (readonly string[])[], indent = '  '): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    indent +
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}

export type Style = 'green' | 'red' | 'yellow' | 'bold' | 'dim';

/** A painter that colours only when asked to (a TTY without --json). */
export function painter(enabled: boolean): (style: Style, s: string) => string {
  return (style, s) => (enabled ? styleText(style, s) : s);
}

/** What the CLI prints for a failure. */
export interface ErrorReport {
  status: string;
  message: string;
  reason?: string;
}

export function describeError(err: unknown): ErrorReport {
  if (err instanceof PunctualClientError) {
    return err.reason ? { status: err.statusName, message: err.message, reason: err.reason } : { status: err.statusName, message: err.message };
  }
  return { status: 'UNKNOWN', message: err instanceof Error ? err.message : String(err) };
}

/** Human form of a failure: "error: STATUS: message". */
export function errorLine(e: ErrorReport, paint = painter(false)): string {
  return `${paint('red', 'error')}: ${e.status}: ${e.message}`;
}
