import {
  Connection,
  defaultGrpcRetryOptions,
  makeGrpcRetryInterceptor,
  type Client,
  type ConnectionOptions,
} from '@temporalio/client';
import type { RequestHandler } from 'express';
import type { RpcCount } from './rpc-count';

type Interceptor = NonNullable<ConnectionOptions['interceptors']>[number];
type CallOf = ReturnType<Interceptor>;

/** gRPC's CANCELLED status code. */
const CANCELLED = 1;

/**
 * Answers CANCELLED for a call made on a closed channel, instead of throwing. The SDK's retry
 * interceptor (placed before this one) schedules each retry with a timer that Connection.close() does
 * not clear; when it fires after the close, grpc-js throws "Channel has been shut down" inside the
 * timer, where no caller can catch it, and the process dies of an uncaught exception. Here the retry
 * gets CANCELLED, which it does not retry, and its caller's promise rejects.
 */
export const closedChannelGuard: Interceptor = (options, nextCall) => {
  try {
    return nextCall(options) as CallOf;
  } catch (err) {
    if (!(err instanceof Error) || err.message !== 'Channel has been shut down') throw err;
    const details = `the Temporal connection was closed before ${options.method_definition.path} could be sent`;
    // grpc-js only uses the call's interface, so a call that never reaches the wire serves.
    const closed = {
      start: (metadata: unknown, listener: { onReceiveStatus?: (status: unknown) => void }) =>
        process.nextTick(() => listener.onReceiveStatus?.({ code: CANCELLED, details, metadata })),
      sendMessage: () => {},
      sendMessageWithContext: () => {},
      startRead: () => {},
      halfClose: () => {},
      cancelWithStatus: () => {},
      getPeer: () => '',
    };
    return closed as unknown as CallOf;
  }
};

/** How long any one request may wait on Temporal, on top of the time it asked to wait (`?wait=`). */
export const TEMPORAL_DEADLINE_MS = 10_000;

/**
 * The API's connection to Temporal, tuned to answer fast when Temporal is down: a refused call is
 * retried twice (about 0.5 s) instead of ten times (about 20 s), and the channel tries to reconnect at
 * least every second, so the API recovers within a second or two of Temporal coming back. With `rpcs`,
 * every call is counted (src/api/rpc-count.ts). A retry that comes due after the connection closed
 * is answered CANCELLED (closedChannelGuard), not thrown where nothing can catch it.
 */
export function connectApiToTemporal(address: string, rpcs?: RpcCount): Promise<Connection> {
  return Connection.connect({
    address,
    connectTimeout: 2_000,
    interceptors: [
      makeGrpcRetryInterceptor(defaultGrpcRetryOptions({ maxAttempts: 3 })),
      closedChannelGuard,
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
