import { createInterface } from 'node:readline/promises';
import { Command } from 'commander';
import { io } from 'socket.io-client';
import type { ChatDeltaEvent } from '../api/chat-live';
import type { ChatEntry } from '../engine/chat-types';
import type { TokenChunk } from '../models/token-stream';
import type { ApiClient } from './api-client';

const finished = new Set(['done', 'failed', 'cancelled']);

/**
 * `troupe chat`: an interactive chat in the terminal. Replies stream as the model writes them; a line
 * starting with / is a slash command (/help lists them). Ctrl-D or /exit ends it; the session stays.
 */
export function chatCommand(api: () => ApiClient): Command {
  return new Command('chat')
    .description('chat with the agents in the terminal (slash commands work too)')
    .option('--session <id>', 'continue a session instead of starting one')
    .option('--agent <id>', 'the agent that answers, or auto', 'auto')
    .action(async (options: { session?: string; agent: string }) => {
      const client = api();
      const sessionId =
        options.session ??
        (await client.call<{ sessionId: string }>('POST', '/api/chat/sessions', {})).body.sessionId;
      const out = process.stdout;
      out.write(`chat ${sessionId} (agent ${options.agent}); /help lists the commands, Ctrl-D ends\n`);
      const socket = io(client.baseUrl, {
        transports: ['websocket'],
        ...(client.key && { auth: { token: client.key } }),
      });
      let waiting: { turn: string; done: () => void } | undefined;
      const shown = new Map<string, string>();
      socket.on('chat:tokens', (chunk: TokenChunk) => {
        if (!waiting) return;
        if (shown.get(chunk.stepId) !== chunk.stream) {
          if (shown.has(chunk.stepId)) out.write('\n');
          shown.set(chunk.stepId, chunk.stream);
        }
        out.write(chunk.text);
      });
      socket.on('chat:delta', (delta: ChatDeltaEvent) => {
        if (!waiting) return;
        for (const entry of delta.messages) {
          if (entry.turn !== waiting.turn || entry.id === waiting.turn || !finished.has(entry.status))
            continue;
          if (!shown.has(entry.id) || entry.role !== 'assistant') out.write(`\n${describe(entry)}\n`);
          else out.write(`\n  — ${entry.agent ?? ''}${entry.modelId ? ` on ${entry.modelId}` : ''}\n`);
        }
        const turn = delta.messages.find((entry) => entry.id === waiting?.turn);
        if (turn && finished.has(turn.status)) waiting.done();
      });
      await socket.timeout(15_000).emitWithAck('chat:subscribe', { sessionId });
      const lines = createInterface({ input: process.stdin, output: out, prompt: '> ' });
      lines.prompt();
      for await (const line of lines) {
        const text = line.trim();
        if (text === '/exit') break;
        if (text) {
          const sent = await client.call<{ reply?: string; message: ChatEntry }>(
            'POST',
            `/api/chat/sessions/${sessionId}/messages`,
            { text, agent: options.agent },
          );
          if (sent.body.reply !== undefined) out.write(`${sent.body.reply}\n`);
          else
            await new Promise<void>((resolve) => (waiting = { turn: sent.body.message.id, done: resolve }));
          waiting = undefined;
        }
        lines.prompt();
      }
      socket.close();
    });
}

function describe(entry: ChatEntry): string {
  const who = entry.agent ? `${entry.agent}: ` : '';
  const team = entry.team ? `\n[${entry.team.method}] ${entry.team.settled}` : '';
  return `${who}${entry.text}${team}`;
}
