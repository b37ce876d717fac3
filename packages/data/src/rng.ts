// Seeded integer draws for subset sampling (pure-rand xoroshiro128+; never an unseeded global generator).
import { uniformInt } from 'pure-rand/distribution/uniformInt';
import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus';

/** Draws uniform integers in [0, n). Deterministic for a given 32-bit seed. */
export interface IntRng {
  int(n: number): number;
}

// xoroshiro128plus(seed) puts the seed straight into the state, so nearby seeds give nearly equal first outputs;
// discarding a few outputs decorrelates them.
const WARMUP = 16;

export function seededRng(seed: number): IntRng {
  const g = xoroshiro128plus(seed);
  for (let i = 0; i < WARMUP; i++) g.next();
  return { int: (n: number) => uniformInt(g, 0, n - 1) };
}
