import { useQueryClient } from '@tanstack/react-query';
import { useEffect } from 'react';
import { applyChatDelta, applyChatTokens, keepRunning, newerSession, type ChatTokens } from './chat-cache';
import { chatKeys } from './chat-queries';
import type { ChatDelta, ChatSessionView, ChatSubscribeAck } from './chat-types';
import { saveTokens } from './chat-token-store';
import { liveSocket } from './socket';
import type { TokenChunk } from './types';

/**
 * Keeps one session's cache live: the snapshot after every (re)subscribe, deltas in order (a gap
 * subscribes again), and the text each answer is writing. After a reload or a dropped connection the
 * server sends each open answer's text so far first, so the bubble resumes where it was.
 */
export function useChatLive(sessionId: string): void {
  const client = useQueryClient();
  useEffect(() => {
    const live = liveSocket();
    const subscribe = () => {
      live.emit('chat:subscribe', { sessionId }, (ack: ChatSubscribeAck) => {
        if (!ack.ok) console.warn(`live chat for ${sessionId}: ${ack.error}`);
      });
    };
    const setSession = (session: ChatSessionView) =>
      client.setQueryData(chatKeys.session(sessionId), (current: ChatSessionView | undefined) =>
        newerSession(current, session),
      );
    const onSnapshot = (event: { sessionId: string; session: ChatSessionView }) => {
      if (event.sessionId !== sessionId) return;
      // Text of answers that ended meanwhile goes; the rest goes on (the server repeats what it holds).
      const tokens = keepRunning(
        client.getQueryData<ChatTokens>(chatKeys.tokens(sessionId)) ?? {},
        event.session,
      );
      client.setQueryData(chatKeys.tokens(sessionId), tokens);
      saveTokens(sessionId, tokens);
      setSession(event.session);
    };
    const onDelta = (event: ChatDelta) => {
      if (event.sessionId !== sessionId) return;
      const next = applyChatDelta(client.getQueryData(chatKeys.session(sessionId)), event);
      if (!next) return subscribe();
      setSession(next);
      if (event.messages.some((entry) => entry.role === 'user' || entry.status !== 'running'))
        void client.invalidateQueries({ queryKey: chatKeys.allSessions });
    };
    const onTokens = (chunk: TokenChunk) => {
      if (chunk.runId !== sessionId) return;
      const tokens = applyChatTokens(
        client.getQueryData<ChatTokens>(chatKeys.tokens(sessionId)) ?? {},
        chunk,
      );
      client.setQueryData(chatKeys.tokens(sessionId), tokens);
      saveTokens(sessionId, tokens);
    };
    live.on('chat:snapshot', onSnapshot);
    live.on('chat:delta', onDelta);
    live.on('chat:tokens', onTokens);
    live.on('connect', subscribe);
    if (live.connected) subscribe();
    return () => {
      live.off('chat:snapshot', onSnapshot);
      live.off('chat:delta', onDelta);
      live.off('chat:tokens', onTokens);
      live.off('connect', subscribe);
      if (live.connected) live.emit('chat:unsubscribe', { sessionId }, () => undefined);
    };
  }, [client, sessionId]);
}
