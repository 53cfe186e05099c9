// Controller scheduling throughput with emulated, zero-cost executors: the
// scheduler (admission, queues, batching, timelines, result handling) driven
// as fast as it goes, in virtual time, with many workers. It measures how many
// requests per second one controller core can decide, without the network.
import { Scheduler } from '../controller/scheduler/scheduler.js';
import type { Decision, EstimateSource } from '../controller/scheduler/types.js';
import type { Figure } from './support.js';

const zeroCost: EstimateSource = {
  exec: (_m, b) => 0.001 * b,
  load: () => 1,
  memory: () => 1,
  observeExec: () => undefined,
  observeLoad: () => undefined,
};

export function runThroughput(requests: number, workers: number, models: number): Figure[] {
  const sched = new Scheduler({ estimates: zeroCost, scheduleAheadMs: 0.01 });
  let now = 0;
  for (let m = 0; m < models; m++) sched.addModel(`m${m}@1`, [1, 2, 4, 8]);
  for (let w = 0; w < workers; w++) sched.addExecutor({ id: `w${w}/0`, workerId: `w${w}`, cls: 'emulated', memoryBudget: 1e12 }, now);
  let done = 0;
  let rejected = 0;
  const inflight: Decision[] = [];
  const t0 = performance.now();
  for (let i = 0; i < requests; i++) {
    now += 0.01; // 100,000 arrivals per virtual second
    const adm = sched.submit({ id: i, model: `m${i % models}@1`, arrival: now, deadline: now + 100 }, now);
    if (!adm.ok) rejected++;
    for (const d of sched.tick(now)) if (d.type !== 'drop') inflight.push(d);
    else done++;
    // Results come back at once: zero-cost inference.
    while (inflight.length > 0) {
      const d = inflight.pop()!;
      if (d.type === 'drop') continue;
      const c = sched.complete(d.actionId, { status: 'ok', start: now, end: now, duration: d.expected }, now);
      if (c) done += c.action.requests.length;
    }
  }
  const seconds = (performance.now() - t0) / 1000;
  return [
    {
      name: `scheduler throughput, ${workers} emulated workers, ${models} models`,
      value: requests / seconds,
      unit: 'req/s',
      target: '>= 10000',
      note: `${requests} requests in ${seconds.toFixed(2)} s, ${done} answered, ${rejected} rejected`,
    },
  ];
}
