import OpenAI, { APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError } from 'openai';
import type {
  ChatCompletionCreateParamsStreaming,
  ChatCompletionMessageParam,
} from 'openai/resources/chat/completions';
import { CallDeadline } from './call-deadline';
import { estimateTokens } from './model-cost';
import {
  chatResult,
  functionTool,
  SIMULATED_HEADER,
  type ChatMessage,
  type ChatRequest,
  type ChatResult,
  type ModelProvider,
  type ToolCall,
} from './provider-adapter';
import {
  kindOfStatus,
  networkReason,
  ProviderError,
  ProviderErrorKind,
  retryAfterMs,
} from './provider-error';
import { structuredSchema } from './structured-output';

export type OpenAIProviderOptions = {
  id: string;
  /** The API root, e.g. https://api.openai.com/v1 or http://127.0.0.1:8000/v1 for vLLM. */
  baseUrl: string;
  /** Servers that need no key (vLLM, LM Studio, the fake server) still get a placeholder. */
  apiKey?: string | undefined;
};

/**
 * An adapter on the official openai client. The base URL makes it speak to any OpenAI-compatible
 * server. It streams every call, and leaves retries to Temporal and failover to the router.
 */
export function createOpenAIProvider({ id, baseUrl, apiKey }: OpenAIProviderOptions): ModelProvider {
  const client = new OpenAI({ baseURL: baseUrl, apiKey: apiKey ?? 'not-needed', maxRetries: 0 });
  const where = `${id} at ${baseUrl}`;
  return {
    id,
    kind: 'openai',
    baseUrl,
    async chat(request: ChatRequest): Promise<ChatResult> {
      const what = `${request.model} on ${where}`;
      const deadline = new CallDeadline({ ...request, what });
      const schema = request.schema ? structuredSchema(request.schema) : undefined;
      const body: ChatCompletionCreateParamsStreaming = {
        model: request.model,
        messages: request.messages.map(toOpenAIMessage),
        stream: true,
        stream_options: { include_usage: true },
        ...(request.maxTokens !== undefined && { max_tokens: request.maxTokens }),
        ...(request.temperature !== undefined && { temperature: request.temperature }),
        ...(request.tools?.length && { tools: request.tools.map(functionTool) }),
        ...(schema && {
          response_format: {
            type: 'json_schema',
            json_schema: { name: 'output', schema: schema.jsonSchema, strict: false },
          },
        }),
      };
      try {
        const { data: stream, response } = await client.chat.completions
          .create(body, {
            signal: deadline.signal,
            headers: request.headers,
            ...(request.timeoutMs !== undefined && { timeout: request.timeoutMs }),
          })
          .withResponse();
        deadline.touch();
        let text = '';
        let outputChunks = 0;
        let finishReason: string | undefined;
        let usage: { inputTokens: number; outputTokens: number } | undefined;
        const calls = new Map<number, { id: string; name: string; arguments: string }>();
        for await (const chunk of stream) {
          deadline.touch();
          let delta = '';
          if (chunk.usage) {
            usage = { inputTokens: chunk.usage.prompt_tokens, outputTokens: chunk.usage.completion_tokens };
          }
          for (const choice of chunk.choices ?? []) {
            if (choice.finish_reason) finishReason = choice.finish_reason;
            if (choice.delta?.content) {
              delta += choice.delta.content;
              text += choice.delta.content;
              outputChunks += 1;
            }
            for (const delta of choice.delta?.tool_calls ?? []) {
              const call = calls.get(delta.index) ?? { id: '', name: '', arguments: '' };
              call.id ||= delta.id ?? '';
              call.name += delta.function?.name ?? '';
              call.arguments += delta.function?.arguments ?? '';
              calls.set(delta.index, call);
              outputChunks += 1;
            }
          }
          request.onProgress?.({
            outputTokens: usage?.outputTokens ?? outputChunks,
            characters: text.length,
            delta,
          });
        }
        if (deadline.aborted) throw deadline.error();
        const toolCalls = [...calls.entries()]
          .sort(([a], [b]) => a - b)
          .map(([index, call]) => parseToolCall(call, index, what));
        const used = usage ?? {
          inputTokens: estimateTokens(request.messages.map((message) => message.content).join('\n')),
          outputTokens: outputChunks,
        };
        return chatResult(
          { text, toolCalls, usage: used, finishReason },
          { model: request.model, schema, simulated: response.headers.get(SIMULATED_HEADER) === 'true' },
        );
      } catch (err) {
        throw toProviderError(err, deadline, what);
      } finally {
        deadline.dispose();
      }
    },
    async probe(signal: AbortSignal) {
      try {
        const page = await client.models.list({ signal, maxRetries: 0 });
        return { models: page.data.map((model) => model.id) };
      } catch (err) {
        throw toProviderError(err, undefined, 'GET /models');
      }
    },
  };
}

function toOpenAIMessage(message: ChatMessage): ChatCompletionMessageParam {
  switch (message.role) {
    case 'assistant':
      return {
        role: 'assistant',
        content: message.content,
        ...(message.toolCalls?.length && {
          tool_calls: message.toolCalls.map((call) => ({
            id: call.id,
            type: 'function' as const,
            function: { name: call.name, arguments: JSON.stringify(call.arguments) },
          })),
        }),
      };
    case 'tool':
      return { role: 'tool', content: message.content, tool_call_id: message.toolCallId };
    default:
      return { role: message.role, content: message.content };
  }
}

function parseToolCall(
  call: { id: string; name: string; arguments: string },
  index: number,
  what: string,
): ToolCall {
  let args: unknown;
  try {
    args = call.arguments.trim() ? JSON.parse(call.arguments) : {};
  } catch {
    throw new ProviderError(
      ProviderErrorKind.InvalidOutput,
      `${what} called tool "${call.name}" with arguments that are not JSON`,
    );
  }
  if (typeof args !== 'object' || args === null || Array.isArray(args)) {
    throw new ProviderError(
      ProviderErrorKind.InvalidOutput,
      `${what} called tool "${call.name}" with arguments that are not an object`,
    );
  }
  return { id: call.id || `call_${index}`, name: call.name, arguments: args as Record<string, unknown> };
}

/** Sorts the openai client's errors into the kinds routing needs. */
function toProviderError(err: unknown, deadline: CallDeadline | undefined, what: string): ProviderError {
  if (err instanceof ProviderError) return err;
  if (deadline?.aborted) return deadline.error(err);
  if (err instanceof APIUserAbortError) {
    return new ProviderError(ProviderErrorKind.Cancelled, `${what} was cancelled`, { cause: err });
  }
  if (err instanceof APIConnectionTimeoutError) {
    return new ProviderError(ProviderErrorKind.Timeout, `${what} timed out before answering`, { cause: err });
  }
  if (err instanceof APIConnectionError) {
    return new ProviderError(ProviderErrorKind.Unavailable, `${what} is unreachable: ${networkReason(err)}`, {
      cause: err,
    });
  }
  const status = err instanceof APIError ? (err.status as number | undefined) : undefined;
  if (err instanceof APIError && status !== undefined) {
    const wait = retryAfterMs(err.headers as Headers | undefined);
    const detail = err.message.replace(/^\d{3}\s*/, '');
    return new ProviderError(kindOfStatus(status), `${what} answered HTTP ${status}: ${detail}`, {
      status,
      retryAfterMs: wait,
      cause: err,
    });
  }
  if (err instanceof SyntaxError || (err instanceof Error && /parse|JSON/i.test(err.message))) {
    return new ProviderError(ProviderErrorKind.Malformed, `${what} sent a response that is not valid JSON`, {
      cause: err,
    });
  }
  return new ProviderError(ProviderErrorKind.Unavailable, `${what} failed: ${networkReason(err)}`, {
    cause: err,
  });
}
