import { randomBytes } from 'node:crypto';
import { mkdir, rename, rm, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { hashKey } from './api-keys';

/** The query parameter of the one-time link: `/?key=<token>`. */
export const LOGIN_PARAM = 'key';
/** The browser's session cookie: HttpOnly, SameSite=Strict, so no script and no other site can use it. */
export const SESSION_COOKIE = 'troupe_session';

const loginsDir = (dataDir: string) => join(dataDir, 'logins');

/**
 * A one-time login token, as Jupyter prints one: its sha256 is a file under `<dataDir>/logins`, which
 * the first API process to see the token takes away (a rename, so two processes never both do).
 * `fresh` forgets the tokens made before, so only the link printed last works.
 */
export async function createLoginToken(dataDir: string, { fresh = false } = {}): Promise<string> {
  if (fresh) await rm(loginsDir(dataDir), { recursive: true, force: true });
  await mkdir(loginsDir(dataDir), { recursive: true, mode: 0o700 });
  const token = randomBytes(24).toString('base64url');
  await writeFile(join(loginsDir(dataDir), hashKey(token)), `${new Date().toISOString()}\n`, { mode: 0o600 });
  return token;
}

/** True once for a token `createLoginToken` made: the token is used up by this call. */
export async function redeemLoginToken(dataDir: string, token: string): Promise<boolean> {
  if (!/^[A-Za-z0-9_-]{16,100}$/.test(token)) return false;
  const path = join(loginsDir(dataDir), hashKey(token));
  const taken = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.used`;
  try {
    await rename(path, taken);
  } catch {
    return false;
  }
  await unlink(taken).catch(() => undefined);
  return true;
}

/** The value of one cookie in a Cookie header. */
export function cookieValue(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const [key, ...rest] = part.trim().split('=');
    if (key === name) return decodeURIComponent(rest.join('='));
  }
  return undefined;
}
