// The main-thread handle on one executor thread: spawns it, sends requests
// and matches replies by id, and replaces the thread when it dies (the
// requests it held fail; the sessions it held are gone).
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { threadScript } from '../common/thread-script.js';
import { newActivityCounters, ProcessActivity } from './load-memory.js';
import type { ThreadConfig, ThreadReady, ThreadReply, ThreadRequest } from './thread-protocol.js';

/** A request without its id (the client numbers them). */
export type ThreadRequestBody = WithoutId<ThreadRequest>;
type WithoutId<T> = T extends unknown ? Omit<T, 'id'> : never;

export interface ThreadClientOptions extends ThreadConfig {
  /** The thread's script. @default executorThreadScript() */
  script?: URL;
  /** How messages name the thread. @default `executor thread ${index}` */
  label?: string;
  log: (line: string) => void;
  /** Called when a thread that was ready dies (not when closed), after its requests failed and before its replacement starts. */
  onDied?: (why: string) => void;
}

/**
 * Where the compiled thread script is. Worker threads run JavaScript, not
 * TypeScript: from the compiled package (dist/worker/) the script sits
 * beside this module; when this module runs from TypeScript sources (vitest
 * imports worker/*.ts directly) there is no executor-thread.js beside it, so
 * fall back to the compiled copy at <package root>/dist/worker/, refused
 * when it is missing or older than its sources (common/thread-script.ts).
 */
export function executorThreadScript(): URL {
  return pathToFileURL(threadScript(import.meta.url, 'executor-thread.js'));
}

/** This process's activity counters, shared with every thread started here (ThreadConfig.activity). */
const counters = newActivityCounters();
const activity = new ProcessActivity(counters);

/**
 * Says that something outside the executor threads grew this process's memory
 * (model bytes arriving), so a load measured across it does not count it.
 */
export function processActivity(): void {
  activity.note();
}

interface Pending {
  resolve: (r: ThreadReply) => void;
  reject: (e: Error) => void;
}

/** How long close() lets the thread release its sessions before terminating it. */
const CLOSE_GRACE_MS = 5_000;

export class ThreadClient {
  private readonly script: URL;
  private worker: Worker | undefined;
  private ready: Promise<Worker> | undefined;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private closed = false;

  private readonly label: string;

  constructor(private readonly opts: ThreadClientOptions) {
    this.script = opts.script ?? executorThreadScript();
    this.label = opts.label ?? `executor thread ${opts.index}`;
  }

  /** Spawns the thread if none runs; resolves once it has loaded onnxruntime. */
  start(): Promise<Worker> {
    if (this.closed) return Promise.reject(new Error(`${this.label} is closed`));
    try {
      this.ready ??= this.spawn();
    } catch (err) {
      return Promise.reject(err instanceof Error ? err : new Error(String(err))); // e.g. the script is missing
    }
    return this.ready;
  }

  /** Sends one request; `transfer` lists buffers that move to the thread. Rejects if the thread dies first. */
  async request(body: ThreadRequestBody, transfer: ArrayBuffer[] = []): Promise<ThreadReply> {
    return this.send(await this.start(), body, transfer);
  }

  /** Lets the thread release its sessions (bounded), then stops it. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true; // from here on, a dying thread is not replaced
    this.ready = undefined;
    const worker = this.worker;
    if (!worker) return;
    let timer: NodeJS.Timeout | undefined;
    const grace = new Promise<void>((resolve) => (timer = setTimeout(resolve, CLOSE_GRACE_MS)));
    await Promise.race([this.send(worker, { type: 'release-all' }).catch(() => undefined), grace]);
    clearTimeout(timer);
    await worker.terminate();
  }

  private send(worker: Worker, body: ThreadRequestBody, transfer: ArrayBuffer[] = []): Promise<ThreadReply> {
    const id = this.nextId++;
    return new Promise<ThreadReply>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      try {
        worker.postMessage({ ...body, id }, transfer);
      } catch (err) {
        this.pending.delete(id);
        reject(err instanceof Error ? err : new Error(String(err)));
      }
    });
  }

  private spawn(): Promise<Worker> {
    const { index, device, threads, memArena, spinWait } = this.opts;
    const label = this.label;
    const config: ThreadConfig = { index, device, threads, activity: counters, ...(memArena ? { memArena } : {}), ...(spinWait === false ? { spinWait } : {}) };
    const worker = new Worker(this.script, { workerData: config });
    this.worker = worker;
    let lastError: Error | undefined;
    let isReady = false;
    return new Promise<Worker>((resolve, reject) => {
      worker.on('message', (m: ThreadReply | ThreadReady) => {
        if ('type' in m) {
          isReady = true;
          resolve(worker);
          return;
        }
        const p = this.pending.get(m.id);
        if (!p) return;
        this.pending.delete(m.id);
        p.resolve(m);
      });
      worker.on('error', (err) => {
        lastError = err;
      });
      worker.on('exit', (code) => {
        if (this.worker !== worker) return;
        this.worker = undefined;
        this.ready = undefined;
        const why = lastError ? lastError.message : `exit code ${code}`;
        const err = this.closed
          ? new Error(`${label} was closed`)
          : new Error(`${label} died (${why}); the sessions it held are gone`);
        for (const p of this.pending.values()) p.reject(err);
        this.pending.clear();
        if (!isReady) {
          reject(new Error(`${label} failed to start: ${why}`));
          return;
        }
        if (this.closed) return;
        this.opts.log(`${label} died (${why}); starting a new one`);
        this.opts.onDied?.(`${label} died (${why})`);
        // Replace it now so the next action does not pay the start-up; a thread
        // that cannot even start is retried on the next request instead.
        this.start().catch((e: unknown) => this.opts.log(e instanceof Error ? e.message : String(e)));
      });
    });
  }
}
