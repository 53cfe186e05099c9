// The controller side of bench/rejection-rtt.ts, a process of its own (as
// in use: the client's event loop and garbage collector are not the
// controller's). It starts a controller with its V2 REST port on a repository
// of det and cls, reports its ports over IPC, and keeps, for each rejection,
// when it was decided and how long after its arrival (ServingObserver
// `rejected`), and every garbage collection with its duration, on the
// wall clock both processes share (performance.timeOrigin + now(); the
// parent measures the two processes' offset with {ping: true}). The parent
// asks for them with {take: true} and gets them back.
import { PerformanceObserver, type PerformanceEntry } from 'node:perf_hooks';
import { startController } from '../controller/controller.js';
import { createLogger } from '../common/log.js';

/** Ports the child listens on. */
export interface RttPorts {
  grpc: number;
  http: number;
}

/** One rejection on the controller: its decision time (wall ms) and how long after its arrival it was decided. */
export interface ServerRejection {
  at: number;
  waitedMs: number;
  early: boolean;
}

/** A garbage collection: its start (wall ms) and duration. */
export interface GcSpan {
  start: number;
  ms: number;
  kind: number;
}

export interface ServerRecords {
  rejections: ServerRejection[];
  gcs: GcSpan[];
}

export const SERVE_ARG = '--serve-rejection-rtt';

/** Every GC of this process from now on, on the wall clock. */
export function recordGcs(into: GcSpan[]): PerformanceObserver {
  const obs = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) into.push({ start: performance.timeOrigin + e.startTime, ms: e.duration, kind: ((e as PerformanceEntry & { detail?: { kind?: number } }).detail)?.kind ?? 0 });
  });
  obs.observe({ entryTypes: ['gc'] });
  return obs;
}

async function serve(repoDir: string): Promise<void> {
  const controller = await startController({ port: 0, host: '127.0.0.1', httpPort: 0, metricsPort: -1, repoDir, logger: createLogger('bench', 'warn') });
  let records: ServerRecords = { rejections: [], gcs: [] };
  recordGcs(records.gcs);
  const now = (): number => performance.timeOrigin + performance.now();
  controller.core.observers.push({
    rejected: (_m, _code, e) => records.rejections.push({ at: now(), waitedMs: e?.waitedMs ?? NaN, early: false }),
    rejectedEarly: () => {
      const last = records.rejections[records.rejections.length - 1];
      if (last) last.early = true;
    },
  });
  process.on('message', (m: { take?: boolean; stop?: boolean; ping?: boolean }) => {
    if (m.ping) process.send?.({ pong: now() });
    if (m.take) {
      const out = records;
      records = { rejections: [], gcs: [] };
      recordGcs(records.gcs);
      process.send?.(out);
    }
    if (m.stop) void controller.close().then(() => process.exit(0));
  });
  process.send?.({ grpc: controller.port, http: controller.httpPort ?? -1 } satisfies RttPorts);
}

if (process.argv.includes(SERVE_ARG)) await serve(process.argv[process.argv.indexOf(SERVE_ARG) + 1]!);
