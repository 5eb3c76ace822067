import { readFile } from 'node:fs/promises';
import { parse } from 'yaml';
import { ToolSettings } from './tool-kit';

/**
 * The operator's tool settings: the YAML file TROUPE_TOOLS_FILE names (command allowlist, hosts,
 * caps, deploy and rollback commands), or the defaults. Read once at worker start; a bad file stops
 * the worker naming the file and field, since a wrong allowlist is a security problem, not a warning.
 */
export async function loadToolSettings({
  file,
  env = process.env,
}: { file?: string; env?: Record<string, string | undefined> } = {}): Promise<ToolSettings> {
  const path = file ?? env.TROUPE_TOOLS_FILE;
  if (!path) return ToolSettings.parse({});
  let raw: unknown;
  try {
    raw = parse(await readFile(path, 'utf8'));
  } catch (err) {
    throw new Error(`cannot read the tool settings ${path}: ${(err as Error).message}`);
  }
  const parsed = ToolSettings.safeParse(raw ?? {});
  if (!parsed.success) {
    const problems = parsed.error.issues.map(
      (issue) => `  ${issue.path.join('.') || '(file)'}: ${issue.message}`,
    );
    throw new Error(`the tool settings ${path} are invalid:\n${problems.join('\n')}`);
  }
  return parsed.data;
}
