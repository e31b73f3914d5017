/** A small seeded PRNG (mulberry32), so a simulator run can be reproduced. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** z of the standard normal at the 99th percentile. */
const Z99 = 2.3263478740408408;

/**
 * Lognormal latency with the given median and 99th percentile (ms): mu = ln(median),
 * sigma = ln(p99 / median) / z99. A p99 at or below the median gives a constant latency.
 */
export function lognormalMs(random: () => number, medianMs: number, p99Ms: number, maxMs = 60_000): number {
  if (medianMs <= 0) return 0;
  if (p99Ms <= medianMs) return medianMs;
  const sigma = Math.log(p99Ms / medianMs) / Z99;
  // Box-Muller; 1 - u keeps the log argument in (0, 1].
  const u1 = 1 - random();
  const u2 = random();
  const z = Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
  return Math.min(maxMs, medianMs * Math.exp(sigma * z));
}
