import { createClient, type RedisClientOptions } from 'redis';

export type RedisClient = ReturnType<typeof createClient>;

/** How many times the first connection is tried before REDIS_URL is called unreachable. */
const FIRST_CONNECT_TRIES = 5;

/**
 * A Redis connection for `what` (e.g. "the token stream"). The first connect gives up after a few
 * tries with an error naming REDIS_URL, rather than retrying forever in silence; once connected, the
 * client reconnects on its own. Errors are logged once per outage, without the URL (it may hold a
 * password).
 */
export async function connectRedis(
  url: string,
  what: string,
  options: Omit<RedisClientOptions, 'url' | 'socket'> = {},
): Promise<RedisClient> {
  let connected = false;
  let failing = false;
  const client = createClient({
    ...options,
    url,
    socket: {
      connectTimeout: 3000,
      reconnectStrategy: (retries: number, cause: Error) =>
        !connected && retries >= FIRST_CONNECT_TRIES ? cause : Math.min(100 * 2 ** retries, 3000),
    },
  }) as RedisClient;
  client.on('error', (err: Error) => {
    if (connected && !failing) console.warn(`redis (${what}): ${err.message}; reconnecting`);
    failing = true;
  });
  client.on('ready', () => {
    failing = false;
  });
  try {
    await client.connect();
  } catch (err) {
    if (client.isOpen) client.destroy();
    throw new Error(`${what} cannot reach Redis at REDIS_URL: ${(err as Error).message}`);
  }
  connected = true;
  return client;
}

/** How long a graceful close may take before the client is dropped. */
const CLOSE_WAIT_MS = 2000;

/**
 * Closes a client without waiting on Redis: a graceful close while Redis is down would wait for it to
 * come back, and hold the process open. A ready client sends what it has queued and quits (or is
 * dropped after 2 s); any other is dropped at once.
 */
export async function closeRedis(client: RedisClient | undefined): Promise<void> {
  if (!client?.isOpen) return;
  if (!client.isReady) return client.destroy();
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), CLOSE_WAIT_MS)));
  const outcome = await Promise.race([client.close().catch(() => 'failed' as const), late]);
  clearTimeout(timer);
  if (outcome !== undefined && client.isOpen) client.destroy();
}
