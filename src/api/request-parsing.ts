import type { z } from 'zod';
import { fromZodIssue } from '../engine/spec-validation';
import { invalidRequest } from './http-error';

/** Parses one part of a request or throws a 400 naming each failing path under `at` (body, query, params). */
export function parseRequest<S extends z.ZodType>(schema: S, value: unknown, at?: string): z.output<S> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issues = parsed.error.issues.flatMap(fromZodIssue);
  throw invalidRequest(at ? issues.map((issue) => ({ ...issue, path: [at, ...issue.path] })) : issues);
}
