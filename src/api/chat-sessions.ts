import { randomUUID } from 'node:crypto';
import {
  ApplicationFailure,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
  type Client,
  type WorkflowHandle,
} from '@temporalio/client';
import { stringify } from 'yaml';
import { z } from 'zod';
import type { Config } from '../config';
import { ChatEntry, ChatSnapshot } from '../engine/chat-types';
import { TroupeCost, TroupeLastActivity, TroupeTitle } from '../engine/search-attributes';
import { chatStateQuery } from '../workflows/chat-messages';
import type { chatWorkflow } from '../workflows/chat-workflow';
import { HttpError } from './http-error';
import { grpcCode } from './temporal-errors';
import { withTimeout } from './with-timeout';

export const SessionIdParam = z.string().regex(/^chat-[a-z0-9-]{1,80}$/, 'not a chat session id');

export const SessionSummary = z.object({
  sessionId: z.string(),
  title: z.string(),
  lastActivityAt: z.string().optional(),
  costUsd: z.number(),
  startedAt: z.string(),
});
export type SessionSummary = z.infer<typeof SessionSummary>;

/** A snapshot as the API shows it: each plan also as YAML, for the edit box. */
export const ChatSessionView = ChatSnapshot.extend({
  messages: z.array(
    ChatEntry.extend({
      plan: ChatEntry.shape.plan.unwrap().extend({ yaml: z.string().optional() }).optional(),
    }),
  ),
});
export type ChatSessionView = z.infer<typeof ChatSessionView>;

const QUERY_TIMEOUT_MS = 10_000;

/** Starts a session's workflow; its id is `chat-` and 12 random hex digits. */
export async function startSession(
  client: Client,
  config: Config,
  agents: string[],
  { title, model }: { title?: string; model?: string },
): Promise<string> {
  const sessionId = `chat-${randomUUID().replace(/-/g, '').slice(0, 12)}`;
  await client.workflow.start<typeof chatWorkflow>('chatWorkflow', {
    workflowId: sessionId,
    taskQueue: config.TROUPE_TASK_QUEUE,
    args: [{ agents, ...(title && { title }), ...(model && { model }) }],
    memo: { kind: 'chat' },
    typedSearchAttributes: [
      { key: TroupeTitle, value: title ?? 'New chat' },
      { key: TroupeLastActivity, value: new Date() },
      { key: TroupeCost, value: 0 },
    ],
  });
  return sessionId;
}

/** The open sessions, newest activity first, found by their search attributes; `q` filters titles. */
export async function listSessions(
  client: Client,
  { q, limit }: { q?: string; limit: number },
): Promise<SessionSummary[]> {
  const sessions: SessionSummary[] = [];
  const query = `WorkflowType = 'chatWorkflow' AND ExecutionStatus = 'Running'`;
  for await (const info of client.workflow.list({ query })) {
    const attributes = info.typedSearchAttributes;
    const title = attributes.get(TroupeTitle) ?? 'New chat';
    if (q && !title.toLowerCase().includes(q.toLowerCase())) continue;
    const at = attributes.get(TroupeLastActivity);
    sessions.push({
      sessionId: info.workflowId,
      title,
      ...(at && { lastActivityAt: at.toISOString() }),
      costUsd: attributes.get(TroupeCost) ?? 0,
      startedAt: info.startTime.toISOString(),
    });
    if (sessions.length >= 1000) break;
  }
  return sessions
    .sort((a, b) => (b.lastActivityAt ?? b.startedAt).localeCompare(a.lastActivityAt ?? a.startedAt))
    .slice(0, limit);
}

/** How long a session seen open is taken to be open without asking Temporal again. */
const OPEN_FOR_MS = 5_000;
const seenOpen = new WeakMap<Client, Map<string, number>>();

/** Forgets that a session was open (it was deleted, or an answer says it is gone). */
export function forgetSession(client: Client, sessionId: string): void {
  seenOpen.get(client)?.delete(sessionId);
}

/**
 * A handle to a session that exists and is open, or a 404 that says why not. A session seen open in the
 * last few seconds is not described again: each message and each live poll would pay a round trip.
 */
export async function openSession(client: Client, sessionId: string): Promise<WorkflowHandle> {
  const id = SessionIdParam.safeParse(sessionId);
  if (!id.success) throw new HttpError(404, { message: `no chat session "${sessionId}"` });
  const handle = client.workflow.getHandle(sessionId);
  const seen = seenOpen.get(client) ?? new Map<string, number>();
  seenOpen.set(client, seen);
  if ((seen.get(sessionId) ?? 0) > Date.now()) return handle;
  try {
    const description = await handle.describe();
    if (description.type !== 'chatWorkflow')
      throw new HttpError(404, { message: `"${sessionId}" is not a chat session` });
    if (description.status.name !== 'RUNNING')
      throw new HttpError(404, { message: `chat session "${sessionId}" was deleted` });
  } catch (err) {
    seen.delete(sessionId);
    if (err instanceof WorkflowNotFoundError)
      throw new HttpError(404, { message: `no chat session "${sessionId}"` });
    throw err;
  }
  if (seen.size > 10_000) seen.clear();
  seen.set(sessionId, Date.now() + OPEN_FOR_MS);
  return handle;
}

/** The session's state, from its query. */
export async function readSession(client: Client, sessionId: string): Promise<ChatSessionView> {
  const handle = await openSession(client, sessionId);
  let snapshot: ChatSnapshot;
  try {
    snapshot = await withTimeout(handle.query(chatStateQuery), QUERY_TIMEOUT_MS);
  } catch (err) {
    forgetSession(client, sessionId);
    // Gone since it was last seen open (another API process deleted it): say so, as a describe would.
    if (err instanceof WorkflowNotFoundError) await openSession(client, sessionId);
    throw new HttpError(503, {
      message: `no worker answered the state query of chat session "${sessionId}" within ${QUERY_TIMEOUT_MS / 1000}s; start one with \`npm run worker\``,
      cause: err,
    });
  }
  if (snapshot.status === 'deleted') {
    forgetSession(client, sessionId);
    throw new HttpError(404, { message: `chat session "${sessionId}" was deleted` });
  }
  return withYaml(snapshot);
}

export function withYaml(snapshot: ChatSnapshot): ChatSessionView {
  return {
    ...snapshot,
    messages: snapshot.messages.map((entry) =>
      entry.plan?.spec ? { ...entry, plan: { ...entry.plan, yaml: stringify(entry.plan.spec) } } : entry,
    ),
  };
}

/**
 * Sends an update to a session and turns Temporal's refusals into HTTP: a refused message is a 400
 * naming why, a session that is gone is a 404.
 */
export async function updateSession<T>(
  client: Client,
  sessionId: string,
  send: (handle: WorkflowHandle) => Promise<T>,
  field = 'body',
): Promise<T> {
  const handle = await openSession(client, sessionId);
  try {
    return await sendWhenTaskHealthy(handle, send);
  } catch (err) {
    forgetSession(client, sessionId);
    if (grpcCode(err) === FAILED_PRECONDITION)
      throw new HttpError(503, {
        message: `chat session "${sessionId}" is not taking messages now (its workflow task keeps failing); try again shortly`,
        cause: err,
      });
    // A session closed since it was last seen open: describing it says why, as a 404.
    if (!(err instanceof WorkflowUpdateFailedError)) await openSession(client, sessionId);
    if (err instanceof WorkflowNotFoundError)
      throw new HttpError(404, { message: `no chat session "${sessionId}"` });
    if (err instanceof WorkflowUpdateFailedError) {
      const message =
        err.cause instanceof ApplicationFailure || err.cause instanceof Error
          ? err.cause.message
          : err.message;
      const path = /^([A-Za-z.\d[\]]+): /.exec(message)?.[1];
      throw new HttpError(400, {
        message,
        errors: [{ path: path ? `${field}.${path}` : field, message }],
        cause: err,
      });
    }
    throw err;
  }
}

/** Temporal's answer to an update while the workflow's task is failing (it retries the task itself). */
const FAILED_PRECONDITION = 9;
const TASK_RETRY_MS = [200, 400, 800, 1600, 3200];

/**
 * Sends, and sends again while Temporal says the workflow task is in a failed state: a busy worker that
 * timed out a task gets it again shortly, and the message should not fail for that.
 */
async function sendWhenTaskHealthy<T>(
  handle: WorkflowHandle,
  send: (handle: WorkflowHandle) => Promise<T>,
): Promise<T> {
  for (const wait of TASK_RETRY_MS) {
    try {
      return await send(handle);
    } catch (err) {
      if (grpcCode(err) !== FAILED_PRECONDITION) throw err;
      await new Promise((resolve) => setTimeout(resolve, wait));
    }
  }
  return send(handle);
}
