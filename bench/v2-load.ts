// An open-loop load generator for the Open Inference Protocol, as an outside
// client sees the server: each V2 ModelInfer leaves at its Poisson arrival
// time whether or not earlier ones were answered, and its outcome and round
// trip are taken at the client.
//
// It speaks gRPC over node:http2 itself (one connection, requests framed and
// encoded once, answers not decoded) rather than through grpc-js's client:
// measured here, grpc-js's client spends about three times the CPU per det
// request (0.61 vs 0.22 of a core at 800 requests/s), and on a 2-core machine
// that the server shares with its load, the generator's CPU is taken from
// the server being measured.
import http2 from 'node:http2';
import * as grpc from '@grpc/grpc-js';
import { ecosystemProtos } from '../common/ecosystem-protos.js';
import type { ModelInferRequest } from '../protos/generated/inference/ModelInferRequest.js';
import { prng } from '../traces/random.js';
import { percentile } from './support.js';

export interface V2Target {
  address: string;
  model: string;
  /** Input name, datatype and per-item shape (a batch axis of 1 is added). */
  input: { name: string; datatype: string; shape: number[]; bytesPerElement: number };
}

/** One request's fate at the client. */
export interface Outcome {
  /** Planned send time, ms since the run started. */
  at: number;
  /** How late the send left against its plan, ms. */
  lag: number;
  /** Round trip at the client, ms. */
  latency: number;
  /** gRPC status code (0 = OK), NOT_SENT, or NO_STATUS. */
  code: number;
  /** The request's SLO, ms (undefined: the model's default, no timeout sent). */
  sloMs: number | undefined;
}

const PATH = '/inference.GRPCInferenceService/ModelInfer';
const WINDOW = 16 * 1024 * 1024;

/** Outcome code of a request the generator did not send: it already had MAX_IN_FLIGHT unanswered. */
export const NOT_SENT = -1;
/** Outcome code of a stream that ended without a gRPC status (reset, connection lost). */
export const NO_STATUS = -2;
const MAX_IN_FLIGHT = 1000;

/** A V2 client that sends pre-encoded requests over one HTTP/2 connection and does not decode answers. */
export class V2Load {
  private readonly sessions: (http2.ClientHttp2Session | undefined)[];
  private next = 0;
  private readonly framed = new Map<string, Buffer>();

  /** `connections`: HTTP/2 connections the requests are spread over, round robin (many clients). @default 1 */
  constructor(
    private readonly target: V2Target,
    connections = 1,
  ) {
    this.sessions = Array.from({ length: connections }, () => undefined);
  }

  private connect(): http2.ClientHttp2Session {
    const i = this.next;
    this.next = (this.next + 1) % this.sessions.length;
    const existing = this.sessions[i];
    if (existing && !existing.closed && !existing.destroyed) return existing;
    // Node caps a session's buffered memory at 10 MB by default and then refuses new streams
    // (ENHANCE_YOUR_CALM): an open-loop client of 602 KB requests passes that at once.
    const s = http2.connect(`http://${this.target.address}`, { settings: { initialWindowSize: WINDOW }, maxSessionMemory: 64 * 1024 });
    s.on('error', () => undefined); // streams report their own end; a lost connection is redialled on the next send
    s.on('connect', () => {
      try {
        s.setLocalWindowSize(WINDOW);
      } catch {
        // closed already
      }
    });
    this.sessions[i] = s;
    return s;
  }

  /** The framed request (5-byte gRPC prefix + message) for an SLO (µs `timeout` parameter) or none. */
  private request(sloMs: number | undefined): Buffer {
    const key = String(sloMs);
    let b = this.framed.get(key);
    if (b) return b;
    const { input } = this.target;
    const n = input.shape.reduce((a, x) => a * x, 1);
    const data = Buffer.alloc(n * input.bytesPerElement);
    const f = new Float32Array(data.buffer, data.byteOffset, data.byteLength / 4);
    const rand = prng(11);
    for (let i = 0; i < f.length; i++) f[i] = rand();
    const req: ModelInferRequest = {
      modelName: this.target.model,
      inputs: [{ name: input.name, datatype: input.datatype, shape: [1, ...input.shape] }],
      rawInputContents: [data],
      ...(sloMs !== undefined ? { parameters: { timeout: { int64Param: Math.round(sloMs * 1000) } } } : {}),
    };
    const msg = ecosystemProtos().oip.inference.GRPCInferenceService.service.ModelInfer.requestSerialize(req);
    b = Buffer.alloc(msg.byteLength + 5);
    b.writeUInt8(0, 0);
    b.writeUInt32BE(msg.byteLength, 1);
    msg.copy(b, 5);
    this.framed.set(key, b);
    return b;
  }

  /** Sends one request; resolves with its status code and round trip (never rejects). */
  send(sloMs: number | undefined, graceMs = 10_000): Promise<{ code: number; latency: number }> {
    const body = this.request(sloMs);
    const t0 = performance.now();
    return new Promise((resolve) => {
      let code = NO_STATUS;
      let done = false;
      const finish = (): void => {
        if (done) return;
        done = true;
        resolve({ code, latency: performance.now() - t0 });
      };
      let stream: http2.ClientHttp2Stream;
      try {
        stream = this.connect().request(
          { ':method': 'POST', ':path': PATH, 'content-type': 'application/grpc', te: 'trailers', 'grpc-timeout': `${Math.round((sloMs ?? 1000) + graceMs)}m` },
          { endStream: false },
        );
      } catch {
        finish();
        return;
      }
      const status = (h: http2.IncomingHttpHeaders): void => {
        const s = h['grpc-status'];
        if (s !== undefined) code = Number(s);
      };
      stream.on('response', status);
      stream.on('trailers', status);
      stream.on('data', () => undefined);
      stream.on('error', () => undefined); // the stream's end reports it: no status
      stream.on('close', finish);
      stream.end(body);
    });
  }

  /** Keeps `inFlight` requests going for `seconds`; returns answered OK per second. */
  async closedLoop(seconds: number, inFlight: number, sloMs: number): Promise<number> {
    let ok = 0;
    const end = performance.now() + seconds * 1000;
    const loop = async (): Promise<void> => {
      while (performance.now() < end) if ((await this.send(sloMs)).code === grpc.status.OK) ok++;
    };
    const t0 = performance.now();
    await Promise.all(Array.from({ length: inFlight }, loop));
    return ok / ((performance.now() - t0) / 1000);
  }

  /**
   * Open loop: Poisson arrivals at `rate` per second for `seconds`, each with
   * SLO `sloMs`. Resolves when every request has ended.
   */
  async openLoop(rate: number, seconds: number, sloMs: number | undefined, seed = 1, onSendsDone?: () => void, maxInFlight = MAX_IN_FLIGHT): Promise<Outcome[]> {
    const rand = prng(seed);
    const times: number[] = [];
    for (let t = 0; ; ) {
      t += (-Math.log(1 - rand()) / rate) * 1000;
      if (t >= seconds * 1000) break;
      times.push(t);
    }
    const out: Outcome[] = [];
    const pending: Promise<void>[] = [];
    let inFlight = 0;
    const t0 = performance.now();
    let i = 0;
    await new Promise<void>((done) => {
      const tick = (): void => {
        const now = performance.now() - t0;
        while (i < times.length && times[i]! <= now) {
          const at = times[i++]!;
          const lag = now - at;
          if (inFlight >= maxInFlight) {
            // A server that does not keep up would make an open-loop client buffer without bound.
            out.push({ at, lag, latency: 0, code: NOT_SENT, sloMs });
            continue;
          }
          inFlight++;
          pending.push(
            this.send(sloMs).then((r) => {
              inFlight--;
              out.push({ at, lag, latency: r.latency, code: r.code, sloMs });
            }),
          );
        }
        if (i >= times.length) done();
        else setTimeout(tick, Math.max(0, Math.min(5, times[i]! - (performance.now() - t0))));
      };
      tick();
    });
    onSendsDone?.();
    await Promise.all(pending);
    return out.sort((a, b) => a.at - b.at);
  }

  close(): void {
    for (const s of this.sessions) s?.close();
  }
}

/** What a run looks like at the client. */
export interface LoadSummary {
  sent: number;
  offeredRps: number;
  /** OK within the SLO at the client, per second of the run. */
  goodputRps: number;
  ok: number;
  okWithinSlo: number;
  rejected: number;
  /** Accepted but dropped (DEADLINE_EXCEEDED from the server, or the client's own deadline). */
  late: number;
  errors: number;
  /** Not sent: the client already had its maximum of requests unanswered (the server fell behind). */
  notSent: number;
  /** OK within SLO ÷ (OK + late): what "accepted" is worth at the client. */
  acceptedWithinSlo: number;
  rejectP50Ms: number;
  rejectP99Ms: number;
  okP50Ms: number;
  okP99Ms: number;
  lagP99Ms: number;
}

export function summarize(outcomes: readonly Outcome[], seconds: number, sloMs: number): LoadSummary {
  const ok = outcomes.filter((o) => o.code === grpc.status.OK);
  const within = ok.filter((o) => o.latency <= sloMs);
  const rejected = outcomes.filter((o) => o.code === grpc.status.RESOURCE_EXHAUSTED);
  const late = outcomes.filter((o) => o.code === grpc.status.DEADLINE_EXCEEDED);
  const notSent = outcomes.filter((o) => o.code === NOT_SENT).length;
  const accepted = ok.length + late.length;
  return {
    sent: outcomes.length - notSent,
    offeredRps: outcomes.length / seconds,
    goodputRps: within.length / seconds,
    ok: ok.length,
    okWithinSlo: within.length,
    rejected: rejected.length,
    late: late.length,
    notSent,
    errors: outcomes.length - notSent - ok.length - rejected.length - late.length,
    acceptedWithinSlo: accepted === 0 ? NaN : within.length / accepted,
    rejectP50Ms: percentile(rejected.map((o) => o.latency), 50),
    rejectP99Ms: percentile(rejected.map((o) => o.latency), 99),
    okP50Ms: percentile(ok.map((o) => o.latency), 50),
    okP99Ms: percentile(ok.map((o) => o.latency), 99),
    lagP99Ms: percentile(outcomes.map((o) => o.lag), 99),
  };
}
