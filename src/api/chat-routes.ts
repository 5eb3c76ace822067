import { rm } from 'node:fs/promises';
import type { Client } from '@temporalio/client';
import express, { Router } from 'express';
import { z } from 'zod';
import { specContextOf, type AgentRegistry } from '../agents/registry';
import { runWorkspacePath } from '../activities/workspace';
import type { Config } from '../config';
import { chatCommands, parseChatCommand } from '../engine/chat-commands';
import { MAX_ATTACHMENTS, MessageFields } from '../engine/chat-types';
import type { Spec } from '../engine/spec';
import { parseSpec } from '../engine/spec-validation';
import type { ModelRuntime } from '../models/model-runtime';
import {
  cancelTurnUpdate,
  decidePlanUpdate,
  deleteSessionUpdate,
  recordCommandUpdate,
  sendMessageUpdate,
} from '../workflows/chat-messages';
import { findAttachments, MAX_ATTACHMENT_BYTES, saveAttachment } from './chat-attachments';
import { runChatCommand } from './chat-command-runner';
import {
  forgetSession,
  listSessions,
  openSession,
  readSession,
  startSession,
  updateSession,
} from './chat-sessions';
import { HttpError, invalidRequest } from './http-error';
import { parseRequest } from './request-parsing';
import type { SpecStore } from './spec-store';

export const CreateSessionRequest = z.strictObject({
  title: z.string().trim().min(1).max(200).optional(),
  /** A model to pin from the start (as /model does). */
  model: z.string().min(1).max(200).optional(),
});

/** The body of POST .../messages: a message, with attachments named by their uploaded file names. */
export const SendMessageBody = MessageFields.extend({
  attachments: z.array(z.string().min(1).max(200)).max(MAX_ATTACHMENTS).default([]),
});

export const ListSessionsQuery = z.strictObject({
  q: z.string().max(200).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(50),
});

export const PlanDecisionBody = z.strictObject({
  approved: z.boolean(),
  /** The plan as edited: YAML (or JSON) text of a spec, validated like POST /api/runs validates one. */
  yaml: z.string().min(1).max(200_000).optional(),
  comment: z.string().max(4000).optional(),
});

export const CommandReply = z.object({
  command: z.string(),
  ok: z.boolean(),
  reply: z.string(),
  /** The usage line, when the command was written wrong. */
  usage: z.string().optional(),
  message: z.unknown(),
});

/** Chat sessions: create, list, read, send a message or a slash command, stop a turn, decide a plan, upload, delete. */
export function chatRoutes({
  client,
  config,
  specs,
  agents,
  models,
  mayAdmin,
}: {
  client: Client;
  config: Config;
  specs: SpecStore;
  agents: AgentRegistry;
  models?: ModelRuntime;
  mayAdmin: (req: express.Request) => Promise<boolean>;
}): Router {
  const router = Router();
  // Mounted before the app's JSON parser, so an upload's bytes reach the attachment route untouched.
  router.use((req, res, next) =>
    req.method === 'PUT' ? next() : express.json({ limit: '2mb' })(req, res, next),
  );
  const agentIds = [...agents.agents.keys()];

  router.get('/commands', (_req, res) => {
    res.json({ commands: chatCommands });
  });

  router.post('/sessions', async (req, res) => {
    const request = parseRequest(CreateSessionRequest, req.body ?? {}, 'body');
    const sessionId = await startSession(client, config, agentIds, request);
    res.status(201).location(`${req.baseUrl}/sessions/${sessionId}`).json({ sessionId });
  });

  router.get('/sessions', async (req, res) => {
    const query = parseRequest(ListSessionsQuery, req.query, 'query');
    res.json({ sessions: await listSessions(client, query) });
  });

  router.get('/sessions/:id', async (req, res) => {
    res.json(await readSession(client, String(req.params.id)));
  });

  router.post('/sessions/:id/messages', async (req, res) => {
    const sessionId = String(req.params.id);
    const body = parseRequest(SendMessageBody, req.body ?? {}, 'body');
    const parsed = parseChatCommand(body.text);
    if (parsed && !(parsed.ok && parsed.command.name === 'plan')) {
      const session = await readSession(client, sessionId);
      const outcome = parsed.ok
        ? await runChatCommand(parsed.command as Exclude<typeof parsed.command, { name: 'plan' }>, session, {
            client,
            config,
            specs,
            agents,
            ...(models && { models }),
            mayAdmin: () => mayAdmin(req),
          })
        : { ok: false, reply: `${parsed.error}\nusage: ${parsed.usage}` };
      const message = await updateSession(client, sessionId, (handle) =>
        handle.executeUpdate(recordCommandUpdate, { args: [{ text: body.text.trim(), ...outcome }] }),
      );
      res.json({
        command: parsed.ok ? parsed.command.name : parsed.name,
        ok: outcome.ok,
        reply: outcome.reply,
        ...(!parsed.ok && { usage: parsed.usage }),
        message,
      });
      return;
    }
    const attachments = await findAttachments(config.TROUPE_DATA_DIR, sessionId, body.attachments);
    const request = {
      ...body,
      attachments,
      ...(parsed?.ok &&
        parsed.command.name === 'plan' && { text: parsed.command.goal, mode: 'workflow' as const }),
    };
    const message = await updateSession(client, sessionId, (handle) =>
      handle.executeUpdate(sendMessageUpdate, {
        args: [request],
        ...(body.clientMessageId && { updateId: `message-${body.clientMessageId}` }),
      }),
    );
    res.status(202).json({ message });
  });

  router.post('/sessions/:id/cancel', async (req, res) => {
    const sessionId = String(req.params.id);
    res.json(await updateSession(client, sessionId, (handle) => handle.executeUpdate(cancelTurnUpdate)));
  });

  router.post('/sessions/:id/plans/:messageId', async (req, res) => {
    const sessionId = String(req.params.id);
    const body = parseRequest(PlanDecisionBody, req.body ?? {}, 'body');
    let spec: Spec | undefined;
    if (body.yaml !== undefined) {
      const parsed = parseSpec(body.yaml, specContextOf(agents));
      if (!parsed.ok)
        throw invalidRequest(parsed.issues.map((issue) => ({ ...issue, path: ['yaml', ...issue.path] })));
      spec = parsed.spec;
    }
    const message = await updateSession(client, sessionId, (handle) =>
      handle.executeUpdate(decidePlanUpdate, {
        args: [
          {
            messageId: String(req.params.messageId),
            approved: body.approved,
            ...(spec && { spec }),
            ...(body.comment && { comment: body.comment }),
          },
        ],
      }),
    );
    res.json({ message });
  });

  router.delete('/sessions/:id', async (req, res) => {
    const sessionId = String(req.params.id);
    await updateSession(client, sessionId, (handle) => handle.executeUpdate(deleteSessionUpdate));
    forgetSession(client, sessionId);
    await rm(runWorkspacePath(config.TROUPE_DATA_DIR, sessionId), { recursive: true, force: true });
    res.status(204).end();
  });

  router.put(
    '/sessions/:id/attachments/:name',
    express.raw({ type: () => true, limit: MAX_ATTACHMENT_BYTES }),
    async (req, res) => {
      const sessionId = String(req.params.id);
      await openSession(client, sessionId);
      const bytes = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
      const attachment = await saveAttachment(
        config.TROUPE_DATA_DIR,
        sessionId,
        String(req.params.name),
        bytes,
      );
      res.status(201).json(attachment);
    },
  );

  router.use((err: unknown, _req: express.Request, _res: express.Response, next: express.NextFunction) => {
    const bodyError = err as { type?: string };
    if (bodyError.type === 'entity.too.large')
      return next(
        new HttpError(413, {
          message: `an attachment may have at most ${MAX_ATTACHMENT_BYTES} bytes (10 MB)`,
        }),
      );
    next(err);
  });
  return router;
}
