import { z } from 'zod';
import { lazySchema } from './lazy-schema';

/** The longest message a user may send, in characters: longer text belongs in an attachment. */
export const MAX_MESSAGE_CHARS = 16_000;
export const MAX_ATTACHMENTS = 10;
export const MAX_TEAM = 5;
export const MAX_DEBATE_ROUNDS = 5;

export const ChatMode = { Single: 'single', Team: 'team', Workflow: 'workflow' } as const;
export type ChatMode = (typeof ChatMode)[keyof typeof ChatMode];

export const TeamResolution = { Vote: 'vote', Judge: 'judge', Debate: 'debate' } as const;
export type TeamResolution = (typeof TeamResolution)[keyof typeof TeamResolution];

export const AttachmentKind = {
  Text: 'text',
  Markdown: 'markdown',
  Source: 'source',
  Json: 'json',
  Csv: 'csv',
  Pdf: 'pdf',
  Image: 'image',
} as const;
export type AttachmentKind = (typeof AttachmentKind)[keyof typeof AttachmentKind];

/** A file stored in the session's workspace under `attachments/`, as the upload answered it. */
export const Attachment = lazySchema(() =>
  z.strictObject({
    name: z.string().min(1).max(200),
    kind: z.enum(Object.values(AttachmentKind) as [AttachmentKind, ...AttachmentKind[]]),
    mediaType: z.string().min(1).max(200),
    size: z.int().min(0),
    /** Relative to the session's workspace, where the agents' file tools read it. */
    path: z.string().min(1),
    /** For a PDF: the extracted text, beside it. */
    textPath: z.string().min(1).optional(),
    /** Large files are also kept in the blob store, by content hash. */
    blob: z.string().optional(),
  }),
);
export type Attachment = z.infer<typeof Attachment>;

export const TeamRequest = lazySchema(() =>
  z.strictObject({
    agents: z.array(z.string().min(1)).min(2, 'a team has at least 2 agents').max(MAX_TEAM),
    resolve: z.enum(Object.values(TeamResolution) as [TeamResolution, ...TeamResolution[]]).default('judge'),
    /** Debate only: how many rounds the agents may revise their answers after seeing the others'. */
    rounds: z.int().min(1).max(MAX_DEBATE_ROUNDS).default(2),
  }),
);
export type TeamRequest = z.infer<typeof TeamRequest>;

/** A user's message: the body of POST /api/chat/sessions/:id/messages and of the sendMessage update. */
export const MessageFields = lazySchema(() =>
  z.strictObject({
    text: z.string().trim().max(MAX_MESSAGE_CHARS, `a message has at most ${MAX_MESSAGE_CHARS} characters`),
    mode: z.enum(Object.values(ChatMode) as [ChatMode, ...ChatMode[]]).default('single'),
    /** Single mode: an agent id, or auto (chosen by capability, recent success, cost and load). */
    agent: z.string().min(1).max(100).default('auto'),
    team: TeamRequest.optional(),
    attachments: z.array(Attachment).max(MAX_ATTACHMENTS).default([]),
    /** The client's id for this message: sending it twice adds it once. */
    clientMessageId: z.string().min(1).max(100).optional(),
  }),
);
export const SendMessageRequest = lazySchema(() =>
  MessageFields.refine((message) => message.text.length > 0 || message.attachments.length > 0, {
    message: 'a message needs text or an attachment',
    path: ['text'],
  }).refine((message) => message.mode !== 'team' || message.team !== undefined, {
    message: 'team mode needs team: {agents, resolve}',
    path: ['team'],
  }),
);
export type SendMessageRequest = z.infer<typeof SendMessageRequest>;
export type SendMessageInput = z.input<typeof SendMessageRequest>;

export const EntryRole = {
  User: 'user',
  Assistant: 'assistant',
  Plan: 'plan',
  Run: 'run',
  Command: 'command',
} as const;
export type EntryRole = (typeof EntryRole)[keyof typeof EntryRole];

export const EntryStatus = {
  Queued: 'queued',
  Running: 'running',
  Done: 'done',
  Failed: 'failed',
  Cancelled: 'cancelled',
} as const;
export type EntryStatus = (typeof EntryStatus)[keyof typeof EntryStatus];

const Usage = lazySchema(() => z.object({ inputTokens: z.int().min(0), outputTokens: z.int().min(0) }));

export const TeamOutcome = lazySchema(() =>
  z.object({
    method: z.enum(Object.values(TeamResolution) as [TeamResolution, ...TeamResolution[]]),
    /** The ids of the answers, in the order the agents were named. */
    answers: z.array(z.string()),
    disagreed: z.boolean(),
    /** The agent whose answer stands, when one was chosen. */
    winner: z.string().optional(),
    /** How it was settled, in words: the judge's reasons, the votes, or the debate's end. */
    settled: z.string(),
    votes: z.record(z.string(), z.string()).optional(),
    rounds: z.int().min(0).optional(),
  }),
);
export type TeamOutcome = z.infer<typeof TeamOutcome>;

export const PlanStatus = { Proposed: 'proposed', Approved: 'approved', Rejected: 'rejected' } as const;
export type PlanStatus = (typeof PlanStatus)[keyof typeof PlanStatus];

/** One entry of the conversation. Every entry answers to a user message (`turn`), its own when it is one. */
export const ChatEntry = lazySchema(() =>
  z.object({
    id: z.string(),
    role: z.enum(Object.values(EntryRole) as [EntryRole, ...EntryRole[]]),
    turn: z.string(),
    at: z.string(),
    text: z.string(),
    status: z.enum(Object.values(EntryStatus) as [EntryStatus, ...EntryStatus[]]),
    mode: z.enum(Object.values(ChatMode) as [ChatMode, ...ChatMode[]]).optional(),
    agent: z.string().optional(),
    /** Auto mode: why this agent was chosen. */
    why: z.string().optional(),
    modelId: z.string().optional(),
    usage: Usage.optional(),
    costUsd: z.number().min(0).optional(),
    /** The answer came from the scripted model server, not a real model. */
    simulated: z.boolean().optional(),
    toolCalls: z
      .array(z.object({ tool: z.string(), ok: z.boolean(), error: z.string().optional() }))
      .optional(),
    attachments: z.array(Attachment).optional(),
    /** Team mode: a debate's later answers name their round. */
    round: z.int().min(0).optional(),
    team: TeamOutcome.optional(),
    /** A team-mode user message: who answers and how they settle it. */
    teamRequest: TeamRequest.optional(),
    plan: z
      .object({
        goal: z.string(),
        status: z.enum(Object.values(PlanStatus) as [PlanStatus, ...PlanStatus[]]),
        spec: z.unknown().optional(),
        problems: z.array(z.string()).optional(),
        runId: z.string().optional(),
      })
      .optional(),
    run: z
      .object({
        runId: z.string(),
        status: z.string(),
        output: z.unknown().optional(),
        error: z.string().optional(),
      })
      .optional(),
    error: z.string().optional(),
  }),
);
export type ChatEntry = z.infer<typeof ChatEntry>;

/** The whole session, as the chatState query, GET /api/chat/sessions/:id and chat:snapshot show it. */
export const ChatSnapshot = lazySchema(() =>
  z.object({
    sessionId: z.string(),
    title: z.string(),
    createdAt: z.string(),
    lastActivityAt: z.string(),
    costUsd: z.number(),
    /** Grows with every change; live deltas chain on it. */
    version: z.int(),
    status: z.enum(['open', 'deleted']),
    /** The model pinned with /model, if any. */
    model: z.string().optional(),
    /** The user message being answered now, if any. */
    activeTurn: z.string().optional(),
    queued: z.array(z.string()),
    /** Older turns carried as a summary once the conversation outgrew a model's context. */
    summary: z.object({ text: z.string(), upTo: z.string() }).optional(),
    messages: z.array(ChatEntry),
  }),
);
export type ChatSnapshot = z.infer<typeof ChatSnapshot>;
