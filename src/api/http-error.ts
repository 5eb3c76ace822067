import { logger } from '../observability/logger';
import type { ErrorRequestHandler, RequestHandler } from 'express';
import { formatPath } from '../engine/template';
import { GrpcCode, grpcCode, unreachableDependency } from './temporal-errors';

const DEFAULT_RETRY_AFTER_S = 5;

export type ProblemField = { path: string; message: string };

/** The one error type the API throws; the error middleware turns it into application/problem+json. */
export class HttpError extends Error {
  override name = 'HttpError';
  readonly status: number;
  readonly errors: ProblemField[] | undefined;
  /** Seconds a client should wait before retrying; sent as Retry-After (every 503 has one). */
  readonly retryAfter: number | undefined;

  constructor(
    status: number,
    {
      message,
      errors,
      cause,
      retryAfter,
    }: { message: string; errors?: ProblemField[]; cause?: unknown; retryAfter?: number },
  ) {
    super(message, { cause });
    this.status = status;
    this.errors = errors;
    this.retryAfter = retryAfter ?? (status === 503 ? DEFAULT_RETRY_AFTER_S : undefined);
  }
}

/** A 400 that names each failing field; paths are written like `spec.steps[1].dependsOn[0]`. */
export function invalidRequest(issues: { path: readonly PropertyKey[]; message: string }[]): HttpError {
  const errors = issues.map((issue) => ({ path: formatPath(issue.path), message: issue.message }));
  const summary = errors.map((error) => `${error.path || '(body)'}: ${error.message}`).join('; ');
  return new HttpError(400, { message: `the request is invalid: ${summary}`, errors });
}

const titles: Record<number, string> = {
  400: 'Bad Request',
  404: 'Not Found',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

export const notFound: RequestHandler = (req) => {
  throw new HttpError(404, { message: `no route for ${req.method} ${req.path}` });
};

/** Answers every error as RFC 9457 problem+json. Stack traces and causes stay in the server's log. */
export const problemHandler: ErrorRequestHandler = (err: unknown, req, res, _next) => {
  const problem = toHttpError(err);
  // The request's path is a field, never part of a format string: `%o` in a URL must not eat the error.
  const request = { method: req.method, path: req.path };
  if (problem.status === 500) logger().error({ ...request, err }, 'request failed');
  else if (problem.status > 500) logger().warn({ ...request, error: problem.message }, 'request refused');
  if (problem.retryAfter !== undefined) res.setHeader('Retry-After', String(problem.retryAfter));
  res
    .status(problem.status)
    .type('application/problem+json')
    .json({
      type: 'about:blank',
      title: titles[problem.status] ?? 'Error',
      status: problem.status,
      detail: problem.message,
      instance: req.originalUrl,
      ...(problem.errors && { errors: problem.errors }),
    });
};

function toHttpError(err: unknown): HttpError {
  if (err instanceof HttpError) return err;
  const bodyError = err as { type?: string; status?: number; message?: string };
  if (bodyError.type === 'entity.parse.failed') {
    const message = `the body is not valid JSON: ${bodyError.message}`;
    return new HttpError(400, { message, errors: [{ path: '', message }] });
  }
  if (bodyError.type === 'entity.too.large') {
    return new HttpError(413, { message: 'the body is larger than the API accepts (2 MB)' });
  }
  if (bodyError.type === 'charset.unsupported' || bodyError.type === 'encoding.unsupported') {
    return new HttpError(415, { message: bodyError.message ?? 'unsupported body encoding' });
  }
  const away = unreachableDependency(err);
  if (away) {
    return new HttpError(503, {
      message: `${away} is not reachable, so the API cannot answer this now; retry in a few seconds`,
      cause: err,
    });
  }
  if (grpcCode(err) === GrpcCode.InvalidArgument) {
    return new HttpError(400, { message: `Temporal refused the request: ${(err as Error).message}` });
  }
  if (err instanceof URIError) {
    // Express's router throws this for a path parameter that does not decode (`/api/runs/%ff%fe`).
    const message = `the URL has bad percent-encoding: ${err.message.replace(/^Failed to decode param /, 'cannot decode ')}; send UTF-8 bytes as %XX`;
    return new HttpError(400, { message, errors: [{ path: 'params', message }] });
  }
  const exposed = err as { status?: unknown; expose?: unknown; message?: unknown };
  if (
    exposed.expose === true &&
    typeof exposed.status === 'number' &&
    exposed.status >= 400 &&
    exposed.status < 500 &&
    typeof exposed.message === 'string'
  ) {
    // body-parser's other refusals (an aborted or mis-sized body, ...), which http-errors marks safe to show.
    return new HttpError(exposed.status, { message: exposed.message });
  }
  return new HttpError(500, { message: 'the server failed to handle this request; its log has the details' });
}
