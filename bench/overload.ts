// Overload through the Open Inference Protocol, measured at the client (the
// issue-9 targets): one real worker (1 executor, 1 thread) serving det, its
// closed-loop capacity measured first, then open-loop floods at multiples of
// it with a 100 ms SLO (V2 `timeout`). For each: goodput (OK within the SLO
// at the client) against capacity, how many accepted requests were answered
// within the SLO at the client, how fast rejections came back, and how soon
// after the flood a default-SLO request is admitted again (a probe every
// 25 ms from the moment the last flood request left).
import { startLocalCluster } from '../cli/local-cluster.js';
import * as grpc from '@grpc/grpc-js';
import { tempRepo, type Figure } from './support.js';
import { summarize, V2Load, type V2Target } from './v2-load.js';

export interface OverloadCase {
  /** Offered load as a multiple of the measured capacity. */
  load: number;
  seconds: number;
}

const SLO_MS = 100;
const PROBE_EVERY_MS = 25;
const PROBE_FOR_MS = 3000;

/** Probes with default-SLO requests one at a time; returns when each left (ms after `from`) and its status. */
async function probe(load: V2Load, from: number): Promise<{ at: number; code: number }[]> {
  const out: { at: number; code: number }[] = [];
  while (performance.now() - from < PROBE_FOR_MS) {
    const at = performance.now() - from;
    const r = await load.send(undefined);
    out.push({ at, code: r.code });
    const wait = PROBE_EVERY_MS - (performance.now() - from - at);
    if (wait > 0) await new Promise((res) => setTimeout(res, wait));
  }
  return out;
}

export async function runOverloadBench(cases: readonly OverloadCase[]): Promise<Figure[]> {
  const { dir, cleanup } = await tempRepo(['det']);
  const figures: Figure[] = [];
  try {
    const cluster = await startLocalCluster({ repo: dir, policy: 'punctual' });
    const target: V2Target = { address: cluster.address, model: 'det', input: { name: 'x', datatype: 'FP32', shape: [3, 224, 224], bytesPerElement: 4 } };
    const client = new V2Load(target);
    const prober = new V2Load(target);
    try {
      await client.closedLoop(2, 2, 10_000); // warm up
      const capacity = await client.closedLoop(6, 2, 10_000);
      figures.push({ name: 'det capacity through V2, 1 worker × 1 executor (closed loop, 2 in flight)', value: capacity, unit: 'req/s' });
      for (const c of cases) {
        let probes: Promise<{ at: number; code: number }[]> | undefined;
        const outcomes = await client.openLoop(capacity * c.load, c.seconds, SLO_MS, 1, () => {
          probes = probe(prober, performance.now());
        });
        const s = summarize(outcomes, c.seconds, SLO_MS);
        const p = (await probes) ?? [];
        const firstAdmitted = p.find((x) => x.code !== grpc.status.RESOURCE_EXHAUSTED);
        const after1s = p.filter((x) => x.at >= 1000);
        const admittedAfter1s = after1s.filter((x) => x.code === grpc.status.OK).length / Math.max(1, after1s.length);
        const tag = `${c.load}× capacity for ${c.seconds} s`;
        figures.push(
          { name: `${tag}: goodput at the client`, value: s.goodputRps, unit: 'req/s', note: `${((100 * s.goodputRps) / capacity).toFixed(0)} % of capacity; offered ${s.offeredRps.toFixed(0)} req/s (generator lag p99 ${s.lagP99Ms.toFixed(1)} ms)` },
          {
            name: `${tag}: accepted answered within the SLO at the client`,
            value: 100 * s.acceptedWithinSlo,
            unit: '%',
            note: `ok ${s.ok} (within ${s.okWithinSlo}), dropped ${s.late}, rejected ${s.rejected}, errors ${s.errors}, not sent (1,000 unanswered) ${s.notSent}; ok p50/p99 ${s.okP50Ms.toFixed(1)}/${s.okP99Ms.toFixed(1)} ms`,
          },
          { name: `${tag}: rejection round trip at the client p50 / p99`, value: s.rejectP99Ms, unit: 'ms p99', note: `p50 ${s.rejectP50Ms.toFixed(1)} ms` },
          {
            name: `${tag}: first default-SLO request admitted after the flood`,
            value: firstAdmitted ? firstAdmitted.at : NaN,
            unit: 'ms',
            note: `${p.length} probes; ${(100 * admittedAfter1s).toFixed(0)} % of those from 1 s on answered OK`,
          },
        );
      }
    } finally {
      client.close();
      prober.close();
      await cluster.close();
    }
  } finally {
    cleanup();
  }
  return figures;
}
