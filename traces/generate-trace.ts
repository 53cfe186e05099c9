// Writes a small trace in the Azure Functions 2019 format, for tests and
// demos: `functions` rows with seeded per-minute counts (a few busy
// functions and a long tail, like the real trace), in either header variant.
import { poisson, prng } from './random.js';

export interface GenerateTraceOptions {
  /** @default 12 */
  functions?: number;
  /** Minute columns, 1..minutes. @default 10 */
  minutes?: number;
  /** Mean invocations per minute of the busiest function. @default 600 */
  peakPerMinute?: number;
  /** 'azure': HashOwner,HashApp,HashFunction,Trigger,1..N; 'minute': minute_1.. and no Trigger, columns reordered. @default 'azure' */
  variant?: 'azure' | 'minute';
  /** @default 1 */
  seed?: number;
}

const TRIGGERS = ['http', 'timer', 'queue', 'event', 'storage'];

function hash(rand: () => number): string {
  let s = '';
  for (let i = 0; i < 16; i++) s += Math.floor(rand() * 16).toString(16);
  return s;
}

export function generateAzureTrace(opts: GenerateTraceOptions = {}): string {
  const rand = prng(opts.seed ?? 1);
  const functions = opts.functions ?? 12;
  const minutes = opts.minutes ?? 10;
  const peak = opts.peakPerMinute ?? 600;
  const variant = opts.variant ?? 'azure';
  const minuteNames = Array.from({ length: minutes }, (_, i) => (variant === 'azure' ? String(i + 1) : `minute_${i + 1}`));
  const header = variant === 'azure' ? ['HashOwner', 'HashApp', 'HashFunction', 'Trigger', ...minuteNames] : ['HashFunction', 'HashOwner', 'HashApp', ...minuteNames];
  const lines = [header.join(',')];
  for (let f = 0; f < functions; f++) {
    const owner = hash(rand);
    const app = hash(rand);
    const fn = hash(rand);
    const trigger = TRIGGERS[f % TRIGGERS.length]!;
    // Popularity falls off as 1/(f+1); each minute is Poisson around it.
    const mean = peak / (f + 1);
    const counts = Array.from({ length: minutes }, () => String(poisson(rand, mean)));
    lines.push((variant === 'azure' ? [owner, app, fn, trigger, ...counts] : [fn, owner, app, ...counts]).join(','));
  }
  return lines.join('\n') + '\n';
}
