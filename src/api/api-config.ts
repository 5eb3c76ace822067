import { z } from 'zod';

export const AuthMode = { Required: 'required', Off: 'off' } as const;
export type AuthMode = (typeof AuthMode)[keyof typeof AuthMode];

/** The API's own settings, apart from src/config.ts so the API can grow without touching the engine's. */
export const ApiConfig = z.object({
  /** `required` (always, loopback too); `off` exists for tests only. */
  TROUPE_AUTH: z.enum(AuthMode).default(AuthMode.Required),
  /** Host names the API answers to besides localhost, 127.0.0.1, ::1 and HOST (comma-separated). */
  TROUPE_ALLOWED_HOSTS: z
    .string()
    .default('')
    .transform((text) =>
      text
        .split(',')
        .map((name) => name.trim().toLowerCase())
        .filter(Boolean),
    ),
  /** The one browser origin allowed to call the API (CORS); unset: no cross-origin calls. */
  TROUPE_UI_ORIGIN: z.url().optional(),
  /** Requests per minute per key (or per address without one). */
  TROUPE_RATE_LIMIT: z.coerce.number().int().min(1).default(6000),
  /** How long a run list answer may be reused (ms); 0 asks Temporal every time. */
  TROUPE_LIST_CACHE_MS: z.coerce.number().int().min(0).default(1000),
  /**
   * How often the agents' status files are read while someone watches them. Runs and chat sessions
   * are not polled: their watchers follow each one's history (src/api/history-changes.ts).
   */
  TROUPE_LIVE_POLL_MS: z.coerce.number().int().min(20).default(250),
  /** How many runs and chat sessions one Socket.IO connection may watch at once. */
  TROUPE_LIVE_MAX_SUBSCRIPTIONS: z.coerce.number().int().min(1).max(10_000).default(100),
  /** How often the outcome records are checked for new regressions while clients are connected. */
  TROUPE_ALERT_POLL_MS: z.coerce.number().int().min(20).default(2000),
  /** A regression of a run that ended longer ago than this is not alerted (it was, or nobody watched). */
  TROUPE_ALERT_WINDOW_MS: z.coerce.number().int().min(1000).default(600_000),
  /** Set by `npm run demo`: the models are the scripted server's, and /api/ui-config says so. */
  TROUPE_DEMO: z.stringbool().default(false),
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
