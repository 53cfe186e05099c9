// The fifo baseline behind the policy seam: no admission control, oldest
// request first, batches for throughput, nothing dropped for its deadline,
// windows that never close.
import { describe, expect, it } from 'vitest';
import { Scheduler } from './scheduler.js';
import type { Decision, EstimateSource } from './types.js';

const est: EstimateSource = {
  exec: (_m, b) => 10 * b,
  load: () => 50,
  memory: () => 1,
  observeExec: () => undefined,
  observeLoad: () => undefined,
};

function cluster(policy: 'punctual' | 'fifo'): Scheduler {
  const s = new Scheduler({ estimates: est, policy, scheduleAheadMs: 10 });
  s.addModel('a@1', [1, 2, 4]);
  s.addModel('b@1', [1, 2, 4]);
  s.addExecutor({ id: 'w/0', workerId: 'w', cls: 'cpu', memoryBudget: 100 }, 0);
  s.warm('w/0', ['a@1', 'b@1'], 0);
  // Both loads take their 50 ms, one after the other: the executor holds both from t = 100.
  let end = 0;
  for (const d of s.tick(0)) if (d.type === 'load') s.complete(d.actionId, { status: 'ok', start: end, end: (end += 50), duration: 50 }, end);
  return s;
}

type Infer = Extract<Decision, { type: 'infer' }>;
const infers = (ds: Decision[]): Infer[] => ds.filter((d): d is Infer => d.type === 'infer');

describe('policy seam', () => {
  it('punctual is the default and rejects what cannot make its SLO; fifo accepts it', () => {
    expect(new Scheduler({ estimates: est }).policy).toBe('punctual');
    const p = cluster('punctual');
    expect(p.submit({ id: 1, model: 'a@1', arrival: 0, deadline: 20 }, 0)).toMatchObject({ ok: false, code: 'slo_unattainable' });
    const f = cluster('fifo');
    expect(f.submit({ id: 1, model: 'a@1', arrival: 0, deadline: 20 }, 0).ok).toBe(true);
    // Structural refusals stay: an unknown model is still unknown.
    expect(f.submit({ id: 2, model: 'zz@1', arrival: 0, deadline: 20 }, 0)).toMatchObject({ ok: false, code: 'unknown_model' });
  });

  it('fifo serves the oldest request first across models, runs late work late, and drops nothing', () => {
    const s = cluster('fifo');
    // b arrives first with a long deadline, a second with a short one.
    s.submit({ id: 1, model: 'b@1', arrival: 0, deadline: 10_000 }, 0);
    s.submit({ id: 2, model: 'a@1', arrival: 1, deadline: 30 }, 1);
    let now = 1;
    const served: number[] = [];
    const decisions: Decision[] = [];
    for (let step = 0; step < 100 && served.length < 2; step++) {
      const ds = s.tick(now);
      decisions.push(...ds);
      for (const d of ds) {
        if (d.type === 'drop') continue;
        if (d.type === 'infer') served.push(...d.requests.map((r) => r.id));
        s.complete(d.actionId, { status: 'ok', start: now, end: now + d.expected, duration: d.expected }, now + d.expected);
        now += d.expected;
      }
      now = Math.max(now, s.nextWakeup(now) ?? now + 1);
    }
    expect(served).toEqual([1, 2]);
    expect(decisions.some((d) => d.type === 'drop')).toBe(false);
    const a = infers(decisions).find((d) => d.model === 'a@1')!;
    expect(a.earliest + a.expected).toBeGreaterThan(30); // past its deadline: the baseline has no deadline awareness
    expect(a.latest - a.earliest).toBeGreaterThanOrEqual(3_600_000);
  });

  it('fifo batches what is queued for throughput; punctual would drop what is hopeless', () => {
    const f = cluster('fifo');
    const p = cluster('punctual');
    for (let i = 0; i < 4; i++) {
      f.submit({ id: i, model: 'a@1', arrival: 0, deadline: 1000 }, 0);
      p.submit({ id: i, model: 'a@1', arrival: 0, deadline: 1000 }, 0);
    }
    // exec is linear in the batch: every batch runs at the same rate, so the largest is taken.
    expect(infers(f.tick(100)).map((d) => d.requests.length)).toEqual([4]);
    const late = cluster('punctual');
    expect(late.submit({ id: 9, model: 'a@1', arrival: 0, deadline: 150 }, 0).ok).toBe(true);
    expect(late.tick(145).some((d) => d.type === 'drop')).toBe(true);
    const fl = cluster('fifo');
    fl.submit({ id: 9, model: 'a@1', arrival: 0, deadline: 150 }, 0);
    const ds = fl.tick(145);
    expect(ds.some((d) => d.type === 'drop')).toBe(false);
    expect(infers(ds).map((d) => d.requests[0]!.id)).toEqual([9]);
  });
});
