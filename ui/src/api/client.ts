import type { ProblemField } from './types';

/** A failed request, carrying the API's problem+json so a page can show its message and each path. */
export class ApiError extends Error {
  override name = 'ApiError';
  readonly status: number;
  readonly errors: ProblemField[];
  readonly path: string;

  constructor(status: number, message: string, path: string, errors: ProblemField[] = []) {
    super(message);
    this.status = status;
    this.path = path;
    this.errors = errors;
  }
}

/** The API could not be reached at all (network down, API stopped): the banner's business. */
export class UnreachableError extends Error {
  override name = 'UnreachableError';
}

type Listener = (reachable: boolean) => void;
const listeners = new Set<Listener>();

/** Tells the unreachable-API banner whether the last request got an answer. */
export function onReachability(listener: Listener): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}
function report(reachable: boolean) {
  for (const listener of listeners) listener(reachable);
}

type Problem = { detail?: string; title?: string; errors?: ProblemField[] };

/**
 * The one way the UI calls the API: same origin (the API serves the UI), JSON in and out, and every
 * failure turned into an ApiError with the server's own words.
 */
export async function api<T>(path: string, init: RequestInit & { json?: unknown } = {}): Promise<T> {
  const { json, ...rest } = init;
  const headers = new Headers(rest.headers);
  if (json !== undefined) headers.set('content-type', 'application/json');
  headers.set('accept', 'application/json, application/problem+json, text/plain');
  let response: Response;
  try {
    response = await fetch(path, {
      ...rest,
      headers,
      ...(json !== undefined && { body: JSON.stringify(json) }),
    });
  } catch (err) {
    report(false);
    throw new UnreachableError(`the API did not answer ${path}: ${(err as Error).message}`);
  }
  // A proxy (the dev server) answers 502/504 itself when the API is down.
  report(!(response.status === 502 || response.status === 504));
  const type = response.headers.get('content-type') ?? '';
  if (!response.ok) {
    const problem: Problem = type.includes('json')
      ? ((await response.json().catch(() => ({}))) as Problem)
      : {};
    throw new ApiError(
      response.status,
      problem.detail ?? problem.title ?? `${response.status} ${response.statusText}`,
      path,
      problem.errors ?? [],
    );
  }
  if (response.status === 204) return undefined as T;
  return (type.includes('json') ? await response.json() : await response.text()) as T;
}

/** Query-string from an object, leaving out empty values. */
export function query(params: Record<string, string | number | undefined>): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value !== undefined && value !== '') search.set(key, String(value));
  }
  const text = search.toString();
  return text ? `?${text}` : '';
}
