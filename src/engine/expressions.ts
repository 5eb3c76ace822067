import { Environment } from '@marcbachmann/cel-js';
import { blobPaths, isBlobRef, type BlobRef } from './blob-ref';
import { formatPathOf } from './value-path';

/**
 * Expressions in specs are CEL (Common Expression Language): safe, non-Turing-complete, deterministic,
 * with no eval, so they run inside the workflow sandbox and replay the same way every time. Conditions
 * (`when`) and templates (`${{ ... }}`) share this one language.
 */
let environment: Environment | undefined;

/** The CEL environment, built on first use: a run without expressions never pays for it. */
function cel(): Environment {
  return (environment ??= new Environment({ homogeneousAggregateLiterals: false })
    .registerVariable('input', 'dyn')
    .registerVariable('steps', 'dyn')
    .registerVariable('context', 'dyn')
    .registerVariable('item', 'dyn')
    .registerVariable('index', 'int'));
}

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

/**
 * The expression reads a value held in the blob store (its size, a field of it, text around it),
 * which the workflow cannot read: resolve it where the store can be read, or refuse it by that path.
 */
export class StoredValueNeeded extends ExpressionError {
  override name = 'StoredValueNeeded';
  constructor(
    readonly expression: string,
    readonly paths: string[],
  ) {
    super(
      `\${{ ${expression} }} reads ${paths.join(', ') || 'a value'}, which is held in the blob store ` +
        `(too large for workflow history), and a condition or foreach.items cannot read stored values: ` +
        `compute it in a tool step and read that step's small output instead`,
    );
  }
}

/** A blob reference as CEL sees it: any use but passing it along whole fails (CEL has no such type). */
class StoredValue {
  constructor(readonly ref: BlobRef) {}
}

const SIMPLE_PATH = /^[A-Za-z_]\w*(?:\s*\.\s*[A-Za-z_]\w*|\s*\[\s*\d+\s*\])*$/;

/** Checks syntax and variable names without evaluating; returns the problem, or undefined when fine. */
export function checkExpression(expression: string): string | undefined {
  if (expression.trim() === '') return 'the expression is empty';
  try {
    const result = cel().check(expression);
    if (result.valid) return undefined;
    return `"${expression}" is not a valid expression: ${firstLine(result.error?.message)}`;
  } catch (err) {
    return `"${expression}" is not a valid expression: ${firstLine((err as Error).message)}`;
  }
}

/** Evaluates an expression; JSON numbers that are whole become CEL ints, so `input.n + 1` works. */
export type EvaluateOptions = {
  /**
   * Read blob references as the plain objects they are, as runs recorded before `bounded-state` did
   * (there `size()` of a stored text counted the reference's fields). Replay only.
   */
  plainRefs?: boolean;
};

export function evaluateExpression(
  expression: string,
  context: ExpressionContext,
  options: EvaluateOptions = {},
): unknown {
  const stored = { found: false, plain: options.plainRefs === true };
  try {
    return fromCel(cel().evaluate(expression, toCel(context, stored) as Record<string, unknown>));
  } catch (err) {
    const message = firstLine((err as Error).message);
    if (stored.found && message.startsWith('Unsupported type')) {
      // A plain path that ends on a stored value passes the reference along, as a template would.
      const walked = SIMPLE_PATH.test(expression) ? walk(context, expression) : undefined;
      if (isBlobRef(walked)) return walked;
      throw new StoredValueNeeded(expression, storedPathsRead(expression, context));
    }
    throw new ExpressionError(`${message} (in \${{ ${expression} }})`);
  }
}

/** The value at a plain path such as `steps.big.output.stdout` or `item[0]`, walked in JavaScript. */
function walk(context: ExpressionContext, expression: string): unknown {
  const keys = expression.match(/[A-Za-z_]\w*|\d+/g) ?? [];
  let value: unknown = context;
  for (const key of keys) {
    if (typeof value !== 'object' || value === null || isBlobRef(value)) return undefined;
    value = (value as Record<string, unknown>)[key];
  }
  return value;
}

/** Where the stored values an expression may read stand, e.g. `steps.big.output.stdout (5242880 bytes)`. */
function storedPathsRead(expression: string, context: ExpressionContext): string[] {
  const roots: [string, unknown][] = [
    ...stepsRead(expression).map((id): [string, unknown] => [
      `steps.${id}.output`,
      context.steps[id]?.output,
    ]),
    ...(['input', 'item', 'context'] as const)
      .filter((name) => new RegExp(`\\b${name}\\b`).test(expression))
      .map((name): [string, unknown] => [name, context[name]]),
  ];
  return roots
    .flatMap(([root, value]) =>
      blobPaths(value).map((path) => {
        const ref = walkPath(value, path) as BlobRef;
        const size = ref.items === undefined ? `${ref.bytes} bytes` : `a list of ${ref.items} items`;
        return `${root}${formatPathOf(path)} (${size})`;
      }),
    )
    .slice(0, 3);
}

function walkPath(value: unknown, path: (string | number)[]): unknown {
  return path.reduce<unknown>((at, key) => (at as Record<string | number, unknown>)[key], value);
}

/** The ids of the steps an expression reads, e.g. `steps.build.output` reads "build". */
export function stepsRead(expression: string): string[] {
  const ids = [...expression.matchAll(/\bsteps\s*(?:\.\s*([A-Za-z_]\w*)|\[\s*["']([^"']+)["']\s*\])/g)].map(
    (match) => match[1] ?? match[2] ?? '',
  );
  return [...new Set(ids)];
}

function toCel(value: unknown, stored: { found: boolean; plain: boolean }): unknown {
  if (typeof value === 'number') return Number.isSafeInteger(value) ? BigInt(value) : value;
  if (Array.isArray(value)) return value.map((item) => toCel(item, stored));
  if (!stored.plain && isBlobRef(value)) {
    stored.found = true;
    return new StoredValue(value);
  }
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, toCel(item, stored)]));
  }
  return value;
}

function fromCel(value: unknown): unknown {
  if (typeof value === 'bigint') return Number(value);
  if (value instanceof StoredValue) return value.ref;
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
