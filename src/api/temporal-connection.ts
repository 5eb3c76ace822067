import {
  Connection,
  defaultGrpcRetryOptions,
  makeGrpcRetryInterceptor,
  type Client,
} from '@temporalio/client';
import type { RequestHandler } from 'express';
import type { RpcCount } from './rpc-count';

/** How long any one request may wait on Temporal, on top of the time it asked to wait (`?wait=`). */
export const TEMPORAL_DEADLINE_MS = 10_000;

/**
 * The API's connection to Temporal, tuned to answer fast when Temporal is down: a refused call is
 * retried twice (about 0.5 s) instead of ten times (about 20 s), and the channel tries to reconnect at
 * least every second, so the API recovers within a second or two of Temporal coming back. With `rpcs`,
 * every call is counted (src/api/rpc-count.ts).
 */
export function connectApiToTemporal(address: string, rpcs?: RpcCount): Promise<Connection> {
  return Connection.connect({
    address,
    connectTimeout: 2_000,
    interceptors: [
      makeGrpcRetryInterceptor(defaultGrpcRetryOptions({ maxAttempts: 3 })),
      ...(rpcs ? [rpcs.interceptor] : []),
    ],
    channelArgs: { 'grpc.initial_reconnect_backoff_ms': 250, 'grpc.max_reconnect_backoff_ms': 1_000 },
  });
}

/**
 * Gives every Temporal call a request makes a deadline, through the connection's call context, so a
 * Temporal that hangs (rather than refusing) costs a request seconds, not forever. A result request's
 * `?wait=` seconds are added to it.
 */
export function temporalDeadlines(client: Client, ms = TEMPORAL_DEADLINE_MS): RequestHandler {
  return (req, _res, next) => {
    const wait = Math.min(Math.max(Number(req.query.wait) || 0, 0), 60);
    void client.connection.withDeadline(Date.now() + ms + wait * 1000, () => Promise.resolve(next()));
  };
}
