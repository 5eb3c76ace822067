import type { ChatTokens } from './chat-cache';

/**
 * The answers' text so far, kept in the tab's sessionStorage, so a reload shows it at once and the
 * stream goes on from there: the server forgets an answer's text once nobody watches the session.
 */
const key = (sessionId: string) => `troupe-chat-tokens:${sessionId}`;

export function loadTokens(sessionId: string): ChatTokens {
  try {
    const raw = globalThis.sessionStorage?.getItem(key(sessionId));
    return raw ? (JSON.parse(raw) as ChatTokens) : {};
  } catch {
    return {};
  }
}

export function saveTokens(sessionId: string, tokens: ChatTokens): void {
  try {
    const open = Object.fromEntries(Object.entries(tokens).filter(([, answer]) => !answer.done));
    if (Object.keys(open).length === 0) globalThis.sessionStorage?.removeItem(key(sessionId));
    else globalThis.sessionStorage?.setItem(key(sessionId), JSON.stringify(open));
  } catch {
    // A full or disabled storage only costs the catch-up after a reload.
  }
}
