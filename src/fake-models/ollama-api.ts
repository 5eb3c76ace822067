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

type OllamaBody = {
  model?: string;
  messages?: { role?: string; content?: string }[];
  stream?: boolean;
  format?: unknown;
  tools?: unknown[];
};

const marker = { troupe: { simulated: true } };

/** The Ollama API subset Troupe's adapter uses: GET /api/tags and POST /api/chat, JSON or NDJSON. */
export async function handleOllama(
  state: ServerState,
  req: IncomingMessage,
  res: ServerResponse,
  path: string,
): Promise<void> {
  if (req.method === 'GET' && path === '/') {
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end('Ollama is running (simulated by Troupe fake-models)');
    return;
  }
  if (req.method === 'GET' && path === '/api/version')
    return sendJson(res, 200, { version: '0.0.0-troupe-fake', ...marker });
  if (req.method === 'GET' && path === '/api/tags') {
    const models = Object.keys(state.script.models).map((name) => ({
      name,
      model: name,
      modified_at: new Date(0).toISOString(),
      size: 0,
      digest: 'troupe-fake-models',
      details: { format: 'simulated', family: 'simulated', parameter_size: '0B', quantization_level: 'none' },
    }));
    return sendJson(res, 200, { models });
  }
  if (req.method !== 'POST' || path !== '/api/chat') {
    return sendJson(res, 404, { error: `${SIMULATED_PREFIX}no route ${req.method} ${path}` });
  }
  let body: OllamaBody;
  try {
    body = (await readJson(req)) as OllamaBody;
  } catch {
    return sendJson(res, 400, { error: `${SIMULATED_PREFIX}the body is not JSON` });
  }
  if (!body.model) return sendJson(res, 400, { error: `${SIMULATED_PREFIX}model is required` });
  const messages = body.messages ?? [];
  const prompt = [...messages].reverse().find((message) => message.role === 'user')?.content ?? '';
  const agent = header(req, 'x-troupe-agent');
  const toolResult = [...messages].reverse().find((message) => message.role === 'tool')?.content;
  recordRequest(state, res, { api: 'ollama', path, model: body.model, ...(agent && { agent }), prompt });
  const decided = await plan(
    state,
    { model: body.model, agent, prompt, ...(toolResult !== undefined && { toolResult }) },
    {
      schema: typeof body.format === 'object' ? body.format : undefined,
      json: body.format === 'json',
    },
  );
  const inputTokens = estimateInputTokens(messages.map((message) => message.content ?? '').join('\n'));
  await answer(res, decided, body, inputTokens);
}

async function answer(
  res: ServerResponse,
  decided: Plan,
  body: OllamaBody,
  inputTokens: number,
): Promise<void> {
  if (decided.kind === 'hang') return;
  if (decided.kind === 'error') {
    const headers: Record<string, string> =
      decided.retryAfterSeconds !== undefined ? { 'retry-after': String(decided.retryAfterSeconds) } : {};
    return sendJson(res, decided.status, { error: decided.message }, headers);
  }
  const stream = body.stream ?? true;
  if (decided.kind === 'malformed') {
    res.writeHead(200, { 'content-type': stream ? 'application/x-ndjson' : 'application/json' });
    res.end('{"model": "broken", "message": {\n');
    return;
  }
  const model = body.model ?? 'unknown';
  const base = () => ({ model, created_at: new Date().toISOString(), ...marker });
  const parts = tokens(decided.text);
  const toolCalls = decided.toolCalls.map((call) => ({
    function: { name: call.name, arguments: call.arguments },
  }));
  const outputTokens =
    parts.length +
    toolCalls.reduce(
      (sum, call) => sum + Math.ceil(JSON.stringify(call.function.arguments).length / 4) + 1,
      0,
    );
  const final = {
    done: true,
    done_reason: 'stop',
    total_duration: 0,
    load_duration: 0,
    prompt_eval_count: inputTokens,
    prompt_eval_duration: 0,
    eval_count: outputTokens,
    eval_duration: 0,
  };
  if (!stream) {
    return sendJson(res, 200, {
      ...base(),
      message: {
        role: 'assistant',
        content: decided.text,
        ...(toolCalls.length > 0 && { tool_calls: toolCalls }),
      },
      ...final,
    });
  }
  res.writeHead(200, { 'content-type': 'application/x-ndjson' });
  const send = (line: unknown) => res.write(`${JSON.stringify(line)}\n`);
  await paced(parts, decided.tokensPerSecond, res, (part) =>
    send({ ...base(), message: { role: 'assistant', content: part }, done: false }),
  );
  if (res.destroyed) return;
  if (toolCalls.length > 0)
    send({ ...base(), message: { role: 'assistant', content: '', tool_calls: toolCalls }, done: false });
  send({ ...base(), message: { role: 'assistant', content: '' }, ...final });
  res.end();
}
