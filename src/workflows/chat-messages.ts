import { defineQuery, defineUpdate } from '@temporalio/workflow';
import type { ChatEntry, ChatSnapshot, SendMessageInput } from '../engine/chat-types';
import type { RunInput, Spec } from '../engine/spec';

/** The whole session, for the API, the CLI and Temporal Web's query tab. */
export const chatStateQuery = defineQuery<ChatSnapshot>('chatState');

/** A user's message; the validator refuses it (empty, too long, unknown agent) before history has it. */
export const sendMessageUpdate = defineUpdate<ChatEntry, [SendMessageInput]>('sendMessage');

/** Stops the answer in flight and empties the queue; answers the ids it stopped. */
export const cancelTurnUpdate = defineUpdate<{ cancelled: string[] }, []>('cancelTurn');

export type CommandRecord = {
  /** The command as typed. */
  text: string;
  /** The API's answer to it, in words. */
  reply: string;
  ok: boolean;
  /** /model: the model to pin, or null to let the router choose. */
  model?: string | null;
  /** /run: the spec (already validated) to start, linked to this session. */
  run?: { spec: Spec; input: RunInput };
};
/** A slash command the API carried out (or refused), recorded as the user's line and its answer. */
export const recordCommandUpdate = defineUpdate<ChatEntry, [CommandRecord]>('recordCommand');

export type PlanDecision = {
  messageId: string;
  approved: boolean;
  /** An edited spec (validated by the API) to run instead of the planner's. */
  spec?: Spec;
  comment?: string;
};
/** Approves (perhaps as edited) or rejects a proposed plan; approving starts its run. */
export const decidePlanUpdate = defineUpdate<ChatEntry, [PlanDecision]>('decidePlan');

/** Ends the session: nothing more is answered, and the workflow completes. */
export const deleteSessionUpdate = defineUpdate<ChatSnapshot, []>('deleteSession');
