import { z } from 'zod';
import type { Usage } from './model-cost';
import { JsonSchemaObject } from './model-step-input';
import { parseStructured, type StructuredSchema } from './structured-output';

/** A tool call the model made; arguments are parsed JSON. */
export const ToolCall = z.object({
  id: z.string(),
  name: z.string(),
  arguments: z.record(z.string(), z.unknown()),
});
export type ToolCall = z.infer<typeof ToolCall>;

/** One message of a conversation, in Troupe's own shape; each adapter maps it to its API. */
export const ChatMessage = z.discriminatedUnion('role', [
  z.strictObject({ role: z.enum(['system', 'user']), content: z.string() }),
  z.strictObject({
    role: z.literal('assistant'),
    content: z.string(),
    toolCalls: z.array(ToolCall).optional(),
  }),
  z.strictObject({ role: z.literal('tool'), content: z.string(), toolCallId: z.string(), name: z.string() }),
]);
export type ChatMessage = z.infer<typeof ChatMessage>;

/** A tool the model may call; parameters is a JSON schema. */
export const ToolSpec = z.strictObject({
  name: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'a tool name has letters, digits, _ and -'),
  description: z.string().optional(),
  parameters: JsonSchemaObject,
});
export type ToolSpec = z.infer<typeof ToolSpec>;

/** What a streamed call has produced so far, and the text the latest chunk added. */
export type StreamProgress = { outputTokens: number; characters: number; delta: string };

export type ChatRequest = {
  /** The name the provider knows the model by. */
  model: string;
  messages: ChatMessage[];
  tools?: ToolSpec[] | undefined;
  /** Structured output: the answer must match this schema (a zod schema or a JSON schema). */
  schema?: z.ZodType | JsonSchemaObject | undefined;
  maxTokens?: number | undefined;
  temperature?: number | undefined;
  /** Aborts the call: pass the activity's cancellation signal. */
  signal?: AbortSignal | undefined;
  /** The whole call, from request to last token. */
  timeoutMs?: number | undefined;
  /** The longest silence allowed before the first byte and between chunks. */
  idleTimeoutMs?: number | undefined;
  /** Sent as HTTP headers, so logs and the fake server can tell callers apart (X-Troupe-Agent, ...). */
  headers?: Record<string, string> | undefined;
  /** Called as chunks arrive: the activity heartbeats from it, and the token stream sends `delta`. */
  onProgress?: ((progress: StreamProgress) => void) | undefined;
};

export type ChatResult = {
  text: string;
  /** The parsed answer, when the request had a schema. */
  json?: unknown;
  toolCalls?: ToolCall[];
  usage: Usage;
  finishReason?: string;
  /** True when the answer came from Troupe's scripted model server, not a real model. */
  simulated: boolean;
};

export type ProbeResult = { models: string[] };

/** A model server Troupe can talk to: chat (always streamed) and a cheap health probe. */
export interface ModelProvider {
  readonly id: string;
  readonly kind: 'ollama' | 'openai';
  readonly baseUrl: string;
  chat(request: ChatRequest): Promise<ChatResult>;
  /** Lists the server's models: Ollama GET /api/tags, OpenAI GET /models. */
  probe(signal: AbortSignal): Promise<ProbeResult>;
}

/** The header the fake model server puts on every response. */
export const SIMULATED_HEADER = 'x-troupe-simulated';

/** A tool as both OpenAI's and Ollama's chat APIs take it: a function with a JSON-schema signature. */
export function functionTool(tool: ToolSpec) {
  return {
    type: 'function' as const,
    function: {
      name: tool.name,
      ...(tool.description && { description: tool.description }),
      parameters: tool.parameters,
    },
  };
}

/**
 * A streamed answer as a ChatResult, whichever API it came from. With a schema and no tool calls, the
 * text must parse and match it.
 */
export function chatResult(
  answer: { text: string; toolCalls: ToolCall[]; usage: Usage; finishReason: string | undefined },
  { model, schema, simulated }: { model: string; schema: StructuredSchema | undefined; simulated: boolean },
): ChatResult {
  const { text, toolCalls, usage, finishReason } = answer;
  return {
    text,
    ...(schema && toolCalls.length === 0 && { json: parseStructured(text, schema, model, usage) }),
    ...(toolCalls.length > 0 && { toolCalls }),
    usage,
    ...(finishReason && { finishReason }),
    simulated,
  };
}
