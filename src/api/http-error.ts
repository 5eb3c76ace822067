import type { ErrorRequestHandler, RequestHandler } from 'express';
import { formatPath } from '../engine/template';

export type ProblemField = { path: string; message: string };

/** The one error type the API throws; the error middleware turns it into application/problem+json. */
export class HttpError extends Error {
  override name = 'HttpError';
  readonly status: number;
  readonly errors: ProblemField[] | undefined;

  constructor(
    status: number,
    { message, errors, cause }: { message: string; errors?: ProblemField[]; cause?: unknown },
  ) {
    super(message, { cause });
    this.status = status;
    this.errors = errors;
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
  if (problem.status === 500) console.error(`${req.method} ${req.path} failed:`, err);
  else if (problem.status > 500) console.warn(`${req.method} ${req.path}: ${problem.message}`);
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
  return new HttpError(500, { message: 'the server failed to handle this request; its log has the details' });
}
