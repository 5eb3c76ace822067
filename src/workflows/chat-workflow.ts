import {
  ApplicationFailure,
  CancellationScope,
  ChildWorkflowFailure,
  ParentClosePolicy,
  allHandlersFinished,
  condition,
  continueAsNew,
  isCancellation,
  patched,
  proxyActivities,
  setHandler,
  startChild,
  upsertSearchAttributes,
  uuid4,
  workflowInfo,
} from '@temporalio/workflow';
import type { SearchAttributeUpdatePair } from '@temporalio/common';
import type { AgentActivities } from '../activities/agent-activities';
import type { ChatActivities, ChatTurnResult } from '../activities/chat-activities';
import { chatPlanSpec } from '../engine/chat-plan';
import { plansAuto } from '../engine/plan';
import { ChatSession, ChatValidationError, newChat, type CarriedChat } from '../engine/chat-session';
import { decisionSchema, settleChatTeam } from '../engine/chat-team';
import { parseDecision, type Decision } from '../engine/collaboration';
import {
  ChatMode,
  EntryRole,
  EntryStatus,
  PlanStatus,
  type ChatEntry,
  type ChatSnapshot,
} from '../engine/chat-types';
import type { RunSnapshot } from '../engine/run-snapshot';
import {
  TroupeAgents,
  TroupeCost,
  TroupeGoal,
  TroupeLastActivity,
  TroupeStatus,
  TroupeTitle,
} from '../engine/search-attributes';
import type { AgentStep, RunInput, Spec } from '../engine/spec';
import { agentsQueue } from '../engine/task-queues';
import {
  cancelTurnUpdate,
  chatStateQuery,
  decidePlanUpdate,
  deleteSessionUpdate,
  recordCommandUpdate,
  sendMessageUpdate,
  type CommandRecord,
  type PlanDecision,
} from './chat-messages';
import { plannedAutoPatch } from './agent-choice';

export type ChatWorkflowInput = {
  /** The registry's agent ids when the session started: messages naming others are refused. */
  agents: string[];
  title?: string;
  model?: string;
  carried?: CarriedChat;
  /** Continue as new past this many history events (Temporal's own suggestion applies too). */
  historyLimit?: number;
};

const DEFAULT_HISTORY_LIMIT = 4_000;

const chatActivities = () =>
  proxyActivities<ChatActivities>({
    taskQueue: agentsQueue(workflowInfo().taskQueue),
    startToCloseTimeout: '10 minutes',
    // A worker killed mid-reply is noticed within seconds, and the retry resumes from the heartbeat.
    heartbeatTimeout: '10 seconds',
    retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumAttempts: 3 },
  });

const agentActivities = () =>
  proxyActivities<AgentActivities>({
    taskQueue: agentsQueue(workflowInfo().taskQueue),
    startToCloseTimeout: '30 minutes',
    heartbeatTimeout: '30 seconds',
    retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumAttempts: 3 },
  });

/**
 * A chat session: an entity workflow, one per conversation. Messages arrive as updates and queue;
 * each is answered in turn, by one agent, a team, or a plan that becomes a run. Tokens stream beside
 * history (the token bus), never through it; the conversation lives in state and continues as new.
 */
export async function chatWorkflow(input: ChatWorkflowInput): Promise<ChatSnapshot> {
  const { workflowId } = workflowInfo();
  const session = new ChatSession(
    input.carried ??
      newChat(workflowId, new Date(), {
        ...(input.title && { title: input.title }),
        ...(input.model && { model: input.model }),
      }),
  );
  const known = new Set(input.agents);
  const live = { active: undefined as { turn: string; scope: CancellationScope } | undefined, runs: 0 };
  const sync = attributeSync(session);
  const linkRun = (turn: string, spec: Spec, runInput: RunInput, planId?: string) =>
    void startLinkedRun(session, turn, spec, runInput, live, sync, planId);
  registerHandlers(session, known, live, sync, linkRun);

  const limit = input.historyLimit ?? DEFAULT_HISTORY_LIMIT;
  const wantsNew = () => workflowInfo().continueAsNewSuggested || workflowInfo().historyLength > limit;
  for (;;) {
    sync();
    await condition(() => session.hasQueued || session.deleted || (wantsNew() && live.runs === 0));
    if (session.deleted) break;
    if (!session.hasQueued) {
      await condition(allHandlersFinished);
      if (!session.hasQueued && live.runs === 0)
        await continueAsNew<typeof chatWorkflow>({ ...input, carried: session.carry() });
      continue;
    }
    const turn = session.takeNext(new Date());
    if (turn) await answer(session, turn, known, live);
  }
  sync();
  await condition(allHandlersFinished);
  return session.snapshot();
}

function registerHandlers(
  session: ChatSession,
  known: Set<string>,
  live: { active: { turn: string; scope: CancellationScope } | undefined; runs: number },
  sync: () => void,
  linkRun: (turn: string, spec: Spec, input: RunInput, planId?: string) => void,
): void {
  const refuse = (err: unknown): never => {
    throw err instanceof ChatValidationError
      ? ApplicationFailure.create({ type: 'InvalidMessage', message: err.message, nonRetryable: true })
      : err;
  };
  setHandler(chatStateQuery, () => session.snapshot(live.active?.turn));
  setHandler(
    sendMessageUpdate,
    (raw) => {
      const entry = session.accept(session.validate(raw, known), new Date());
      sync();
      return entry;
    },
    {
      validator: (raw) => {
        try {
          session.validate(raw, known);
        } catch (err) {
          refuse(err);
        }
      },
    },
  );
  setHandler(cancelTurnUpdate, () => {
    const cancelled = session.cancelQueued(new Date());
    if (live.active) {
      cancelled.unshift(live.active.turn);
      live.active.scope.cancel();
    }
    return { cancelled };
  });
  const validCommand = ({ text, reply }: CommandRecord) => {
    if (session.deleted) throw new Error(`session ${session.sessionId} was deleted`);
    if (!text.trim() || typeof reply !== 'string')
      throw new Error('a command record needs its text and reply');
  };
  setHandler(
    recordCommandUpdate,
    (record) => {
      const now = new Date();
      const asked = session.add(
        { role: EntryRole.User, turn: '', text: record.text, status: EntryStatus.Done },
        now,
      );
      session.update(asked.id, { turn: asked.id }, now);
      const answerEntry = session.add(
        {
          role: EntryRole.Command,
          turn: asked.id,
          text: record.reply,
          status: record.ok ? EntryStatus.Done : EntryStatus.Failed,
        },
        now,
      );
      if (record.model !== undefined) session.setModel(record.model ?? undefined, now);
      if (record.run) linkRun(asked.id, record.run.spec, record.run.input);
      sync();
      return answerEntry;
    },
    { validator: validCommand },
  );
  setHandler(
    decidePlanUpdate,
    (decision) => {
      const now = new Date();
      const entry = session.entry(decision.messageId);
      const plan = entry?.plan;
      if (!entry || !plan) throw new Error(`no plan ${decision.messageId}`);
      const spec = (decision.spec ?? plan.spec) as Spec;
      const updated = session.update(
        entry.id,
        {
          plan: {
            ...plan,
            status: decision.approved ? PlanStatus.Approved : PlanStatus.Rejected,
            ...(decision.spec && { spec: decision.spec }),
          },
        },
        now,
      );
      if (decision.approved) linkRun(entry.turn, spec, {}, entry.id);
      else
        session.add(
          {
            role: EntryRole.Command,
            turn: entry.turn,
            text: `Plan rejected${decision.comment ? `: ${decision.comment}` : '.'}`,
            status: EntryStatus.Done,
          },
          now,
        );
      sync();
      return updated;
    },
    {
      validator: ({ messageId, spec }: PlanDecision) => {
        if (session.deleted) throw new Error(`session ${session.sessionId} was deleted`);
        const plan = session.entry(messageId)?.plan;
        if (!plan) throw new Error(`message ${messageId} is not a plan of this session`);
        if (plan.status !== PlanStatus.Proposed)
          throw new Error(`plan ${messageId} was already ${plan.status}`);
        if (!plan.spec && !spec) throw new Error(`plan ${messageId} has no spec to run`);
      },
    },
  );
  setHandler(deleteSessionUpdate, () => {
    session.markDeleted(new Date());
    live.active?.scope.cancel();
    return session.snapshot();
  });
}

/** Answers one user message in its mode; a stop cancels it, a failure is said in the chat. */
async function answer(
  session: ChatSession,
  turn: ChatEntry,
  known: Set<string>,
  live: { active: { turn: string; scope: CancellationScope } | undefined },
): Promise<void> {
  const scope = new CancellationScope();
  live.active = { turn: turn.id, scope };
  try {
    await scope.run(async () => {
      if (turn.mode === ChatMode.Team) await answerAsTeam(session, turn, known);
      else if (turn.mode === ChatMode.Workflow) await answerWithPlan(session, turn, known);
      else await answerAlone(session, turn);
    });
    session.update(turn.id, { status: EntryStatus.Done }, new Date());
  } catch (err) {
    const now = new Date();
    const cancelled = isCancellation(err);
    for (const entry of session.snapshot().messages)
      if (entry.turn === turn.id && entry.id !== turn.id && entry.status === EntryStatus.Running)
        session.update(entry.id, { status: cancelled ? EntryStatus.Cancelled : EntryStatus.Failed }, now);
    session.update(
      turn.id,
      {
        status: cancelled ? EntryStatus.Cancelled : EntryStatus.Failed,
        ...(!cancelled && { error: messageOf(err) }),
      },
      now,
    );
    if (!cancelled)
      session.add(
        {
          role: EntryRole.Command,
          turn: turn.id,
          text: `No answer: ${messageOf(err)}`,
          status: EntryStatus.Failed,
        },
        now,
      );
  } finally {
    live.active = undefined;
  }
}

/** One agent answers: the entry streams (tokens go by the bus under its id) and is filled in once. */
async function reply(
  session: ChatSession,
  turn: ChatEntry,
  agent: string,
  extra: { why?: string; note?: string; round?: number } = {},
): Promise<ChatEntry> {
  const entry = session.add(
    {
      role: EntryRole.Assistant,
      turn: turn.id,
      text: '',
      status: EntryStatus.Running,
      agent,
      ...(extra.why && { why: extra.why }),
      ...(extra.round !== undefined && { round: extra.round }),
    },
    new Date(),
  );
  const context = session.context(turn.id);
  const ids = contextIds(session, turn.id, context.messages.length);
  let result: ChatTurnResult;
  try {
    result = await chatActivities().chatTurn({
      sessionId: session.sessionId,
      messageId: entry.id,
      agent,
      ...(session.model && { model: session.model }),
      ...(context.summary && { summary: context.summary }),
      messages: context.messages,
      messageIds: ids,
      ...(extra.note && { note: extra.note }),
      ...((turn.attachments ?? []).some((file) => file.kind === 'image') && { vision: true }),
    });
  } catch (err) {
    if (!isCancellation(err)) {
      session.record(agent, false, 0);
      session.update(entry.id, { status: EntryStatus.Failed, error: messageOf(err) }, new Date());
    }
    throw err;
  }
  const now = new Date();
  if (result.summary) session.setSummary(result.summary, now);
  session.record(agent, true, result.costUsd);
  return session.update(
    entry.id,
    {
      text: result.text,
      status: EntryStatus.Done,
      modelId: result.modelId,
      usage: result.usage,
      costUsd: result.costUsd,
      ...(result.simulated && { simulated: true }),
      ...(result.toolCalls.length > 0 && { toolCalls: result.toolCalls }),
    },
    now,
  );
}

/** The entry ids behind `session.context(turn)`'s messages, in order. */
function contextIds(session: ChatSession, turn: string, count: number): string[] {
  const snapshot = session.snapshot();
  const start = snapshot.summary
    ? snapshot.messages.findIndex((entry) => entry.id === snapshot.summary?.upTo) + 1
    : 0;
  const end = snapshot.messages.findIndex((entry) => entry.id === turn);
  const ids = snapshot.messages
    .slice(start, end + 1)
    .filter(
      (entry) =>
        entry.role === EntryRole.User ||
        (entry.status === EntryStatus.Done && entry.turn !== turn && entry.text),
    )
    .map((entry) => entry.id);
  return ids.slice(-count);
}

async function answerAlone(session: ChatSession, turn: ChatEntry): Promise<void> {
  let agent = turn.agent ?? 'auto';
  let why: string | undefined;
  if (agent === 'auto')
    ({ agent, why } = await chatActivities().chooseChatAgent({
      text: turn.text,
      outcomes: session.outcomes,
    }));
  await reply(session, turn, agent, { ...(why && { why }) });
}

async function answerAsTeam(session: ChatSession, turn: ChatEntry, known: Set<string>): Promise<void> {
  const team = turn.teamRequest;
  if (!team)
    throw ApplicationFailure.create({ message: `message ${turn.id} has no team`, nonRetryable: true });
  const settled = await Promise.allSettled(team.agents.map((agent) => reply(session, turn, agent)));
  const cancelled = settled.find((result) => result.status === 'rejected' && isCancellation(result.reason));
  if (cancelled?.status === 'rejected') throw cancelled.reason;
  const first = settled.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
  if (first.length === 0)
    throw ApplicationFailure.create({ message: 'no agent of the team answered', nonRetryable: true });
  const judge = known.has('reviewer') ? 'reviewer' : (first[0]?.agent ?? 'reviewer');
  const { outcome, answers } = await settleChatTeam(turn.text, team, judge, first, {
    revise: (entry, round, note) => reply(session, turn, entry.agent ?? '', { round, note }),
    decide: (agent, task) => decide(session, turn, agent, task),
  });
  const winning = answers.find((entry) => entry.agent === outcome.winner);
  session.add(
    {
      role: EntryRole.Assistant,
      turn: turn.id,
      agent: outcome.winner ?? '',
      text: winning?.text ?? '',
      status: EntryStatus.Done,
      team: outcome,
      ...(winning?.simulated && { simulated: true }),
    },
    new Date(),
  );
}

/** A judge's or voter's decision: an index into the answers, whether they agree, and why. */
async function decide(session: ChatSession, turn: ChatEntry, agent: string, task: string): Promise<Decision> {
  const result = await chatActivities().chatDecide({
    sessionId: session.sessionId,
    messageId: `${turn.id}-decide-${agent}`,
    agent,
    task,
    schema: decisionSchema,
    ...(session.model && { model: session.model }),
  });
  session.record(agent, true, result.costUsd);
  return parseDecision(result.decision);
}

/** How the proposed plan names a step's agent: an `auto` step says what it needs. */
const agentLabel = (step: AgentStep) =>
  step.needs ? `${step.agent}, needs ${step.needs.join(' + ')}` : step.agent;

/** Workflow mode: the planner plans, the plan is checked into a spec, and waits for the user's decision. */
async function answerWithPlan(session: ChatSession, turn: ChatEntry, known: Set<string>): Promise<void> {
  const entry = session.add(
    {
      role: EntryRole.Plan,
      turn: turn.id,
      agent: 'planner',
      text: 'Planning…',
      status: EntryStatus.Running,
      plan: { goal: turn.text, status: PlanStatus.Proposed },
    },
    new Date(),
  );
  const { messages } = session.context(turn.id);
  const earlier = messages.slice(0, -1).map((message) => `${message.role}: ${message.content}`);
  const result = await agentActivities().runAgent({
    runId: session.sessionId,
    stepId: entry.id,
    agent: 'planner',
    task: `Plan this goal: ${turn.text}`,
    ...(earlier.length > 0 && { context: { conversation: earlier.slice(-10) } }),
  });
  session.record('planner', true, result.costUsd);
  const planned = chatPlanSpec(turn.text, result.output, known, {
    auto: plansAuto(result.output) && patched(plannedAutoPatch),
  });
  const now = new Date();
  if (!planned.ok) {
    session.update(
      entry.id,
      {
        status: EntryStatus.Failed,
        text: `The planner's plan does not hold:\n${planned.problems.map((problem) => `- ${problem}`).join('\n')}`,
        plan: { goal: turn.text, status: PlanStatus.Rejected, problems: planned.problems },
        modelId: result.modelId,
        costUsd: result.costUsd,
      },
      now,
    );
    return;
  }
  const lines = planned.spec.steps.map(
    (step, index) =>
      `${index + 1}. **${step.id}** (${step.kind === 'agent' ? agentLabel(step) : step.kind})${step.description ? `: ${step.description}` : ''}${step.dependsOn.length > 0 ? ` — after ${step.dependsOn.join(', ')}` : ''}`,
  );
  session.update(
    entry.id,
    {
      status: EntryStatus.Done,
      text: `Here is a plan for "${turn.text}":\n\n${lines.join('\n')}\n\nApprove it to run it, edit it as YAML, or reject it.`,
      plan: { goal: turn.text, status: PlanStatus.Proposed, spec: planned.spec },
      modelId: result.modelId,
      usage: result.usage,
      costUsd: result.costUsd,
    },
    now,
  );
}

/**
 * Starts a run linked to the session (a child that outlives it), shows it in the chat, and posts its
 * outcome when it ends, so later messages can refer to it.
 */
async function startLinkedRun(
  session: ChatSession,
  turn: string,
  spec: Spec,
  input: RunInput,
  live: { runs: number },
  sync: () => void,
  planId?: string,
): Promise<void> {
  live.runs += 1;
  const runId = `${spec.name.toLowerCase()}-${uuid4().slice(0, 8)}`;
  const entry = session.add(
    {
      role: EntryRole.Run,
      turn,
      text: `Run ${runId} started.`,
      status: EntryStatus.Running,
      run: { runId, status: 'running' },
    },
    new Date(),
  );
  if (planId) {
    const plan = session.entry(planId)?.plan;
    if (plan) session.update(planId, { plan: { ...plan, runId } }, new Date());
  }
  sync();
  try {
    const agents = [...new Set(spec.steps.map((step) => (step.kind === 'tool' ? step.tool : step.kind)))];
    const child = await startChild('runWorkflow', {
      workflowId: runId,
      taskQueue: workflowInfo().taskQueue,
      args: [{ spec, input }],
      parentClosePolicy: ParentClosePolicy.ABANDON,
      memo: { title: spec.description ?? spec.name, sessionId: session.sessionId },
      typedSearchAttributes: [
        { key: TroupeStatus, value: 'running' },
        { key: TroupeAgents, value: agents },
        { key: TroupeCost, value: 0 },
        { key: TroupeGoal, value: spec.description ?? spec.name },
      ],
    });
    const snapshot = (await child.result()) as RunSnapshot;
    session.update(
      entry.id,
      {
        status: EntryStatus.Done,
        text: `Run ${runId} completed.${outputText(snapshot.output)}`,
        run: {
          runId,
          status: 'completed',
          ...(snapshot.output !== undefined && { output: snapshot.output }),
        },
      },
      new Date(),
    );
  } catch (err) {
    const cause = err instanceof ChildWorkflowFailure ? err.cause : err;
    const cancelled = isCancellation(cause);
    const message = messageOf(cause);
    session.update(
      entry.id,
      {
        status: cancelled ? EntryStatus.Cancelled : EntryStatus.Failed,
        text: `Run ${runId} ${cancelled ? 'was cancelled' : `failed: ${message}`}`,
        run: { runId, status: cancelled ? 'cancelled' : 'failed', error: message },
      },
      new Date(),
    );
  } finally {
    live.runs -= 1;
    sync();
  }
}

function outputText(output: unknown): string {
  if (output === undefined || output === null) return '';
  const text = typeof output === 'string' ? output : JSON.stringify(output, null, 2);
  const cut = text.length > 4000 ? `${text.slice(0, 4000)}…` : text;
  return typeof output === 'string' ? `\n\n${cut}` : `\n\n\`\`\`json\n${cut}\n\`\`\``;
}

function messageOf(err: unknown): string {
  let current: unknown = err;
  // Temporal wraps the activity's own failure; its message is the one worth showing.
  while (current instanceof Error && current.cause instanceof Error) current = current.cause;
  return current instanceof Error ? current.message : String(current);
}

/** Keeps TroupeTitle, TroupeLastActivity and TroupeCost equal to the session's, writing only on change. */
function attributeSync(session: ChatSession): () => void {
  const attributes = workflowInfo().typedSearchAttributes;
  let title = attributes.get(TroupeTitle);
  let at = attributes.get(TroupeLastActivity)?.toISOString();
  let cost = attributes.get(TroupeCost);
  return () => {
    const updates: SearchAttributeUpdatePair[] = [];
    if (session.title !== title) updates.push({ key: TroupeTitle, value: (title = session.title) });
    if (session.lastActivityAt !== at) {
      at = session.lastActivityAt;
      updates.push({ key: TroupeLastActivity, value: new Date(at) });
    }
    if (session.costUsd !== cost) updates.push({ key: TroupeCost, value: (cost = session.costUsd) });
    if (updates.length > 0) upsertSearchAttributes(updates);
  };
}
