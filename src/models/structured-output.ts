import { z } from 'zod';
import type { Usage } from './model-cost';
import type { JsonSchemaObject } from './model-step-input';
import { ProviderError, ProviderErrorKind } from './provider-error';

/** A schema as both a JSON schema (for the API's response format) and a validator (for the answer). */
export type StructuredSchema = { jsonSchema: JsonSchemaObject; validator: z.ZodType };

function isZod(schema: unknown): schema is z.ZodType {
  return typeof schema === 'object' && schema !== null && '_zod' in schema;
}

/** Accepts a zod schema or a JSON schema; zod's own converters go each way. */
export function structuredSchema(schema: z.ZodType | JsonSchemaObject): StructuredSchema {
  if (isZod(schema)) {
    const jsonSchema: JsonSchemaObject = { ...z.toJSONSchema(schema, { target: 'draft-7' }) };
    delete jsonSchema.$schema;
    return { jsonSchema, validator: schema };
  }
  return {
    jsonSchema: schema,
    validator: z.fromJSONSchema(schema),
  };
}

/**
 * Parses and validates a structured answer. A wrong answer is the model's failure, not the server's:
 * it is thrown as invalid-output so the router can escalate to a better model.
 */
export function parseStructured(
  text: string,
  schema: StructuredSchema,
  model: string,
  usage?: Usage,
): unknown {
  let value: unknown;
  try {
    value = JSON.parse(stripFence(text));
  } catch {
    throw new ProviderError(
      ProviderErrorKind.InvalidOutput,
      `${model} answered text that is not JSON where the step asked for a schema: ${preview(text)}`,
      { usage },
    );
  }
  const checked = schema.validator.safeParse(value);
  if (!checked.success) {
    const problems = checked.error.issues
      .slice(0, 3)
      .map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`)
      .join('; ');
    throw new ProviderError(
      ProviderErrorKind.InvalidOutput,
      `${model} answered JSON that does not match the step's schema (${problems})`,
      { usage },
    );
  }
  return checked.data;
}

/** Some models wrap JSON in a ```json fence even when asked not to. */
function stripFence(text: string): string {
  const fenced = /^\s*```(?:json)?\s*\n([\s\S]*?)\n\s*```\s*$/.exec(text);
  return fenced?.[1] ?? text;
}

function preview(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return JSON.stringify(flat.length > 80 ? `${flat.slice(0, 80)}…` : flat);
}
