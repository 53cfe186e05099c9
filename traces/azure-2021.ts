// Reader of the Azure Functions 2021 invocation trace
// (AzureFunctionsInvocationTraceForTwoWeeksJan2021: `app,func,end_timestamp,duration`,
// one row per invocation, seconds from the trace start; AlpaServe replays it).
// Each row is an arrival at end_timestamp − duration. The file is streamed and
// each kept row costs 12 bytes (a start time and a function index in typed
// arrays; the ids are kept once per function), then the arrivals are put in
// time order: the file is a log of completions, not of arrivals. (app, func)
// pairs map onto models like the 2019 trace's functions: in order of first
// appearance, contiguous blocks. A malformed row is rejected with its line.
import { TraceFormatError } from './azure-trace.js';
import { EventHeap } from './event-heap.js';
import { fileLines, firstLine } from './line-reader.js';
import { prng } from './random.js';
import { blockMapping, type Arrival, type TraceArrivalOptions } from './trace-arrivals.js';

export const AZURE_2021_COLUMNS = ['app', 'func', 'end_timestamp', 'duration'] as const;
/** Two weeks, the published trace's length: arrivals must start before it. */
export const MAX_2021_MINUTE = 14 * 1440;
/** A row is ~160 bytes; anything far longer is not a row. */
export const MAX_2021_LINE_BYTES = 4096;
/** Kept invocations at most (12 bytes each, twice while sorting). */
export const MAX_2021_INVOCATIONS = 50_000_000;
export const MAX_2021_FUNCTIONS = 1_000_000;

export interface InvocationTrace {
  /** First and last minute kept (1-based, inclusive; minute 1 is seconds [0, 60)). */
  fromMinute: number;
  toMinute: number;
  /** Last minute in which an invocation of the file starts. */
  minutesInFile: number;
  /** (app, func) pairs with an arrival in the range, in order of first appearance. */
  functions: { app: string; func: string; invocations: number }[];
  /** Arrival (start) times, seconds from the trace start, ascending. */
  starts: Float64Array;
  /** Index into functions of each arrival. */
  fn: Uint32Array;
  total: number;
  /** Rows left out because the invocation started before the trace (end_timestamp < duration). */
  startedBefore: number;
}

export interface Azure2021ReadOptions {
  /** Keep minutes FROM..TO only (1-based, inclusive). @default the whole file */
  minutes?: { from: number; to: number };
}

function headerNames(line: string): string[] {
  return line.split(',').map((s) => s.trim().replace(/^"(.*)"$/, '$1'));
}

/** Whether a header line is the 2021 format's (it names a 2021 column, and no 2019 one). */
export function isAzure2021Header(line: string): boolean {
  const names = headerNames(line);
  return !names.includes('HashFunction') && (names.includes('func') || names.includes('end_timestamp') || names.includes('duration'));
}

/** Which format a trace file is in, from its header line: '2021' if it names a 2021 column, else '2019'. */
export async function detectTraceFormat(file: string): Promise<'2019' | '2021'> {
  const header = await firstLine(file, 1 << 20);
  return header !== undefined && isAzure2021Header(header) ? '2021' : '2019';
}

const DECIMAL = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

/** A growable pair of typed arrays. */
class Arrivals {
  starts = new Float64Array(1 << 12);
  fn = new Uint32Array(1 << 12);
  length = 0;

  push(start: number, fn: number): void {
    if (this.length === this.starts.length) {
      const starts = new Float64Array(this.starts.length * 2);
      starts.set(this.starts);
      this.starts = starts;
      const f = new Uint32Array(this.fn.length * 2);
      f.set(this.fn);
      this.fn = f;
    }
    this.starts[this.length] = start;
    this.fn[this.length++] = fn;
  }
}

/** Incremental parser: header first, then rows; used by the file and the string readers. */
export class Azure2021Parser {
  private cols: { app: number; func: number; end: number; duration: number } | undefined;
  private names: string[] = [];
  private lineNo = 0;
  private readonly ids = new Map<string, number>();
  private readonly functions: InvocationTrace['functions'] = [];
  private readonly kept = new Arrivals();
  private readonly fromS: number;
  private readonly toS: number;
  private maxStart = -1;
  private startedBefore = 0;

  constructor(private readonly opts: Azure2021ReadOptions = {}) {
    this.fromS = ((opts.minutes?.from ?? 1) - 1) * 60;
    this.toS = (opts.minutes?.to ?? MAX_2021_MINUTE) * 60;
  }

  line(raw: string): void {
    this.lineNo++;
    if (raw.length > MAX_2021_LINE_BYTES) throw new TraceFormatError(this.lineNo, `longer than ${MAX_2021_LINE_BYTES} bytes: not a line of a trace`);
    const text = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (text.trim() === '') return;
    if (!this.cols) this.header(text);
    else this.row(text);
  }

  private header(text: string): void {
    const names = headerNames(text);
    const find = (name: string): number => {
      const i = names.indexOf(name);
      if (i < 0) throw new TraceFormatError(this.lineNo, `header has no ${name} column (the 2021 format is ${AZURE_2021_COLUMNS.join(',')}; found: ${names.slice(0, 6).join(',')}${names.length > 6 ? ',…' : ''})`);
      return i;
    };
    this.cols = { app: find('app'), func: find('func'), end: find('end_timestamp'), duration: find('duration') };
    this.names = names;
  }

  private number(fields: string[], col: number): number {
    const s = fields[col]!.trim();
    const v = DECIMAL.test(s) ? Number(s) : NaN;
    if (!Number.isFinite(v) || v < 0) throw new TraceFormatError(this.lineNo, `column ${JSON.stringify(this.names[col])}: ${JSON.stringify(s.slice(0, 40))} is not a non-negative number of seconds`);
    return v;
  }

  private row(text: string): void {
    const cols = this.cols!;
    const fields = text.split(',');
    if (fields.length !== this.names.length) throw new TraceFormatError(this.lineNo, `expected ${this.names.length} fields as in the header, found ${fields.length}`);
    const end = this.number(fields, cols.end);
    const duration = this.number(fields, cols.duration);
    const app = fields[cols.app]!.trim();
    const func = fields[cols.func]!.trim();
    if (app === '') throw new TraceFormatError(this.lineNo, 'column "app" is empty');
    if (func === '') throw new TraceFormatError(this.lineNo, 'column "func" is empty');
    const start = end - duration;
    if (start < 0) {
      this.startedBefore++;
      return;
    }
    if (start >= MAX_2021_MINUTE * 60) throw new TraceFormatError(this.lineNo, `the invocation starts at ${start.toFixed(3)} s, past the two weeks (${MAX_2021_MINUTE * 60} s) a trace may cover`);
    if (start > this.maxStart) this.maxStart = start;
    if (start < this.fromS || start >= this.toS) return;
    const key = `${app}\u0000${func}`;
    let id = this.ids.get(key);
    if (id === undefined) {
      if (this.functions.length >= MAX_2021_FUNCTIONS) throw new TraceFormatError(this.lineNo, `more than ${MAX_2021_FUNCTIONS} distinct (app, func) pairs`);
      id = this.functions.length;
      this.ids.set(key, id);
      this.functions.push({ app, func, invocations: 0 });
    }
    if (this.kept.length >= MAX_2021_INVOCATIONS) throw new TraceFormatError(this.lineNo, `more than ${MAX_2021_INVOCATIONS} invocations in the range: choose fewer minutes`);
    this.functions[id]!.invocations++;
    this.kept.push(start, id);
  }

  result(): InvocationTrace {
    if (!this.cols) throw new TraceFormatError(Math.max(1, this.lineNo), 'empty file: no header line');
    const minutesInFile = this.maxStart < 0 ? 0 : Math.floor(this.maxStart / 60) + 1;
    const from = this.opts.minutes?.from ?? 1;
    const to = Math.min(this.opts.minutes?.to ?? minutesInFile, minutesInFile);
    if (from > to) {
      throw new Error(
        minutesInFile === 0 ? 'the trace has no invocation that starts after its beginning' : `minutes ${from}-${this.opts.minutes?.to ?? to} are outside the trace's 1-${minutesInFile}`,
      );
    }
    const n = this.kept.length;
    let starts = this.kept.starts.subarray(0, n);
    let fn = this.kept.fn.subarray(0, n);
    let sorted = true;
    for (let i = 1; i < n && sorted; i++) sorted = starts[i - 1]! <= starts[i]!;
    if (!sorted) {
      const s = starts;
      const order = new Uint32Array(n);
      for (let i = 0; i < n; i++) order[i] = i;
      order.sort((a, b) => s[a]! - s[b]! || a - b);
      const st = new Float64Array(n);
      const f = new Uint32Array(n);
      for (let i = 0; i < n; i++) {
        st[i] = s[order[i]!]!;
        f[i] = fn[order[i]!]!;
      }
      starts = st;
      fn = f;
    }
    return { fromMinute: from, toMinute: to, minutesInFile, functions: this.functions, starts, fn, total: n, startedBefore: this.startedBefore };
  }
}

/** Parses a whole trace held in a string. */
export function parseAzure2021(text: string, opts: Azure2021ReadOptions = {}): InvocationTrace {
  const p = new Azure2021Parser(opts);
  for (const line of text.split('\n')) p.line(line);
  return p.result();
}

/** Reads a trace file as a stream (the published one is ~300 MB). */
export async function readAzure2021(file: string, opts: Azure2021ReadOptions & { onBytes?: (bytes: number) => void } = {}): Promise<InvocationTrace> {
  const p = new Azure2021Parser(opts);
  for await (const line of fileLines(file, { maxLineBytes: MAX_2021_LINE_BYTES, ...(opts.onBytes ? { onBytes: opts.onBytes } : {}) })) p.line(line);
  return p.result();
}

/**
 * Arrivals of a 2021 trace, in time order, from the start of its first kept
 * minute. A trace minute lasts `minuteSeconds`. The rate scale keeps each
 * invocation with probability `scale` below 1; above 1 every invocation is
 * sent ⌊scale⌋ times (one more with the fractional part's probability), the
 * copies within a (scaled) second after it.
 */
export function* invocationArrivals(trace: InvocationTrace, opts: TraceArrivalOptions): Generator<Arrival> {
  if (opts.models.length === 0) throw new Error('no models to map the trace onto');
  const rand = prng(opts.seed ?? 1);
  const msPerTraceSecond = ((opts.minuteSeconds ?? 60) / 60) * 1000;
  const scale = opts.rateScale ?? 1;
  const whole = Math.floor(scale);
  const frac = scale - whole;
  const map = blockMapping(trace.functions.length, opts.models.length);
  const origin = (trace.fromMinute - 1) * 60;
  const copies = new EventHeap<number>();
  for (let i = 0; i < trace.total; i++) {
    const time = (trace.starts[i]! - origin) * msPerTraceSecond;
    const model = map[trace.fn[i]!]!;
    while (copies.size > 0 && copies.peekTime() <= time) {
      const t = copies.peekTime();
      yield { time: t, model: opts.models[copies.pop()!]! };
    }
    const n = whole + (frac > 0 && rand() < frac ? 1 : 0);
    if (n === 0) continue;
    yield { time, model: opts.models[model]! };
    for (let k = 1; k < n; k++) copies.push(time + rand() * msPerTraceSecond, model);
  }
  while (copies.size > 0) {
    const t = copies.peekTime();
    yield { time: t, model: opts.models[copies.pop()!]! };
  }
}
