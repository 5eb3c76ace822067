import type { RequestHandler } from 'express';
import { allows, type ApiKeyRecord, type ApiKeyStore, type Scope } from './api-keys';
import { HttpError } from './http-error';

declare module 'express-serve-static-core' {
  interface Request {
    apiKey?: ApiKeyRecord;
  }
}

/** The bearer token of an Authorization header, if it has one. */
export function bearerToken(header: string | undefined): string | undefined {
  const match = /^Bearer\s+(\S+)$/i.exec(header ?? '');
  return match?.[1];
}

export type Authorizer = {
  /** Whether keys are checked at all (not on the loopback-only default). */
  required: boolean;
  keys: ApiKeyStore;
  /** Middleware that lets a request through only with a key holding `scope`. */
  need: (scope: Scope) => RequestHandler;
  /** Checks a raw token, for Socket.IO handshakes. */
  check: (token: string | undefined, scope: Scope) => Promise<ApiKeyRecord | undefined>;
};

/** Authorization by API key: 401 without a known key, 403 with a key whose scopes do not allow the call. */
export function createAuthorizer(keys: ApiKeyStore, required: boolean): Authorizer {
  const check = async (token: string | undefined, scope: Scope) => {
    if (!token) throw new HttpError(401, { message: 'send an API key as `Authorization: Bearer <key>`' });
    const record = await keys.verify(token);
    if (!record) throw new HttpError(401, { message: 'the API key is not known; ask an admin for a key' });
    if (!allows(record.scopes, scope)) {
      throw new HttpError(403, {
        message: `the key "${record.name}" has scopes [${record.scopes.join(', ')}]; this needs "${scope}"`,
      });
    }
    return record;
  };
  return {
    required,
    keys,
    check: (token, scope) => (required ? check(token, scope) : Promise.resolve(undefined)),
    need: (scope) => async (req, _res, next) => {
      if (!required) return next();
      req.apiKey = await check(bearerToken(req.headers.authorization), scope);
      next();
    },
  };
}
