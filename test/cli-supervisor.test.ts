// `punctual up`'s worker supervisor with fake child processes: a dying
// worker is reported and restarted with backoff, a worker that rejected its
// arguments is not, and stop() ends every worker without restarting any.
import { EventEmitter } from 'node:events';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { WorkerSupervisor, restartDelayMs, type ChildLike } from '../cli/supervisor.js';

class FakeChild extends EventEmitter implements ChildLike {
  exitCode: number | null = null;
  signalCode: NodeJS.Signals | null = null;
  signals: NodeJS.Signals[] = [];
  constructor(readonly pid: number) {
    super();
  }
  kill(signal: NodeJS.Signals = 'SIGTERM'): boolean {
    this.signals.push(signal);
    return true;
  }
  die(code: number | null, signal: NodeJS.Signals | null = null): void {
    this.exitCode = code;
    this.signalCode = signal;
    this.emit('exit', code, signal);
  }
}

function setup(count: number): { sup: WorkerSupervisor; children: FakeChild[]; spawned: number[]; log: string[] } {
  const children: FakeChild[] = [];
  const spawned: number[] = [];
  const log: string[] = [];
  const sup = new WorkerSupervisor({
    count,
    spawn: (i) => {
      spawned.push(i);
      const c = new FakeChild(100 + children.length);
      children.push(c);
      return c;
    },
    log: (l) => log.push(l),
    stableMs: 60_000,
  });
  return { sup, children, spawned, log };
}

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
});
afterEach(() => {
  vi.useRealTimers();
});

describe('restartDelayMs', () => {
  it('doubles from 1 s and caps at 30 s', () => {
    expect([0, 1, 2, 3, 4, 5, 6, 10].map(restartDelayMs)).toEqual([1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000]);
  });
});

describe('WorkerSupervisor', () => {
  it('starts one process per worker', () => {
    const { sup, spawned } = setup(3);
    sup.start();
    expect(spawned).toEqual([0, 1, 2]);
    expect(sup.running()).toBe(3);
  });

  it('reports a worker that dies and restarts it after a growing delay', () => {
    const { sup, children, spawned, log } = setup(1);
    sup.start();
    children[0]!.die(1);
    expect(log[0]).toBe('worker 1 (pid 100) exited with code 1; restarting it in 1.0 s');
    expect(sup.running()).toBe(0);
    vi.advanceTimersByTime(999);
    expect(spawned).toHaveLength(1);
    vi.advanceTimersByTime(1);
    expect(spawned).toEqual([0, 0]);
    children[1]!.die(null, 'SIGKILL');
    expect(log[1]).toBe('worker 1 (pid 101) was killed by SIGKILL; restarting it in 2.0 s');
    vi.advanceTimersByTime(2000);
    expect(spawned).toHaveLength(3);
  });

  it('does not restart a worker that rejected its arguments (exit 2)', () => {
    const { sup, children, spawned, log } = setup(2);
    sup.start();
    children[0]!.die(2);
    expect(log[0]).toMatch(/rejected its arguments; not restarting/);
    vi.advanceTimersByTime(60_000);
    expect(spawned).toEqual([0, 1]);
    expect(sup.gaveUp()).toBe(1);
  });

  it('reports a spawn failure and retries', () => {
    const { sup, children, spawned, log } = setup(1);
    sup.start();
    children[0]!.emit('error', new Error('spawn ENOENT'));
    expect(log[0]).toMatch(/failed to start: spawn ENOENT; restarting/);
    vi.advanceTimersByTime(1000);
    expect(spawned).toHaveLength(2);
  });

  it('stop() sends SIGTERM, escalates to SIGKILL after the grace period, and restarts nothing', async () => {
    const { sup, children, spawned, log } = setup(2);
    sup.start();
    children[1]!.die(1); // a restart is pending when stop() comes
    const stopped = sup.stop(5_000);
    expect(children[0]!.signals).toEqual(['SIGTERM']);
    vi.advanceTimersByTime(5_000);
    expect(children[0]!.signals).toEqual(['SIGTERM', 'SIGKILL']);
    children[0]!.die(null, 'SIGKILL');
    await stopped;
    vi.advanceTimersByTime(60_000);
    expect(spawned).toEqual([0, 1]);
    expect(log).toHaveLength(1);
  });
});
