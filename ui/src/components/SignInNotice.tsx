import { ApiError } from '../api/client';

/** True when the API refused the request for want of a key or session (a browser not signed in). */
export function isSignedOut(error: unknown): boolean {
  return error instanceof ApiError && error.status === 401;
}

/**
 * What a browser without a session sees instead of pages full of 401s: how to sign in, in the words of
 * `npm start`, which prints the one-time link that sets the session cookie.
 */
export function SignInNotice({ message, onRetry }: { message: string; onRetry: () => void }) {
  return (
    <section className="sign-in" data-testid="sign-in-needed" aria-labelledby="sign-in-title">
      <h1 id="sign-in-title">Sign in to Troupe</h1>
      <p>
        This browser is not signed in. Open the one-time <strong>Console</strong> link that{' '}
        <code>npm start</code> printed when it started; it looks like{' '}
        <code>
          {window.location.origin}/?key=<em>…</em>
        </code>{' '}
        and signs this browser in with a cookie.
      </p>
      <p>
        Each link works once, and only the one printed last: restart <code>npm start</code> for a new one. The
        CLI and <code>curl</code> use the local key in <code>&lt;TROUPE_DATA_DIR&gt;/local-key</code> instead.
      </p>
      <p className="muted small">The API said: {message}</p>
      <button type="button" className="button" onClick={onRetry}>
        I have signed in: try again
      </button>
    </section>
  );
}
