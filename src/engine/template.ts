import { blobPaths } from './blob-ref';
import { formatPathOf } from './value-path';
import {
  checkExpression,
  evaluateExpression,
  stepsRead,
  StoredValueNeeded,
  type EvaluateOptions,
  type ExpressionContext,
} from './expressions';

/**
 * `${{ expression }}` templates in step inputs and outputs. The expression is CEL (see expressions.ts);
 * resolution is a pure walk over plain data, so it runs inside the workflow sandbox. `$${{` stands for a
 * literal `${{`: text from people and models (a goal, a planned task) is escaped so it stays text.
 */

const TEMPLATE = /(?<!\$)\$\{\{(.*?)\}\}/gs;
const WHOLE = /^\$\{\{(.*?)\}\}$/s;
/** A template, or an escaped `$${{`, in one pass, so resolved values are never unescaped again. */
const TEMPLATE_OR_ESCAPE = /\$\$\{\{|\$\{\{(.*?)\}\}/gs;

/** Text that must stay as it is when templates are resolved. */
export function literalText(text: string): string {
  // A function, since `$$` in a replacement string means one `$`.
  return text.replaceAll('${{', () => '$${{');
}

export type Reference = {
  /** The text between `${{` and `}}`, trimmed. */
  expression: string;
  /** Where in the value the template stands, e.g. ['env', 'NAME']. */
  at: (string | number)[];
  /** The steps whose output it reads. */
  steps: string[];
  /** Why the expression is invalid, when it is. */
  error?: string;
};

/** Every template in a value, with the steps it reads and any syntax error. */
export function findReferences(value: unknown, at: (string | number)[] = []): Reference[] {
  if (typeof value === 'string') {
    return [...value.matchAll(TEMPLATE)].map((match): Reference => {
      const expression = (match[1] ?? '').trim();
      const error = checkExpression(expression);
      return { expression, at, steps: stepsRead(expression), ...(error && { error }) };
    });
  }
  if (Array.isArray(value)) return value.flatMap((item, index) => findReferences(item, [...at, index]));
  if (isPlainObject(value)) {
    return Object.entries(value).flatMap(([key, item]) => findReferences(item, [...at, key]));
  }
  return [];
}

/** True when a string holds a template anywhere. */
export function hasTemplate(value: string): boolean {
  return new RegExp(TEMPLATE.source, 's').test(value);
}

/** The expression of a `when` or `items` field, with or without the `${{ }}` around it. */
export function bareExpression(text: string): string {
  return (WHOLE.exec(text.trim())?.[1] ?? text).trim();
}

/**
 * Replaces templates with values from the context. A string that is exactly one template becomes the
 * value itself (objects stay objects); templates inside longer strings are interpolated as text.
 */
export function resolveTemplates(
  value: unknown,
  context: ExpressionContext,
  options: EvaluateOptions = {},
): unknown {
  if (typeof value === 'string') {
    const whole = WHOLE.exec(value);
    if (whole) return evaluateExpression((whole[1] ?? '').trim(), context, options);
    return value.replace(TEMPLATE_OR_ESCAPE, (_match, expression: string | undefined) => {
      if (expression === undefined) return '${{';
      const part = evaluateExpression(expression.trim(), context, options);
      // Text around a stored value needs the value itself, not its reference.
      const stored = options.plainRefs
        ? []
        : blobPaths(part).map((path) => `${expression.trim()}${formatPathOf(path)}`);
      if (stored.length > 0) throw new StoredValueNeeded(expression.trim(), stored);
      return asText(part);
    });
  }
  if (Array.isArray(value)) return value.map((item) => resolveTemplates(item, context, options));
  if (isPlainObject(value)) {
    return Object.fromEntries(
      Object.entries(value).map(([key, item]) => [key, resolveTemplates(item, context, options)]),
    );
  }
  return value;
}

/** How a value reads when it is put into text: strings as they are, objects as JSON. */
export function asText(value: unknown): string {
  switch (typeof value) {
    case 'string':
      return value;
    case 'number':
    case 'boolean':
    case 'bigint':
      return String(value);
    case 'undefined':
      return '';
    default:
      return value === null ? '' : (JSON.stringify(value) ?? '');
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Formats ['steps', 0, 'with'] as `steps[0].with`, the form error messages use. */
export function formatPath(path: readonly PropertyKey[]): string {
  return path
    .map((key, index) =>
      typeof key === 'number' ? `[${key}]` : index === 0 ? String(key) : `.${String(key)}`,
    )
    .join('');
}
