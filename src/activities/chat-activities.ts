import { realpath } from 'node:fs/promises';
import { join } from 'node:path';
import { activityInfo, Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { z } from 'zod';
import type { AgentDefinition } from '../agents/agent-definition';
import { readAgentStatus, type AgentStatusBoard } from '../agents/agent-status';
import type { AgentRegistry } from '../agents/registry';
import { chooseAgent } from '../engine/chat-routing';
import {
  callOneModel,
  estimateInputTokens,
  ModelCallError,
  type CallModelResult,
} from '../models/model-caller';
import { failsOver, ModelFailureType } from '../models/model-failures';
import type { ModelRuntime } from '../models/model-runtime';
import { ChatMessage, type ToolSpec } from '../models/provider-adapter';
import type { RouteCandidate } from '../models/router-policy';
import { toolBox } from '../tools/tool-box';
import { capText, invokeTool, toolSpec, ToolSettings, type ToolSettingsInput } from '../tools/tool-kit';
import { agentRoute } from './agent-loop';
import { runWorkspace } from './workspace';

export type ChatActivityDeps = {
  runtime: ModelRuntime;
  registry: AgentRegistry;
  workspaces: { dataDir: string };
  tools?: ToolSettingsInput;
  status?: AgentStatusBoard;
};

/** One agent's answer to one message: the chatTurn activity's input. */
export const ChatTurnInput = z.strictObject({
  sessionId: z.string().min(1),
  /** The assistant entry this answer fills; tokens stream under it. */
  messageId: z.string().min(1),
  agent: z.string().min(1),
  /** A model pinned with /model. */
  model: z.string().min(1).optional(),
  summary: z.string().optional(),
  messages: z.array(ChatMessage).min(1),
  /** The entry id of each message, so a new summary can say what it covers. */
  messageIds: z.array(z.string()),
  /** Said to the agent after the conversation (a debate round's other answers). */
  note: z.string().optional(),
  /** Images are attached: only a vision-capable model may answer. */
  vision: z.boolean().optional(),
});
export type ChatTurnInput = z.infer<typeof ChatTurnInput>;

const Usage = z.object({ inputTokens: z.int().min(0), outputTokens: z.int().min(0) });
const ToolCallRecord = z.object({ tool: z.string(), ok: z.boolean(), error: z.string().optional() });

export type ChatTurnResult = {
  text: string;
  modelId: string;
  usage: z.infer<typeof Usage>;
  costUsd: number;
  simulated?: boolean;
  toolCalls: z.infer<typeof ToolCallRecord>[];
  /** Set when the conversation outgrew the model's context: older turns, summed up. */
  summary?: { text: string; upTo: string };
};

/** What a heartbeat carries: the tool rounds so far, so a retried attempt goes on from there. */
const ChatProgress = z.object({
  iteration: z.int().min(0),
  extra: z.array(ChatMessage),
  usage: Usage,
  costUsd: z.number().min(0),
  toolCalls: z.array(ToolCallRecord),
  summary: z.object({ text: z.string(), upTo: z.string() }).optional(),
  keep: z.int().min(0).optional(),
});
type ChatProgress = z.infer<typeof ChatProgress>;

export const ChatDecideInput = z.strictObject({
  sessionId: z.string().min(1),
  messageId: z.string().min(1),
  agent: z.string().min(1),
  task: z.string().min(1),
  schema: z.record(z.string(), z.unknown()),
  model: z.string().min(1).optional(),
  /** A run's budget, when a collaborate step's judge decides: checked before the call. */
  budget: z.strictObject({ limitUsd: z.number().min(0), spentUsd: z.number().min(0) }).optional(),
});
export type ChatDecideInput = z.infer<typeof ChatDecideInput>;

/** Beats while a model or tool call runs, so a heartbeat timeout catches a dead worker, not a slow call. */
const HEARTBEAT_EVERY_MS = 1_000;
/** The share of a model's context window a conversation may fill before older turns are summed up. */
const CONTEXT_SHARE = 0.75;
/** Turns always sent whole, however long the conversation. */
const KEEP_RECENT = 4;

const chatNote =
  '\n\nIn this chat you answer a person directly: write your answer in Markdown, not JSON. Use your tools when the question needs the workspace or the attached files.';
const continueNote = 'The tool results are above. Answer the message now, or call another tool if you must.';

const fail = (type: string, message: string) =>
  ApplicationFailure.create({ type, message, nonRetryable: true });

function parseInput<T>(schema: z.ZodType<T>, raw: unknown, what: string): T {
  const parsed = schema.safeParse(raw);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map(
    (issue) => `${issue.path.join('.') || '(input)'}: ${issue.message}`,
  );
  throw fail('InvalidChatInput', `${what} got invalid input: ${problems.join('; ')}`);
}

/**
 * The chat's activities, on the agents pool: `chatTurn` lets one agent answer (tools, streaming,
 * resumable), `chatDecide` asks an agent for a structured decision (a judge's verdict, a vote), and
 * `chooseChatAgent` is auto mode's choice.
 */
export const createChatActivities = ({ runtime, registry, workspaces, tools, status }: ChatActivityDeps) => {
  const settings = ToolSettings.parse(tools ?? {});
  const agentOf = (id: string): AgentDefinition => {
    try {
      return registry.get(id);
    } catch (err) {
      throw fail('UnknownAgent', (err as Error).message);
    }
  };
  const routeFor = async (
    agent: AgentDefinition,
    system: string,
    specs: ToolSpec[],
    model?: string,
    vision?: boolean,
  ) => {
    const requires = agent.model.requires ?? {};
    const capabilities = [
      ...new Set([...(requires.capabilities ?? []), ...(vision ? ['vision' as const] : [])]),
    ];
    const pinned: AgentDefinition = {
      ...agent,
      model: {
        ...agent.model,
        ...(model && { model }),
        requires: { ...requires, ...(capabilities.length > 0 && { capabilities }) },
      },
    };
    return agentRoute(runtime, pinned, system, specs);
  };

  /** Calls the chain's models in order, failing over as the agent loop does. */
  const callChain = async (
    chain: RouteCandidate[],
    request: Omit<Parameters<typeof callOneModel>[1], 'modelId'>,
    signal: AbortSignal,
  ): Promise<CallModelResult> => {
    let last: ModelCallError | undefined;
    for (const candidate of chain) {
      try {
        return await callOneModel(runtime, { ...request, modelId: candidate.modelId }, { signal });
      } catch (err) {
        if (!(err instanceof ModelCallError)) throw err;
        if (err.type === 'Cancelled') throw signal.reason ?? err;
        if (err.type === ModelFailureType.BudgetExceeded) throw fail(err.type, err.message);
        last = err;
        if (!failsOver(err.type)) break;
      }
    }
    throw ApplicationFailure.create({
      type: last?.type ?? ModelFailureType.NoModelAvailable,
      message: `every model for agent "${request.agent ?? ''}" failed; last: ${last?.message ?? 'none'}`,
      nonRetryable:
        last?.type !== ModelFailureType.Unavailable &&
        last?.type !== ModelFailureType.RateLimited &&
        last?.type !== ModelFailureType.Timeout,
    });
  };

  return {
    chatTurn: async (raw: ChatTurnInput): Promise<ChatTurnResult> => {
      const input = parseInput(ChatTurnInput, raw, 'chatTurn');
      const agent = agentOf(input.agent);
      const context = Context.current();
      // Only tools need the workspace: it is made beside the first model call, not before it.
      const workspace = runWorkspace(workspaces.dataDir, input.sessionId).then((path) => realpath(path));
      void workspace.catch(() => undefined); // a failure is thrown where it is awaited
      const agentTools = agent.tools.flatMap((name) => toolBox.get(name) ?? []);
      const specs = agentTools.map(toolSpec);
      const resumed = ChatProgress.safeParse(activityInfo().heartbeatDetails);
      const state: ChatProgress = resumed.success
        ? resumed.data
        : { iteration: 0, extra: [], usage: { inputTokens: 0, outputTokens: 0 }, costUsd: 0, toolCalls: [] };
      const base = `${agent.system}${chatNote}`;
      const chain = await routeFor(agent, base, specs, input.model, input.vision);
      const finish = status?.begin(agent.id, input.sessionId, input.messageId);
      const ticker = setInterval(() => context.heartbeat(state), HEARTBEAT_EVERY_MS);
      try {
        if (!resumed.success) {
          const summary = await summarizeIfLong(input, base, specs, chain, context.cancellationSignal);
          if (summary) {
            state.summary = summary.summary;
            state.keep = summary.keep;
            state.costUsd += summary.costUsd;
          }
          context.heartbeat(state);
        }
        const summaryText = state.summary?.text ?? input.summary;
        const system = summaryText
          ? `${base}\n\nEarlier in this conversation (a summary):\n${summaryText}`
          : base;
        const history = state.keep !== undefined ? input.messages.slice(-state.keep) : input.messages;
        let last: CallModelResult | undefined;
        const maxIterations = agent.limits.maxIterations;
        while (state.iteration < maxIterations) {
          const note = input.note ? [{ role: 'user' as const, content: input.note }] : [];
          last = await callChain(
            chain,
            {
              runId: input.sessionId,
              stepId: input.messageId,
              agent: agent.id,
              system,
              messages: [...history, ...note, ...state.extra],
              ...(specs.length > 0 && { tools: specs }),
              ...(agent.model.maxTokens && { maxTokens: agent.model.maxTokens }),
              ...(agent.model.temperature !== undefined && { temperature: agent.model.temperature }),
            },
            context.cancellationSignal,
          );
          state.iteration += 1;
          state.usage.inputTokens += last.usage.inputTokens;
          state.usage.outputTokens += last.usage.outputTokens;
          state.costUsd += last.costUsd;
          const calls = last.toolCalls ?? [];
          if (calls.length === 0) break;
          state.extra.push({ role: 'assistant', content: last.text, toolCalls: calls });
          for (const call of calls) {
            const tool = agent.tools.includes(call.name) ? toolBox.get(call.name) : undefined;
            const outcome = tool
              ? await invokeTool(tool, call.arguments, {
                  root: await workspace,
                  settings,
                  signal: context.cancellationSignal,
                  artifactsDir: join(workspaces.dataDir, 'artifacts', 'chat', input.sessionId),
                })
              : ({ ok: false, error: `agent "${agent.id}" may not use tool "${call.name}"` } as const);
            state.toolCalls.push({
              tool: call.name,
              ok: outcome.ok,
              ...(!outcome.ok && { error: outcome.error }),
            });
            const content = JSON.stringify(outcome.ok ? outcome.output : { error: outcome.error });
            state.extra.push({
              role: 'tool',
              toolCallId: call.id,
              name: call.name,
              content: capText(content, settings.maxOutputBytes).text,
            });
          }
          state.extra.push({ role: 'user', content: continueNote });
          context.heartbeat(state);
          last = undefined;
        }
        await workspace;
        if (!last)
          throw fail('AgentIterationLimit', `agent "${agent.id}" gave no answer in ${maxIterations} rounds`);
        await finish?.({ ok: true, costUsd: state.costUsd });
        return {
          text: last.text,
          modelId: last.modelId,
          usage: state.usage,
          costUsd: state.costUsd,
          ...(last.simulated && { simulated: true }),
          toolCalls: state.toolCalls,
          ...(state.summary && { summary: state.summary }),
        };
      } catch (err) {
        await finish?.({ ok: false, costUsd: state.costUsd });
        throw err;
      } finally {
        clearInterval(ticker);
      }
    },

    chatDecide: async (raw: ChatDecideInput) => {
      const input = parseInput(ChatDecideInput, raw, 'chatDecide');
      const agent = agentOf(input.agent);
      const system = `You are the ${agent.id} agent: ${agent.description} Decide, and answer with the JSON object asked for.`;
      const chain = await routeFor(agent, system, [], input.model);
      const result = await callChain(
        chain,
        {
          runId: input.sessionId,
          stepId: input.messageId,
          agent: agent.id,
          system,
          prompt: input.task,
          schema: input.schema,
          ...(input.budget && { budget: input.budget }),
        },
        Context.current().cancellationSignal,
      );
      return {
        decision: result.json ?? safeJson(result.text),
        modelId: result.modelId,
        usage: result.usage,
        costUsd: result.costUsd,
        ...(result.simulated && { simulated: true }),
      };
    },

    chooseChatAgent: async ({ text, outcomes }: { text: string; outcomes: Record<string, boolean[]> }) => {
      const load = await readAgentStatus(status?.store ?? join(workspaces.dataDir, 'agents', 'status')).catch(
        () => ({}),
      );
      const candidates = [...registry.agents.values()].map((agent) => {
        const summary = (
          load as Record<string, { current: unknown[]; successRate?: number; finished: number }>
        )[agent.id];
        const recent = outcomes[agent.id] ?? [];
        return {
          id: agent.id,
          description: agent.description,
          capabilities: agent.capabilities,
          ...(agent.model.policy && { policy: agent.model.policy }),
          busy: summary?.current.length ?? 0,
          recent,
        };
      });
      return chooseAgent(text, candidates);
    },
  };

  /**
   * When the conversation would fill more than its share of the first model's context window, the
   * turns before the last few are summed up by the same model; the summary replaces them from now on.
   */
  async function summarizeIfLong(
    input: ChatTurnInput,
    system: string,
    specs: ToolSpec[],
    chain: RouteCandidate[],
    signal: AbortSignal,
  ): Promise<{ summary: { text: string; upTo: string }; keep: number; costUsd: number } | undefined> {
    const first = chain[0];
    const model = first && runtime.catalogue.models.find((entry) => entry.id === first.modelId);
    if (!model || input.messages.length <= KEEP_RECENT) return undefined;
    const tokens = estimateInputTokens({ system, messages: input.messages, tools: specs });
    if (tokens <= model.contextTokens * CONTEXT_SHARE) return undefined;
    const older = input.messages.slice(0, -KEEP_RECENT);
    const upTo = input.messageIds[older.length - 1];
    if (!upTo) return undefined;
    const transcript = older.map((message) => `${message.role}: ${message.content}`).join('\n\n');
    const limit = Math.floor(model.contextTokens * CONTEXT_SHARE * 4);
    const result = await callChain(
      chain,
      {
        runId: input.sessionId,
        stepId: `${input.messageId}-summary`,
        agent: 'summarizer',
        system: 'You sum up conversations. Keep every fact, decision, name, number and open question.',
        prompt: `${input.summary ? `An earlier summary:\n${input.summary}\n\n` : ''}Sum up this conversation:\n\n${transcript.slice(-limit)}`,
      },
      signal,
    );
    return { summary: { text: result.text, upTo }, keep: KEEP_RECENT, costUsd: result.costUsd };
  }
};

export type ChatActivities = ReturnType<typeof createChatActivities>;

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
