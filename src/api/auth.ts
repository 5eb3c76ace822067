import type { RequestHandler } from 'express';
import { allows, type ApiKeyRecord, type ApiKeyStore, type Scope } from './api-keys';
import { HttpError } from './http-error';
import { cookieValue, SESSION_COOKIE } from './login-links';

declare module 'express-serve-static-core' {
  interface Request {
    apiKey?: ApiKeyRecord;
    /** True when the request carried a key or session cookie, known or not. */
    sentCredential?: boolean;
  }
}

/** The bearer token of an Authorization header, if it has one. */
export function bearerToken(header: string | undefined): string | undefined {
  const match = /^Bearer\s+(\S+)$/i.exec(header ?? '');
  return match?.[1];
}

/** What a request or handshake presents: a bearer key first, else the browser's session cookie. */
export function presentedCredential(headers: {
  authorization?: string | undefined;
  cookie?: string | undefined;
}): string | undefined {
  return bearerToken(headers.authorization) ?? cookieValue(headers.cookie, SESSION_COOKIE);
}

export type Authorizer = {
  /** Whether keys are checked at all: always, unless TROUPE_AUTH=off (tests only). */
  required: boolean;
  keys: ApiKeyStore;
  /** Finds the caller's key (bearer or session cookie) and sets `req.apiKey`; refuses nothing itself. */
  identify: RequestHandler;
  /** Middleware that lets a request through only with a key holding `scope`. */
  need: (scope: Scope) => RequestHandler;
  /** Checks a raw token, for Socket.IO handshakes. */
  check: (token: string | undefined, scope: Scope) => Promise<ApiKeyRecord | undefined>;
};

const missing = () =>
  new HttpError(401, {
    message:
      'send an API key as `Authorization: Bearer <key>` (the local key is in <TROUPE_DATA_DIR>/local-key), or open the one-time link `npm start` printed',
  });
const unknown = () =>
  new HttpError(401, { message: 'the API key is not known (or was revoked); ask an admin for a key' });

function scoped(record: ApiKeyRecord, scope: Scope): ApiKeyRecord {
  if (!allows(record.scopes, scope)) {
    throw new HttpError(403, {
      message: `the key "${record.name}" has scopes [${record.scopes.join(', ')}]; this needs "${scope}"`,
    });
  }
  return record;
}

/** Authorization by API key: 401 without a known key, 403 with a key whose scopes do not allow the call. */
export function createAuthorizer(keys: ApiKeyStore, required: boolean): Authorizer {
  const check = async (token: string | undefined, scope: Scope) => {
    if (!token) throw missing();
    const record = await keys.verify(token);
    if (!record) throw unknown();
    return scoped(record, scope);
  };
  return {
    required,
    keys,
    identify: async (req, _res, next) => {
      if (!required) return next();
      const token = presentedCredential(req.headers);
      req.sentCredential = token !== undefined;
      if (token) req.apiKey = await keys.verify(token);
      next();
    },
    check: (token, scope) => (required ? check(token, scope) : Promise.resolve(undefined)),
    need: (scope) => (req, _res, next) => {
      if (!required) return next();
      if (!req.apiKey) throw req.sentCredential ? unknown() : missing();
      scoped(req.apiKey, scope);
      next();
    },
  };
}
