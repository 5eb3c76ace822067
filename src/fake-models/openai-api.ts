import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  estimateInputTokens,
  header,
  paced,
  plan,
  readJson,
  recordRequest,
  sendJson,
  SIMULATED_PREFIX,
  tokens,
  type Plan,
  type ServerState,
} from './replies';

type OpenAIMessage = { role?: string; content?: unknown };
type OpenAIBody = {
  model?: string;
  messages?: OpenAIMessage[];
  stream?: boolean;
  stream_options?: { include_usage?: boolean };
  tools?: unknown[];
  response_format?: { type?: string; json_schema?: { schema?: unknown } };
};

const marker = { system_fingerprint: 'troupe-fake-models', troupe: { simulated: true } };

/** The OpenAI API subset Troupe's adapter uses: GET /models and POST /chat/completions, JSON or SSE. */
export async function handleOpenAI(
  state: ServerState,
  req: IncomingMessage,
  res: ServerResponse,
  path: string,
): Promise<void> {
  if (req.method === 'GET' && path === '/models') {
    const data = Object.keys(state.script.models).map((id) => ({
      id,
      object: 'model',
      created: 0,
      owned_by: 'troupe-fake-models',
    }));
    return sendJson(res, 200, { object: 'list', data });
  }
  if (req.method !== 'POST' || path !== '/chat/completions') {
    return sendError(res, 404, `${SIMULATED_PREFIX}no route ${req.method} /v1${path}`);
  }
  let body: OpenAIBody;
  try {
    body = (await readJson(req)) as OpenAIBody;
  } catch {
    return sendError(res, 400, `${SIMULATED_PREFIX}the body is not JSON`);
  }
  if (!body.model || !Array.isArray(body.messages)) {
    return sendError(res, 400, `${SIMULATED_PREFIX}model and messages are required`);
  }
  const texts = body.messages.map((message) => contentText(message.content));
  const prompt = contentText(
    [...body.messages].reverse().find((message) => message.role === 'user')?.content,
  );
  const agent = header(req, 'x-troupe-agent');
  const toolResult = contentText(
    [...body.messages].reverse().find((message) => message.role === 'tool')?.content,
  );
  recordRequest(state, res, {
    api: 'openai',
    path: `/v1${path}`,
    model: body.model,
    ...(agent && { agent }),
    prompt,
  });
  const decided = await plan(
    state,
    { model: body.model, agent, prompt, toolResult },
    {
      schema: body.response_format?.json_schema?.schema,
      json: body.response_format?.type === 'json_object',
    },
  );
  const inputTokens = estimateInputTokens(texts.join('\n'));
  await answer(res, decided, body, inputTokens);
}

async function answer(
  res: ServerResponse,
  decided: Plan,
  body: OpenAIBody,
  inputTokens: number,
): Promise<void> {
  if (decided.kind === 'hang') return;
  if (decided.kind === 'error') {
    const headers: Record<string, string> =
      decided.retryAfterSeconds !== undefined ? { 'retry-after': String(decided.retryAfterSeconds) } : {};
    return sendError(res, decided.status, decided.message, headers);
  }
  if (decided.kind === 'malformed') {
    if (body.stream) {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.end('data: {"id": "chatcmpl-broken", "choices": [{"delta":\n\n');
    } else {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"id": "chatcmpl-broken", "choices": [');
    }
    return;
  }
  const id = `chatcmpl-fake-${randomUUID()}`;
  const created = Math.floor(Date.now() / 1000);
  const parts = tokens(decided.text);
  const calls = decided.toolCalls.map((call, index) => ({
    index,
    id: `call_fake_${index}`,
    type: 'function' as const,
    function: { name: call.name, arguments: JSON.stringify(call.arguments) },
  }));
  const outputTokens =
    parts.length + calls.reduce((sum, call) => sum + Math.ceil(call.function.arguments.length / 4) + 1, 0);
  const usage = {
    prompt_tokens: inputTokens,
    completion_tokens: outputTokens,
    total_tokens: inputTokens + outputTokens,
  };
  const finish_reason = calls.length > 0 ? 'tool_calls' : 'stop';
  const model = body.model ?? 'unknown';
  if (!body.stream) {
    return sendJson(res, 200, {
      id,
      object: 'chat.completion',
      created,
      model,
      ...marker,
      choices: [
        {
          index: 0,
          message: {
            role: 'assistant',
            content: decided.text || null,
            ...(calls.length > 0 && { tool_calls: calls.map(({ index: _i, ...call }) => call) }),
          },
          finish_reason,
          logprobs: null,
        },
      ],
      usage,
    });
  }
  res.writeHead(200, {
    'content-type': 'text/event-stream',
    'cache-control': 'no-cache',
    connection: 'keep-alive',
  });
  const send = (choices: unknown[], extra: Record<string, unknown> = {}) =>
    res.write(
      `data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created, model, ...marker, choices, ...extra })}\n\n`,
    );
  send([{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }]);
  await paced(parts, decided.tokensPerSecond, res, (part) =>
    send([{ index: 0, delta: { content: part }, finish_reason: null }]),
  );
  for (const call of calls) send([{ index: 0, delta: { tool_calls: [call] }, finish_reason: null }]);
  if (res.destroyed) return;
  send([{ index: 0, delta: {}, finish_reason }]);
  if (body.stream_options?.include_usage) send([], { usage });
  res.end('data: [DONE]\n\n');
}

function sendError(
  res: ServerResponse,
  status: number,
  message: string,
  headers: Record<string, string> = {},
): void {
  const type =
    status === 429 ? 'rate_limit_exceeded' : status >= 500 ? 'server_error' : 'invalid_request_error';
  sendJson(res, status, { error: { message, type, code: type, param: null } }, headers);
}

function contentText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) {
    return content
      .map((part: unknown) =>
        typeof part === 'object' && part !== null && 'text' in part ? String(part.text) : '',
      )
      .join('');
  }
  return '';
}
