import { ApplicationFailure } from '@temporalio/common';
import type { AgentDefinition } from '../agents/agent-definition';
import { continueNote, outputContract, parseAgentAnswer, repairNote } from '../agents/agent-output';
import type { AgentProgress, AgentQuestion, AgentStepInput } from '../agents/agent-step-input';
import {
  callOneModel,
  estimateInputTokens,
  ModelCallError,
  type CallModelResult,
} from '../models/model-caller';
import { failsOver, ModelFailureType } from '../models/model-failures';
import type { ModelRuntime } from '../models/model-runtime';
import type { ToolCall, ToolSpec } from '../models/provider-adapter';
import { planRoute, UnknownModelError, type RouteCandidate } from '../models/router-policy';
import { askAgentTool, AskAgentArgs } from '../tools/ask-agent-tool';
import { toolBox } from '../tools/tool-box';
import { capText, invokeTool, toolSpec, type ToolContext } from '../tools/tool-kit';

export type LoopHooks = {
  signal: AbortSignal;
  tools: Omit<ToolContext, 'signal'>;
  /** Called after every turn with everything needed to resume. */
  onProgress: (progress: AgentProgress) => void;
  /** Whether the registry has an agent, for ask_agent. */
  knowsAgent: (id: string) => boolean;
};

/** Failures a later attempt may not meet; the retry resumes the conversation from the heartbeat. */
const transient = new Set<string>([
  ModelFailureType.RateLimited,
  ModelFailureType.Unavailable,
  ModelFailureType.Timeout,
  ModelFailureType.MalformedResponse,
]);

const fail = (type: string, message: string) =>
  ApplicationFailure.create({ type, message, nonRetryable: true });

/** The failover chain for the agent's model settings; tools make the `tools` capability a requirement. */
export async function agentRoute(
  runtime: ModelRuntime,
  agent: AgentDefinition,
  system: string,
  tools: ToolSpec[],
) {
  const reports = await runtime.health.check();
  const snapshot = {
    providers: Object.fromEntries(reports.map((report) => [report.provider, report])),
    breakers: runtime.breakers.snapshot(runtime.catalogue.models.map((model) => model.id)),
  };
  const capabilities = [
    ...new Set([...(agent.model.requires?.capabilities ?? []), ...(tools.length ? ['tools' as const] : [])]),
  ];
  try {
    const plan = planRoute(runtime.catalogue, snapshot, {
      policy: agent.model.policy,
      model: agent.model.model,
      capabilities,
      contextTokens: agent.model.requires?.contextTokens,
      inputTokens: estimateInputTokens({ system, tools }),
      maxOutputTokens: agent.model.maxTokens,
    });
    if (plan.chain.length === 0)
      throw fail(ModelFailureType.NoModelAvailable, `no model can run agent "${agent.id}": ${plan.reason}`);
    return plan.chain;
  } catch (err) {
    if (err instanceof UnknownModelError) throw fail(ModelFailureType.InvalidInput, err.message);
    throw err;
  }
}

/**
 * The agent loop: model, tool calls, model again, until an answer that matches the output schema
 * (with one repair turn), within the iteration, token and money budgets. Tool failures and refusals
 * go back to the model as tool results; model and budget failures end the step.
 */
export async function runAgentLoop(
  runtime: ModelRuntime,
  agent: AgentDefinition,
  input: AgentStepInput,
  start: AgentProgress,
  hooks: LoopHooks,
): Promise<{ output?: unknown; pending?: AgentQuestion; progress: AgentProgress }> {
  const tools = agent.tools.flatMap((name) => toolBox.get(name) ?? []);
  const specs = tools.map(toolSpec);
  const system = agent.system + outputContract(agent.output);
  const chain: RouteCandidate[] = await agentRoute(runtime, agent, system, specs);
  const maxIterations = input.maxIterations ?? agent.limits.maxIterations;
  const state: AgentProgress = structuredClone(start);
  let repaired = false;

  const call = async (repair: boolean): Promise<CallModelResult> => {
    const tokens = state.usage.inputTokens + state.usage.outputTokens;
    if (tokens >= agent.limits.maxTotalTokens) {
      throw fail(
        ModelFailureType.BudgetExceeded,
        `agent "${agent.id}" in step "${input.stepId}" used ${tokens} tokens of its ${agent.limits.maxTotalTokens}`,
      );
    }
    const budget = input.budget && {
      limitUsd: input.budget.limitUsd,
      spentUsd: input.budget.spentUsd + state.costUsd,
    };
    if (budget && budget.spentUsd >= budget.limitUsd) {
      throw fail(
        ModelFailureType.BudgetExceeded,
        `run ${input.runId} has spent $${budget.spentUsd.toFixed(4)} of its $${budget.limitUsd} budget; agent "${agent.id}" stops`,
      );
    }
    let lastError: ModelCallError | undefined;
    for (const candidate of chain) {
      try {
        return await callOneModel(
          runtime,
          {
            modelId: candidate.modelId,
            runId: input.runId,
            stepId: input.stepId,
            agent: agent.id,
            system,
            messages: state.messages,
            ...(repair ? { schema: agent.output } : specs.length > 0 && { tools: specs }),
            ...(agent.model.maxTokens && { maxTokens: agent.model.maxTokens }),
            ...(agent.model.temperature !== undefined && { temperature: agent.model.temperature }),
            ...(budget && { budget }),
          },
          { signal: hooks.signal },
        );
      } catch (err) {
        if (!(err instanceof ModelCallError)) throw err;
        state.costUsd += err.costUsd;
        if (err.type === 'Cancelled') throw hooks.signal.reason ?? err;
        if (err.type === ModelFailureType.BudgetExceeded) throw fail(err.type, err.message);
        if (repair && err.type === ModelFailureType.InvalidOutput)
          throw fail(err.type, `agent "${agent.id}" broke its output contract twice: ${err.message}`);
        lastError = err;
        if (!failsOver(err.type)) break;
      }
    }
    throw ApplicationFailure.create({
      type: lastError?.type ?? ModelFailureType.NoModelAvailable,
      message: `every model for agent "${agent.id}" failed; last: ${lastError?.message ?? 'none'}`,
      nonRetryable: !lastError || !transient.has(lastError.type),
    });
  };

  while (state.iteration < maxIterations) {
    if (hooks.signal.aborted) throw hooks.signal.reason;
    const reply = await call(false);
    state.iteration += 1;
    state.modelId = reply.modelId;
    count(state, reply);
    const calls = reply.toolCalls ?? [];
    state.messages.push({
      role: 'assistant',
      content: reply.text,
      ...(calls.length > 0 && { toolCalls: calls }),
    });
    if (calls.length === 0) {
      const answer = parseAgentAnswer(reply.text, agent.output);
      if (answer.ok) {
        state.transcript.push(`${state.iteration}. ${reply.modelId} answered`);
        hooks.onProgress(state);
        return { output: answer.value, progress: state };
      }
      if (repaired)
        throw fail(
          ModelFailureType.InvalidOutput,
          `agent "${agent.id}" broke its output contract twice: ${answer.problem}`,
        );
      repaired = true;
      state.transcript.push(
        `${state.iteration}. ${reply.modelId} answered off-contract (${answer.problem}); asked to repair`,
      );
      state.messages.push({ role: 'user', content: repairNote(input.stepId, answer.problem) });
      const fixed = await call(true);
      count(state, fixed);
      const second = parseAgentAnswer(fixed.text, agent.output);
      if (!second.ok)
        throw fail(
          ModelFailureType.InvalidOutput,
          `agent "${agent.id}" broke its output contract twice: ${second.problem}`,
        );
      state.transcript.push(`${state.iteration}. ${fixed.modelId} repaired its answer`);
      hooks.onProgress(state);
      return { output: second.value, progress: state };
    }
    const names: string[] = [];
    for (const toolCall of calls) {
      names.push(toolCall.name);
      const question = askedQuestion(agent, toolCall, state, hooks);
      if (question) {
        hooks.onProgress(state);
        return { pending: question, progress: state };
      }
      await runToolCall(agent, toolCall, state, hooks);
    }
    state.messages.push({ role: 'user', content: continueNote(input.stepId, state.iteration + 1, names) });
    hooks.onProgress(state);
  }
  throw fail(
    'AgentIterationLimit',
    `agent "${agent.id}" in step "${input.stepId}" gave no final answer in ${maxIterations} iterations`,
  );
}

/**
 * An ask_agent call the agent may make, to an agent that exists: the loop pauses and hands it to the
 * workflow. A call it may not make goes back to the model as a refused tool call, like any other.
 */
function askedQuestion(
  agent: AgentDefinition,
  toolCall: ToolCall,
  state: AgentProgress,
  hooks: LoopHooks,
): AgentQuestion | undefined {
  if (toolCall.name !== askAgentTool.name || !agent.tools.includes(askAgentTool.name)) return undefined;
  const args = AskAgentArgs.safeParse(toolCall.arguments);
  const problem = !args.success
    ? `ask_agent needs {agent, question}: ${args.error.issues[0]?.message ?? 'invalid arguments'}`
    : !hooks.knowsAgent(args.data.agent)
      ? `there is no agent "${args.data.agent}" to ask`
      : args.data.agent === agent.id
        ? 'an agent cannot ask itself'
        : undefined;
  if (problem || !args.success) {
    const error = problem ?? 'invalid arguments';
    state.toolCalls.push({ tool: toolCall.name, ok: false, error });
    state.messages.push({
      role: 'tool',
      toolCallId: toolCall.id,
      name: toolCall.name,
      content: JSON.stringify({ error }),
    });
    return undefined;
  }
  state.lastTool = toolCall.name;
  state.toolCalls.push({ tool: toolCall.name, ok: true });
  state.transcript.push(
    `${state.iteration}. ask_agent ${args.data.agent}: ${brief({ question: args.data.question })}`,
  );
  return { agent: args.data.agent, question: args.data.question, toolCallId: toolCall.id };
}

function count(state: AgentProgress, reply: CallModelResult): void {
  state.usage.inputTokens += reply.usage.inputTokens;
  state.usage.outputTokens += reply.usage.outputTokens;
  state.costUsd += reply.costUsd;
}

/** Runs one tool call (or refuses one the agent may not use) and records it three ways. */
async function runToolCall(
  agent: AgentDefinition,
  toolCall: ToolCall,
  state: AgentProgress,
  hooks: LoopHooks,
): Promise<void> {
  const tool = agent.tools.includes(toolCall.name) ? toolBox.get(toolCall.name) : undefined;
  const outcome = tool
    ? await invokeTool(tool, toolCall.arguments, { ...hooks.tools, signal: hooks.signal })
    : ({
        ok: false,
        error: `agent "${agent.id}" may not use tool "${toolCall.name}"; its tools: ${agent.tools.join(', ') || 'none'}`,
      } as const);
  state.lastTool = toolCall.name;
  const unconfined = outcome.ok && (outcome.output as { unconfined?: unknown } | null)?.unconfined === true;
  state.toolCalls.push({
    tool: toolCall.name,
    ok: outcome.ok,
    ...(!outcome.ok && { error: outcome.error }),
    ...(unconfined && { unconfined: true as const }),
  });
  state.transcript.push(
    `${state.iteration}. ${toolCall.name} ${brief(toolCall.arguments)} → ${outcome.ok ? 'ok' : `error: ${outcome.error}`}`,
  );
  const content = JSON.stringify(outcome.ok ? outcome.output : { error: outcome.error });
  state.messages.push({
    role: 'tool',
    toolCallId: toolCall.id,
    name: toolCall.name,
    content: capText(content, hooks.tools.settings.maxOutputBytes).text,
  });
}

function brief(args: Record<string, unknown>): string {
  const text = Object.entries(args)
    .map(([key, value]) => `${key}=${typeof value === 'string' ? value : JSON.stringify(value)}`)
    .join(' ');
  return text.length > 80 ? `${text.slice(0, 80)}…` : text;
}
