// Seeded randomness for tests: the seed is printed, and TEST_SEED=<n> replays a run exactly.
export interface Random {
  seed: number;
  /** A float in [0, 1). */
  next(): number;
  /** An integer in [0, n). */
  int(n: number): number;
  pick<T>(items: readonly T[]): T;
}

/** mulberry32: small, fast, and good enough to shuffle a test's inputs. */
export function seededRandom(what: string, seed = Number(process.env.TEST_SEED ?? Date.now() % 2 ** 31)): Random {
  console.log(`      ${what}: TEST_SEED=${seed}`);
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return { seed, next, int: (n) => Math.floor(next() * n), pick: (items) => items[Math.floor(next() * items.length)] };
}
