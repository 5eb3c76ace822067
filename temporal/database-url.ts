import { z } from 'zod';

/** This machine's PostgreSQL, trust auth, as `npm run start:cluster` uses it unless told otherwise. */
export const DEFAULT_DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/temporal';

// PostgreSQL truncates names past 63 bytes, and the visibility database adds 11; lower case so that no
// tool has to quote them (the SQL tool's DROP DATABASE does not).
const DatabaseName = z
  .string()
  .regex(/^[a-z_][a-z0-9_]{0,51}$/, 'must be lower-case letters, digits and _, at most 52 characters');

/** Where Temporal keeps its two stores: the default store and, beside it, visibility. */
export type TemporalDatabases = {
  host: string;
  port: number;
  user: string;
  /** Empty with trust auth. Passed to the server and the SQL tool in their environment only. */
  password: string;
  /** The default store (executions, history, namespaces): the URL's path. */
  database: string;
  /** Visibility (what `temporal workflow list` searches): `<database>_visibility`. */
  visibilityDatabase: string;
};

export class DatabaseUrlError extends Error {
  override name = 'DatabaseUrlError';
}

/**
 * Reads TEMPORAL_DATABASE_URL, `postgres://user[:password]@host[:port][/database]`. The error names the
 * variable and what is wrong, never the password.
 */
export function parseDatabaseUrl(text: string = DEFAULT_DATABASE_URL): TemporalDatabases {
  const fail = (why: string) =>
    new DatabaseUrlError(
      `TEMPORAL_DATABASE_URL ${why}; expected postgres://user[:password]@host[:port][/database], e.g. ${DEFAULT_DATABASE_URL}`,
    );
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw fail('is not a URL');
  }
  if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:')
    throw fail(`has the scheme "${url.protocol.slice(0, -1)}", not postgres`);
  if (!url.hostname) throw fail('names no host');
  const path = decodeURIComponent(url.pathname.replace(/^\//, ''));
  const name = DatabaseName.safeParse(path || 'temporal');
  if (!name.success) throw fail(`names the database "${path}", which ${name.error.issues[0]?.message}`);
  return {
    host: url.hostname.replace(/^\[(.*)\]$/, '$1'),
    port: url.port ? Number(url.port) : 5432,
    user: decodeURIComponent(url.username) || 'postgres',
    password: decodeURIComponent(url.password),
    database: name.data,
    visibilityDatabase: `${name.data}_visibility`,
  };
}
