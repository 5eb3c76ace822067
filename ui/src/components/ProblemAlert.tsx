import { ApiError, UnreachableError } from '../api/client';

/** A failed request in the API's own words: its message, the request path, and each failing field. */
export function ProblemAlert({ error, title = 'The request failed' }: { error: unknown; title?: string }) {
  if (!error) return null;
  if (error instanceof UnreachableError) return null; // the banner says it, once for the whole page
  const apiError = error instanceof ApiError ? error : undefined;
  return (
    <div className="problem" role="alert" data-testid="problem">
      <strong>{title}</strong>
      <p>{error instanceof Error ? error.message : JSON.stringify(error)}</p>
      {apiError && (
        <p className="muted">
          {apiError.status} from <code>{apiError.path}</code>
        </p>
      )}
      {apiError && apiError.errors.length > 0 && (
        <ul>
          {apiError.errors.map((field) => (
            <li key={`${field.path}:${field.message}`}>
              <code>{field.path || '(body)'}</code>: {field.message}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
