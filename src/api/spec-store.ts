import type { Selectable } from 'kysely';
import { stringify } from 'yaml';
import { z } from 'zod';
import { parseSpec } from '../engine/spec-validation';
import type { Spec } from '../engine/spec';
import type { SpecsTable } from '../store/schema';
import type { TroupeStore } from '../store/store';
import { HttpError, invalidRequest } from './http-error';

export const SpecName = z.string().regex(/^[A-Za-z0-9_.-]{1,100}$/, 'letters, digits, _, . and - only');

export type SavedSpec = { name: string; yaml: string; spec: Spec; updatedAt: string };

/**
 * The saved spec library, in the state store (src/store): every process sees a save at once. Every
 * write is validated with parseSpec first; GET /api/specs/:name answers the YAML as saved.
 */
export class SpecStore {
  constructor(private readonly store: TroupeStore) {}

  /** Validates a spec (object or YAML/JSON text) and gives the YAML to store, or a 400 naming the paths. */
  static validate(source: unknown, at = 'spec'): { spec: Spec; yaml: string } {
    const parsed = parseSpec(source);
    if (!parsed.ok)
      throw invalidRequest(parsed.issues.map((issue) => ({ ...issue, path: [at, ...issue.path] })));
    return { spec: parsed.spec, yaml: typeof source === 'string' ? source : stringify(source) };
  }

  async list(): Promise<SavedSpec[]> {
    const db = await this.store.query();
    const rows = await db.selectFrom('specs').selectAll().orderBy('name').execute();
    return rows.map(toSaved).filter((spec): spec is SavedSpec => spec !== undefined);
  }

  async find(name: string): Promise<SavedSpec | undefined> {
    if (!SpecName.safeParse(name).success) return undefined;
    const db = await this.store.query();
    const row = await db.selectFrom('specs').selectAll().where('name', '=', name).executeTakeFirst();
    return row && toSaved(row);
  }

  async get(name: string): Promise<SavedSpec> {
    const saved = await this.find(name);
    if (!saved)
      throw new HttpError(404, { message: `no saved spec "${name}"; list them with GET /api/specs` });
    return saved;
  }

  /** Saves (or replaces) a spec in one statement, so a reader never sees half of one. */
  async save(name: string, yaml: string): Promise<SavedSpec> {
    const db = await this.store.query();
    const updated_at = new Date().toISOString();
    await db
      .insertInto('specs')
      .values({ name, yaml, updated_at })
      .onConflict((oc) => oc.column('name').doUpdateSet({ yaml, updated_at }))
      .execute();
    return this.get(name);
  }

  async remove(name: string): Promise<void> {
    await this.get(name);
    const db = await this.store.query();
    await db.deleteFrom('specs').where('name', '=', name).execute();
  }
}

/** A stored spec as the API shows it; one that no longer parses (an older schema) is left out. */
function toSaved(row: Selectable<SpecsTable>): SavedSpec | undefined {
  const parsed = parseSpec(row.yaml);
  if (!parsed.ok) return undefined;
  return { name: row.name, yaml: row.yaml, spec: parsed.spec, updatedAt: row.updated_at };
}
