/**
 * A small seeded PRNG (mulberry32: 32-bit state, full period 2^32, good enough for load mixes and
 * fast). The same seed always yields the same sequence on every platform, which is what makes a
 * load run reproducible.
 */
export class Prng {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** Integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** Integer in [lo, hi] (both inclusive). */
  between(lo: number, hi: number): number {
    return lo + this.int(hi - lo + 1);
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(xs: readonly T[]): T {
    if (xs.length === 0) throw new Error('pick from an empty list');
    return xs[this.int(xs.length)] as T;
  }

  /** Lower-case hex string of `chars` characters. */
  hex(chars: number): string {
    let s = '';
    while (s.length < chars) s += this.int(0x10000).toString(16).padStart(4, '0');
    return s.slice(0, chars);
  }

  /** Picks a key with probability proportional to its weight (weights need not sum to 1). */
  weighted<K extends string>(weights: readonly (readonly [K, number])[]): K {
    let total = 0;
    for (const [, w] of weights) total += w;
    let r = this.next() * total;
    for (const [k, w] of weights) {
      if (r < w) return k;
      r -= w;
    }
    const last = weights[weights.length - 1];
    if (!last) throw new Error('weighted pick from an empty list');
    return last[0];
  }
}

/** A 32-bit FNV-1a hash of a string: derives independent seeds from (seed, label) pairs. */
export function hash32(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** A PRNG derived from a seed and a label, so that separate streams do not disturb each other. */
export function derive(seed: number, label: string): Prng {
  return new Prng(hash32(`${seed}:${label}`));
}
