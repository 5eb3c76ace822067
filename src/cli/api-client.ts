import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { localKeyFile } from '../api/api-keys';
import { Config } from '../config';
import { CliError, ExitCode } from './exit-codes';

export const CliEnv = z.object({
  TROUPE_API_URL: z.url().default('http://127.0.0.1:3000'),
  TROUPE_API_KEY: z.string().min(1).optional(),
  /** Where `npm start` keeps the local key, used when TROUPE_API_KEY is unset. */
  TROUPE_DATA_DIR: Config.shape.TROUPE_DATA_DIR,
});
export type CliEnv = z.infer<typeof CliEnv>;

const Problem = z.object({
  detail: z.string(),
  errors: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
});

export type ApiClient = {
  call: <T = unknown>(method: string, path: string, body?: unknown) => Promise<{ status: number; body: T }>;
  baseUrl: string;
  /** The key, for the Socket.IO handshake. */
  key: string | undefined;
};

/** The API seen from the CLI: answers become values, problems become CliErrors with the right exit code. */
export function createApiClient(env: CliEnv): ApiClient {
  const baseUrl = env.TROUPE_API_URL.replace(/\/$/, '');
  const key = env.TROUPE_API_KEY ?? localKey(env.TROUPE_DATA_DIR);
  return {
    baseUrl,
    key,
    async call<T>(method: string, path: string, body?: unknown) {
      let response: Response;
      try {
        response = await fetch(`${baseUrl}${path}`, {
          method,
          headers: {
            ...(body !== undefined && { 'content-type': 'application/json' }),
            ...(key && { authorization: `Bearer ${key}` }),
          },
          ...(body !== undefined && { body: JSON.stringify(body) }),
          signal: AbortSignal.timeout(90_000),
        });
      } catch (err) {
        throw new CliError(
          ExitCode.Unreachable,
          `cannot reach the Troupe API at ${baseUrl} (${(err as Error).cause instanceof Error ? ((err as Error).cause as Error).message : (err as Error).message}); start it with \`troupe start\` or set TROUPE_API_URL`,
        );
      }
      const text = await response.text();
      const parsed: unknown =
        text && response.headers.get('content-type')?.includes('json') ? JSON.parse(text) : text;
      if (response.ok) return { status: response.status, body: parsed as T };
      const problem = Problem.safeParse(parsed);
      const detail = problem.success ? problem.data.detail : `${response.status} ${response.statusText}`;
      const code = response.status >= 500 ? ExitCode.Unreachable : ExitCode.BadInput;
      throw new CliError(code, detail, response.status);
    },
  };
}

/** The local key `npm start` made on this machine, if there is one. */
function localKey(dataDir: string): string | undefined {
  try {
    return readFileSync(localKeyFile(dataDir), 'utf8').trim() || undefined;
  } catch {
    return undefined;
  }
}
