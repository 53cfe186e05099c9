// Waiting on the serving core's state without polling: a waiter's condition
// is checked when it is added and again after every event the core handles
// (check() runs at the end of each pump), and it settles true the first time
// the condition holds, or false when its timeout passes first.

interface Waiter {
  done: () => boolean;
  settle: (ok: boolean) => void;
}

export class Waiters {
  private readonly waiting = new Set<Waiter>();

  /** Resolves true once `done()` holds, or false after timeoutMs. */
  until(done: () => boolean, timeoutMs: number): Promise<boolean> {
    if (done()) return Promise.resolve(true);
    return new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => w.settle(false), timeoutMs);
      const w: Waiter = {
        done,
        settle: (ok) => {
          clearTimeout(timer);
          this.waiting.delete(w);
          resolve(ok);
        },
      };
      this.waiting.add(w);
    });
  }

  /** Settles every waiter whose condition now holds. */
  check(): void {
    for (const w of [...this.waiting]) if (w.done()) w.settle(true);
  }

  get size(): number {
    return this.waiting.size;
  }
}
