import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { RunEvaluation } from '../learning/evaluations';
import { TroupeStore, type StoreLocation } from '../store/store';
import type { RegressionAlert } from './live-events';
import { regressionAlerts, StoreAlertClaims } from './regression-alerts';
import { testDatabases } from '../../tests/helpers/test-databases';

/** Databases of this file's own (dropped after it). */
const databases = testDatabases('troupe_alerts_test');
const stores: TroupeStore[] = [];

afterAll(async () => {
  await Promise.all(stores.map((store) => store.close()));
  await databases.dropAll();
});

const tempDir = () => mkdtemp(join(tmpdir(), 'troupe-alerts-'));
const backends: { name: string; location: () => Promise<StoreLocation> }[] = [
  { name: 'SQLite', location: async () => ({ TROUPE_DATA_DIR: await tempDir() }) },
  {
    name: 'PostgreSQL',
    location: async () => ({ TROUPE_DATA_DIR: await tempDir(), DATABASE_URL: await databases.fresh() }),
  },
];

const now = Date.parse('2026-03-01T12:00:00.000Z');
const evaluated = (runId: string, endedAt: string, regressed: boolean): RunEvaluation => ({
  runId,
  specName: 'paced',
  score: 100,
  costUsd: regressed ? 0.5 : 0,
  durationMs: 1000,
  grade: 'EXCELLENT',
  success: true,
  steps: 1,
  endedAt,
  baseline: { score: 100, costUsd: 0, durationMs: 1000, samples: 5 },
  regressions: regressed
    ? [
        {
          metric: 'costUsd',
          value: 0.5,
          baseline: 0,
          worseBy: Number.POSITIVE_INFINITY,
          message: 'costUsd $0.5000 is infinitely above the baseline $0.0000 (median of 5; threshold 10%)',
        },
      ]
    : [],
});

describe('the alerts runs raise', () => {
  it('raises one per regressed metric of the runs that ended within the window', () => {
    const alerts = regressionAlerts(
      [
        evaluated('recent', '2026-03-01T11:59:00.000Z', true),
        evaluated('old', '2026-03-01T11:00:00.000Z', true),
        evaluated('fine', '2026-03-01T11:59:30.000Z', false),
      ],
      { now, windowMs: 600_000 },
    );
    expect(alerts).toEqual([
      expect.objectContaining({ id: 'recent:costUsd', runId: 'recent', metric: 'costUsd', worseBy: null }),
    ]);
    expect(alerts[0]!.message).toMatch(/^paced run recent: costUsd/);
    expect(alerts[0]!.raisedAt).toBe('2026-03-01T12:00:00.000Z');
  });
});

describe.each(backends)('alert claims in $name', ({ location }) => {
  it('lets exactly one of several processes claim an alert, once and for good', async () => {
    const where = await location();
    const [first, second] = [new TroupeStore(where), new TroupeStore(where)];
    stores.push(first, second);
    const alert = regressionAlerts([evaluated('r1', '2026-03-01T11:59:00.000Z', true)], {
      now,
      windowMs: 600_000,
    })[0] as RegressionAlert;
    const claims = [new StoreAlertClaims(first), new StoreAlertClaims(second)];
    const won = await Promise.all([...claims, ...claims].map((c) => c.claim(alert)));
    expect(won.filter(Boolean)).toHaveLength(1);
    expect(await claims[0]!.claim(alert)).toBe(false);
    expect(await claims[1]!.claim({ ...alert, id: 'r2:costUsd' })).toBe(true);
  });
});
