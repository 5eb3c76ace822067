import type { RequestHandler } from 'express';
import type { z } from 'zod';
import { checkUntrustedData } from '../engine/untrusted-data';
import { fromZodIssue } from '../engine/spec-validation';
import { invalidRequest } from './http-error';

/** Parses one part of a request or throws a 400 naming each failing path under `at` (body, query, params). */
export function parseRequest<S extends z.ZodType>(schema: S, value: unknown, at?: string): z.output<S> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issues = parsed.error.issues.flatMap(fromZodIssue);
  throw invalidRequest(at ? issues.map((issue) => ({ ...issue, path: [at, ...issue.path] })) : issues);
}

/**
 * Refuses a JSON body with a key that could reach a prototype (`__proto__`, `constructor`,
 * `prototype`) or nesting past DataLimits.depth, naming each path, before any route sees it: a route
 * that copies or merges the body could otherwise be steered, or overflow its stack on the nesting.
 */
export const refuseUnsafeBody: RequestHandler = (req, _res, next) => {
  if (typeof req.body !== 'object' || req.body === null) return next();
  const issues = checkUntrustedData(req.body);
  if (issues.length > 0) throw invalidRequest(issues);
  next();
};
