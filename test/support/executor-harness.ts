// A real worker Executor (worker/executor.ts) a test can drive: submit an
// action, await its result; what it logged, loaded and waited for is kept.
import { expect } from 'vitest';
import { systemClock } from '../../common/clock.js';
import type { Action__Output, ActionResult } from '../../common/wire.js';
import { Executor, type ExecutorOptions, type LaneWait, type LoadRecord } from '../../worker/executor.js';
import { ModelCache } from '../../worker/model-cache.js';

let nextId = 1;

/** An action for executor 0 whose window is open for `windowMs` from now; `a` overrides any field. */
export function action(a: Partial<Action__Output>, windowMs = 30_000): Action__Output {
  const now = systemClock.now();
  return { id: nextId++, type: 'INFER', executor: 0, modelKey: 'a@1', earliestMs: now, latestMs: now + windowMs, expectedMs: 1, batchSize: 1, inputs: [], lane: 0, threads: 0, emulated: null, staged: [], inputSpecs: [], ...a };
}

export class ExecutorHarness {
  readonly waits: LaneWait[] = [];
  readonly loads: LoadRecord[] = [];
  readonly lines: string[] = [];
  private readonly waiting = new Map<number, (r: ActionResult) => void>();
  executor!: Executor;

  /**
   * Starts an executor (CPU, one thread, no optimizer, an empty cache unless
   * told) whose every action gets `defaults` under its own fields and a
   * window of `windowMs` from when it is run.
   */
  static async start(opts: Partial<ExecutorOptions> = {}, defaults: Partial<Action__Output> = {}, windowMs = 30_000): Promise<ExecutorHarness> {
    const h = new ExecutorHarness(defaults, windowMs);
    h.executor = await Executor.start({
      index: 0,
      device: 'cpu',
      threads: 1,
      memoryBytes: 1e9,
      clock: systemClock,
      cache: new ModelCache(),
      optimizer: false,
      log: (l) => h.lines.push(l),
      onLaneWait: (w) => h.waits.push(w),
      onLoad: (l) => h.loads.push(l),
      onResult: (r) => h.waiting.get(Number(r.actionId))?.(r),
      ...opts,
    });
    return h;
  }

  private constructor(
    private readonly defaults: Partial<Action__Output>,
    private readonly windowMs: number,
  ) {}

  /** Submits now; resolves with the result. */
  run(a: Partial<Action__Output>): Promise<ActionResult> {
    const act = action({ ...this.defaults, ...a }, this.windowMs);
    const done = new Promise<ActionResult>((resolve) => this.waiting.set(act.id, resolve));
    this.executor.submit(act, systemClock.now());
    return done;
  }

  async ok(a: Partial<Action__Output>): Promise<ActionResult> {
    const r = await this.run(a);
    expect(r.status, r.message).toBe('OK');
    return r;
  }
}
