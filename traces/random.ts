// Seeded randomness for workloads and the simulator: a small PRNG
// (mulberry32) and the few distributions they need. Same seed, same run.

export type Rand = () => number;

/** mulberry32: 32-bit state, fast, good enough for load generation; returns [0, 1). */
export function prng(seed: number): Rand {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** An exponential gap with the given mean. */
export function exponential(rand: Rand, mean: number): number {
  return -Math.log(1 - rand()) * mean;
}

/** A standard normal draw (Box–Muller). */
export function gaussian(rand: Rand): number {
  const u = 1 - rand();
  const v = rand();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

/** A Poisson-distributed count with mean `lambda` (Knuth for small means, normal approximation above 500). */
export function poisson(rand: Rand, lambda: number): number {
  if (lambda <= 0) return 0;
  if (lambda > 500) return Math.max(0, Math.round(lambda + Math.sqrt(lambda) * gaussian(rand)));
  const l = Math.exp(-lambda);
  let k = 0;
  let p = 1;
  do {
    k++;
    p *= rand();
  } while (p > l);
  return k - 1;
}
