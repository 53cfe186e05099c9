// The replay generator's own cost per transport (issue 12): `replay
// --protocol v2` against a V2 server that does no work (bench/
// v2-echo-thread.ts, in a worker thread), det-sized inputs (602 KB), a
// constant Poisson workload per case. What is measured is the client: how
// late each send left against its schedule (generator lag), how many
// requests waited for a connection (HTTP), and the round trip to a server
// that answers at once (the transport's own latency under that load).
import { Worker } from 'node:worker_threads';
import { replay } from '../traces/replay.js';
import { openTarget } from '../traces/targets/open-target.js';
import { parseTarget } from '../traces/targets/target-url.js';
import type { Encoding } from '../traces/targets/v2-options.js';
import { compileWorkload } from '../traces/workload.js';
import type { Figure } from './support.js';

interface Case {
  transport: 'grpc' | 'http';
  encoding: Encoding;
  rate: number;
}

const CASES: Case[] = [
  { transport: 'grpc', encoding: 'binary', rate: 100 },
  { transport: 'http', encoding: 'binary', rate: 100 },
  { transport: 'grpc', encoding: 'binary', rate: 300 },
  { transport: 'http', encoding: 'binary', rate: 300 },
  { transport: 'http', encoding: 'json', rate: 30 },
];

export async function runReplayGeneratorBench(seconds = 8): Promise<Figure[]> {
  const worker = new Worker(new URL('./v2-echo-thread.js', import.meta.url));
  const ports = await new Promise<{ grpcPort: number; httpPort: number }>((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
  });
  const figures: Figure[] = [];
  try {
    for (const c of CASES) {
      const url = c.transport === 'grpc' ? `grpc://127.0.0.1:${ports.grpcPort}` : `http://127.0.0.1:${ports.httpPort}`;
      const target = openTarget(parseTarget({ controller: '', target: url }), { encoding: c.encoding });
      try {
        const workload = await compileWorkload({ workload: 'constant', rate: c.rate, durationS: seconds, models: ['det'], seed: 1 }, ['det']);
        const s = await replay({ target, workload, sloMs: 1000 });
        const g = s.generator;
        const tag = `v2 ${c.transport}${c.transport === 'http' ? ` ${c.encoding}` : ''} @ ${c.rate} req/s`;
        figures.push({
          name: `replay generator lag p99, ${tag}`,
          value: g.lag_p99_ms,
          unit: 'ms',
          note: `lag p50 ${g.lag_p50_ms.toFixed(2)} ms, max ${g.lag_max_ms.toFixed(1)} ms, ${g.late_sends_over_5ms} of ${s.requests} sends > 5 ms late${g.transport_waiting_max !== undefined ? `, at most ${g.transport_waiting_max} waiting for a connection` : ''}; round trip to a server doing no work p50 ${s.p50_ms.toFixed(2)} ms, p99 ${s.p99_ms.toFixed(2)} ms; ok ${s.ok}, errors ${s.errors}`,
        });
      } finally {
        await target.close();
      }
    }
  } finally {
    worker.postMessage('stop');
    await worker.terminate();
  }
  return figures;
}
