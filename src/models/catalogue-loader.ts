import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseDocument } from 'yaml';
import type { z } from 'zod';
import { CatalogueFile, resolveCatalogue, type Catalogue, type CatalogueProblem } from './catalogue';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/** The catalogue Troupe ships; TROUPE_MODELS_FILE names another. */
export const defaultCatalogueFile = resolve(repoRoot, 'config/models.yaml');

export class CatalogueError extends Error {
  override name = 'CatalogueError';
  constructor(
    readonly file: string,
    readonly problems: CatalogueProblem[],
  ) {
    const lines = problems.map((problem) => `  ${formatPath(problem.path) || '(file)'}: ${problem.message}`);
    super(`the model catalogue ${file} is invalid:\n${lines.join('\n')}`);
  }
}

export type LoadCatalogueOptions = {
  env?: Record<string, string | undefined>;
  /** Overrides TROUPE_MODELS_FILE and the default file. */
  file?: string;
  /** Prefix of the model task queues unless the file sets taskQueuePrefix; `<TROUPE_TASK_QUEUE>-models` by default. */
  taskQueuePrefix?: string;
};

/** Reads and validates the catalogue at start, so a typo names its file and field instead of failing a run. */
export function loadCatalogue({
  env = process.env,
  file,
  taskQueuePrefix,
}: LoadCatalogueOptions = {}): Catalogue {
  const path = resolve(file ?? env.TROUPE_MODELS_FILE ?? defaultCatalogueFile);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'the file does not exist' : String(err);
    throw new CatalogueError(displayName(path), [
      {
        path: [],
        message: `${reason}; set TROUPE_MODELS_FILE to a catalogue, or restore config/models.yaml`,
      },
    ]);
  }
  return parseCatalogue(text, {
    source: displayName(path),
    env,
    taskQueuePrefix: taskQueuePrefix ?? `${env.TROUPE_TASK_QUEUE ?? 'troupe'}-models`,
  });
}

/** Parses catalogue text (YAML or JSON); `source` names it in errors. */
export function parseCatalogue(
  text: string,
  options: { source: string; env?: Record<string, string | undefined>; taskQueuePrefix?: string },
): Catalogue {
  const { source, env = {}, taskQueuePrefix = 'troupe-models' } = options;
  const document = parseDocument(text);
  if (document.errors.length > 0) {
    throw new CatalogueError(
      source,
      document.errors.map((error) => {
        const at = error.linePos?.[0];
        const where = at ? ` at line ${at.line}, column ${at.col}` : '';
        const reason = (error.message.split('\n')[0] ?? '').replace(/ at line \d+, column \d+:?$/, '');
        return { path: [], message: `not valid YAML${where}: ${reason}` };
      }),
    );
  }
  const parsed = CatalogueFile.safeParse(document.toJS());
  if (!parsed.success) throw new CatalogueError(source, parsed.error.issues.flatMap(toProblems));
  const resolved = resolveCatalogue(parsed.data, { source, env, taskQueuePrefix });
  if (!resolved.ok) throw new CatalogueError(source, resolved.problems);
  return resolved.catalogue;
}

function toProblems(issue: z.core.$ZodIssue): CatalogueProblem[] {
  const path = issue.path.filter((key): key is string | number => typeof key !== 'symbol');
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((key) => ({ path: [...path, key], message: `unknown field "${key}"` }));
  }
  return [{ path, message: issue.message }];
}

/** `models[2].pricing.inputPerMillion`, the way a reader finds the field in the file. */
export function formatPath(path: readonly (string | number)[]): string {
  return path.reduce<string>(
    (text, key) => (typeof key === 'number' ? `${text}[${key}]` : text ? `${text}.${key}` : key),
    '',
  );
}

function displayName(path: string): string {
  const fromRoot = relative(repoRoot, path);
  return fromRoot && !fromRoot.startsWith('..') && !isAbsolute(fromRoot) ? fromRoot : path;
}
