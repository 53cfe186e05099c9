// The executor thread: holds the onnxruntime sessions of one executor and runs
// one request at a time. It lives in its own worker_threads thread because
// session.run blocks the JavaScript thread for the whole inference; the main
// thread stays free for gRPC. The thread must survive any failure: every
// request gets a reply, errors included. The model optimizer runs this script
// too, in a thread of its own, for 'digest' and 'optimize' (never on an
// executor's thread: optimizing costs a full session creation).
import { createHash } from 'node:crypto';
import { parentPort, workerData } from 'node:worker_threads';
import type { InferenceSession } from 'onnxruntime-node';
import type { WireTensor } from '../common/tensor.js';
import { ProcessActivity, SessionMemory } from './load-memory.js';
import { createSession, optimizeModel, runSession } from './ort-session.js';
import { transferList } from './wire-tensors.js';
import type { ThreadConfig, ThreadReady, ThreadReply, ThreadRequest } from './thread-protocol.js';

interface Loaded {
  session: InferenceSession;
  memoryBytes: number;
}

const config = workerData as ThreadConfig;
const sessions = new Map<string, Loaded>();
const activity = new ProcessActivity(config.activity);
const memory = new SessionMemory();
const port = parentPort ?? fail('executor-thread.js must run in a worker thread');

function fail(message: string): never {
  throw new Error(message);
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

interface LoadOutcome {
  memoryBytes: number;
  durationMs: number;
  /** Absent when the model was loaded already. */
  source?: 'optimized' | 'raw';
  fallback?: string;
  /** Intra-op threads the session was created with (absent when it was loaded already). */
  threads?: number;
}

async function load(modelKey: string, bytes: Uint8Array, optimized: Uint8Array | undefined, threads = config.threads): Promise<LoadOutcome> {
  const already = sessions.get(modelKey);
  if (already) return { memoryBytes: already.memoryBytes, durationMs: 0 };
  // onnxruntime-node rejects a view over a SharedArrayBuffer (it wants an
  // ArrayBuffer), so the shared bytes are copied into a transient buffer here,
  // before measuring: the copy is dropped once the session exists.
  const own = optimized ? new Uint8Array(optimized) : new Uint8Array(bytes);
  const alone = activity.watch(); // RSS is process-wide (load-memory.ts)
  const rssBefore = process.memoryUsage.rss();
  const t0 = performance.now();
  const tuning = { ...(config.memArena ? { memArena: true, memPattern: true } : {}), ...(config.spinWait === false ? { spinWait: false } : {}) };
  const opts = { device: config.device, threads, ...(Object.keys(tuning).length > 0 ? { tuning } : {}) };
  let session: InferenceSession | undefined;
  let fallback: string | undefined;
  if (optimized) {
    try {
      session = await createSession(own, { ...opts, optimization: 'disabled' });
    } catch (err) {
      fallback = errorMessage(err); // the raw bytes below; the time spent here counts
    }
  }
  try {
    session ??= await createSession(optimized ? new Uint8Array(bytes) : own, opts);
  } catch (err) {
    const hint = config.device.startsWith('cuda')
      ? ' (is onnxruntime-node installed with its CUDA binaries, ONNXRUNTIME_NODE_INSTALL=cuda12, and is the GPU visible?)'
      : '';
    throw new Error(`cannot create a session for ${modelKey} on ${config.device}: ${errorMessage(err)}${hint}`);
  }
  const durationMs = performance.now() - t0;
  const source = optimized && fallback === undefined ? 'optimized' : 'raw';
  const growth = process.memoryUsage.rss() - rssBefore;
  const memoryBytes = memory.report({ bytes: source === 'optimized' ? own : bytes, growth: alone() ? growth : undefined, optimized: source === 'optimized' });
  sessions.set(modelKey, { session, memoryBytes });
  return { memoryBytes, durationMs, source, threads, ...(fallback !== undefined ? { fallback } : {}) };
}

async function unload(modelKey: string): Promise<{ memoryBytes: number; durationMs: number }> {
  const loaded = sessions.get(modelKey);
  if (!loaded) return { memoryBytes: 0, durationMs: 0 };
  sessions.delete(modelKey);
  const t0 = performance.now();
  await loaded.session.release();
  return { memoryBytes: loaded.memoryBytes, durationMs: performance.now() - t0 };
}

async function infer(modelKey: string, inputs: WireTensor[]): Promise<{ outputs: WireTensor[]; durationMs: number }> {
  const loaded = sessions.get(modelKey);
  if (!loaded) throw new Error(`model ${modelKey} is not loaded on executor ${config.index}`);
  const t0 = performance.now();
  const outputs = await runSession(loaded.session, inputs);
  return { outputs, durationMs: performance.now() - t0 };
}

/** The optimized model, copied into a SharedArrayBuffer so that posting it to the executor threads shares it. */
async function optimize(bytes: Uint8Array): Promise<{ optimized: Uint8Array; durationMs: number }> {
  const t0 = performance.now();
  const out = await optimizeModel(new Uint8Array(bytes), { device: config.device, threads: config.threads });
  const optimized = new Uint8Array(new SharedArrayBuffer(out.byteLength));
  optimized.set(out);
  return { optimized, durationMs: performance.now() - t0 };
}

async function releaseAll(): Promise<void> {
  const all = [...sessions.values()];
  sessions.clear();
  for (const l of all) await l.session.release();
}

async function handle(req: ThreadRequest): Promise<ThreadReply> {
  const t0 = performance.now();
  activity.begin();
  try {
    switch (req.type) {
      case 'load':
        return { id: req.id, ok: true, ...(await load(req.modelKey, req.bytes, req.optimized, req.threads)) };
      case 'unload':
        return { id: req.id, ok: true, ...(await unload(req.modelKey)) };
      case 'infer':
        return { id: req.id, ok: true, ...(await infer(req.modelKey, req.inputs)) };
      case 'release-all':
        await releaseAll();
        return { id: req.id, ok: true, durationMs: performance.now() - t0 };
      case 'digest':
        return { id: req.id, ok: true, sha256: createHash('sha256').update(req.bytes).digest('hex'), durationMs: performance.now() - t0 };
      case 'optimize':
        return { id: req.id, ok: true, ...(await optimize(req.bytes)) };
    }
  } catch (err) {
    return { id: req.id, ok: false, durationMs: performance.now() - t0, message: errorMessage(err) };
  } finally {
    activity.end();
  }
}

/** Posts a reply, moving output buffers rather than copying them when they can move. */
function reply(r: ThreadReply): void {
  try {
    port.postMessage(r, r.ok && r.outputs ? transferList(r.outputs) : []);
  } catch {
    port.postMessage(r); // some buffer could not be transferred (e.g. external memory): copy instead
  }
}

// One request at a time, in order: each waits for the previous one's reply.
let chain: Promise<void> = Promise.resolve();
port.on('message', (req: ThreadRequest) => {
  chain = chain.then(async () => reply(await handle(req)));
});

const ready: ThreadReady = { type: 'ready' };
port.postMessage(ready);
