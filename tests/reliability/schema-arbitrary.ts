import fc from 'fast-check';
import { z } from 'zod';

type JsonSchema = {
  $ref?: string;
  $defs?: Record<string, JsonSchema>;
  type?: string | string[];
  enum?: unknown[];
  const?: unknown;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  allOf?: JsonSchema[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: boolean | JsonSchema;
  items?: JsonSchema;
  prefixItems?: JsonSchema[];
  minItems?: number;
  maxItems?: number;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  format?: string;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  default?: unknown;
};

/** Values shaped by a zod schema (through zod's own JSON Schema), mostly valid, for fuzzing an API. */
export function arbitraryFor(schema: z.ZodType, maxRefDepth = 2): fc.Arbitrary<unknown> {
  const root = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as JsonSchema;
  return fromJsonSchema(root, root, maxRefDepth);
}

function fromJsonSchema(schema: JsonSchema, root: JsonSchema, refsLeft: number): fc.Arbitrary<unknown> {
  const next = (child: JsonSchema) => fromJsonSchema(child, root, refsLeft);
  if (schema.$ref) {
    if (refsLeft <= 0) return fc.constant({});
    const target = schema.$ref === '#' ? root : root.$defs?.[schema.$ref.replace(/^#\/\$defs\//, '')];
    return target ? fromJsonSchema(target, root, refsLeft - 1) : fc.jsonValue({ maxDepth: 2 });
  }
  if (schema.const !== undefined) return fc.constant(schema.const);
  if (schema.enum) return fc.constantFrom(...schema.enum);
  const union = schema.anyOf ?? schema.oneOf;
  if (union) return fc.oneof(...union.map(next));
  if (schema.allOf?.[0]) return next(schema.allOf[0]);
  const types = Array.isArray(schema.type) ? schema.type : schema.type ? [schema.type] : [];
  if (types.length > 1) return fc.oneof(...types.map((type) => next({ ...schema, type })));
  switch (types[0]) {
    case 'string':
      return stringFor(schema);
    case 'integer':
      return fc.integer({
        min: Math.ceil(schema.minimum ?? schema.exclusiveMinimum ?? -1_000_000),
        max: Math.floor(schema.maximum ?? schema.exclusiveMaximum ?? 1_000_000),
      });
    case 'number':
      return fc.double({
        min: schema.minimum ?? schema.exclusiveMinimum ?? -1e6,
        max: schema.maximum ?? schema.exclusiveMaximum ?? 1e6,
        noNaN: true,
      });
    case 'boolean':
      return fc.boolean();
    case 'null':
      return fc.constant(null);
    case 'array': {
      const items = schema.items ? next(schema.items) : fc.jsonValue({ maxDepth: 2 });
      const minLength = schema.minItems ?? 0;
      return fc.array(items, { minLength, maxLength: Math.min(schema.maxItems ?? 4, minLength + 4) });
    }
    case 'object':
      return objectFor(schema, next);
    default:
      return fc.jsonValue({ maxDepth: 3 });
  }
}

function stringFor(schema: JsonSchema): fc.Arbitrary<string> {
  if (schema.format === 'date-time') {
    return fc
      .date({ min: new Date('2000-01-01'), max: new Date('2100-01-01'), noInvalidDate: true })
      .map((date) => date.toISOString());
  }
  const maxLength = Math.min(schema.maxLength ?? 40, 40);
  const minLength = Math.min(schema.minLength ?? 0, maxLength);
  if (schema.pattern) {
    try {
      return fc
        .stringMatching(new RegExp(schema.pattern))
        .filter((text) => text.length >= minLength && text.length <= (schema.maxLength ?? Infinity));
    } catch {
      // A pattern fast-check cannot generate from: plain strings, mostly refused.
    }
  }
  return fc.oneof(
    ...(['grapheme-ascii', 'grapheme', 'binary'] as const).map((unit) =>
      fc.string({ minLength, maxLength, unit }),
    ),
  );
}

function objectFor(
  schema: JsonSchema,
  next: (child: JsonSchema) => fc.Arbitrary<unknown>,
): fc.Arbitrary<Record<string, unknown>> {
  const properties = schema.properties ?? {};
  const required = new Set(schema.required ?? []);
  const known = fc.record(
    Object.fromEntries(Object.entries(properties).map(([key, child]) => [key, next(child)])),
    { requiredKeys: Object.keys(properties).filter((key) => required.has(key)) },
  );
  const extra =
    schema.additionalProperties === false
      ? fc.constant({})
      : fc.dictionary(
          fc.string({ minLength: 1, maxLength: 12 }),
          typeof schema.additionalProperties === 'object'
            ? next(schema.additionalProperties)
            : fc.jsonValue({ maxDepth: 2 }),
          { maxKeys: 3 },
        );
  return fc.tuple(known, extra).map(([own, more]) => ({ ...more, ...own }));
}
