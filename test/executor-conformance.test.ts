// The executor contract (common/executor-contract.ts), one suite run against
// both executors: the worker's ActionRunner (what worker/executor.ts runs,
// here with its timers and its thread faked on a manual clock) and the
// simulator's EmulatedExecutor (woken by an event heap, as the simulator
// does). The same scripted action streams must give the same starts,
// refusals and completions, at the same times, in the same order: each
// scenario's log is written out by hand, and random streams compare the two.
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../common/clock.js';
import type { ActionWindow, ExecutorQueue } from '../common/executor-contract.js';
import { EmulatedExecutor } from '../traces/emulated-executor.js';
import { EventHeap } from '../traces/event-heap.js';
import { ActionRunner, type RunnerTimers } from '../worker/action-runner.js';

interface Act extends ActionWindow {
  id: number;
  /** How long it runs once started, ms. */
  runMs: number;
}

/** What happens at a time: actions arrive (in this order), or the worker leaves (clear). */
type Step = { at: number; submit: Act[] } | { at: number; clear: true };

/** A log line: `<time> <start|refuse|complete|clear> <ids>`. */
type Log = string[];

/** An executor under test, on a clock and an event heap that the harness owns. */
interface Subject {
  queue: ExecutorQueue<Act>;
}
type MakeSubject = (clock: ManualClock, heap: EventHeap<() => void>, log: (line: string) => void) => Subject;

/** The worker: ActionRunner with Node's timers faked on the heap, and a thread that takes runMs. */
const worker: MakeSubject = (clock, heap, log) => {
  const timers: RunnerTimers<{ live: boolean }> = {
    set: (fire, delayMs) => {
      const handle = { live: true };
      heap.push(clock.now() + delayMs, () => {
        if (handle.live) fire();
      });
      return handle;
    },
    clear: (handle) => {
      handle.live = false;
    },
  };
  const runner: ActionRunner<Act> = new ActionRunner<Act>(
    clock,
    {
      onStart: (a, at) => {
        log(`${at} start ${a.id}`);
        heap.push(at + a.runMs, () => runner.finish((done) => log(`${clock.now()} complete ${done.id}`)));
      },
      onRefuse: (a, at) => log(`${at} refuse ${a.id}`),
    },
    timers as RunnerTimers,
  );
  return { queue: runner };
};

/** The simulator's: EmulatedExecutor, fired from the heap, durations runMs. */
const emulated: MakeSubject = (clock, heap, log) => {
  const x: EmulatedExecutor<Act> = new EmulatedExecutor<Act>('w0/0', clock, {
    schedule: (at) => heap.push(at, () => x.fire()),
    duration: (a) => a.runMs,
    onStart: (a, at) => log(`${at} start ${a.id}`),
    onRefuse: (a, at) => log(`${at} refuse ${a.id}`),
    onComplete: (a, _start, end) => log(`${end} complete ${a.id}`),
  });
  return { queue: x };
};

/** Runs a script in virtual time; at equal times the executor's own events go first, as in the simulator. */
function run(make: MakeSubject, steps: readonly Step[]): Log {
  const clock = new ManualClock(0);
  const heap = new EventHeap<() => void>();
  const out: Log = [];
  const { queue } = make(clock, heap, (line) => out.push(line));
  const script = [...steps].sort((a, b) => a.at - b.at);
  let i = 0;
  for (let guard = 0; guard < 100_000; guard++) {
    const step = script[i];
    const tE = heap.peekTime();
    if (tE <= (step?.at ?? Infinity)) {
      if (tE === Infinity) return out;
      clock.set(tE);
      heap.pop()!();
      continue;
    }
    if (step === undefined) return out;
    clock.set(step.at);
    i++;
    if ('clear' in step) out.push(`${step.at} clear ${queue.clear().map((a) => a.id).join(',')}`);
    else for (const a of step.submit) queue.submit(a);
  }
  throw new Error('the executor kept waking itself');
}

const act = (id: number, earliestMs: number, latestMs: number, runMs: number): Act => ({ id, earliestMs, latestMs, runMs });
const at = (t: number, ...submit: Act[]): Step => ({ at: t, submit });

interface Scenario {
  name: string;
  steps: Step[];
  log: Log;
}

const SCENARIOS: Scenario[] = [
  {
    name: 'an action due on arrival starts at once and completes after its run time',
    steps: [at(0, act(1, 0, 10, 5))],
    log: ['0 start 1', '5 complete 1'],
  },
  {
    name: 'one arriving while another runs starts when that one completes',
    steps: [at(0, act(1, 0, 100, 10)), at(3, act(2, 2, 100, 5))],
    log: ['0 start 1', '10 complete 1', '10 start 2', '15 complete 2'],
  },
  {
    name: 'waiting actions go by earliest, ties in arrival order',
    steps: [at(0, act(1, 0, 100, 10)), at(1, act(2, 20, 100, 5), act(3, 5, 100, 5), act(4, 5, 100, 5))],
    log: ['0 start 1', '10 complete 1', '10 start 3', '15 complete 3', '15 start 4', '20 complete 4', '20 start 2', '25 complete 2'],
  },
  {
    name: 'an earliest in the future is waited for (the timer), and a sooner one arriving meanwhile goes first',
    steps: [at(0, act(1, 30, 100, 5)), at(10, act(2, 20, 40, 5)), at(12, act(3, 40, 100, 1))],
    log: ['20 start 2', '25 complete 2', '30 start 1', '35 complete 1', '40 start 3', '41 complete 3'],
  },
  {
    name: 'the timer counts whole milliseconds from the look that armed it',
    steps: [at(0, act(1, 10.25, 100, 5)), at(20.5, act(2, 30.25, 100, 1))],
    log: ['11 start 1', '16 complete 1', '30.5 start 2', '31.5 complete 2'],
  },
  {
    name: 'a timer armed for a start that no longer waits does not wake the executor',
    steps: [at(0, act(1, 30, 100, 5)), at(10, act(2, 10, 100, 40))],
    log: ['10 start 2', '50 complete 2', '50 start 1', '55 complete 1'],
  },
  {
    name: 'an action starts exactly at its latest, and one past its latest is refused before that start',
    steps: [at(0, act(1, 0, 100, 10), act(2, 0, 10, 1), act(3, 0, 9.5, 1))],
    log: ['0 start 1', '10 complete 1', '10 refuse 3', '10 start 2', '11 complete 2'],
  },
  {
    name: 'an action already past its latest on arrival is refused at once',
    steps: [at(5, act(1, 0, 4, 1))],
    log: ['5 refuse 1'],
  },
  {
    name: 'a window that expires while waiting is refused at the next arrival, while another runs',
    steps: [at(0, act(1, 0, 100, 50)), at(1, act(2, 1, 10, 5)), at(20, act(3, 20, 100, 5))],
    log: ['0 start 1', '20 refuse 2', '50 complete 1', '50 start 3', '55 complete 3'],
  },
  {
    name: 'with no arrival, it is refused when the running action completes, after that completion',
    steps: [at(0, act(1, 0, 100, 50)), at(1, act(2, 1, 10, 5))],
    log: ['0 start 1', '50 complete 1', '50 refuse 2'],
  },
  {
    name: 'a burst: several refused at one look, in queue order, then the next one still in time starts',
    steps: [
      at(0, act(1, 0, 100, 40)),
      at(1, act(2, 1, 10, 1), act(4, 3, 30, 1), act(3, 2, 20, 1), act(5, 4, 100, 5)),
      at(25, act(6, 25, 100, 1)),
    ],
    log: ['0 start 1', '25 refuse 2', '25 refuse 3', '40 complete 1', '40 refuse 4', '40 start 5', '45 complete 5', '45 start 6', '46 complete 6'],
  },
  {
    name: 'clear drops the waiting actions unanswered, the running one still completes, nothing else starts',
    steps: [at(0, act(1, 0, 100, 10)), at(1, act(2, 0, 100, 5), act(3, 50, 100, 5)), { at: 5, clear: true }],
    log: ['0 start 1', '5 clear 2,3', '10 complete 1'],
  },
  {
    name: 'clear while waiting for an earliest disarms the timer; later arrivals run as usual',
    steps: [at(0, act(1, 30, 100, 5)), { at: 10, clear: true }, at(40, act(2, 40, 100, 5))],
    log: ['10 clear 1', '40 start 2', '45 complete 2'],
  },
];

const SUBJECTS: [string, MakeSubject][] = [
  ['worker ActionRunner', worker],
  ['simulator EmulatedExecutor', emulated],
];

describe.each(SUBJECTS)('executor contract: %s', (_name, make) => {
  it.each(SCENARIOS)('$name', ({ steps, log }) => {
    expect(run(make, steps)).toEqual(log);
  });

  it('reports what runs and what waits', () => {
    const clock = new ManualClock(0);
    const { queue } = make(clock, new EventHeap(), () => {});
    queue.submit(act(1, 0, 100, 10));
    queue.submit(act(2, 50, 100, 10));
    expect(queue.current?.id).toBe(1);
    expect(queue.waiting).toBe(1);
  });
});

describe('executor contract: both executors agree on random streams', () => {
  it('gives the same log for 500 random streams, and each log keeps the rules', () => {
    let seed = 20_240_610;
    const rand = (): number => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed / 0x7fffffff;
    };
    // Whole and fractional ms both, so the timer's rounding is exercised.
    const time = (max: number): number => (rand() < 0.5 ? Math.floor(rand() * max) : Math.round(rand() * max * 4) / 4);
    let refusals = 0;
    let waits = 0;
    for (let round = 0; round < 500; round++) {
      const steps: Step[] = [];
      const acts = new Map<number, Act>();
      const n = 1 + Math.floor(rand() * 25);
      for (let id = 1; id <= n; id++) {
        const t = time(200);
        const earliest = rand() < 0.6 ? t : t + time(30);
        const a = act(id, earliest, earliest + time(40), time(20));
        acts.set(id, a);
        steps.push(at(t, a));
      }
      if (rand() < 0.2) steps.push({ at: time(200) + 0.125, clear: true });
      const w = run(worker, steps);
      expect(run(emulated, steps), `round ${round}`).toEqual(w);

      // Every action exactly once: started and completed, refused, or dropped by a clear.
      const seen = new Map<number, string>();
      let busyUntil = -Infinity;
      for (const line of w) {
        const [tText, kind, ids] = line.split(' ') as [string, string, string];
        const t = Number(tText);
        for (const id of ids === '' ? [] : ids.split(',').map(Number)) {
          const a = acts.get(id)!;
          if (kind === 'complete') {
            expect(seen.get(id)).toBe('start');
            expect(t).toBeCloseTo(busyUntil, 9);
            continue;
          }
          expect(seen.has(id), line).toBe(false);
          seen.set(id, kind);
          if (kind === 'start') {
            expect(t).toBeGreaterThanOrEqual(a.earliestMs);
            expect(t).toBeLessThanOrEqual(a.latestMs);
            expect(t).toBeGreaterThanOrEqual(busyUntil); // one at a time
            if (t > a.earliestMs && t > steps.find((s) => 'submit' in s && s.submit.includes(a))!.at) waits++;
            busyUntil = t + a.runMs;
          } else if (kind === 'refuse') {
            expect(t).toBeGreaterThan(a.latestMs);
            refusals++;
          }
        }
      }
      expect(seen.size).toBe(n);
    }
    // The streams did exercise refusals and waiting.
    expect(refusals).toBeGreaterThan(100);
    expect(waits).toBeGreaterThan(100);
  });
});
