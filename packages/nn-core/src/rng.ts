/**
 * The one seeded random source of nn-core: xoroshiro128+ from pure-rand, with the few draws the trainer needs.
 * Streams: `new Rng(seed).fork(k)` gives independent generators (0 init, 1 shuffling, 2 subset sampling), so
 * changing the batch order never changes the initial weights.
 */
import { xoroshiro128plus, xoroshiro128plusFromState } from 'pure-rand/generator/xoroshiro128plus';
import { uniformFloat64 } from 'pure-rand/distribution/uniformFloat64';
import { uniformInt } from 'pure-rand/distribution/uniformInt';
import type { JumpableRandomGenerator } from 'pure-rand/types/JumpableRandomGenerator';

/** murmur3's 32-bit finaliser: a bijective mixer used to derive fork states. */
function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h | 0;
}

export class Rng {
  private gen: JumpableRandomGenerator;
  private spare = 0;
  private hasSpare = false;

  /** seed: any integer (truncated to 32 bits, as pure-rand does). */
  constructor(seed: number) {
    this.gen = xoroshiro128plus(seed | 0);
  }

  /** Uniform in [0, 1), 53 random bits. */
  uniform(): number {
    return uniformFloat64(this.gen);
  }

  /** Standard normal N(0, 1) by Box-Muller; the second value of each pair is kept for the next call. */
  normal(): number {
    if (this.hasSpare) {
      this.hasSpare = false;
      return this.spare;
    }
    const u1 = 1 - this.uniform(); // (0, 1]: log(u1) is finite
    const u2 = this.uniform();
    const r = Math.sqrt(-2 * Math.log(u1));
    this.spare = r * Math.sin(2 * Math.PI * u2);
    this.hasSpare = true;
    return r * Math.cos(2 * Math.PI * u2);
  }

  /** Uniform integer in [0, n), unbiased. n: integer in [1, 2^32]. */
  int(n: number): number {
    return uniformInt(this.gen, 0, n - 1);
  }

  /** Fisher-Yates shuffle in place. */
  shuffle(a: Uint32Array | number[]): void {
    for (let i = a.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const t = a[i];
      a[i] = a[j];
      a[j] = t;
    }
  }

  /**
   * An independent generator for stream `stream` (a non-negative integer), derived from this generator's
   * current state without advancing it. Different streams, and forks of forks, get unrelated states.
   */
  fork(stream: number): Rng {
    const s = this.gen.getState();
    const k = stream | 0;
    const mixed: number[] = [0, 1, 2, 3].map((i) => fmix32(s[i] ^ fmix32(k * 4 + i + 0x9e3779b9)));
    if (!mixed.some((w) => w !== 0)) mixed[0] = 1; // the all-zero state is xoroshiro's fixed point
    const gen = xoroshiro128plusFromState(mixed);
    for (let i = 0; i < 4; i++) gen.next(); // let the mixed state diffuse
    const child = new Rng(0);
    child.gen = gen;
    return child;
  }
}
