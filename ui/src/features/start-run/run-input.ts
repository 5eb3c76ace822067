import type { InputField } from './spec-outline';

export type InputValues = Record<string, string | boolean>;
export type InputResult =
  { ok: true; input: Record<string, unknown> } | { ok: false; errors: Record<string, string> };

/** The form's starting values: each field's default, written as the user would type it. */
export function initialValues(fields: InputField[]): InputValues {
  return Object.fromEntries(
    fields.map((field): [string, string | boolean] => {
      if (field.type === 'boolean') return [field.name, field.default === true];
      if (field.default === undefined) return [field.name, ''];
      const typed = typeof field.default === 'string' ? field.default : JSON.stringify(field.default);
      return [field.name, typed];
    }),
  );
}

/**
 * The run's input from the form: each typed value read as its declared type; an empty optional
 * field is left out (the engine fills its default). Errors name the field and what it expects.
 */
export function readInput(fields: InputField[], values: InputValues): InputResult {
  const input: Record<string, unknown> = {};
  const errors: Record<string, string> = {};
  for (const field of fields) {
    const value = values[field.name];
    if (field.type === 'boolean') {
      input[field.name] = value === true;
      continue;
    }
    const typed = typeof value === 'string' ? value.trim() : '';
    if (!typed) {
      if (field.required) errors[field.name] = `${field.name} is required`;
      continue;
    }
    if (field.type === 'string') input[field.name] = value;
    else if (field.type === 'number' || field.type === 'integer') {
      const number = Number(typed);
      if (!Number.isFinite(number) || (field.type === 'integer' && !Number.isInteger(number))) {
        errors[field.name] = `${field.name} must be ${field.type === 'integer' ? 'an integer' : 'a number'}`;
      } else input[field.name] = number;
    } else {
      try {
        const parsed: unknown = JSON.parse(typed);
        const isArray = Array.isArray(parsed);
        const fits =
          field.type === 'array' ? isArray : typeof parsed === 'object' && parsed !== null && !isArray;
        if (fits || (field.type !== 'array' && field.type !== 'object')) input[field.name] = parsed;
        else errors[field.name] = `${field.name} must be a JSON ${field.type}`;
      } catch {
        errors[field.name] = `${field.name} must be JSON (${field.type})`;
      }
    }
  }
  return Object.keys(errors).length > 0 ? { ok: false, errors } : { ok: true, input };
}

/** Free JSON input for a spec that declares no inputs: an object, or nothing. */
export function readJsonInput(text: string): InputResult {
  if (!text.trim()) return { ok: true, input: {} };
  try {
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) {
      return { ok: true, input: parsed as Record<string, unknown> };
    }
    return { ok: false, errors: { input: 'the input must be a JSON object, like {"name": "world"}' } };
  } catch (err) {
    return { ok: false, errors: { input: `the input is not valid JSON: ${(err as Error).message}` } };
  }
}
