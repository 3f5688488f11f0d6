/** When a run takes checkpoints: every N instructions and/or at listed instruction counts. */

/** A checkpoint schedule; an empty one takes checkpoints on demand only. */
export class CheckpointSchedule {
  /** `every`: a period in instructions (above 0), or none; `at`: instruction counts. */
  constructor(
    private readonly every: bigint | undefined = undefined,
    private readonly at: readonly bigint[] = [],
  ) {}

  /** The first checkpoint point after `now`, if any. */
  next(now: bigint): bigint | undefined {
    const cands = this.at.filter((p) => p > now);
    if (this.every) cands.push((now / this.every + 1n) * this.every);
    return cands.length ? cands.reduce((a, b) => (a < b ? a : b)) : undefined;
  }
}
