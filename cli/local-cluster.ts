// A throw-away local cluster for `compare --live` and the replay benchmark:
// a controller process with a given policy and N worker processes of this
// same CLI, on a free port. Resolves once every worker has joined.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { PunctualClient } from '../client/client.js';
import { SERVER_NODE_FLAGS } from '../common/node-flags.js';
import type { Policy } from '../controller/scheduler/policy.js';
import { stopChild, waitForListeningPort } from './child-process.js';

const MAIN_JS = fileURLToPath(new URL('./main.js', import.meta.url));

export interface LocalCluster {
  address: string;
  /** The controller's HTTP port (V2 REST), 0 when it has none (the default). */
  httpPort: number;
  /** The worker processes, in start order (benchmarks freeze or kill them). */
  workers: ChildProcess[];
  close(): Promise<void>;
}

export interface LocalClusterOptions {
  repo: string;
  policy: Policy;
  workers?: number;
  executors?: number;
  /** Session threads per executor (the workers' --lanes). @default the worker's (defaultLanes) */
  lanes?: number;
  /** Memory budget of each executor, bytes (a worker's --memory is shared by its executors). @default 1 GiB */
  memoryBytes?: number;
  /** The controller's --http-port (0: a free one). @default -1, none */
  httpPort?: number;
}

export async function startLocalCluster(opts: LocalClusterOptions): Promise<LocalCluster> {
  const env = { ...process.env, PUNCTUAL_LOG_LEVEL: process.env.PUNCTUAL_LOG_LEVEL ?? 'warn' };
  const controller = spawn(process.execPath, [...SERVER_NODE_FLAGS, MAIN_JS, 'controller', '--port', '0', '--host', '127.0.0.1', '--repo', opts.repo, '--policy', opts.policy, '--metrics-port', '0', '--http-port', String(opts.httpPort ?? -1)], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env,
  });
  const children: ChildProcess[] = [controller];
  const close = async (): Promise<void> => {
    for (const c of children.slice(1)) await stopChild(c);
    await stopChild(controller);
  };
  try {
    const { port, httpPort } = await waitForListeningPort(controller);
    const address = `127.0.0.1:${port}`;
    const want = opts.workers ?? 1;
    for (let i = 0; i < want; i++) {
      children.push(
        spawn(process.execPath, [...SERVER_NODE_FLAGS, MAIN_JS, '--controller', address, 'worker', '--executors', String(opts.executors ?? 1), '--threads', '1', ...(opts.lanes !== undefined ? ['--lanes', String(opts.lanes)] : []), '--memory', String((opts.memoryBytes ?? 2 ** 30) * (opts.executors ?? 1)), '--metrics-port', '0', '--health-port', '0'], {
          stdio: ['ignore', 'ignore', 'inherit'],
          env,
        }),
      );
    }
    const client = new PunctualClient(address);
    try {
      const deadline = performance.now() + 60_000;
      for (;;) {
        const st = await client.clusterStatus().catch(() => undefined);
        // Joined, and the warm-up loads done (each executor holds something).
        if (st && st.workers.length >= want && st.workers.every((w) => w.executors.every((e) => e.loaded.length > 0 && e.bookedAheadMs === 0))) break;
        if (performance.now() > deadline) throw new Error('workers did not join within 60 s');
        await new Promise((r) => setTimeout(r, 200));
      }
    } finally {
      client.close();
    }
    return { address, httpPort, workers: children.slice(1), close };
  } catch (err) {
    await close();
    throw err;
  }
}
