import { z } from 'zod';

export const AuthMode = { Auto: 'auto', Required: 'required' } as const;
export type AuthMode = (typeof AuthMode)[keyof typeof AuthMode];

/** The API's own settings, apart from src/config.ts so the API can grow without touching the engine's. */
export const ApiConfig = z.object({
  /** `auto`: keys are required unless HOST is loopback; `required`: always. */
  TROUPE_AUTH: z.enum(AuthMode).default(AuthMode.Auto),
  /** The one browser origin allowed to call the API (CORS); unset: no cross-origin calls. */
  TROUPE_UI_ORIGIN: z.url().optional(),
  /** Requests per minute per key (or per address without one). */
  TROUPE_RATE_LIMIT: z.coerce.number().int().min(1).default(6000),
  /** How long a run list answer may be reused (ms); 0 asks Temporal every time. */
  TROUPE_LIST_CACHE_MS: z.coerce.number().int().min(0).default(1000),
  /** How often subscribed runs are polled for changes. */
  TROUPE_LIVE_POLL_MS: z.coerce.number().int().min(20).default(250),
});
export type ApiConfig = z.infer<typeof ApiConfig>;

/** Reads the API settings, naming each bad variable so a typo shows at start. */
export function loadApiConfig(env: NodeJS.ProcessEnv = process.env): ApiConfig {
  const parsed = ApiConfig.safeParse(env);
  if (parsed.success) return parsed.data;
  const lines = parsed.error.issues.map((issue) => `  ${String(issue.path[0])}: ${issue.message}`);
  throw new Error(`invalid API configuration in the environment:\n${lines.join('\n')}`);
}

/** Loopback hosts are the only ones where the API may run without keys. */
export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\./.test(host);
}
