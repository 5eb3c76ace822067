import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import type { z } from 'zod';

/** Which process wrote a status file, and when it last did. */
export type StatusFileHeader = { host: string; pid: number; updatedAt: string };

/**
 * One process's status file in a directory that the API reads. Worker processes and the API run apart
 * and share only the data dir, so each process publishes what the API shows to a file of its own.
 * Writes are queued so the last state always lands last, and each goes to a temporary file renamed
 * over the real one, so a reader never sees half a file.
 */
export class StatusFileWriter<T extends StatusFileHeader> {
  private writing: Promise<void> = Promise.resolve();

  constructor(
    private readonly dir: string,
    private readonly file: string,
    /** Names the status in the warning a failed write prints, e.g. `agents`. */
    private readonly what: string,
  ) {}

  write(body: T): Promise<void> {
    const text = JSON.stringify(body);
    return this.queue(async () => {
      await mkdir(this.dir, { recursive: true });
      await writeFile(`${this.file}.tmp`, text);
      await rename(`${this.file}.tmp`, this.file);
    });
  }

  /** Deletes the file once the writes before it have landed, for a process that stops cleanly. */
  remove(): Promise<void> {
    return this.queue(() => rm(this.file, { force: true }));
  }

  /** Resolves once every write so far has landed. */
  settled(): Promise<void> {
    return this.writing;
  }

  private queue(task: () => Promise<void>): Promise<void> {
    this.writing = this.writing
      .then(task)
      .catch((err: unknown) =>
        console.warn(`${this.what}: could not publish status to ${this.dir}: ${String(err)}`),
      );
    return this.writing;
  }
}

/** `<dir>/<host>-<pid>.json`, the file a process publishes to (`suffix` tells apart several in one process). */
export function statusFilePath(
  dir: string,
  self = { host: hostname(), pid: process.pid },
  suffix = '',
): string {
  return join(dir, `${self.host}-${self.pid}${suffix}.json`);
}

/** Every status file in `dir` that parses with `schema`; unreadable or invalid files are skipped. */
export async function readStatusFiles<T extends StatusFileHeader>(
  dir: string,
  schema: z.ZodType<T>,
): Promise<T[]> {
  const names = await readdir(dir).catch(() => [] as string[]);
  const files = await Promise.all(
    names
      .filter((name) => name.endsWith('.json'))
      .map(async (name) =>
        schema.safeParse(
          await readFile(join(dir, name), 'utf8')
            .then((text) => JSON.parse(text) as unknown)
            .catch(() => undefined),
        ),
      ),
  );
  return files.flatMap((parsed) => (parsed.success ? [parsed.data] : []));
}

/**
 * Whether a file's process still runs. On this host its pid must exist; another host's pids cannot be
 * checked, so a process that publishes on a timer also passes `maxAgeMs`: a file older than that is
 * from a process that was killed (or hangs), wherever it ran.
 */
export function isLive(
  file: StatusFileHeader,
  { maxAgeMs, now = Date.now() }: { maxAgeMs?: number; now?: number } = {},
): boolean {
  if (maxAgeMs !== undefined && !(now - Date.parse(file.updatedAt) <= maxAgeMs)) return false;
  if (file.host !== hostname()) return true;
  try {
    process.kill(file.pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
