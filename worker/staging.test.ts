import { describe, expect, it } from 'vitest';
import { ManualClock } from '../common/clock.js';
import type { TensorHeader } from '../common/data-frames.js';
import type { WireTensor } from '../common/tensor.js';
import { NotStagedError, Staging, type Timer } from './staging.js';

/** Timers that fire when the test moves the clock past them. */
class ManualTimers {
  private readonly pending: { at: number; fn: () => void; live: boolean }[] = [];
  constructor(private readonly clock: ManualClock) {}
  set = (fn: () => void, ms: number): Timer => {
    const t = { at: this.clock.now() + ms, fn, live: true };
    this.pending.push(t);
    return { cancel: () => void (t.live = false) };
  };
  advance(ms: number): void {
    this.clock.advance(ms);
    for (const t of [...this.pending].sort((a, b) => a.at - b.at)) {
      if (t.live && t.at <= this.clock.now()) {
        t.live = false;
        t.fn();
      }
    }
  }
  live(): number {
    return this.pending.filter((t) => t.live).length;
  }
}

const X: TensorHeader[] = [{ name: 'x', dtype: 'float32', shape: [1, 4] }];
const tensor = (shape = [1, 4], name = 'x'): WireTensor => ({ name, dtype: 'float32', shape, data: new Uint8Array(4 * shape.reduce((a, b) => a * b, 1)) });
const T1 = '1'.repeat(32);
const T2 = '2'.repeat(32);

function setup(maxBytes = 1000, holdUnknownMs = 50) {
  const clock = new ManualClock(1000);
  const timers = new ManualTimers(clock);
  const staging = new Staging({ clock, maxBytes, holdUnknownMs, setTimer: timers.set });
  return { clock, timers, staging };
}

/** The promise's outcome now, without waiting: 'pending' if not settled. */
async function state<T>(p: Promise<T>): Promise<T | 'pending' | Error> {
  const marker = Symbol('pending');
  const r = await Promise.race([p.catch((e: Error) => e), Promise.resolve().then(() => marker)]);
  return r === marker ? 'pending' : (r as T | Error);
}

describe('Staging', () => {
  it('hands a stage to the action that expects it, inside its window', async () => {
    const { staging } = setup();
    const expected = staging.expect(T1, { tensors: X, latestMs: 1010 });
    const t = tensor();
    expect(await staging.stage(T1, [t])).toEqual({ ok: true });
    expect(await expected).toEqual([t]);
    expect(staging.expected()).toBe(0);
  });

  it('holds a stage that overtook its action, and hands it over when the action arrives', async () => {
    const { staging, timers } = setup();
    const staged = staging.stage(T1, [tensor()]);
    expect(staging.bytes()).toBe(16);
    timers.advance(20);
    expect(await state(staged)).toBe('pending');
    const got = await staging.expect(T1, { tensors: X, latestMs: 2000 });
    expect(got).toHaveLength(1);
    expect(await staged).toEqual({ ok: true });
    expect(staging.bytes()).toBe(0);
    expect(timers.live()).toBe(0);
  });

  it('refuses a stage no action names (no_admission) once its hold ends, and forgets its bytes', async () => {
    const { staging, timers } = setup();
    const staged = staging.stage(T1, [tensor()]);
    timers.advance(50);
    const o = await staged;
    expect(o).toMatchObject({ ok: false, code: 'no_admission' });
    expect(o.ok ? '' : o.message).toMatch(/no action on this worker names this ticket/);
    expect(staging.bytes()).toBe(0);
    // An action naming it later does not wait for bytes that were refused.
    const late = await state(staging.expect(T1, { tensors: X, latestMs: 5000 }));
    expect(late).toBeInstanceOf(NotStagedError);
  });

  it('refuses a stage that arrives after its window (outside_window) and fails the action\'s wait', async () => {
    const { staging, clock, timers } = setup();
    const expected = staging.expect(T1, { tensors: X, latestMs: 1005 });
    clock.advance(6); // past the window, before the timer ran
    const o = await staging.stage(T1, [tensor()]);
    expect(o).toMatchObject({ ok: false, code: 'outside_window' });
    expect(o.ok ? '' : o.message).toMatch(/1\.0 ms after the window/);
    const err = await expected.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NotStagedError);
    expect((err as NotStagedError).code).toBe('not_staged_in_time');
    timers.advance(100);
    expect(await staging.stage(T1, [tensor()])).toMatchObject({ ok: false, code: 'duplicate' });
  });

  it('fails an expectation at the end of its window when nothing was staged, then refuses the late bytes', async () => {
    const { staging, timers } = setup();
    const expected = staging.expect(T1, { tensors: X, latestMs: 1005 });
    timers.advance(5);
    const err = await expected.catch((e: unknown) => e);
    expect((err as NotStagedError).code).toBe('not_staged_in_time');
    expect(staging.expected()).toBe(0);
    timers.advance(2);
    expect(await staging.stage(T1, [tensor()])).toMatchObject({ ok: false, code: 'outside_window', message: expect.stringMatching(/^staged 2\.0 ms after/) });
  });

  it('refuses tensors other than those admitted (mismatch), naming both', async () => {
    const { staging } = setup();
    const expected = staging.expect(T1, { tensors: X, latestMs: 2000 });
    const o = await staging.stage(T1, [tensor([1, 5])]);
    expect(o).toMatchObject({ ok: false, code: 'mismatch' });
    expect(o.ok ? '' : o.message).toMatch(/tensor 0 is "x" float32\[1, 5\]; "x" float32\[1, 4\] was admitted/);
    await expect(expected).rejects.toBeInstanceOf(NotStagedError);
    const e2 = staging.expect(T2, { tensors: X, latestMs: 2000 });
    expect(await staging.stage(T2, [tensor(), tensor([1, 4], 'y')])).toMatchObject({ ok: false, code: 'mismatch', message: expect.stringMatching(/2 tensors were staged; 1 were admitted/) });
    await expect(e2).rejects.toBeInstanceOf(NotStagedError);
  });

  it('refuses a second stage of one ticket (duplicate) and keeps the first', async () => {
    const { staging } = setup();
    const expected = staging.expect(T1, { tensors: X, latestMs: 2000 });
    expect(await staging.stage(T1, [tensor()])).toEqual({ ok: true });
    expect(await staging.stage(T1, [tensor()])).toMatchObject({ ok: false, code: 'duplicate' });
    expect(await expected).toHaveLength(1);
  });

  it('holds early stages only up to its budget (staging_full), and frees it as they settle', async () => {
    const { staging, timers } = setup(40);
    const a = staging.stage(T1, [tensor([1, 8])]); // 32 bytes
    expect(await staging.stage(T2, [tensor()])).toMatchObject({ ok: false, code: 'staging_full', message: expect.stringMatching(/40 bytes for staged inputs \(32 held\)/) });
    timers.advance(50);
    expect(await a).toMatchObject({ code: 'no_admission' });
    const b = staging.stage(T2, [tensor()]);
    expect(staging.bytes()).toBe(16);
    timers.advance(50);
    await b;
  });

  it('cancel and clear fail what waits and refuse what is held; nothing is left behind', async () => {
    const { staging, timers } = setup();
    const e1 = staging.expect(T1, { tensors: X, latestMs: 5000 });
    staging.cancel(T1, 'its action was refused');
    await expect(e1).rejects.toThrow('its action was refused');
    const e2 = staging.expect(T2, { tensors: X, latestMs: 5000 });
    const early = staging.stage('3'.repeat(32), [tensor()]);
    staging.clear('the controller is gone');
    await expect(e2).rejects.toThrow('the controller is gone');
    expect(await early).toMatchObject({ ok: false, code: 'no_admission', message: 'the controller is gone' });
    expect(staging.bytes()).toBe(0);
    expect(staging.expected()).toBe(0);
    timers.advance(10_000); // cancelled timers do nothing
  });
});
