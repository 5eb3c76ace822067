import { spawnSync } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { readWorkerSlots, type WorkerSlotsFile } from './worker-slots';

const now = Date.parse('2026-01-01T00:01:00.000Z');
const fresh = '2026-01-01T00:00:59.500Z';

const file = (overrides: Partial<WorkerSlotsFile>): WorkerSlotsFile => ({
  host: hostname(),
  pid: process.pid,
  updatedAt: fresh,
  slots: [{ pool: 'tools', taskQueue: 'q-tools', kind: 'activity', used: 2, max: 10 }],
  ...overrides,
});

it("sums the slots of live workers' files and skips corrupt, stale and dead processes' files", async () => {
  const dir = await mkdtemp(join(tmpdir(), 'troupe-slots-'));
  const write = (name: string, body: unknown) =>
    writeFile(join(dir, `${name}.json`), typeof body === 'string' ? body : JSON.stringify(body));
  await write('this-process', file({}));
  await write(
    'other-host',
    file({
      host: `not-${hostname()}`,
      pid: 7,
      slots: [
        { pool: 'tools', taskQueue: 'q-tools', kind: 'activity', used: 1, max: 10 },
        { pool: 'orchestration', taskQueue: 'q', kind: 'workflow', used: 0, max: 40 },
        { pool: 'orchestration', taskQueue: 'q', kind: 'activity', used: 1 },
      ],
    }),
  );
  await write('corrupt', '{"host": "x", "slots": [');
  await write(
    'negative',
    file({ slots: [{ pool: 'tools', taskQueue: 'q-tools', kind: 'activity', used: -5 }] }),
  );
  await write('stale', file({ host: `not-${hostname()}`, updatedAt: '2026-01-01T00:00:00.000Z' }));
  await write('dead', file({ pid: spawnSync('true').pid }));

  const totals = await readWorkerSlots(dir, now);

  expect(totals.slots).toEqual(
    expect.arrayContaining([
      { pool: 'tools', taskQueue: 'q-tools', kind: 'activity', used: 3, available: 17 },
      { pool: 'orchestration', taskQueue: 'q', kind: 'workflow', used: 0, available: 40 },
      { pool: 'orchestration', taskQueue: 'q', kind: 'activity', used: 1, available: undefined },
    ]),
  );
  expect(totals.slots).toHaveLength(3);
  expect(totals.processes).toEqual({ tools: 2, orchestration: 1 });
});
