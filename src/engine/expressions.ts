import { Environment } from '@marcbachmann/cel-js';

/**
 * Expressions in specs are CEL (Common Expression Language): safe, non-Turing-complete, deterministic,
 * with no eval, so they run inside the workflow sandbox and replay the same way every time. Conditions
 * (`when`) and templates (`${{ ... }}`) share this one language.
 */
const environment = new Environment({ homogeneousAggregateLiterals: false })
  .registerVariable('input', 'dyn')
  .registerVariable('steps', 'dyn')
  .registerVariable('context', 'dyn')
  .registerVariable('item', 'dyn')
  .registerVariable('index', 'int');

export type ExpressionContext = {
  input: Record<string, unknown>;
  steps: Record<string, { output: unknown; status: string }>;
  /** The run's shared context, as of the version the step started from. */
  context?: Record<string, unknown>;
  item?: unknown;
  index?: number;
};

export class ExpressionError extends Error {
  override name = 'ExpressionError';
}

/** Checks syntax and variable names without evaluating; returns the problem, or undefined when fine. */
export function checkExpression(expression: string): string | undefined {
  if (expression.trim() === '') return 'the expression is empty';
  try {
    const result = environment.check(expression);
    if (result.valid) return undefined;
    return `"${expression}" is not a valid expression: ${firstLine(result.error?.message)}`;
  } catch (err) {
    return `"${expression}" is not a valid expression: ${firstLine((err as Error).message)}`;
  }
}

/** Evaluates an expression; JSON numbers that are whole become CEL ints, so `input.n + 1` works. */
export function evaluateExpression(expression: string, context: ExpressionContext): unknown {
  try {
    return fromCel(environment.evaluate(expression, toCel(context) as Record<string, unknown>));
  } catch (err) {
    throw new ExpressionError(`${firstLine((err as Error).message)} (in \${{ ${expression} }})`);
  }
}

/** The ids of the steps an expression reads, e.g. `steps.build.output` reads "build". */
export function stepsRead(expression: string): string[] {
  const ids = [...expression.matchAll(/\bsteps\s*(?:\.\s*([A-Za-z_]\w*)|\[\s*["']([^"']+)["']\s*\])/g)].map(
    (match) => match[1] ?? match[2] ?? '',
  );
  return [...new Set(ids)];
}

function toCel(value: unknown): unknown {
  if (typeof value === 'number') return Number.isSafeInteger(value) ? BigInt(value) : value;
  if (Array.isArray(value)) return value.map(toCel);
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, toCel(item)]));
  }
  return value;
}

function fromCel(value: unknown): unknown {
  if (typeof value === 'bigint') return Number(value);
  if (Array.isArray(value)) return value.map(fromCel);
  if (value instanceof Map)
    return Object.fromEntries([...value].map(([key, item]) => [String(key), fromCel(item)]));
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, fromCel(item)]));
  }
  return value;
}

function firstLine(message: string | undefined): string {
  return (message ?? 'unknown error').split('\n')[0] ?? '';
}
