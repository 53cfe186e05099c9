// The accounting of bench/controller-throughput.ts, kept pure so that
// test/controller-throughput-stats.test.ts can check it: an open-loop
// schedule and how far behind it a generator sends (its lag), percentiles of
// merged samples, a process's CPU time from /proc/<pid>/stat, and the top
// self-time functions of a V8 .cpuprofile within a time window, per request.

/** Arrival `i` of an open loop at `rate` req/s starting at `startMs`: evenly spaced. */
export function scheduledAt(startMs: number, rate: number, i: number): number {
  return startMs + (i * 1000) / rate;
}

/** How many arrivals of the schedule are due at `nowMs` (those with scheduledAt <= now), at most `n`. */
export function dueBy(startMs: number, rate: number, nowMs: number, n: number): number {
  if (nowMs < startMs) return 0;
  return Math.min(n, Math.floor(((nowMs - startMs) * rate) / 1000) + 1);
}

/** The p-th percentile (nearest rank) of unsorted values; NaN for none. */
export function percentile(values: ArrayLike<number>, p: number): number {
  if (values.length === 0) return NaN;
  const s = Float64Array.from(values).sort();
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]!;
}

/** p50, p99 and the largest of some samples (ms), NaN for none. */
export interface Spread {
  p50: number;
  p99: number;
  max: number;
}

export function spread(values: ArrayLike<number>): Spread {
  let max = -Infinity;
  for (let i = 0; i < values.length; i++) max = Math.max(max, values[i]!);
  return { p50: percentile(values, 50), p99: percentile(values, 99), max: values.length > 0 ? max : NaN };
}

/** Clock ticks per second of /proc's CPU times (USER_HZ: 100 on Linux everywhere). */
export const USER_HZ = 100;

/**
 * User + system CPU seconds of a process from the text of /proc/<pid>/stat
 * (fields 14 and 15, counted after the command name, which is in parentheses
 * and may hold spaces); undefined when it does not parse.
 */
export function cpuSecondsOfStat(stat: string): number | undefined {
  const close = stat.lastIndexOf(')');
  if (close < 0) return undefined;
  const fields = stat.slice(close + 2).trim().split(/\s+/);
  // fields[0] is field 3 (state): utime (14) and stime (15) are fields[11], fields[12].
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  if (!Number.isFinite(utime) || !Number.isFinite(stime)) return undefined;
  return (utime + stime) / USER_HZ;
}

/** Busy and total CPU seconds of the whole machine from the text of /proc/stat's first line ("cpu …"). */
export function machineCpuOfStat(stat: string): { busy: number; total: number } | undefined {
  const line = stat.split('\n').find((l) => l.startsWith('cpu '));
  if (!line) return undefined;
  const v = line.trim().split(/\s+/).slice(1).map(Number);
  if (v.length < 4 || v.some((x) => !Number.isFinite(x))) return undefined;
  // user nice system idle iowait irq softirq steal (guest time is already in user).
  const idle = (v[3] ?? 0) + (v[4] ?? 0);
  const total = v.slice(0, 8).reduce((a, b) => a + b, 0);
  return { busy: (total - idle) / USER_HZ, total: total / USER_HZ };
}

// ---- .cpuprofile --------------------------------------------------------------

/** The parts of a V8 CPU profile (`node --cpu-prof`) read here. */
export interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; children?: number[] }[];
  /** µs, V8's monotonic clock (CLOCK_MONOTONIC on Linux, as process.hrtime). */
  startTime: number;
  endTime: number;
  samples: number[];
  /** µs between samples; the first from startTime. */
  timeDeltas: number[];
}

export interface SelfTime {
  /** "functionName file:line", or V8's own "(garbage collector)", "(program)", "(idle)". */
  name: string;
  selfUs: number;
  /** Share of the busy (not idle) samples in the window. */
  share: number;
}

export interface ProfileSummary {
  /** The window the samples were taken from, µs; the whole profile when none was given or it missed. */
  fromUs: number;
  toUs: number;
  /** False when a window was asked for but no sample fell in it (the whole profile was summarised). */
  windowed: boolean;
  busyUs: number;
  idleUs: number;
  top: SelfTime[];
  /** Self time summed by where the code lives (moduleOf), largest first. */
  modules: SelfTime[];
}

/**
 * Where a function's code lives, for a coarser view than functions: V8's own
 * pseudo-frames as they are, a package under node_modules by its name, Node's
 * internals by their folder (node:internal/http2/core → node:http2), and
 * Punctual's compiled files by their folder (controller/scheduler).
 */
export function moduleOf(name: string): string {
  if (name.startsWith('(')) return name;
  const at = name.lastIndexOf(' ');
  const file = (at >= 0 ? name.slice(at + 1) : name).replace(/:\d+$/, '');
  if (file.startsWith('node:internal/')) return `node:${file.slice('node:internal/'.length).split('/')[0]}`;
  if (file.startsWith('node:')) return file.split('/')[0]!;
  if (file === '(native)') return '(native)';
  const pkg = /^(@[^/]+\/[^/]+|[^/]+)\//.exec(file);
  if (pkg && !/^(controller|worker|common|client|cli|bench|profiles|traces|protos)$/.test(pkg[1]!)) return pkg[1]!;
  const dir = file.split('/').slice(0, -1).join('/');
  return dir || file;
}

/** V8's pseudo-frames that are not the process's own work. */
const IDLE = '(idle)';

function frameName(f: { functionName: string; url: string; lineNumber: number }): string {
  if (f.functionName.startsWith('(') && f.url === '') return f.functionName;
  const url = f.url.replace(/^file:\/\//, '');
  // A package by its name; Punctual's compiled files from their folder under dist/ (or another build folder).
  const file = url.includes('/node_modules/') ? url.replace(/^.*\/node_modules\//, '') : url.replace(/^.*\/[^/]*dist\//, '');
  return `${f.functionName || '(anonymous)'} ${file || '(native)'}:${f.lineNumber + 1}`;
}

/**
 * Self time per function of the samples taken in [fromUs, toUs] (each sample
 * weighs the time until the next one), the `limit` largest; the whole
 * profile when no window is given or none of its samples fall in it.
 */
export function summariseProfile(p: CpuProfile, limit = 15, window?: { fromUs: number; toUs: number }): ProfileSummary {
  const names = new Map<number, string>();
  for (const n of p.nodes) names.set(n.id, frameName(n.callFrame));
  const times: number[] = new Array(p.samples.length);
  let t = p.startTime;
  for (let i = 0; i < p.samples.length; i++) {
    t += p.timeDeltas[i] ?? 0;
    times[i] = t;
  }
  const tally = (from: number, to: number): { self: Map<string, number>; count: number } => {
    const self = new Map<string, number>();
    let count = 0;
    for (let i = 0; i < p.samples.length; i++) {
      const at = times[i]!;
      if (at < from || at > to) continue;
      const next = i + 1 < times.length ? times[i + 1]! : p.endTime;
      const name = names.get(p.samples[i]!) ?? '(unknown)';
      self.set(name, (self.get(name) ?? 0) + Math.max(0, Math.min(next, to) - at));
      count++;
    }
    return { self, count };
  };
  let from = window?.fromUs ?? p.startTime;
  let to = window?.toUs ?? p.endTime;
  const inWindow = tally(from, to);
  let self = inWindow.self;
  const windowed = window !== undefined && inWindow.count > 0;
  if (window !== undefined && inWindow.count === 0) {
    from = p.startTime;
    to = p.endTime;
    self = tally(from, to).self;
  }
  const idleUs = self.get(IDLE) ?? 0;
  self.delete(IDLE);
  let busyUs = 0;
  for (const v of self.values()) busyUs += v;
  const ranked = (m: Map<string, number>, n: number): SelfTime[] =>
    [...m.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(([name, selfUs]) => ({ name, selfUs, share: busyUs > 0 ? selfUs / busyUs : 0 }));
  const byModule = new Map<string, number>();
  for (const [name, us] of self) byModule.set(moduleOf(name), (byModule.get(moduleOf(name)) ?? 0) + us);
  return { fromUs: from, toUs: to, windowed, busyUs, idleUs, top: ranked(self, limit), modules: ranked(byModule, limit) };
}
