import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { z } from 'zod';

/**
 * The fake model server's script: which reply each request gets, and how each model misbehaves.
 * Everything random is drawn from a seeded generator, so a script replays the same way every time.
 */

/** A substring, or a regular expression written `/pattern/flags`. */
const Matcher = z.string().min(1);

export const Knobs = z.strictObject({
  /** Milliseconds before the first byte. */
  latencyMs: z.number().min(0).optional(),
  /** Streaming speed; 0 or absent sends the whole answer at once. */
  tokensPerSecond: z.number().min(0).optional(),
  /** Share of requests answered with errorStatus (default 500), drawn from the seed. */
  errorRate: z.number().min(0).max(1).optional(),
  errorStatus: z.int().min(400).max(599).optional(),
  /** Every request fails with this status (or only the first statusTimes requests to the model). */
  status: z.int().min(400).max(599).optional(),
  statusTimes: z.int().positive().optional(),
  /** Sent as Retry-After on 429s; default 1. */
  retryAfterSeconds: z.number().min(0).optional(),
  /** Answers 200 with a body that is not valid JSON / SSE / NDJSON. */
  malformed: z.boolean().optional(),
  /** Accepts the request and never answers. */
  hang: z.boolean().optional(),
  /** Share of answers replaced by invalidReply: a model that is wrong, not broken. */
  invalidRate: z.number().min(0).max(1).optional(),
  invalidReply: z.string().optional(),
});
export type Knobs = z.infer<typeof Knobs>;

export const ScriptedToolCall = z.strictObject({
  name: z.string().min(1),
  arguments: z.record(z.string(), z.unknown()).default({}),
});

export const ReplyRule = Knobs.extend({
  match: z
    .strictObject({ model: Matcher.optional(), agent: Matcher.optional(), prompt: Matcher.optional() })
    .default({}),
  /** Text; `{{model}}`, `{{agent}}`, `{{prompt}}` and `{{toolResult}}` (the last tool result) are filled in. */
  reply: z.string().optional(),
  /** An object answered as JSON text (for structured output). */
  json: z.unknown().optional(),
  toolCalls: z.array(ScriptedToolCall).optional(),
});
export type ReplyRule = z.infer<typeof ReplyRule>;

export const FakeScript = z.strictObject({
  seed: z.int().default(1),
  /** Knobs per model name; these names are also what GET /v1/models and /api/tags list. */
  models: z.record(z.string(), Knobs).default({}),
  replies: z.array(ReplyRule).default([]),
  defaultReply: z.string().optional(),
});
export type FakeScript = z.infer<typeof FakeScript>;
export type FakeScriptInput = z.input<typeof FakeScript>;

/** Reads a script file (YAML or JSON), naming the file and field when it is wrong. */
export function loadScript(path: string): FakeScript {
  const raw: unknown = parse(readFileSync(path, 'utf8'));
  const parsed = FakeScript.safeParse(raw ?? {});
  if (!parsed.success) {
    const problems = parsed.error.issues.map(
      (issue) => `  ${issue.path.join('.') || '(file)'}: ${issue.message}`,
    );
    throw new Error(`the fake model script ${path} is invalid:\n${problems.join('\n')}`);
  }
  return parsed.data;
}

export type Ask = {
  model: string;
  agent: string | undefined;
  prompt: string;
  /** The content of the conversation's last tool result, for `{{toolResult}}`. */
  toolResult?: string;
};

export function matches(matcher: string | undefined, value: string | undefined): boolean {
  if (matcher === undefined) return true;
  if (value === undefined) return false;
  const regex = /^\/(.*)\/([a-z]*)$/s.exec(matcher);
  if (regex) return new RegExp(regex[1] ?? '', regex[2]).test(value);
  return value.includes(matcher);
}

/** The first rule that matches the request, and the knobs in force (the model's, overridden by the rule's). */
export function pickRule(script: FakeScript, ask: Ask): { rule: ReplyRule | undefined; knobs: Knobs } {
  const rule = script.replies.find(
    ({ match }) =>
      matches(match.model, ask.model) && matches(match.agent, ask.agent) && matches(match.prompt, ask.prompt),
  );
  const modelKnobs = script.models[ask.model] ?? {};
  const ruleKnobs = rule ? Knobs.parse(pickKnobs(rule)) : {};
  return { rule, knobs: { ...modelKnobs, ...ruleKnobs } };
}

function pickKnobs(rule: ReplyRule): Knobs {
  const knobs = Object.keys(Knobs.shape) as (keyof Knobs)[];
  return Object.fromEntries(knobs.filter((key) => rule[key] !== undefined).map((key) => [key, rule[key]]));
}

export function fillTemplate(text: string, ask: Ask): string {
  return text
    .replaceAll('{{model}}', ask.model)
    .replaceAll('{{agent}}', ask.agent ?? '')
    .replaceAll('{{prompt}}', ask.prompt)
    .replaceAll('{{toolResult}}', ask.toolResult ?? '');
}

/** mulberry32 over (seed, model, n): the n-th draw for a model is the same on every run. */
export function draw(seed: number, model: string, n: number): number {
  let hash = seed ^ 0x9e3779b9;
  for (const char of `${model}#${n}`) hash = Math.imul(hash ^ char.charCodeAt(0), 0x01000193);
  let t = (hash + 0x6d2b79f5) | 0;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}

/** A small value that satisfies a JSON schema, so structured-output calls succeed without a script. */
export function sampleFromSchema(schema: unknown, depth = 0): unknown {
  if (typeof schema !== 'object' || schema === null || depth > 8) return null;
  const s = schema as Record<string, unknown>;
  if ('const' in s) return s.const;
  if (Array.isArray(s.enum) && s.enum.length > 0) return s.enum[0];
  for (const key of ['anyOf', 'oneOf', 'allOf'] as const) {
    const options = s[key];
    if (Array.isArray(options) && options.length > 0) return sampleFromSchema(options[0], depth + 1);
  }
  const type = Array.isArray(s.type) ? (s.type[0] as unknown) : s.type;
  switch (type) {
    case 'object': {
      const properties = (s.properties ?? {}) as Record<string, unknown>;
      const required = Array.isArray(s.required) ? (s.required as string[]) : Object.keys(properties);
      return Object.fromEntries(required.map((key) => [key, sampleFromSchema(properties[key], depth + 1)]));
    }
    case 'array': {
      const min = typeof s.minItems === 'number' ? s.minItems : 0;
      return Array.from({ length: min }, () => sampleFromSchema(s.items, depth + 1));
    }
    case 'string':
      return 'x'.repeat(typeof s.minLength === 'number' ? s.minLength : 0) || 'simulated';
    case 'integer':
    case 'number':
      return typeof s.minimum === 'number' ? s.minimum : 0;
    case 'boolean':
      return false;
    case 'null':
      return null;
    default:
      return 'simulated';
  }
}
