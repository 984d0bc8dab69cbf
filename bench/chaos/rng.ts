/** A seeded PRNG (mulberry32): a chaos run is replayed by passing the seed it printed. */
export class Rng {
  private s: number;

  constructor(readonly seed: number) {
    this.s = seed >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    this.s = (this.s + 0x6d2b79f5) >>> 0;
    let t = this.s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  int(lo: number, hiExclusive: number): number {
    return lo + Math.floor(this.next() * (hiExclusive - lo));
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new Error('pick from an empty list');
    return items[Math.floor(this.next() * items.length)]!;
  }

  /** A non-empty subset of `items` of at most `max` elements, in the order of `items`. */
  subset<T>(items: readonly T[], max: number): T[] {
    const n = this.int(1, Math.min(max, items.length) + 1);
    const chosen = new Set<T>();
    while (chosen.size < n) chosen.add(this.pick(items));
    return items.filter((i) => chosen.has(i));
  }

  /** Chooses among weighted options. */
  weighted<T>(options: ReadonlyArray<readonly [T, number]>): T {
    const total = options.reduce((n, [, w]) => n + w, 0);
    let r = this.next() * total;
    for (const [v, w] of options) {
      if ((r -= w) < 0) return v;
    }
    return options[options.length - 1]![0];
  }
}
