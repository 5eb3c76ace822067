import type { ContextConflict, ContextWrite, SharedContextSnapshot } from './run-snapshot';

export type ContextPolicy = 'last-writer' | 'merge' | 'reviewer';

/** A parallel write that waits for the reviewer agent: the later value stands until it rules. */
export type PendingReview = {
  conflict: number;
  key: string;
  earlier: { stepId: string; value: unknown };
  later: { stepId: string; value: unknown };
};

/**
 * The context a run's steps share, kept in workflow state: versioned, every write recorded. A step reads
 * the version it started from; a write to a key that another step wrote after that version is a
 * parallel write, resolved by the spec's policy and recorded as a conflict.
 */
export class SharedContext {
  private version = 0;
  private values: Record<string, unknown> = {};
  private writes: ContextWrite[] = [];
  private conflicts: ContextConflict[] = [];

  static from(snapshot: SharedContextSnapshot): SharedContext {
    const context = new SharedContext();
    context.version = snapshot.version;
    context.values = { ...snapshot.values };
    context.writes = [...snapshot.writes];
    context.conflicts = [...snapshot.conflicts];
    return context;
  }

  get currentVersion(): number {
    return this.version;
  }

  read(): Record<string, unknown> {
    return { ...this.values };
  }

  /**
   * Writes a step's values; `baseVersion` is the version the step started from. Under the reviewer
   * policy, each parallel write comes back as a review for the workflow to put to the reviewer agent.
   */
  write(
    stepId: string,
    values: Record<string, unknown>,
    baseVersion: number,
    policy: ContextPolicy,
    at: string,
  ): PendingReview[] {
    const reviews: PendingReview[] = [];
    for (const [key, value] of Object.entries(values)) {
      const rival = this.writes.findLast(
        (write) => write.key === key && write.version > baseVersion && write.stepId !== stepId,
      );
      let resolved = value;
      if (rival) {
        const merged = policy === 'merge' ? merge(this.values[key], value) : undefined;
        resolved = merged ?? value;
        if (policy === 'reviewer') {
          reviews.push({
            conflict: this.conflicts.length,
            key,
            earlier: { stepId: rival.stepId, value: this.values[key] },
            later: { stepId, value },
          });
        }
        this.conflicts.push({
          key,
          steps: [rival.stepId, stepId],
          policy,
          resolution:
            policy === 'reviewer'
              ? 'awaiting the reviewer'
              : merged === undefined
                ? `"${stepId}" wrote last and won`
                : 'the values were merged',
        });
      }
      this.version += 1;
      this.values[key] = resolved;
      this.writes.push({ stepId, key, version: this.version, at });
    }
    return reviews;
  }

  /** Applies the reviewer's ruling: approve keeps the later value, reject puts the earlier one back. */
  settle(review: PendingReview, approved: boolean, reasons: string, at: string): void {
    const conflict = this.conflicts[review.conflict];
    if (!conflict) return;
    const kept = approved ? review.later : review.earlier;
    conflict.resolution = `the reviewer kept the value from "${kept.stepId}"${reasons ? `: ${reasons}` : ''}`;
    if (approved) return;
    this.version += 1;
    this.values[review.key] = review.earlier.value;
    this.writes.push({ stepId: 'reviewer', key: review.key, version: this.version, at });
  }

  snapshot(): SharedContextSnapshot {
    return {
      version: this.version,
      values: { ...this.values },
      writes: [...this.writes],
      conflicts: [...this.conflicts],
    };
  }
}

function merge(earlier: unknown, later: unknown): unknown {
  if (Array.isArray(earlier) && Array.isArray(later))
    return [...(earlier as unknown[]), ...(later as unknown[])];
  if (isRecord(earlier) && isRecord(later)) return { ...earlier, ...later };
  return undefined;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
