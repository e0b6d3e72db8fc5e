/**
 * A small seeded generator (PCG-XSH-RR 32, O'Neill 2014): the same seed gives the same
 * numbers on every platform. Used wherever poolkit draws random numbers (fractional pooling's
 * samples, initialisation, shuffling) so results are reproducible.
 */
export class Generator {
  private state = 0n;
  private static readonly MUL = 6364136223846793005n;
  private static readonly INC = 1442695040888963407n;
  private static readonly MASK = (1n << 64n) - 1n;

  constructor(seed: number | bigint = 0) {
    this.seed(seed);
  }

  seed(seed: number | bigint): this {
    this.state = 0n;
    this.nextUint32();
    this.state = (this.state + BigInt.asUintN(64, BigInt(seed))) & Generator.MASK;
    this.nextUint32();
    return this;
  }

  nextUint32(): number {
    const old = this.state;
    this.state = (old * Generator.MUL + Generator.INC) & Generator.MASK;
    const xorshifted = Number(((old >> 18n) ^ old) >> 27n & 0xffffffffn);
    const rot = Number(old >> 59n);
    return ((xorshifted >>> rot) | (xorshifted << ((32 - rot) & 31))) >>> 0;
  }

  /** Uniform in [0, 1) with 24 random bits, so it is exact in float32. */
  uniform(): number {
    return (this.nextUint32() >>> 8) / 16777216;
  }

  /** Standard normal (Box–Muller). */
  normal(): number {
    const u = 1 - this.uniform();
    const v = this.uniform();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }
}

/** The generator poolkit draws from when an op is given none (like PyTorch's default generator). */
export const defaultGenerator = new Generator(0);

/** Seeds the default generator, like `torch.manual_seed`. */
export function manualSeed(seed: number | bigint): void {
  defaultGenerator.seed(seed);
}
