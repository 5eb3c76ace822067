import { Ollama, type Message } from 'ollama';
import { CallDeadline } from './call-deadline';
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

export type OllamaProviderOptions = { id: string; baseUrl: string };

/** Status and headers of the last response, which ollama's errors do not carry (Retry-After, the simulated mark). */
type Seen = { status?: number; headers?: Headers };

/**
 * An adapter on the official ollama client. The client takes no AbortSignal per request, so each call
 * gets its own client whose fetch carries the call's deadline signal and records the response headers.
 */
export function createOllamaProvider({ id, baseUrl }: OllamaProviderOptions): ModelProvider {
  const where = `${id} at ${baseUrl}`;
  const clientFor = (signal: AbortSignal, seen: Seen, headers?: Record<string, string>) =>
    new Ollama({
      host: baseUrl,
      ...(headers && { headers }),
      fetch: async (input, init) => {
        const response = await fetch(input, {
          ...init,
          signal: init?.signal ? AbortSignal.any([init.signal, signal]) : signal,
        });
        seen.status = response.status;
        seen.headers = response.headers;
        return response;
      },
    });
  return {
    id,
    kind: 'ollama',
    baseUrl,
    async chat(request: ChatRequest): Promise<ChatResult> {
      const what = `${request.model} on ${where}`;
      const deadline = new CallDeadline({ ...request, what });
      const seen: Seen = {};
      const schema = request.schema ? structuredSchema(request.schema) : undefined;
      try {
        const stream = await clientFor(deadline.signal, seen, request.headers).chat({
          model: request.model,
          messages: request.messages.map(toOllamaMessage),
          stream: true,
          ...(request.tools?.length && { tools: request.tools.map(functionTool) }),
          ...(schema && { format: schema.jsonSchema }),
          options: {
            ...(request.maxTokens !== undefined && { num_predict: request.maxTokens }),
            ...(request.temperature !== undefined && { temperature: request.temperature }),
          },
        });
        deadline.touch();
        let text = '';
        let chunks = 0;
        let usage = { inputTokens: 0, outputTokens: 0 };
        let finishReason: string | undefined;
        const toolCalls: ToolCall[] = [];
        for await (const part of stream) {
          deadline.touch();
          chunks += 1;
          const delta = part.message?.content ?? '';
          text += delta;
          for (const call of part.message?.tool_calls ?? []) {
            toolCalls.push({
              id: `call_${toolCalls.length}`,
              name: call.function.name,
              arguments: call.function.arguments ?? {},
            });
          }
          if (part.done) {
            usage = { inputTokens: part.prompt_eval_count ?? 0, outputTokens: part.eval_count ?? chunks };
            finishReason = part.done_reason;
          }
          request.onProgress?.({ outputTokens: chunks, characters: text.length, delta });
        }
        if (deadline.aborted) throw deadline.error();
        return chatResult(
          { text, toolCalls, usage, finishReason },
          { model: request.model, schema, simulated: seen.headers?.get(SIMULATED_HEADER) === 'true' },
        );
      } catch (err) {
        throw toProviderError(err, deadline, seen, what);
      } finally {
        deadline.dispose();
      }
    },
    async probe(signal: AbortSignal) {
      const seen: Seen = {};
      try {
        const list = await clientFor(signal, seen).list();
        return { models: list.models.map((model) => model.name) };
      } catch (err) {
        throw toProviderError(err, undefined, seen, 'GET /api/tags');
      }
    },
  };
}

function toOllamaMessage(message: ChatMessage): Message {
  switch (message.role) {
    case 'assistant':
      return {
        role: 'assistant',
        content: message.content,
        ...(message.toolCalls?.length && {
          tool_calls: message.toolCalls.map((call) => ({
            function: { name: call.name, arguments: call.arguments },
          })),
        }),
      };
    case 'tool':
      return { role: 'tool', content: message.content, tool_name: message.name };
    default:
      return { role: message.role, content: message.content };
  }
}

/** Sorts the ollama client's errors, using the status and headers the fetch wrapper saw. */
function toProviderError(
  err: unknown,
  deadline: CallDeadline | undefined,
  seen: Seen,
  what: string,
): ProviderError {
  if (err instanceof ProviderError) return err;
  if (deadline?.aborted) return deadline.error(err);
  const status = (err as { status_code?: unknown }).status_code;
  if (typeof status === 'number') {
    const message = (err as Error).message;
    return new ProviderError(kindOfStatus(status), `${what} answered HTTP ${status}: ${message}`, {
      status,
      retryAfterMs: retryAfterMs(seen.headers),
      cause: err,
    });
  }
  if (err instanceof Error && err.name === 'AbortError') {
    return new ProviderError(ProviderErrorKind.Cancelled, `${what} was cancelled`, { cause: err });
  }
  if (err instanceof Error && /Did not receive done|JSON|Unexpected token/i.test(err.message)) {
    return new ProviderError(
      ProviderErrorKind.Malformed,
      `${what} sent a stream that is not valid NDJSON or ended early (${err.message})`,
      { cause: err },
    );
  }
  if (seen.status !== undefined && seen.status >= 200 && seen.status < 300 && err instanceof Error) {
    return new ProviderError(ProviderErrorKind.Unavailable, `${what} failed mid-answer: ${err.message}`, {
      cause: err,
    });
  }
  return new ProviderError(ProviderErrorKind.Unavailable, `${what} is unreachable: ${networkReason(err)}`, {
    cause: err,
  });
}
