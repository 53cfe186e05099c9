// Lines a client can trigger are written at most once per interval per key.
import { describe, expect, it } from 'vitest';
import { ManualClock } from './clock.js';
import type { Logger } from './log.js';
import { RateLimitedLog } from './rate-limited-log.js';

function recorder(): { log: Logger; lines: { level: string; obj: Record<string, unknown>; msg: string }[] } {
  const lines: { level: string; obj: Record<string, unknown>; msg: string }[] = [];
  const at = (level: string) => (obj: Record<string, unknown>, msg: string) => lines.push({ level, obj, msg });
  return { log: { error: at('error'), warn: at('warn'), info: at('info') } as unknown as Logger, lines };
}

describe('RateLimitedLog', () => {
  it('writes the first line of a key, counts the rest within the interval, and says how many were left out', () => {
    const clock = new ManualClock(0);
    const { log, lines } = recorder();
    const r = new RateLimitedLog(log, clock, 10_000);
    expect(r.info('bad', { n: 1 }, 'bad input')).toBe(true);
    for (let i = 0; i < 10_000; i++) r.info('bad', { n: i }, 'bad input');
    expect(lines).toHaveLength(1);
    clock.advance(9_999);
    expect(r.info('bad', {}, 'bad input')).toBe(false);
    clock.advance(1);
    expect(r.info('bad', { n: 2 }, 'bad input')).toBe(true);
    expect(lines).toHaveLength(2);
    expect(lines[1]).toEqual({ level: 'info', obj: { n: 2, suppressed: 10_001 }, msg: 'bad input (10001 more like it not logged)' });
  });

  it('keys are independent, and levels are kept', () => {
    const clock = new ManualClock(0);
    const { log, lines } = recorder();
    const r = new RateLimitedLog(log, clock);
    r.error('a', {}, 'one');
    r.warn('b', {}, 'two');
    r.error('a', {}, 'again');
    expect(lines.map((l) => [l.level, l.msg])).toEqual([
      ['error', 'one'],
      ['warn', 'two'],
    ]);
  });
});
