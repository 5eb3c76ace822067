import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { z } from 'zod';
import { parseSpec } from '../engine/spec-validation';
import type { Spec } from '../engine/spec';
import { HttpError, invalidRequest } from './http-error';

export const SpecName = z.string().regex(/^[A-Za-z0-9_.-]{1,100}$/, 'letters, digits, _, . and - only');

export type SavedSpec = { name: string; yaml: string; spec: Spec; updatedAt: string };

/**
 * The saved spec library: one YAML file per spec under `<dataDir>/specs/`, so specs can be read,
 * diffed and versioned with ordinary tools. Every write is validated with parseSpec first.
 */
export class SpecStore {
  readonly dir: string;
  constructor(dataDir: string) {
    this.dir = join(dataDir, 'specs');
  }

  /** Validates a spec (object or YAML/JSON text) and gives the YAML to store, or a 400 naming the paths. */
  static validate(source: unknown, at = 'spec'): { spec: Spec; yaml: string } {
    const parsed = parseSpec(source);
    if (!parsed.ok)
      throw invalidRequest(parsed.issues.map((issue) => ({ ...issue, path: [at, ...issue.path] })));
    return { spec: parsed.spec, yaml: typeof source === 'string' ? source : stringify(source) };
  }

  async list(): Promise<SavedSpec[]> {
    const files = await readdir(this.dir).catch(() => [] as string[]);
    const names = files.filter((file) => file.endsWith('.yaml')).map((file) => file.slice(0, -5));
    const specs = await Promise.all(names.sort().map((name) => this.find(name)));
    return specs.filter((spec): spec is SavedSpec => spec !== undefined);
  }

  async find(name: string): Promise<SavedSpec | undefined> {
    if (!SpecName.safeParse(name).success) return undefined;
    const path = this.pathOf(name);
    const [yaml, info] = await Promise.all([readFile(path, 'utf8'), stat(path)]).catch(() => [
      undefined,
      undefined,
    ]);
    if (yaml === undefined || !info) return undefined;
    const parsed = parseSpec(yaml);
    if (!parsed.ok) return undefined;
    return { name, yaml, spec: parsed.spec, updatedAt: info.mtime.toISOString() };
  }

  async get(name: string): Promise<SavedSpec> {
    const saved = await this.find(name);
    if (!saved)
      throw new HttpError(404, { message: `no saved spec "${name}"; list them with GET /api/specs` });
    return saved;
  }

  /** Writes atomically (temp file, then rename), so a reader never sees half a spec. */
  async save(name: string, yaml: string): Promise<SavedSpec> {
    await mkdir(this.dir, { recursive: true });
    const temp = `${this.pathOf(name)}.${process.pid}.tmp`;
    await writeFile(temp, yaml, 'utf8');
    await rename(temp, this.pathOf(name));
    return this.get(name);
  }

  async remove(name: string): Promise<void> {
    await this.get(name);
    await rm(this.pathOf(name));
  }

  private pathOf(name: string): string {
    return join(this.dir, `${name}.yaml`);
  }
}
