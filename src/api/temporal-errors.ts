/** gRPC status codes that the API tells apart in Temporal's answers (from grpc's status.proto). */
export const GrpcCode = {
  Cancelled: 1,
  Unknown: 2,
  InvalidArgument: 3,
  DeadlineExceeded: 4,
  NotFound: 5,
  ResourceExhausted: 8,
  Unavailable: 14,
} as const;

/** The gRPC code of a Temporal client error, also when the SDK wrapped it (a ServiceError's cause). */
export function grpcCode(err: unknown): number | undefined {
  for (let at = err, depth = 0; at && typeof at === 'object' && depth < 5; depth += 1) {
    const code = (at as { code?: unknown }).code;
    if (typeof code === 'number') return code;
    at = (at as { cause?: unknown }).cause;
  }
  return undefined;
}

/** Redis client errors that mean Redis is away, not that the request was wrong. */
const redisAway = new Set([
  'ClientClosedError',
  'ClientOfflineError',
  'ConnectionTimeoutError',
  'SocketClosedUnexpectedlyError',
  'ReconnectStrategyError',
]);

/** Which dependency an error says is unreachable (Temporal or Redis), if it says so. */
export function unreachableDependency(err: unknown): 'Temporal' | 'Redis' | undefined {
  const code = grpcCode(err);
  if (code === GrpcCode.Unavailable || code === GrpcCode.DeadlineExceeded) return 'Temporal';
  if (err instanceof Error && redisAway.has(err.name)) return 'Redis';
  return undefined;
}
