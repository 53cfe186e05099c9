// `punctual up`'s workers in its own process (the default; --worker-processes
// for child processes): each is a whole worker (worker/worker.ts: its
// executors, their threads, its model cache, its metrics) whose stream to the
// controller is an in-process one (ControllerHandle.connectLocalWorker), so
// an action's tensors go from the scheduler to the executor thread without a
// second socket round trip (issue 13, the local path). What a worker does is
// unchanged: it joins with Hello, runs each action inside its window or
// refuses it, and reports timings the scheduler learns from.
//
// Failure handling matches a worker process's: an executor thread that dies
// makes its worker leave and join again as a new one (rejoinWhenThreadDies),
// as the supervisor restarts a worker process that died, so the controller
// re-plans what was in flight there and forgets what it held.
import type { WorkerHandle, WorkerOptions } from '../worker/worker.js';

export interface InProcessWorkersOptions {
  count: number;
  /** The options of worker `index` (0-based), dial included. */
  options: (index: number) => WorkerOptions;
  /** One line per event worth telling the operator. */
  log: (line: string) => void;
}

export class InProcessWorkers {
  private readonly handles: WorkerHandle[] = [];
  private failed = 0;
  private stopping = false;

  constructor(private readonly opts: InProcessWorkersOptions) {}

  /** Starts every worker; one that cannot start (e.g. its device is missing) is told and counted in gaveUp(). Never rejects. */
  async start(): Promise<void> {
    let startWorker: typeof import('../worker/worker.js').startWorker;
    try {
      ({ startWorker } = await import('../worker/worker.js'));
    } catch (err) {
      this.failed = this.opts.count;
      this.opts.log(`the workers cannot start: ${err instanceof Error ? err.message : String(err)}`);
      return;
    }
    await Promise.all(
      Array.from({ length: this.opts.count }, async (_, index) => {
        try {
          const handle = await startWorker(this.opts.options(index));
          if (this.stopping) await handle.close();
          else this.handles.push(handle);
        } catch (err) {
          this.failed++;
          this.opts.log(`worker ${index + 1} failed to start: ${err instanceof Error ? err.message : String(err)}`);
        }
      }),
    );
  }

  /** Workers that did not start. */
  gaveUp(): number {
    return this.failed;
  }

  /** Each worker waits for its actions in flight (at most `drainMs`), then leaves and stops its threads. */
  async stop(drainMs = 10_000): Promise<void> {
    this.stopping = true;
    await Promise.all(
      this.handles.splice(0).map(async (h) => {
        await h.drain(drainMs);
        await h.close();
      }),
    );
  }
}
