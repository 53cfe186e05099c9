// The load generator of bench/controller-throughput.ts, in a process of its
// own (forked, told what to do over IPC): an open loop of Inference.Infer
// calls (punctual.v1, unary, what a client of the library sends) at a fixed
// rate, evenly spaced, over a few gRPC channels of their own (one TCP
// connection each). It never waits for answers to send the next request; it
// sends, on a 1 ms timer, every request whose time has come, and records how
// late each went out against its schedule (its lag: a generator falling
// behind is the bottleneck, not the controller). Per answer it keeps the
// round trip from its own send and the result's timings (exec, queue, the
// controller's total), and the parent merges these across generators.
import * as grpc from '@grpc/grpc-js';
import { CHANNEL_OPTIONS, protos } from '../common/protos.js';
import type { InferResponse__Output } from '../common/wire.js';
import { dueBy, scheduledAt } from './controller-throughput-stats.js';

/** What the parent asks for: one step of the open loop. */
export interface StepRequest {
  type: 'step';
  id: number;
  address: string;
  model: string;
  /** Input x's shape with its batch axis of 1 (float32). */
  shape: number[];
  rate: number;
  seconds: number;
  sloMs: number;
  /** Channels (TCP connections) to spread the calls over. */
  channels: number;
  /** Most calls in flight; an arrival beyond it is counted as not sent. */
  maxInFlight: number;
  /** Offset of this generator's schedule (ms), so that several interleave. */
  offsetMs: number;
}

/** What a step came to, samples included so the parent can merge percentiles. */
export interface StepResult {
  type: 'result';
  id: number;
  offered: number;
  sent: number;
  /** Arrivals dropped at the in-flight cap. */
  skipped: number;
  /** ms from the first scheduled arrival to the last send. */
  sendSpanMs: number;
  ok: number;
  rejected: number;
  /** Other failures by gRPC status name. */
  errors: Record<string, number>;
  /** Calls that had no answer when the step gave up waiting. */
  unanswered: number;
  /** ms, every send: how late it went out. */
  lag: Float64Array;
  /** ms, answered OK: round trip from the send, exec, queue, controller total. */
  e2e: Float64Array;
  exec: Float64Array;
  queue: Float64Array;
  total: Float64Array;
  batchSum: number;
  /** CPU seconds this generator spent in the step (process.cpuUsage). */
  cpuSeconds: number;
  wallMs: number;
}

type InferenceClient = InstanceType<ReturnType<typeof protos>['inference']['punctual']['v1']['Inference']>;

const clients = new Map<string, InferenceClient[]>();

function clientsFor(address: string, channels: number): InferenceClient[] {
  const key = `${address}|${channels}`;
  let cs = clients.get(key);
  if (!cs) {
    const Inference = protos().inference.punctual.v1.Inference;
    // A subchannel pool per channel: each its own TCP connection.
    cs = Array.from({ length: channels }, () => new Inference(address, grpc.credentials.createInsecure(), { ...CHANNEL_OPTIONS, 'grpc.use_local_subchannel_pool': 1 }));
    clients.set(key, cs);
  }
  return cs;
}

/** Grows a Float64Array-backed list without a copy per push. */
class Samples {
  private buf = new Float64Array(1024);
  length = 0;

  push(v: number): void {
    if (this.length === this.buf.length) {
      const next = new Float64Array(this.buf.length * 2);
      next.set(this.buf);
      this.buf = next;
    }
    this.buf[this.length++] = v;
  }

  done(): Float64Array {
    return this.buf.slice(0, this.length);
  }
}

async function step(req: StepRequest): Promise<StepResult> {
  const cs = clientsFor(req.address, req.channels);
  const n = Math.max(1, Math.round(req.rate * req.seconds));
  const data = Buffer.alloc(req.shape.reduce((a, b) => a * b, 1) * 4);
  for (let i = 0; i < data.length / 4; i++) data.writeFloatLE((i % 16) / 16, i * 4);
  const message = { model: req.model, inputs: [{ name: 'x', dtype: 'float32', shape: req.shape, data }], sloMs: req.sloMs };
  const lag = new Samples();
  const e2e = new Samples();
  const exec = new Samples();
  const queue = new Samples();
  const total = new Samples();
  const errors: Record<string, number> = {};
  let ok = 0;
  let rejected = 0;
  let batchSum = 0;
  let sent = 0;
  let skipped = 0;
  let inFlight = 0;
  let lastSend = 0;
  const cpu0 = process.cpuUsage();
  const start = performance.now() + 20 + req.offsetMs;
  let allSent!: () => void;
  const sending = new Promise<void>((resolve) => (allSent = resolve));
  let drained: (() => void) | undefined;
  const answered = (): void => {
    inFlight--;
    if (inFlight === 0) drained?.();
  };
  let next = 0;
  const pump = (): void => {
    const due = dueBy(start, req.rate, performance.now(), n);
    for (; next < due; next++) {
      const t0 = performance.now();
      lag.push(t0 - scheduledAt(start, req.rate, next));
      if (inFlight >= req.maxInFlight) {
        skipped++;
        continue;
      }
      sent++;
      inFlight++;
      lastSend = t0;
      const deadline = new Date(Date.now() + req.sloMs + 30_000);
      cs[next % cs.length]!.Infer(message, { deadline }, (err: grpc.ServiceError | null, res?: InferResponse__Output) => {
        const t1 = performance.now();
        if (err) {
          if (err.code === grpc.status.RESOURCE_EXHAUSTED) rejected++;
          else {
            const name = grpc.status[err.code] ?? String(err.code);
            errors[name] = (errors[name] ?? 0) + 1;
          }
        } else if (res) {
          ok++;
          e2e.push(t1 - t0);
          exec.push(res.timings?.execMs ?? 0);
          queue.push(res.timings?.queueMs ?? 0);
          total.push(res.timings?.totalMs ?? 0);
          batchSum += res.batchSize;
        }
        answered();
      });
    }
    if (next < n) setTimeout(pump, Math.max(0, Math.min(1, scheduledAt(start, req.rate, next) - performance.now())));
    else allSent();
  };
  setTimeout(pump, Math.max(0, start - performance.now()));
  await sending;
  const sendSpanMs = lastSend - start;
  if (inFlight > 0) {
    await new Promise<void>((resolve) => {
      drained = resolve;
      setTimeout(resolve, req.sloMs + 10_000).unref();
    });
  }
  const cpu = process.cpuUsage(cpu0);
  return {
    type: 'result',
    id: req.id,
    offered: n,
    sent,
    skipped,
    sendSpanMs,
    ok,
    rejected,
    errors,
    unanswered: inFlight,
    lag: lag.done(),
    e2e: e2e.done(),
    exec: exec.done(),
    queue: queue.done(),
    total: total.done(),
    batchSum,
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
    wallMs: performance.now() - start,
  };
}

process.on('message', (m: StepRequest | { type: 'exit' }) => {
  if (m.type === 'exit') {
    for (const cs of clients.values()) for (const c of cs) c.close();
    process.disconnect?.();
    return;
  }
  step(m).then(
    (r) => process.send?.(r),
    (err: unknown) => process.send?.({ type: 'error', id: m.id, message: err instanceof Error ? err.message : String(err) }),
  );
});
process.send?.({ type: 'ready' });
