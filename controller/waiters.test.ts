// Waiting on the core's state without polling: settled by check() (the end
// of each pump), by the condition holding at once, or by the timeout.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Waiters } from './waiters.js';

afterEach(() => {
  vi.useRealTimers();
});

describe('Waiters', () => {
  it('resolves at once when the condition already holds, without waiting', async () => {
    const w = new Waiters();
    await expect(w.until(() => true, 1000)).resolves.toBe(true);
    expect(w.size).toBe(0);
  });

  it('resolves true at the first check after the condition starts to hold, and only then', async () => {
    vi.useFakeTimers();
    const w = new Waiters();
    let loaded = false;
    let settled: boolean | undefined;
    void w.until(() => loaded, 1000).then((ok) => (settled = ok));
    w.check();
    await Promise.resolve();
    expect(settled).toBeUndefined();
    loaded = true;
    await vi.advanceTimersByTimeAsync(500);
    expect(settled).toBeUndefined(); // nothing polls: only a check settles it
    w.check();
    await Promise.resolve();
    expect(settled).toBe(true);
    expect(w.size).toBe(0);
  });

  it('resolves false when the timeout passes first, and a later check does not settle it again', async () => {
    vi.useFakeTimers();
    const w = new Waiters();
    let done = false;
    const p = w.until(() => done, 200);
    await vi.advanceTimersByTimeAsync(199);
    expect(w.size).toBe(1);
    await vi.advanceTimersByTimeAsync(1);
    await expect(p).resolves.toBe(false);
    done = true;
    w.check();
    expect(w.size).toBe(0);
  });

  it('settles each waiter on its own condition', async () => {
    const w = new Waiters();
    const flags = { a: false, b: false };
    const a = w.until(() => flags.a, 1000);
    const b = w.until(() => flags.b, 1000);
    flags.b = true;
    w.check();
    await expect(b).resolves.toBe(true);
    expect(w.size).toBe(1);
    flags.a = true;
    w.check();
    await expect(a).resolves.toBe(true);
  });
});
