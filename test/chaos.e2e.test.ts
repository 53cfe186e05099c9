// The chaos suite: a real controller and two real workers serving cls, a
// well-behaved client sending a steady stream beside everything, and then
// the things that go wrong in production — 10,000 fuzzed requests across
// both inference protocols and uploads, a worker frozen (SIGSTOP) and thawed,
// a worker killed, the controller killed and restarted. After each: no
// process crashed, every call was answered with a documented status, and the
// well-behaved client failed only while the cluster had truly lost capacity.
// (Closing a process's output pipes, then SIGTERM, is test/pipes.e2e.test.ts.)
import fs from 'node:fs';
import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PunctualClient, PunctualClientError } from '../client/index.js';
import { randomFloat32, SHAPES, TestCluster } from './support/cluster.js';
import { DOCUMENTED, Fuzzer } from './support/fuzz.js';

interface Sent {
  at: number;
  status: string;
  worker: string;
}

/** A client that sends one cls request every `everyMs` (open loop) and records how each ended. */
class SteadyClient {
  readonly sent: Sent[] = [];
  private timer: NodeJS.Timeout | undefined;
  private readonly pending = new Set<Promise<void>>();
  private client: PunctualClient;
  private readonly input = { x: randomFloat32([...SHAPES.cls]) };

  constructor(address: string, private readonly everyMs = 20) {
    this.client = new PunctualClient(address);
  }

  start(): void {
    this.timer = setInterval(() => {
      const at = performance.now();
      const p = this.client.infer('cls', this.input, { sloMs: 300, deadlineMs: 5000 }).then(
        (r) => void this.sent.push({ at, status: 'OK', worker: r.worker }),
        (err: unknown) => void this.sent.push({ at, status: err instanceof PunctualClientError ? err.statusName : 'THROWN', worker: '' }),
      );
      this.pending.add(p);
      void p.finally(() => this.pending.delete(p));
    }, this.everyMs);
  }

  /** Outcomes of requests sent in [from, to). */
  between(from: number, to = Infinity): Sent[] {
    return this.sent.filter((s) => s.at >= from && s.at < to);
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await Promise.all([...this.pending]);
  }

  close(): void {
    this.client.close();
  }
}

const failures = (xs: readonly Sent[]): Sent[] => xs.filter((s) => s.status !== 'OK');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Resident memory of a process, bytes (Linux /proc). */
function rss(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) * 1024 : 0;
}

describe('chaos: a cluster that keeps serving', () => {
  let cluster: TestCluster;
  let steady: SteadyClient;

  beforeAll(async () => {
    cluster = await TestCluster.withDefaultRepo(['cls']);
    await cluster.startController();
    cluster.startWorker();
    cluster.startWorker();
    await cluster.waitForWorkers(2);
    steady = new SteadyClient(cluster.address);
    steady.start();
    await sleep(1000);
  });

  afterAll(async () => {
    await steady?.stop();
    steady?.close();
    await cluster?.stop();
  });

  it('answers 10,000 fuzzed requests with documented statuses while the well-behaved client never fails', async () => {
    const from = performance.now();
    const fuzzer = new Fuzzer(cluster.address, 20261201);
    const outcomes = await fuzzer.run(10_000, 32);
    fuzzer.close();
    const to = performance.now();
    expect(outcomes).toHaveLength(10_000);
    const undocumented = outcomes.filter((o) => o.unanswered || !DOCUMENTED[o.kind].has(o.code));
    expect(undocumented.slice(0, 5), `${undocumented.length} calls ended outside the documented statuses`).toEqual([]);
    // Every kind was exercised, and most calls were refused as bad input.
    for (const kind of ['v2', 'v1', 'garbage', 'upload'] as const) expect(outcomes.filter((o) => o.kind === kind).length).toBeGreaterThan(100);
    expect(outcomes.filter((o) => o.code === grpc.status.INVALID_ARGUMENT).length).toBeGreaterThan(3000);
    expect(outcomes.every((o) => o.details.length <= 1024)).toBe(true);
    expect(cluster.controllerProcess!.exitCode).toBeNull();
    expect(cluster.workers.every((w) => w.exitCode === null)).toBe(true);
    expect(rss(cluster.controllerProcess!.pid!)).toBeLessThan(1024 * 1024 * 1024);
    const mine = steady.between(from, to);
    expect(mine.length).toBeGreaterThan(20);
    expect(failures(mine)).toEqual([]);
  });

  it('a frozen worker (SIGSTOP) is set aside at once and taken back when it thaws', async () => {
    const frozen = cluster.workers[0]!;
    const stoppedAt = performance.now();
    frozen.kill('SIGSTOP');
    await sleep(4000);
    const st = await cluster.client.clusterStatus();
    expect(st.workers.filter((w) => w.unresponsive)).toHaveLength(1);
    frozen.kill('SIGCONT');
    const thawedAt = performance.now();
    // While it was frozen: failures only until it was set aside (its liveness deadline and the in-flight work on it).
    const during = steady.between(stoppedAt, thawedAt);
    const late = failures(during).filter((s) => s.at > stoppedAt + 2000);
    expect(late).toEqual([]);
    expect(failures(during).every((s) => ['UNAVAILABLE', 'DEADLINE_EXCEEDED', 'RESOURCE_EXHAUSTED'].includes(s.status))).toBe(true);
    // Thawed: answering again, taken back, and serving.
    for (let i = 0; i < 50; i++) {
      const now = await cluster.client.clusterStatus();
      if (now.workers.every((w) => !w.unresponsive && w.executors.every((e) => !e.suspended))) break;
      await sleep(100);
    }
    const after = await cluster.client.clusterStatus();
    expect(after.workers.every((w) => !w.unresponsive)).toBe(true);
    await sleep(1500);
    const names = new Set(steady.between(thawedAt + 500).filter((s) => s.status === 'OK').map((s) => s.worker));
    expect(names.size).toBe(2);
  });

  it('a killed worker costs only the requests it held: the other serves the rest', async () => {
    const victim = cluster.workers[1]!;
    const killedAt = performance.now();
    victim.kill('SIGKILL');
    await new Promise((r) => victim.once('exit', r));
    await sleep(2000);
    const lost = failures(steady.between(killedAt));
    expect(lost.every((s) => ['UNAVAILABLE', 'DEADLINE_EXCEEDED'].includes(s.status))).toBe(true);
    expect(lost.filter((s) => s.at > killedAt + 500)).toEqual([]);
    expect(steady.between(killedAt + 500).filter((s) => s.status === 'OK').length).toBeGreaterThan(50);
    expect(cluster.controllerProcess!.exitCode).toBeNull();
  });

  it('a killed controller is restarted on its port: the worker rejoins and requests succeed again', async () => {
    const port = Number(cluster.address.split(':')[1]);
    const killedAt = performance.now();
    await cluster.stopController('SIGKILL');
    await sleep(3000);
    // While it is down the client is refused, never left hanging.
    const down = steady.between(killedAt + 200, performance.now());
    expect(down.length).toBeGreaterThan(50);
    expect(down.every((s) => s.status === 'UNAVAILABLE')).toBe(true);
    const restartAt = performance.now();
    await cluster.startController(['--port', String(port)]);
    expect(cluster.address).toBe(`127.0.0.1:${port}`);
    let back = Infinity;
    for (let i = 0; i < 100 && back === Infinity; i++) {
      const ok = steady.between(restartAt).find((s) => s.status === 'OK');
      if (ok) back = ok.at - restartAt;
      else await sleep(100);
    }
    expect(back).toBeLessThan(8000);
    const workers = (await cluster.client.clusterStatus()).workers;
    expect(workers).toHaveLength(1);
  });
});
