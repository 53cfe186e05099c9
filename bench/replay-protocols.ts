// The same replay against Punctual's two protocols (issue 12): one local
// cluster (a controller with its V2 REST port, one worker, 1 executor, det),
// a constant Poisson workload at 50 % and 150 % of the measured capacity,
// replayed in turn through punctual.v1, V2 over gRPC and V2 over HTTP (the
// binary-data extension), interleaved so that drift on the machine falls on
// all three alike. Within SLO is judged on the controller's timings over
// punctual.v1 and on the round trip over V2 (which carries none); e2e is the
// round trip for all three.
import { startLocalCluster } from '../cli/local-cluster.js';
import { replay } from '../traces/replay.js';
import { openTarget } from '../traces/targets/open-target.js';
import { parseTarget } from '../traces/targets/target-url.js';
import { compileWorkload } from '../traces/workload.js';
import { measureCapacity } from './replay.js';
import { tempRepo, type Figure } from './support.js';

export async function runReplayProtocolsBench(seconds = 10, loads: readonly number[] = [0.5, 1.5]): Promise<Figure[]> {
  const { dir, cleanup } = await tempRepo(['det']);
  const figures: Figure[] = [];
  try {
    const cluster = await startLocalCluster({ repo: dir, policy: 'punctual', httpPort: 0 });
    try {
      await measureCapacity(cluster.address, 2); // warm up
      const capacity = await measureCapacity(cluster.address, 6);
      figures.push({ name: 'det capacity, 1 worker, 1 executor (closed loop, 2 in flight, punctual.v1)', value: capacity, unit: 'req/s' });
      const targets = [
        { name: 'punctual.v1', url: `grpc://${cluster.address}`, protocol: 'punctual' as const },
        { name: 'V2 gRPC', url: `grpc://${cluster.address}`, protocol: 'v2' as const },
        { name: 'V2 HTTP', url: `http://127.0.0.1:${cluster.httpPort}`, protocol: 'v2' as const },
      ];
      for (const load of loads) {
        const workload = await compileWorkload({ workload: 'constant', rate: capacity * load, durationS: seconds, models: ['det'], seed: 1 }, ['det']);
        for (const t of targets) {
          const target = openTarget(parseTarget({ controller: '', target: t.url, protocol: t.protocol }));
          try {
            const s = await replay({ target, workload, sloMs: 100 });
            figures.push({
              name: `replay det @ ${Math.round(load * 100)} % over ${t.name}: goodput`,
              value: s.goodput_rps,
              unit: 'req/s',
              note: `slo_attainment ${(100 * s.slo_attainment).toFixed(2)} %, of accepted ${(100 * s.accepted_slo_attainment).toFixed(2)} %, e2e ${(100 * s.e2e_slo_attainment).toFixed(2)} %; p50 ${s.p50_ms.toFixed(1)} ms, p99 ${s.p99_ms.toFixed(1)} ms (round trip); requests ${s.requests}, rejected ${s.rejected}, late ${s.late}, errors ${s.errors}; generator lag p99 ${s.generator.lag_p99_ms.toFixed(1)} ms`,
            });
          } finally {
            await target.close();
          }
        }
      }
    } finally {
      await cluster.close();
    }
  } finally {
    cleanup();
  }
  return figures;
}
