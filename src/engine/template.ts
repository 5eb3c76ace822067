/**
 * `${{ path }}` templates in step inputs. Resolution is a pure walk over plain data with no eval,
 * so it runs inside the workflow sandbox and replays deterministically.
 */

const TEMPLATE = /\$\{\{(.*?)\}\}/g;
const SEGMENT = /^(?:\.([A-Za-z_][A-Za-z0-9_]*)|\[(\d+)\])/;
const ROOT = /^[A-Za-z_][A-Za-z0-9_]*/;

export type TemplateContext = {
  input: Record<string, unknown>;
  steps: Record<string, { output: unknown }>;
};

export type Reference = {
  /** The text between `${{` and `}}`, trimmed. */
  expression: string;
  /** Where in the value the template stands, e.g. ['env', 'NAME']. */
  at: (string | number)[];
} & (
  | { /** The parsed path, e.g. ['steps', 'greet', 'output', 'stdout']. */ path: (string | number)[] }
  | { /** Why the expression does not parse. */ error: string }
);

export class TemplateError extends Error {
  override name = 'TemplateError';
}

/** Parses `input.a.b[0]` or `steps.greet.output.stdout`; throws TemplateError naming what is wrong. */
export function parsePath(expression: string): (string | number)[] {
  const root = ROOT.exec(expression);
  if (!root) throw new TemplateError(`"${expression}" is not a path like input.name or steps.greet.output`);
  const path: (string | number)[] = [root[0]];
  let rest = expression.slice(root[0].length);
  while (rest.length > 0) {
    const segment = SEGMENT.exec(rest);
    if (!segment) {
      throw new TemplateError(
        `"${expression}" is not a path like input.name or steps.greet.output (unexpected "${rest}")`,
      );
    }
    path.push(segment[1] ?? Number(segment[2]));
    rest = rest.slice(segment[0].length);
  }
  if (path[0] === 'input') return path;
  if (path[0] === 'steps') {
    if (typeof path[1] !== 'string' || path[2] !== 'output') {
      throw new TemplateError(`"${expression}" must read a step's output: steps.<id>.output`);
    }
    return path;
  }
  throw new TemplateError(`"${expression}" must start with input or steps`);
}

/** Every template in a value, with its parsed path or the reason it does not parse. */
export function findReferences(value: unknown, at: (string | number)[] = []): Reference[] {
  if (typeof value === 'string') {
    return [...value.matchAll(TEMPLATE)].map((match): Reference => {
      const expression = (match[1] ?? '').trim();
      try {
        return { expression, at, path: parsePath(expression) };
      } catch (err) {
        return { expression, at, error: (err as Error).message };
      }
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
  return new RegExp(TEMPLATE.source).test(value);
}

/**
 * Replaces templates with values from the context. A string that is exactly one template becomes the
 * value itself (objects stay objects); templates inside longer strings are interpolated as text.
 */
export function resolveTemplates(value: unknown, context: TemplateContext): unknown {
  if (typeof value === 'string') {
    const whole = /^\$\{\{(.*?)\}\}$/.exec(value);
    if (whole) return lookup(context, (whole[1] ?? '').trim());
    return value.replace(TEMPLATE, (_, expression: string) => asText(lookup(context, expression.trim())));
  }
  if (Array.isArray(value)) return value.map((item) => resolveTemplates(item, context));
  if (isPlainObject(value)) {
    return Object.fromEntries(
      Object.entries(value).map(([key, item]) => [key, resolveTemplates(item, context)]),
    );
  }
  return value;
}

function lookup(context: TemplateContext, expression: string): unknown {
  const path = parsePath(expression);
  let current: unknown = context;
  for (const [index, key] of path.entries()) {
    const container = current;
    const found =
      typeof key === 'number'
        ? Array.isArray(container) && key < container.length
        : isPlainObject(container) && Object.hasOwn(container, key);
    if (!found) {
      const where = formatPath(path.slice(0, index + 1));
      throw new TemplateError(`${where} is not set (in \${{ ${expression} }})`);
    }
    current = (container as Record<string | number, unknown>)[key];
  }
  return current;
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
