import type { RouteConfig } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import { Attachment, ChatEntry } from '../engine/chat-types';
import {
  CommandReply,
  CreateSessionRequest,
  ListSessionsQuery,
  PlanDecisionBody,
  SendMessageBody,
} from './chat-routes';
import { ChatSessionView, SessionSummary } from './chat-sessions';
import { problem, type RouteScope } from './openapi-paths';

const json = (schema: z.ZodType, description: string) => ({
  description,
  content: { 'application/json': { schema } },
});
const body = (schema: z.ZodType) => ({
  body: { content: { 'application/json': { schema } }, required: true },
});
const session = z.object({ id: z.string().regex(/^chat-[a-z0-9-]{1,80}$/) });
const noSession = problem('No such session, or it was deleted');
const noWorker = problem('No worker answered the session within the deadline');

const CommandsResponse = z.object({
  commands: z.array(z.object({ name: z.string(), usage: z.string(), description: z.string() })),
});

/** The chat REST routes (src/api/chat-routes.ts, docs/chat.md), described from the schemas they parse with. */
export function chatOpenApiRoutes(): (RouteConfig & { scope: RouteScope })[] {
  return [
    {
      method: 'get',
      path: '/api/chat/commands',
      scope: 'read',
      summary: 'The slash commands, for autocomplete',
      responses: { 200: json(CommandsResponse, 'OK') },
    },
    {
      method: 'post',
      path: '/api/chat/sessions',
      scope: 'run',
      summary: 'Start a chat session (a workflow, one per conversation)',
      request: { body: { ...body(CreateSessionRequest).body, required: false } },
      responses: {
        201: json(z.object({ sessionId: z.string() }), 'Created'),
        400: problem('Invalid body'),
      },
    },
    {
      method: 'get',
      path: '/api/chat/sessions',
      scope: 'read',
      summary: 'Open sessions, newest activity first; q filters titles',
      request: { query: ListSessionsQuery },
      responses: {
        200: json(z.object({ sessions: z.array(SessionSummary) }), 'OK'),
        400: problem('Invalid query'),
      },
    },
    {
      method: 'get',
      path: '/api/chat/sessions/{id}',
      scope: 'read',
      summary: 'A session: its conversation and state',
      request: { params: session },
      responses: { 200: json(ChatSessionView, 'OK'), 404: noSession, 503: noWorker },
    },
    {
      method: 'post',
      path: '/api/chat/sessions/{id}/messages',
      scope: 'run',
      summary: 'Send a message (queued, answered later) or a slash command (answered now)',
      request: { params: session, ...body(SendMessageBody) },
      responses: {
        200: json(CommandReply, 'A slash command, carried out (or its usage line when written wrong)'),
        202: json(z.object({ message: ChatEntry }), 'The message, queued'),
        400: problem('Refused before anything was recorded: empty, too long, unknown agent or attachment'),
        404: noSession,
      },
    },
    {
      method: 'post',
      path: '/api/chat/sessions/{id}/cancel',
      scope: 'run',
      summary: 'Stop the turn in flight and drop the queued ones',
      request: { params: session },
      responses: {
        200: json(z.object({ cancelled: z.array(z.string()) }), 'The message ids stopped'),
        404: noSession,
      },
    },
    {
      method: 'post',
      path: '/api/chat/sessions/{id}/plans/{messageId}',
      scope: 'run',
      summary: 'Approve (optionally edited as YAML) or reject a proposed plan; approving starts a run',
      request: {
        params: session.extend({ messageId: z.string() }),
        ...body(PlanDecisionBody),
      },
      responses: {
        200: json(z.object({ message: ChatEntry }), 'The plan entry'),
        400: problem('An invalid edited spec (paths under yaml.), or a plan already decided'),
        404: noSession,
      },
    },
    {
      method: 'put',
      path: '/api/chat/sessions/{id}/attachments/{name}',
      scope: 'run',
      summary: "Upload a file to the session's workspace; the name's extension decides its kind",
      request: {
        params: session.extend({ name: z.string() }),
        body: {
          content: { 'application/octet-stream': { schema: z.string().meta({ format: 'binary' }) } },
          required: true,
        },
      },
      responses: {
        201: json(Attachment, 'Stored'),
        400: problem('Invalid name or content'),
        404: noSession,
        413: problem('Over 10 MB'),
        415: problem('A type that cannot be attached, or content that is not what its name says'),
      },
    },
    {
      method: 'delete',
      path: '/api/chat/sessions/{id}',
      scope: 'run',
      summary: 'End a session and remove its workspace',
      request: { params: session },
      responses: { 204: { description: 'Deleted' }, 404: noSession },
    },
  ];
}
