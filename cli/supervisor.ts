// Keeps `punctual up`'s local worker processes alive: reports a worker that
// dies and starts it again with exponential backoff; gives up on one that
// rejected its own arguments (exit 2), since a restart would fail the same way.
// stop() asks every worker to leave (SIGTERM) and kills stragglers.
import type { EventEmitter } from 'node:events';

/** The part of ChildProcess the supervisor uses. */
export interface ChildLike extends EventEmitter {
  readonly pid?: number | undefined;
  readonly exitCode: number | null;
  readonly signalCode: NodeJS.Signals | null;
  kill(signal?: NodeJS.Signals): boolean;
}

export interface SupervisorOptions {
  count: number;
  /** Starts worker `index` (0-based). */
  spawn: (index: number) => ChildLike;
  /** One line per event worth telling the operator. */
  log: (line: string) => void;
  /** Delay before restart number `attempt` (0-based). @default restartDelayMs */
  backoff?: (attempt: number) => number;
  /** A worker that ran this long before dying restarts without delay history. @default 60_000 */
  stableMs?: number;
}

/** 1 s, 2 s, 4 s, … capped at 30 s. */
export function restartDelayMs(attempt: number): number {
  return Math.min(30_000, 1000 * 2 ** attempt);
}

/** Exit status of a worker that refused its arguments: restarting cannot help. */
export const USAGE_EXIT_CODE = 2;

interface Slot {
  index: number;
  child?: ChildLike;
  startedAt: number;
  attempts: number;
  timer?: NodeJS.Timeout;
  gaveUp: boolean;
}

export class WorkerSupervisor {
  private readonly slots: Slot[];
  private stopping = false;
  private readonly backoff: (attempt: number) => number;
  private readonly stableMs: number;

  constructor(private readonly opts: SupervisorOptions) {
    this.backoff = opts.backoff ?? restartDelayMs;
    this.stableMs = opts.stableMs ?? 60_000;
    this.slots = Array.from({ length: opts.count }, (_, index) => ({ index, startedAt: 0, attempts: 0, gaveUp: false }));
  }

  start(): void {
    for (const slot of this.slots) this.launch(slot);
  }

  /** Workers that will not be restarted. */
  gaveUp(): number {
    return this.slots.filter((s) => s.gaveUp).length;
  }

  /** Workers whose process is running now. */
  running(): number {
    return this.slots.filter((s) => s.child !== undefined).length;
  }

  /** SIGTERM to every worker; SIGKILL to any still running after `graceMs`. */
  async stop(graceMs = 5_000): Promise<void> {
    this.stopping = true;
    await Promise.all(
      this.slots.map(async (slot) => {
        clearTimeout(slot.timer);
        const child = slot.child;
        if (!child) return;
        const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
        child.kill('SIGTERM');
        const killer = setTimeout(() => child.kill('SIGKILL'), graceMs);
        await exited;
        clearTimeout(killer);
      }),
    );
  }

  private name(slot: Slot): string {
    return `worker ${slot.index + 1}`;
  }

  private launch(slot: Slot): void {
    slot.timer = undefined;
    if (this.stopping) return;
    let child: ChildLike;
    try {
      child = this.opts.spawn(slot.index);
    } catch (err) {
      this.onExit(slot, undefined, null, null, err);
      return;
    }
    slot.child = child;
    slot.startedAt = performance.now();
    let done = false;
    const finish = (code: number | null, signal: NodeJS.Signals | null, err?: unknown): void => {
      if (done) return;
      done = true;
      this.onExit(slot, child, code, signal, err);
    };
    child.once('exit', (code: number | null, signal: NodeJS.Signals | null) => finish(code, signal));
    child.once('error', (err: unknown) => finish(null, null, err));
  }

  private onExit(slot: Slot, child: ChildLike | undefined, code: number | null, signal: NodeJS.Signals | null, err?: unknown): void {
    if (slot.child === child) slot.child = undefined;
    if (this.stopping) return;
    const pid = child?.pid !== undefined ? ` (pid ${child.pid})` : '';
    const how = err !== undefined ? `failed to start: ${err instanceof Error ? err.message : String(err)}` : signal ? `was killed by ${signal}` : `exited with code ${code}`;
    if (code === USAGE_EXIT_CODE) {
      slot.gaveUp = true;
      this.opts.log(`${this.name(slot)}${pid} ${how}: it rejected its arguments; not restarting it`);
      return;
    }
    if (child && performance.now() - slot.startedAt >= this.stableMs) slot.attempts = 0;
    const delay = this.backoff(slot.attempts++);
    this.opts.log(`${this.name(slot)}${pid} ${how}; restarting it in ${(delay / 1000).toFixed(1)} s`);
    slot.timer = setTimeout(() => this.launch(slot), delay);
  }
}
