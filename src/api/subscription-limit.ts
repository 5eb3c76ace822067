import type { Socket } from 'socket.io';

/** The rooms each socket watches or is subscribing to, of every kind (runs, chat sessions) together. */
const claimed = new WeakMap<Socket, Set<string>>();

/**
 * Claims a watcher room for a socket, at most `limit` per socket, so one connection cannot make the
 * API follow thousands of runs (each a long poll on Temporal). `held`: the socket had it already.
 * Claims end with the socket; `releaseSubscription` ends one sooner.
 */
export function claimSubscription(socket: Socket, room: string, limit: number): 'new' | 'held' | 'refused' {
  let rooms = claimed.get(socket);
  if (!rooms) claimed.set(socket, (rooms = new Set()));
  if (rooms.has(room)) return 'held';
  if (rooms.size >= limit) return 'refused';
  rooms.add(room);
  return 'new';
}

export function releaseSubscription(socket: Socket, room: string): void {
  claimed.get(socket)?.delete(room);
}
