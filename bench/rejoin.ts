// Rejoin benchmark (issue 9): how long a worker takes to be listed again by a
// controller that comes back after an outage. Real processes: a controller
// and one worker; the controller is killed (SIGKILL), stays away for the
// given seconds, and starts again on the same port with the same repository.
// The figure runs from the new controller listening to ClusterStatus listing
// the worker. Target: within 6 s after any outage (the worker's redial
// backoff is capped at 5 s; a grpc-js channel's own backoff grows to 120 s).
import type { ChildProcess } from 'node:child_process';
import { waitForListeningPort } from '../cli/child-process.js';
import { PunctualClient } from '../client/index.js';
import { spawnCli, spawnWorker, stopAll, tempRepo, type Figure } from './support.js';

const POLL_MS = 20;

function startController(repo: string, port: number): ChildProcess {
  return spawnCli(['controller', '--port', String(port), '--host', '127.0.0.1', '--metrics-port', '-1', '--http-port', '-1', '--repo', repo]);
}

function killed(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });
}

/** Milliseconds until the controller at `address` lists `n` workers. */
async function untilWorkers(address: string, n: number, timeoutMs: number): Promise<number> {
  const client = new PunctualClient(address);
  const t0 = performance.now();
  try {
    for (;;) {
      try {
        if ((await client.clusterStatus()).workers.length >= n) return performance.now() - t0;
      } catch {
        // not answering yet
      }
      if (performance.now() - t0 > timeoutMs) return Infinity;
      await new Promise((r) => setTimeout(r, POLL_MS));
    }
  } finally {
    client.close();
  }
}

/**
 * One figure per outage: the rejoin time after a controller outage of that
 * many seconds; with `repeats` > 1 the worst of that many outages (each sample in the note).
 */
export async function runRejoinBench(outageSeconds: number[], repeats = 1): Promise<Figure[]> {
  const repo = await tempRepo(['cls']);
  let controller = startController(repo.dir, 0);
  const { port } = await waitForListeningPort(controller, { timeoutMs: 60_000 });
  const address = `127.0.0.1:${port}`;
  const worker = spawnWorker(address, ['--metrics-port', '-1', '--health-port', '-1']);
  const figures: Figure[] = [];
  try {
    if ((await untilWorkers(address, 1, 60_000)) === Infinity) throw new Error('the worker did not join');
    for (const seconds of outageSeconds) {
      const samples: number[] = [];
      for (let i = 0; i < repeats; i++) {
        await killed(controller);
        await new Promise((r) => setTimeout(r, seconds * 1000));
        controller = startController(repo.dir, port);
        await waitForListeningPort(controller, { timeoutMs: 60_000 });
        samples.push(await untilWorkers(address, 1, 120_000));
      }
      const each = repeats > 1 ? ` (worst of ${repeats}: ${samples.map((v) => v.toFixed(0)).join(', ')} ms)` : '';
      figures.push({
        name: `worker rejoin after a ${seconds} s controller outage`,
        value: Math.max(...samples),
        unit: 'ms',
        target: '≤ 6000 ms',
        note: `SIGKILLed controller started again on the same port and repository; from it listening to ClusterStatus listing the worker${each}`,
      });
    }
  } finally {
    await stopAll([worker, controller]);
    repo.cleanup();
  }
  return figures;
}
