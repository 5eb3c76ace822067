import type { IncomingMessage, ServerResponse } from 'node:http';
import { SIMULATED_HEADER } from '../models/provider-adapter';
import { draw, fillTemplate, pickRule, sampleFromSchema, type Ask, type FakeScript } from './script';

export { SIMULATED_HEADER };
/** Marks every text answer as coming from this server and not a real model (so does the header). */
export const SIMULATED_PREFIX = '[simulated] ';

/** What the server decided to do with one request. */
export type Plan =
  | { kind: 'hang' }
  | { kind: 'error'; status: number; message: string; retryAfterSeconds?: number }
  | { kind: 'malformed' }
  | {
      kind: 'answer';
      text: string;
      toolCalls: { name: string; arguments: Record<string, unknown> }[];
      tokensPerSecond: number;
    };

export type RecordedRequest = {
  api: 'openai' | 'ollama';
  path: string;
  model?: string;
  agent?: string;
  prompt?: string;
  /** When the request arrived, and when the first byte of its answer left (epoch ms). */
  receivedAt?: number;
  firstByteAt?: number;
};

export type ServerState = {
  script: FakeScript;
  seen: Map<string, number>;
  requests: RecordedRequest[];
};

/**
 * Records a chat request with its timing: when it arrived and when its answer's first byte was written,
 * so a benchmark can take the scripted model's own first-token time out of what it measures.
 */
export function recordRequest(state: ServerState, res: ServerResponse, request: RecordedRequest): void {
  const record: RecordedRequest = { ...request, receivedAt: Date.now() };
  state.requests.push(record);
  const mark = () => {
    record.firstByteAt ??= Date.now();
  };
  const write = res.write.bind(res) as (...args: unknown[]) => boolean;
  const end = res.end.bind(res) as (...args: unknown[]) => ServerResponse;
  res.write = ((...args: unknown[]) => {
    mark();
    return write(...args);
  }) as typeof res.write;
  res.end = ((...args: unknown[]) => {
    mark();
    return end(...args);
  }) as typeof res.end;
}

/** Decides a request's fate from the script: hang, error, malformed body, or an answer. */
export async function plan(
  state: ServerState,
  ask: Ask,
  wants: { schema?: unknown; json?: boolean; tools?: boolean },
): Promise<Plan> {
  const { script } = state;
  const n = bump(state.seen, ask.model);
  const asked = `${ask.model}\u0000${ask.agent ?? ''}\u0000${ask.prompt}`;
  const k = bump(state.seen, asked);
  const { rule, knobs } = pickRule(script, ask);
  if (knobs.hang) return { kind: 'hang' };
  if (knobs.latencyMs) await sleep(knobs.latencyMs);
  const fail = (status: number): Plan => ({
    kind: 'error',
    status,
    message: `${SIMULATED_PREFIX}${ask.model} answered ${status} as scripted`,
    ...(status === 429 && { retryAfterSeconds: knobs.retryAfterSeconds ?? 1 }),
  });
  if (knobs.status && (knobs.statusTimes === undefined || n < knobs.statusTimes)) return fail(knobs.status);
  if (knobs.errorRate && draw(script.seed, asked, 2 * k) < knobs.errorRate)
    return fail(knobs.errorStatus ?? 500);
  if (knobs.malformed) return { kind: 'malformed' };
  const tokensPerSecond = knobs.tokensPerSecond ?? 0;
  if (knobs.invalidRate && draw(script.seed, asked, 2 * k + 1) < knobs.invalidRate) {
    return { kind: 'answer', text: knobs.invalidReply ?? 'I am not sure.', toolCalls: [], tokensPerSecond };
  }
  const toolCalls = rule?.toolCalls ?? [];
  let text: string;
  if (rule?.json !== undefined) text = JSON.stringify(rule.json);
  else if (rule?.reply !== undefined) text = fillTemplate(rule.reply, ask);
  else if (wants.schema !== undefined) text = JSON.stringify(sampleFromSchema(wants.schema));
  else if (wants.json) text = '{}';
  else if (toolCalls.length > 0) text = '';
  else text = fillTemplate(script.defaultReply ?? 'answer from {{model}} to: {{prompt}}', ask);
  const structured = rule?.json !== undefined || wants.schema !== undefined || wants.json;
  if (!structured && text) text = SIMULATED_PREFIX + text;
  return { kind: 'answer', text, toolCalls, tokensPerSecond };
}

/** Counts requests per key; random draws are keyed on what was asked, so concurrency cannot reorder them. */
function bump(counts: Map<string, number>, key: string): number {
  const n = counts.get(key) ?? 0;
  counts.set(key, n + 1);
  return n;
}

/** Splits text into word-sized tokens that join back to the same text. */
export function tokens(text: string): string[] {
  return text.match(/\s*\S+|\s+$/g) ?? [];
}

export function estimateInputTokens(text: string): number {
  return Math.ceil(text.length / 4);
}

/** Writes tokens at the scripted speed; stops early when the client has gone. */
export async function paced(
  parts: string[],
  tokensPerSecond: number,
  res: ServerResponse,
  write: (part: string, index: number) => void,
): Promise<void> {
  const started = Date.now();
  for (const [index, part] of parts.entries()) {
    if (res.destroyed) return;
    write(part, index);
    if (tokensPerSecond > 0) {
      const owed = ((index + 1) * 1000) / tokensPerSecond - (Date.now() - started);
      if (owed >= 5) await sleep(owed);
    }
  }
}

export async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  return text ? (JSON.parse(text) as unknown) : {};
}

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}
