// Reader of the Azure Functions 2019 trace format
// (invocations_per_function_md.anon.dNN.csv): one row per function, per-minute
// invocation counts. Columns are found by header name, not position, because
// published copies reorder and rename them: minutes are `1`…`1440` or
// `minute_1`…, and `Trigger` may be missing. A malformed file is rejected
// with the line number and the column at fault.
import { fileLines } from './line-reader.js';
import { TraceFormatError } from './trace-format-error.js';

export { TraceFormatError };

export interface TraceFunction {
  owner: string;
  app: string;
  fn: string;
  /** Absent in copies without the Trigger column. */
  trigger?: string;
  /** Invocations per minute of the kept range: counts[0] is minute `fromMinute`. */
  counts: Uint32Array;
}

export interface AzureTrace {
  /** First and last minute kept (1-based, inclusive). */
  fromMinute: number;
  toMinute: number;
  /** Highest minute column present in the file. */
  minutesInFile: number;
  /** Functions in file order, those with no invocation in the range left out (unless keepIdle). */
  functions: TraceFunction[];
  /** Invocations in the kept range. */
  total: number;
}

export interface TraceReadOptions {
  /** Keep minutes FROM..TO only (1-based, inclusive). @default the whole file */
  minutes?: { from: number; to: number };
  /** Keep functions with no invocation in the range too (the statistics count them). @default false */
  keepIdle?: boolean;
}


const MAX_MINUTE = 1440;

/** Incremental parser: header first, then rows; used by the file and the string readers. */
export class AzureTraceParser {
  private cols: { owner: number; app: number; fn: number; trigger: number } | undefined;
  /** Column index → minute, for the kept minutes. */
  private minuteCols: { col: number; minute: number }[] = [];
  private names: string[] = [];
  private from = 1;
  private to = MAX_MINUTE;
  private maxMinute = 0;
  private readonly functions: TraceFunction[] = [];
  private total = 0;
  private lineNo = 0;

  constructor(private readonly opts: TraceReadOptions = {}) {}

  line(raw: string): void {
    this.lineNo++;
    const text = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (text.trim() === '') return;
    if (!this.cols) this.header(text);
    else this.row(text);
  }

  private header(text: string): void {
    const names = text.split(',').map((s) => s.trim().replace(/^"(.*)"$/, '$1'));
    this.names = names;
    const find = (name: string, required: boolean): number => {
      const i = names.indexOf(name);
      if (i < 0 && required) {
        throw new TraceFormatError(this.lineNo, `header has no ${name} column (found: ${names.slice(0, 6).join(',')}${names.length > 6 ? ',…' : ''})`);
      }
      return i;
    };
    this.cols = { owner: find('HashOwner', true), app: find('HashApp', true), fn: find('HashFunction', true), trigger: find('Trigger', false) };
    const seen = new Set<number>();
    for (let col = 0; col < names.length; col++) {
      const m = /^(?:minute_)?(\d+)$/.exec(names[col]!);
      if (!m) continue;
      const minute = Number(m[1]);
      if (minute < 1 || minute > MAX_MINUTE) throw new TraceFormatError(this.lineNo, `column ${JSON.stringify(names[col])}: minute must be 1..${MAX_MINUTE}`);
      if (seen.has(minute)) throw new TraceFormatError(this.lineNo, `minute ${minute} appears twice in the header`);
      seen.add(minute);
      this.maxMinute = Math.max(this.maxMinute, minute);
    }
    if (seen.size === 0) throw new TraceFormatError(this.lineNo, 'header has no minute columns (1…1440 or minute_1…minute_1440)');
    this.from = this.opts.minutes?.from ?? 1;
    this.to = Math.min(this.opts.minutes?.to ?? this.maxMinute, this.maxMinute);
    if (this.from > this.to) throw new TraceFormatError(this.lineNo, `minutes ${this.from}-${this.opts.minutes?.to} are outside the file's 1-${this.maxMinute}`);
    for (let col = 0; col < names.length; col++) {
      const m = /^(?:minute_)?(\d+)$/.exec(names[col]!);
      if (!m) continue;
      const minute = Number(m[1]);
      if (minute >= this.from && minute <= this.to) this.minuteCols.push({ col, minute });
    }
  }

  private row(text: string): void {
    const cols = this.cols!;
    const fields = text.split(',');
    if (fields.length !== this.names.length) {
      throw new TraceFormatError(this.lineNo, `expected ${this.names.length} fields as in the header, found ${fields.length}`);
    }
    const counts = new Uint32Array(this.to - this.from + 1);
    let sum = 0;
    for (const { col, minute } of this.minuteCols) {
      const s = fields[col]!.trim();
      const v = s === '' ? 0 : Number(s);
      if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) {
        throw new TraceFormatError(this.lineNo, `column ${JSON.stringify(this.names[col])}: ${JSON.stringify(s)} is not a non-negative integer count`);
      }
      counts[minute - this.from] = v;
      sum += v;
    }
    const fn = fields[cols.fn]!.trim();
    if (fn === '') throw new TraceFormatError(this.lineNo, 'column "HashFunction" is empty');
    if (sum === 0 && this.opts.keepIdle !== true) return;
    this.total += sum;
    this.functions.push({
      owner: fields[cols.owner]!.trim(),
      app: fields[cols.app]!.trim(),
      fn,
      ...(cols.trigger >= 0 ? { trigger: fields[cols.trigger]!.trim() } : {}),
      counts,
    });
  }

  result(): AzureTrace {
    if (!this.cols) throw new TraceFormatError(Math.max(1, this.lineNo), 'empty file: no header line');
    return { fromMinute: this.from, toMinute: this.to, minutesInFile: this.maxMinute, functions: this.functions, total: this.total };
  }
}

/** Parses a whole trace held in a string. */
export function parseAzureTrace(text: string, opts: TraceReadOptions = {}): AzureTrace {
  const p = new AzureTraceParser(opts);
  for (const line of text.split('\n')) p.line(line);
  return p.result();
}

/** A 2019 row of 1,440 counts is a few KB; anything longer than this is not one. */
export const MAX_2019_LINE_BYTES = 1 << 20;

/**
 * Reads a trace file line by line (a day of the full trace is ~150 MB: never
 * held as one string); a line longer than MAX_2019_LINE_BYTES (a file that is
 * not a trace, one with no line breaks) is a TraceFormatError, not a string
 * that grows until the process runs out of memory.
 */
export async function readAzureTrace(file: string, opts: TraceReadOptions = {}): Promise<AzureTrace> {
  const p = new AzureTraceParser(opts);
  for await (const line of fileLines(file, { maxLineBytes: MAX_2019_LINE_BYTES })) p.line(line);
  return p.result();
}
