import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { newerSession } from './chat-cache';
import type {
  Attachment,
  ChatCommandInfo,
  ChatEntryView,
  ChatSessionView,
  CommandReply,
  SendMessageInput,
  SessionSummary,
} from './chat-types';
import { api, query } from './client';
import type { ChatTokens } from './chat-cache';
import { loadTokens } from './chat-token-store';

/** The chat's cache keys; chat-live patches `session` and `tokens` from the socket. */
export const chatKeys = {
  allSessions: ['chat-sessions'] as const,
  sessions: (q: string) => ['chat-sessions', q] as const,
  session: (sessionId: string) => ['chat-session', sessionId] as const,
  tokens: (sessionId: string) => ['chat-tokens', sessionId] as const,
  commands: ['chat-commands'] as const,
};

const sessionPath = (sessionId: string, rest = '') =>
  `/api/chat/sessions/${encodeURIComponent(sessionId)}${rest}`;

export function useChatSessions(q: string) {
  return useQuery({
    queryKey: chatKeys.sessions(q),
    queryFn: () =>
      api<{ sessions: SessionSummary[] }>(`/api/chat/sessions${query({ q: q.trim(), limit: 100 })}`),
    refetchInterval: 10_000,
  });
}

export function useChatSession(sessionId: string) {
  const client = useQueryClient();
  return useQuery({
    queryKey: chatKeys.session(sessionId),
    queryFn: async () =>
      newerSession(
        client.getQueryData(chatKeys.session(sessionId)),
        await api<ChatSessionView>(sessionPath(sessionId)),
      ),
    staleTime: Infinity,
    retry: (count, error) => count < 2 && !(error as { status?: number }).status,
  });
}

/** The text each answer is writing now, by message id; only live tokens fill it. */
export function useChatTokens(sessionId: string): ChatTokens {
  const client = useQueryClient();
  return useQuery({
    queryKey: chatKeys.tokens(sessionId),
    // A refetch (the catch-up after a reconnect) keeps what the socket wrote.
    queryFn: () => client.getQueryData<ChatTokens>(chatKeys.tokens(sessionId)) ?? {},
    staleTime: Infinity,
    initialData: () => loadTokens(sessionId),
  }).data;
}

export function useChatCommands() {
  return useQuery({
    queryKey: chatKeys.commands,
    queryFn: () => api<{ commands: ChatCommandInfo[] }>('/api/chat/commands'),
    staleTime: Infinity,
  });
}

export function useCreateSession() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (body: { title?: string } = {}) =>
      api<{ sessionId: string }>('/api/chat/sessions', { method: 'POST', json: body }),
    onSuccess: () => void client.invalidateQueries({ queryKey: chatKeys.allSessions }),
  });
}

export function useDeleteSession() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (sessionId: string) => api<void>(sessionPath(sessionId), { method: 'DELETE' }),
    onSuccess: () => void client.invalidateQueries({ queryKey: chatKeys.allSessions }),
  });
}

/** The body of a message as the UI sends it: attachments by their uploaded names. */
export type SendBody = Omit<SendMessageInput, 'attachments'> & { attachments?: string[] };
export type SendAnswer = { message: ChatEntryView } | (CommandReply & { message: ChatEntryView });

export function useSendMessage(sessionId: string) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (body: SendBody) =>
      api<SendAnswer>(sessionPath(sessionId, '/messages'), { method: 'POST', json: body }),
    onSuccess: () => void client.invalidateQueries({ queryKey: chatKeys.allSessions }),
  });
}

export function useCancelTurn(sessionId: string) {
  return useMutation({
    mutationFn: () => api<{ cancelled: string[] }>(sessionPath(sessionId, '/cancel'), { method: 'POST' }),
  });
}

export type PlanDecision = { messageId: string; approved: boolean; yaml?: string; comment?: string };
export function useDecidePlan(sessionId: string) {
  return useMutation({
    mutationFn: ({ messageId, ...body }: PlanDecision) =>
      api<{ message: ChatEntryView }>(sessionPath(sessionId, `/plans/${encodeURIComponent(messageId)}`), {
        method: 'POST',
        json: body,
      }),
  });
}

/** Uploads one file's bytes; the server checks its size and type and names the limit it breaks. */
export function useUploadAttachment(sessionId: string) {
  return useMutation({
    mutationFn: (file: File) =>
      api<Attachment>(sessionPath(sessionId, `/attachments/${encodeURIComponent(file.name)}`), {
        method: 'PUT',
        body: file,
        headers: { 'content-type': file.type || 'application/octet-stream' },
      }),
  });
}
