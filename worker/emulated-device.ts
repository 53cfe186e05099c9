// The emulated device (`--device emulated`): no onnxruntime, no thread. Each
// lane runs its work one action at a time, in order, as its thread would,
// and an action takes what the model's profile says (worker/emulated-runs.ts,
// the figures a LOAD brings in Action.emulated), else the controller's
// expected time, waited out on timers. What the controller's scheduler sees
// is what a real worker shows it (results, timings, memory), so a simulation
// or a scale test runs against real processes and sockets without models.
import type { EmulatedRuns } from './emulated-runs.js';

/** What an emulated action needs of its job. */
export interface EmulatedJob {
  type: 'LOAD' | 'UNLOAD' | 'INFER';
  modelKey: string;
  expectedMs: number;
  batch: number;
  /** LOAD: the model's figures, if it came with usable ones. */
  emulated: EmulatedRuns | undefined;
}

/** What an emulated action produced (no outputs: there is no model). */
export interface EmulatedOutcome {
  ok: boolean;
  message: string;
  durationMs: number;
  memoryBytes: number;
}

export class EmulatedDevice {
  /** Each lane's work in order, as a thread would run it. */
  private readonly chains: Promise<unknown>[];
  /** Loaded models and the memory each reported. */
  private readonly loaded = new Map<string, number>();
  /** How long each loaded model's runs take; a model without: expected_ms. */
  private readonly runs = new Map<string, EmulatedRuns>();
  /** Work in progress: calling one ends its wait now (on close). */
  private readonly sleepers = new Set<() => void>();
  private closed = false;

  constructor(
    lanes: number,
    /** The executor's index, for messages. */
    private readonly index: number,
    /** The cached bytes of a model, whose size a LOAD reports as its memory. */
    private readonly cachedBytes: (modelKey: string) => number | undefined,
  ) {
    this.chains = Array.from({ length: lanes }, () => Promise.resolve());
  }

  /**
   * Runs the job on `lane` after what that lane holds. `stillWanted` is
   * asked once its time is up: false (its connection is gone) and nothing
   * changes, as for a result nobody hears.
   */
  run(lane: number, job: EmulatedJob, stillWanted: () => boolean): Promise<EmulatedOutcome> {
    const run = this.chains[lane]!.then(() => this.emulate(job, stillWanted));
    this.chains[lane] = run.catch(() => undefined);
    return run;
  }

  /** Forgets one loaded model (its controller did not adopt it). */
  forget(modelKey: string): void {
    this.loaded.delete(modelKey);
    this.runs.delete(modelKey);
  }

  /** Ends every wait now; nothing more runs. */
  close(): void {
    this.closed = true;
    for (const wake of this.sleepers) wake();
  }

  private async emulate(job: EmulatedJob, stillWanted: () => boolean): Promise<EmulatedOutcome> {
    if (job.type === 'INFER' && !this.loaded.has(job.modelKey)) {
      return { ok: false, message: `model ${job.modelKey} is not loaded on executor ${this.index}`, durationMs: 0, memoryBytes: 0 };
    }
    const t0 = performance.now();
    await this.sleep(this.durationOf(job));
    const durationMs = performance.now() - t0;
    if (!stillWanted()) return { ok: false, message: 'the connection was lost while this action ran', durationMs, memoryBytes: 0 };
    let memoryBytes = 0;
    if (job.type === 'LOAD') {
      memoryBytes = this.loaded.get(job.modelKey) ?? this.cachedBytes(job.modelKey) ?? 0;
      this.loaded.set(job.modelKey, memoryBytes);
      if (job.emulated) this.runs.set(job.modelKey, job.emulated);
      else this.runs.delete(job.modelKey);
    } else if (job.type === 'UNLOAD') {
      memoryBytes = this.loaded.get(job.modelKey) ?? 0;
      this.loaded.delete(job.modelKey);
      this.runs.delete(job.modelKey);
    }
    return { ok: true, message: '', durationMs, memoryBytes };
  }

  /** How long an action takes: its model's profile figures (a LOAD: its own), else the controller's expected time. */
  private durationOf(job: EmulatedJob): number {
    const runs = job.type === 'LOAD' ? job.emulated : job.type === 'INFER' ? this.runs.get(job.modelKey) : undefined;
    const ms = job.type === 'LOAD' ? runs?.load(Math.random) : runs?.run(job.batch, Math.random);
    return ms ?? job.expectedMs;
  }

  /**
   * Waits at least `ms`, or until close: whole milliseconds on timers (they
   * fire ~0.1 ms late, and may fire early: then it waits again), the last
   * fraction of one in event-loop turns (setImmediate), which keep serving
   * I/O. A timer for the fraction would round every run up by most of a
   * millisecond (a 1.03 ms cls run took 2.1), more than a tiny model's run.
   */
  private async sleep(ms: number): Promise<void> {
    const until = performance.now() + Math.max(0, ms);
    for (let left = ms; left > 0 && !this.closed; left = until - performance.now()) {
      if (left < 1) {
        await new Promise<void>((resolve) => setImmediate(resolve));
        continue;
      }
      await new Promise<void>((resolve) => {
        const wake = (): void => {
          clearTimeout(timer);
          this.sleepers.delete(wake);
          resolve();
        };
        const timer = setTimeout(wake, Math.floor(left));
        this.sleepers.add(wake);
      });
    }
  }
}
