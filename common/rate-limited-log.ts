// Log lines that a client can trigger (bad input, unexpected errors on a
// request path, actions lost on a sick executor) are written at most once per
// interval per key, so a flood of bad requests cannot flood the log or spend
// the process's time on it. A line written after a quiet spell says how many
// were left out (`suppressed`). Keys come from our code (an event, an
// executor id), never from what a client sent, so the table stays small.
import type { Clock } from './clock.js';
import type { Logger } from './log.js';

type Level = 'error' | 'warn' | 'info';

/** Keys remembered at most; the oldest is forgotten first. */
const MAX_KEYS = 1000;

export class RateLimitedLog {
  private readonly last = new Map<string, { at: number; suppressed: number }>();

  constructor(
    private readonly log: Logger,
    private readonly clock: Clock,
    /** At most one line per key per this many ms. @default 10000 */
    private readonly intervalMs = 10_000,
  ) {}

  error(key: string, obj: Record<string, unknown>, msg: string): boolean {
    return this.write('error', key, obj, msg);
  }

  warn(key: string, obj: Record<string, unknown>, msg: string): boolean {
    return this.write('warn', key, obj, msg);
  }

  info(key: string, obj: Record<string, unknown>, msg: string): boolean {
    return this.write('info', key, obj, msg);
  }

  /** Writes the line unless one with this key was written within the interval; true when written. */
  private write(level: Level, key: string, obj: Record<string, unknown>, msg: string): boolean {
    const now = this.clock.now();
    const seen = this.last.get(key);
    if (seen && now - seen.at < this.intervalMs) {
      seen.suppressed++;
      return false;
    }
    const suppressed = seen?.suppressed ?? 0;
    this.last.delete(key);
    this.last.set(key, { at: now, suppressed: 0 });
    if (this.last.size > MAX_KEYS) this.last.delete(this.last.keys().next().value!);
    this.log[level](suppressed > 0 ? { ...obj, suppressed } : obj, suppressed > 0 ? `${msg} (${suppressed} more like it not logged)` : msg);
    return true;
  }
}
