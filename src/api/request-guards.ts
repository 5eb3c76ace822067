import type { IncomingMessage } from 'node:http';
import type { RequestHandler } from 'express';
import { HttpError } from './http-error';

/** The names a loopback API always answers to. */
const loopbackNames = ['localhost', '127.0.0.1', '::1'];

/** The host name of a Host header, lower case, without port or IPv6 brackets. */
export function hostName(header: string | undefined): string | undefined {
  const match = /^(?:\[([0-9a-f:.]+)\]|([^:[\]]+))(?::\d{1,5})?$/i.exec(header ?? '');
  const name = match?.[1] ?? match?.[2];
  return name?.toLowerCase();
}

/** The names this API answers to: loopback, HOST unless it is a wildcard, and TROUPE_ALLOWED_HOSTS. */
export function allowedHostNames(host: string, extra: readonly string[]): string[] {
  const own = ['0.0.0.0', '::'].includes(host) ? [] : [host.toLowerCase()];
  return [...new Set([...loopbackNames, ...own, ...extra])];
}

export type RequestGuards = {
  /** Refuses a Host header that is not one of the API's names: a DNS-rebinding page sends its own. */
  host: RequestHandler;
  /** Refuses state-changing requests from another origin (a page elsewhere posting to the API). */
  origin: (extraOrigins?: readonly string[]) => RequestHandler;
  /** The same checks for Socket.IO handshakes (`allowRequest`): Host always, Origin when sent. */
  handshake: (req: IncomingMessage) => string | undefined;
};

const safeMethods = new Set(['GET', 'HEAD', 'OPTIONS']);

/** Host and Origin checks against the configured names and the UI's origin. */
export function requestGuards({
  hostNames,
  uiOrigin,
}: {
  hostNames: readonly string[];
  uiOrigin?: string | undefined;
}): RequestGuards {
  const hostProblem = (header: string | undefined) => {
    const name = hostName(header);
    if (name && hostNames.includes(name)) return undefined;
    return `the Host header ${JSON.stringify(header ?? '')} is not a name of this API (${hostNames.join(', ')}); add it to TROUPE_ALLOWED_HOSTS if it is one`;
  };
  const originProblem = (origin: string | undefined, host: string | undefined, extra: readonly string[]) => {
    if (origin === undefined) return undefined;
    const own = [`http://${host}`, `https://${host}`];
    if (own.includes(origin) || origin === uiOrigin || extra.includes(origin)) return undefined;
    return `requests from the origin ${JSON.stringify(origin)} are not allowed; only this API's own pages${uiOrigin ? ` and ${uiOrigin}` : ''} may change state`;
  };
  return {
    host: (req, _res, next) => {
      const problem = hostProblem(req.headers.host);
      if (problem) throw new HttpError(403, { message: problem });
      next();
    },
    origin:
      (extra = []) =>
      (req, _res, next) => {
        if (safeMethods.has(req.method)) return next();
        const problem = originProblem(req.headers.origin, req.headers.host, extra);
        if (problem) throw new HttpError(403, { message: problem });
        next();
      },
    handshake: (req) =>
      hostProblem(req.headers.host) ?? originProblem(req.headers.origin, req.headers.host, []),
  };
}
