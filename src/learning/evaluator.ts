/**
 * The evaluator: a score from 0 to 100 and a grade for a step or a run. Objective checks come first,
 * each weighted per agent; an optional judge's verdict is blended in with its own weight. Pure.
 */

export const Grade = { Excellent: 'EXCELLENT', Good: 'GOOD', Fair: 'FAIR', Poor: 'POOR' } as const;
export type Grade = (typeof Grade)[keyof typeof Grade];

/** The grade's lower bounds: EXCELLENT at 90 or more, GOOD at 75, FAIR at 50, POOR below. */
export const GradeThresholds = { EXCELLENT: 90, GOOD: 75, FAIR: 50 } as const;

export function gradeFor(score: number): Grade {
  if (!Number.isFinite(score)) throw new RangeError(`a score must be a number from 0 to 100, got ${score}`);
  if (score >= GradeThresholds.EXCELLENT) return Grade.Excellent;
  if (score >= GradeThresholds.GOOD) return Grade.Good;
  if (score >= GradeThresholds.FAIR) return Grade.Fair;
  return Grade.Poor;
}

/** The objective checks Troupe knows how to observe. */
export const CheckName = {
  StepSucceeded: 'stepSucceeded',
  TestsPassed: 'testsPassed',
  SchemaValid: 'schemaValid',
  ExitZero: 'exitZero',
  DiffApplied: 'diffApplied',
} as const;
export type CheckName = (typeof CheckName)[keyof typeof CheckName];

/** A check's result: passed, failed, or a fraction in [0, 1] (for example 9 of 10 tests). */
export type CheckResult = { name: CheckName; passed: boolean | number; detail?: string };
export type CheckWeights = Partial<Record<CheckName, number>>;

/** Used when an agent declares no weights: the step's own success counts most. */
export const DefaultCheckWeights: Required<CheckWeights> = {
  stepSucceeded: 3,
  testsPassed: 3,
  schemaValid: 2,
  exitZero: 2,
  diffApplied: 2,
};

export type JudgeVerdict = { score: number; reasons: string[]; judge: string };

export type Evaluation = {
  score: number;
  grade: Grade;
  checks: Array<CheckResult & { weight: number; points: number }>;
  judge?: JudgeVerdict & { weight: number };
  explanation: string;
};

const clamp = (x: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, x));
const round1 = (x: number) => Math.round(x * 10) / 10;

/**
 * Scores the checks that were observed (a check absent from the list does not count either way),
 * weighted by the agent's weights; a judge, when present, takes `judgeWeight` of the total (default 0.3).
 */
export function evaluate(args: {
  checks: readonly CheckResult[];
  weights?: CheckWeights | undefined;
  judge?: JudgeVerdict | undefined;
  judgeWeight?: number | undefined;
}): Evaluation {
  const weights = { ...DefaultCheckWeights, ...args.weights };
  const checks = args.checks.map((check) => {
    const weight = Math.max(0, weights[check.name] ?? 0);
    const fraction = typeof check.passed === 'number' ? clamp(check.passed, 0, 1) : check.passed ? 1 : 0;
    return { ...check, weight, points: weight * fraction };
  });
  const totalWeight = checks.reduce((sum, c) => sum + c.weight, 0);
  const objective =
    totalWeight > 0 ? (100 * checks.reduce((sum, c) => sum + c.points, 0)) / totalWeight : undefined;
  const judgeWeight = clamp(args.judgeWeight ?? 0.3, 0, 1);
  let score: number;
  if (args.judge && objective !== undefined) {
    score = (1 - judgeWeight) * objective + judgeWeight * clamp(args.judge.score, 0, 100);
  } else if (args.judge) {
    score = clamp(args.judge.score, 0, 100);
  } else {
    score = objective ?? 0;
  }
  score = round1(score);
  const grade = gradeFor(score);
  const parts = checks.map((c) => `${c.name} ${round1(c.points)}/${c.weight}`);
  if (args.judge) parts.push(`judge ${args.judge.judge} ${args.judge.score} at weight ${judgeWeight}`);
  return {
    score,
    grade,
    checks,
    ...(args.judge ? { judge: { ...args.judge, weight: judgeWeight } } : {}),
    explanation: `${grade} ${score}: ${parts.join(', ') || 'no checks observed'}`,
  };
}

/** A run's score: the mean of its steps' scores, weighted by each step's weight (default 1). */
export function evaluateRun(steps: ReadonlyArray<{ score: number; weight?: number }>): {
  score: number;
  grade: Grade;
} {
  const total = steps.reduce((sum, s) => sum + (s.weight ?? 1), 0);
  const score = total > 0 ? round1(steps.reduce((sum, s) => sum + s.score * (s.weight ?? 1), 0) / total) : 0;
  return { score, grade: gradeFor(score) };
}
