/**
 * Small deterministic randomness for the demo cluster. The demo must produce the same lines for the same
 * seed and window on every run and every machine, so nothing here reads the clock or Math.random.
 */

/** FNV-1a over a string: a stable 32-bit hash used to derive names and per-edge seeds. */
export function hashString(text: string, basis = 0x811c9dc5): number {
  let hash = basis >>> 0;
  for (let index = 0; index < text.length; index++) {
    hash ^= text.charCodeAt(index);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash;
}

/** Folds several integers into one 32-bit seed (murmur3's finaliser after each value, so nearby inputs diverge). */
export function mixSeeds(...values: readonly number[]): number {
  let hash = 0x9e3779b9;
  for (const value of values) {
    // Split values beyond 32 bits (unix times in milliseconds, large seeds) so no bits are silently dropped.
    const low = value >>> 0;
    const high = Math.floor(value / 0x100000000) >>> 0;
    for (const part of [low, high]) {
      hash ^= part;
      hash = Math.imul(hash ^ (hash >>> 16), 0x85ebca6b);
      hash = Math.imul(hash ^ (hash >>> 13), 0xc2b2ae35);
      hash ^= hash >>> 16;
    }
  }
  return hash >>> 0;
}

/** mulberry32: tiny, fast and good enough for synthetic traffic; returns floats in [0, 1). */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let value = state;
    value = Math.imul(value ^ (value >>> 15), value | 1);
    value ^= value + Math.imul(value ^ (value >>> 7), value | 61);
    return ((value ^ (value >>> 14)) >>> 0) / 4294967296;
  };
}

/** The distributions the traffic model needs, on top of one mulberry32 stream. */
export class SeededRandom {
  private readonly nextFloat: () => number;

  constructor(seed: number) {
    this.nextFloat = mulberry32(seed);
  }

  /** Uniform in [0, 1). */
  next(): number {
    return this.nextFloat();
  }

  /** Uniform in [min, max). */
  between(min: number, max: number): number {
    return min + (max - min) * this.nextFloat();
  }

  /** Uniform integer in [0, maxExclusive). */
  int(maxExclusive: number): number {
    return Math.floor(this.nextFloat() * maxExclusive);
  }

  /** Standard normal (Box-Muller). */
  normal(): number {
    const u = Math.max(this.nextFloat(), Number.EPSILON);
    const v = this.nextFloat();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }

  /** A multiplicative noise factor around 1 (log-normal), so rates wobble without going negative. */
  noise(sigma: number): number {
    return Math.exp(sigma * this.normal() - (sigma * sigma) / 2);
  }

  /** Poisson-distributed count: exact for small means, normal approximation above 30 (plenty for traffic). */
  poisson(mean: number): number {
    if (!(mean > 0)) return 0;
    if (mean > 30) return Math.max(0, Math.round(mean + Math.sqrt(mean) * this.normal()));
    const limit = Math.exp(-mean);
    let count = 0;
    let product = this.nextFloat();
    while (product > limit) {
      count++;
      product *= this.nextFloat();
    }
    return count;
  }

  /** Binomial count of `trials` with success `probability`; normal approximation for many trials. */
  binomial(trials: number, probability: number): number {
    if (trials <= 0 || probability <= 0) return 0;
    if (probability >= 1) return trials;
    if (trials > 40) {
      const mean = trials * probability;
      const deviation = Math.sqrt(mean * (1 - probability));
      return Math.min(trials, Math.max(0, Math.round(mean + deviation * this.normal())));
    }
    let successes = 0;
    for (let trial = 0; trial < trials; trial++) if (this.nextFloat() < probability) successes++;
    return successes;
  }

  /** Splits `total` over buckets in proportion to `weights` (a multinomial draw); the parts sum to `total`. */
  split(total: number, weights: readonly number[]): number[] {
    const parts = weights.map(() => 0);
    let remaining = total;
    let remainingWeight = weights.reduce((sum, weight) => sum + weight, 0);
    for (let index = 0; index < weights.length; index++) {
      const weight = weights[index] ?? 0;
      const part =
        index === weights.length - 1
          ? remaining
          : this.binomial(remaining, remainingWeight > 0 ? weight / remainingWeight : 0);
      parts[index] = part;
      remaining -= part;
      remainingWeight -= weight;
    }
    return parts;
  }
}
