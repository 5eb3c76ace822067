import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createOutcomeActivities } from '../../src/activities/outcome-activities';
import { StoreOutcomeStore } from '../../src/learning/outcome-store';
import { TroupeStore } from '../../src/store/store';

/** A state store of its own (SQLite) in a fresh folder. */
const freshStore = async () =>
  new TroupeStore({ TROUPE_DATA_DIR: await mkdtemp(join(tmpdir(), 'troupe-outcomes-')) });

const step = {
  stepId: 'work',
  kind: 'tool',
  success: false,
  error: 'TimeoutFailure: the step took too long',
  attempts: 3,
  startedAt: '2026-12-01T10:00:00.000Z',
  endedAt: '2026-12-01T10:00:02.500Z',
  exitCode: 1,
};

describe('outcome records', () => {
  it('writes one record per run and step however often the activity is retried', async () => {
    const state = await freshStore();
    const store = new StoreOutcomeStore(state);
    const activities = createOutcomeActivities({ store });
    const recordOutcomes = (input: Parameters<typeof activities.recordOutcomes>[0]) =>
      activities.recordOutcomes(input);
    const input = {
      runId: 'r-1',
      specName: 'paced',
      steps: [step, { ...step, stepId: 'check', success: true, exitCode: 0 }],
    };
    await recordOutcomes(input);
    await recordOutcomes(input);
    const db = await state.query();
    expect(await db.selectFrom('outcomes').selectAll().execute()).toHaveLength(2);
    const [work, check] = await store
      .list()
      .then((all) => [all.find((r) => r.stepId === 'work'), all.find((r) => r.stepId === 'check')]);
    expect(work).toMatchObject({
      success: false,
      errorType: 'TimeoutFailure',
      attempts: 3,
      durationMs: 2500,
      score: 0,
      grade: 'POOR',
    });
    expect(check).toMatchObject({ success: true, score: 100, grade: 'EXCELLENT' });
    await recordOutcomes({ ...input, steps: [{ ...step, success: true, exitCode: 0 }] });
    expect((await store.list()).filter((r) => r.runId === 'r-1')).toHaveLength(2);
    expect((await store.list()).find((r) => r.stepId === 'work')?.grade).toBe('EXCELLENT');
  });

  it('refuses a malformed input naming the field', async () => {
    const store = new StoreOutcomeStore(await freshStore());
    const activities = createOutcomeActivities({ store });
    const recordOutcomes = (input: Parameters<typeof activities.recordOutcomes>[0]) =>
      activities.recordOutcomes(input);
    await expect(
      recordOutcomes({ runId: 'r', specName: 's', steps: [{ ...step, attempts: 0 }] }),
    ).rejects.toThrow(/attempts/);
  });
});
