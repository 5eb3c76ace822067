import { dirname, isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';

const troupeRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** The repos runs may name when TROUPE_REPOS is unset: the sample repo the examples and tests use. */
export const defaultRepos = [join(troupeRoot, 'tests', 'fixtures', 'sample-repo')];

const Count = (fallback: number) => z.coerce.number().int().positive().default(fallback);
const Paths = z
  .string()
  .optional()
  .transform((value) => (value ?? '').split(':').filter(Boolean))
  .pipe(z.array(z.string().refine(isAbsolute, 'each folder must be an absolute path')));

/**
 * How commands are confined, from the environment. Read when a command starts rather than once, so
 * a test or an operator changing TROUPE_REPOS sees the change without restarting anything.
 */
export const SandboxSettings = z.object({
  /** `off` runs commands unconfined (each record says so); anything else, or unset, means on. */
  TROUPE_SANDBOX: z.enum(['on', 'off']).default('on'),
  /** The host uid and gid commands run as when the worker is root (RLIMIT_NPROC spares root). */
  TROUPE_SANDBOX_UID: Count(61_000),
  TROUPE_SANDBOX_CPU_SECONDS: Count(600),
  TROUPE_SANDBOX_MEMORY_MB: Count(2_048),
  TROUPE_SANDBOX_PROCESSES: Count(256),
  TROUPE_SANDBOX_FILE_MB: Count(1_024),
  TROUPE_SANDBOX_TMP_MB: Count(512),
  /** Folders a step's `repo` may name; each is also readable (read-only) by every command. */
  TROUPE_REPOS: Paths.transform((paths) => (paths.length > 0 ? paths : defaultRepos)),
  /** More host folders every command may read, e.g. a toolchain outside /usr. */
  TROUPE_SANDBOX_READONLY: Paths,
  TROUPE_DATA_DIR: z.string().optional(),
});
export type SandboxSettings = z.infer<typeof SandboxSettings>;

/** The sandbox settings now; a bad value names the variable, like the rest of the config. */
export function sandboxSettings(env: NodeJS.ProcessEnv = process.env): SandboxSettings {
  const parsed = SandboxSettings.safeParse(env);
  if (parsed.success) return parsed.data;
  const lines = parsed.error.issues.map((issue) => {
    const name = String(issue.path[0]);
    return `${name}=${JSON.stringify(env[name])}: ${issue.message}`;
  });
  throw new Error(`invalid sandbox configuration in the environment: ${lines.join('; ')}`);
}
