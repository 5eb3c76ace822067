import { z } from 'zod';
import { lazySchema } from './lazy-schema';
import { hasTemplate } from './template';

/**
 * A spec's declared inputs: what a run of it takes, checked before anything starts, and what a UI
 * renders as a form. Pure, so the API, the CLI and the workflow (for child specs) share it.
 */

export const InputType = {
  String: 'string',
  Number: 'number',
  Integer: 'integer',
  Boolean: 'boolean',
  Object: 'object',
  Array: 'array',
} as const;
export type InputType = (typeof InputType)[keyof typeof InputType];

/** A problem with an input or a declaration, with its path (as spec-validation's InputIssue). */
export type InputIssue = { path: (string | number)[]; message: string };

export const InputName = lazySchema(() =>
  z
    .string()
    .regex(
      /^[A-Za-z_][A-Za-z0-9_]*$/,
      'an input name starts with a letter or _ and has only letters, digits and _ (templates read it as input.<name>)',
    ),
);

/** One declared input. Without `required`, an input is required unless it has a default. */
export const InputDeclaration = lazySchema(() =>
  z.strictObject({
    type: z.enum(Object.values(InputType) as [InputType, ...InputType[]]).default(InputType.String),
    required: z.boolean().optional(),
    default: z.unknown().optional(),
    description: z.string().max(2000).optional(),
  }),
);
export type InputDeclaration = z.infer<typeof InputDeclaration>;

export const InputDeclarations = lazySchema(() => z.record(InputName, InputDeclaration));
export type InputDeclarations = z.infer<typeof InputDeclarations>;

/** A declaration as the API exposes it, in the spec's order, with `required` spelled out: a form's fields. */
export const InputField = lazySchema(() =>
  z.object({
    name: z.string(),
    type: z.enum(Object.values(InputType) as [InputType, ...InputType[]]),
    required: z.boolean(),
    default: z.unknown().optional(),
    description: z.string().optional(),
  }),
);
export type InputField = z.infer<typeof InputField>;

export function isRequired(declaration: InputDeclaration): boolean {
  return declaration.required ?? declaration.default === undefined;
}

/** The declarations as a list of form fields. */
export function inputFields(inputs: InputDeclarations | undefined): InputField[] {
  return Object.entries(inputs ?? {}).map(([name, declaration]) => ({
    name,
    type: declaration.type,
    required: isRequired(declaration),
    ...(declaration.default !== undefined && { default: declaration.default }),
    ...(declaration.description !== undefined && { description: declaration.description }),
  }));
}

const article = (type: InputType) =>
  type === InputType.Integer || type === InputType.Object || type === InputType.Array ? 'an' : 'a';

function typeOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'an integer' : 'a number';
  if (typeof value === 'object') return 'an object';
  return `a ${typeof value}`;
}

function fits(type: InputType, value: unknown): boolean {
  switch (type) {
    case InputType.String:
      return typeof value === 'string';
    case InputType.Number:
      return typeof value === 'number' && Number.isFinite(value);
    case InputType.Integer:
      return Number.isInteger(value);
    case InputType.Boolean:
      return typeof value === 'boolean';
    case InputType.Array:
      return Array.isArray(value);
    case InputType.Object:
      return typeof value === 'object' && value !== null && !Array.isArray(value);
  }
}

/** One line per input, for error messages and the CLI: `repo (string, required): the repository`. */
export function describeInputs(inputs: InputDeclarations | undefined): string {
  const fields = inputFields(inputs);
  if (fields.length === 0) return 'it declares no inputs';
  return fields
    .map((field) => {
      const traits = [
        field.type,
        field.required ? 'required' : 'optional',
        ...(field.default !== undefined ? [`default ${JSON.stringify(field.default)}`] : []),
      ];
      return `${field.name} (${traits.join(', ')})${field.description ? `: ${field.description}` : ''}`;
    })
    .join('; ');
}

/**
 * Checks a run's input against the spec's declarations and fills in defaults. A spec that declares no
 * inputs takes any input, as before declarations existed. With `templated`, values that are templates
 * (a child spec's input, resolved only at run time) are not type-checked.
 */
export function checkInput(
  inputs: InputDeclarations | undefined,
  input: Record<string, unknown>,
  { templated = false }: { templated?: boolean } = {},
): { ok: true; input: Record<string, unknown> } | { ok: false; issues: InputIssue[] } {
  if (!inputs) return { ok: true, input };
  const issues: InputIssue[] = [];
  const resolved: Record<string, unknown> = { ...input };
  for (const [name, declaration] of Object.entries(inputs)) {
    const value = input[name];
    const about = declaration.description ? ` (${declaration.description})` : '';
    if (value === undefined) {
      if (declaration.default !== undefined) resolved[name] = declaration.default;
      else if (isRequired(declaration))
        issues.push({
          path: [name],
          message: `the spec requires input "${name}", ${article(declaration.type)} ${declaration.type}${about}`,
        });
      continue;
    }
    if (templated && typeof value === 'string' && hasTemplate(value)) continue;
    if (!fits(declaration.type, value))
      issues.push({
        path: [name],
        message: `input "${name}" must be ${article(declaration.type)} ${declaration.type}, not ${typeOf(value)}`,
      });
  }
  for (const name of Object.keys(input)) {
    if (!(name in inputs))
      issues.push({
        path: [name],
        message: `the spec declares no input "${name}"; it takes ${describeInputs(inputs)}`,
      });
  }
  return issues.length > 0 ? { ok: false, issues } : { ok: true, input: resolved };
}

/** The declarations' own problems: a default of the wrong type, or a required input that has one. */
export function checkDeclarations(inputs: InputDeclarations | undefined): InputIssue[] {
  return Object.entries(inputs ?? {}).flatMap(([name, declaration]): InputIssue[] => {
    if (declaration.default === undefined) return [];
    if (declaration.required === true)
      return [
        {
          path: ['inputs', name, 'required'],
          message: `input "${name}" has a default, so it is never missing: drop required: true or the default`,
        },
      ];
    if (!fits(declaration.type, declaration.default))
      return [
        {
          path: ['inputs', name, 'default'],
          message: `the default of input "${name}" must be ${article(declaration.type)} ${declaration.type}, not ${typeOf(declaration.default)}`,
        },
      ];
    return [];
  });
}

/** The names of the inputs an expression reads as `input.<name>` or `input["<name>"]`. */
export function inputsRead(expression: string): string[] {
  const names = new Set<string>();
  const code = expression.replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'/g, (literal, offset: number) =>
    expression.slice(0, offset).endsWith('[') ? literal : '""',
  );
  for (const match of code.matchAll(/(?<![.\w])input\s*(?:\.\s*([A-Za-z_]\w*)|\[\s*["']([^"']+)["']\s*\])/g))
    names.add((match[1] ?? match[2]) as string);
  return [...names];
}

/**
 * The input with the declared defaults filled in, unchecked: what the workflow does for a child spec,
 * whose input the API never saw. Identity for a spec that declares no inputs.
 */
export function withInputDefaults(
  inputs: InputDeclarations | undefined,
  input: Record<string, unknown>,
): Record<string, unknown> {
  if (!inputs) return input;
  const missing = Object.entries(inputs).filter(
    ([name, declaration]) => input[name] === undefined && declaration.default !== undefined,
  );
  return missing.length === 0
    ? input
    : { ...input, ...Object.fromEntries(missing.map(([name, declaration]) => [name, declaration.default])) };
}
