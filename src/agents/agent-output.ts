import { z } from 'zod';
import type { JsonSchemaObject } from '../models/model-step-input';

export type ParsedAnswer = { ok: true; value: unknown } | { ok: false; problem: string };

/** Models often wrap JSON in a fence or a sentence; take the outermost object. */
function extractJson(text: string): string {
  const fenced = /```(?:json)?\s*\n([\s\S]*?)\n\s*```/.exec(text);
  if (fenced?.[1]) return fenced[1];
  const start = text.indexOf('{');
  const end = text.lastIndexOf('}');
  return start >= 0 && end > start ? text.slice(start, end + 1) : text;
}

/** Checks a final answer against the agent's output schema; the problem text goes back to the model. */
export function parseAgentAnswer(text: string, schema: JsonSchemaObject): ParsedAnswer {
  let value: unknown;
  try {
    value = JSON.parse(extractJson(text));
  } catch {
    const flat = text.replace(/\s+/g, ' ').trim();
    return { ok: false, problem: `the answer is not JSON: ${JSON.stringify(flat.slice(0, 120))}` };
  }
  const checked = z.fromJSONSchema(schema).safeParse(value);
  if (checked.success) return { ok: true, value: checked.data };
  const problems = checked.error.issues
    .slice(0, 5)
    .map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`)
    .join('; ');
  return { ok: false, problem: `the JSON does not match the output schema (${problems})` };
}

/** The closing part of every agent's system prompt, so the output contract is stated one way. */
export function outputContract(schema: JsonSchemaObject): string {
  return [
    '',
    'Output contract: when the task is done, stop calling tools and reply with one JSON object, no prose',
    'around it, matching this JSON schema:',
    JSON.stringify(schema),
  ].join('\n');
}

/**
 * Every user turn starts `[<stepId> turn N]`. Real models read it as a heading; the scripted model
 * server matches on it (it sees only the last user turn), which is how tests script a multi-turn loop.
 */
export function turnTag(stepId: string, turn: number): string {
  return `[${stepId} turn ${turn}]`;
}

/** The user turn after tool results: carry on, or answer. */
export function continueNote(stepId: string, turn: number, tools: readonly string[]): string {
  return `${turnTag(stepId, turn)} The results of ${tools.join(', ')} are above. Continue the task; when it is done, reply with the JSON object only.`;
}

export function repairNote(stepId: string, problem: string): string {
  return `[${stepId} repair] Your answer broke the output contract: ${problem}. Reply again with only the JSON object.`;
}

/** The first user turn: the task, and the context as JSON. */
export function taskPrompt(
  stepId: string,
  task: string,
  context: Record<string, unknown> | undefined,
): string {
  const head = `${turnTag(stepId, 1)} ${task}`;
  return context && Object.keys(context).length > 0
    ? `${head}\n\nContext (JSON):\n${JSON.stringify(context, null, 2)}`
    : head;
}
