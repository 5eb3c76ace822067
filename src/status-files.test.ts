import { spawnSync } from 'node:child_process';
import { mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { isLive, readStatusFiles, StatusFileWriter, statusFilePath } from './status-files';

const Counter = z.object({ host: z.string(), pid: z.int(), updatedAt: z.string(), count: z.int() });
type Counter = z.infer<typeof Counter>;

const self = { host: hostname(), pid: process.pid };
const at = (count: number, updatedAt = new Date().toISOString()): Counter => ({ ...self, updatedAt, count });

describe('StatusFileWriter', () => {
  it('lands the last of several quick writes last, and leaves no temporary file', async () => {
    const dir = join(await mkdtemp(join(tmpdir(), 'troupe-status-')), 'nested');
    const file = statusFilePath(dir);
    const writer = new StatusFileWriter<Counter>(dir, file, 'test');
    for (let count = 1; count <= 20; count++) void writer.write(at(count));
    await writer.settled();
    expect(JSON.parse(await readFile(file, 'utf8'))).toMatchObject({ count: 20 });
    expect(await readdir(dir)).toEqual([`${self.host}-${self.pid}.json`]);
  });

  it('removes the file after the writes queued before it', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'troupe-status-'));
    const writer = new StatusFileWriter<Counter>(dir, statusFilePath(dir, self, '-a'), 'test');
    void writer.write(at(1));
    await writer.remove();
    expect(await readdir(dir)).toEqual([]);
  });
});

describe('readStatusFiles', () => {
  it('returns the files that parse and skips corrupt, invalid and non-JSON ones', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'troupe-status-'));
    await writeFile(join(dir, 'good.json'), JSON.stringify(at(3)));
    await writeFile(join(dir, 'corrupt.json'), '{"host": "a", "pid"');
    await writeFile(join(dir, 'invalid.json'), JSON.stringify({ ...at(1), count: 'many' }));
    await writeFile(join(dir, 'good.json.tmp'), JSON.stringify(at(4)));
    expect(await readStatusFiles(dir, Counter)).toEqual([at(3, expect.any(String) as string)]);
  });

  it('reads a directory that does not exist yet as no files', async () => {
    expect(await readStatusFiles(join(tmpdir(), 'troupe-status-missing', 'x'), Counter)).toEqual([]);
  });
});

describe('isLive', () => {
  const now = Date.parse('2026-01-01T00:00:10.000Z');
  const fresh = '2026-01-01T00:00:09.000Z';

  it('trusts a process of this host whose pid exists, and not one whose pid is gone', () => {
    const gone = spawnSync('true').pid;
    expect(isLive({ ...self, updatedAt: fresh }, { now, maxAgeMs: 5000 })).toBe(true);
    expect(isLive({ ...self, pid: gone, updatedAt: fresh }, { now, maxAgeMs: 5000 })).toBe(false);
  });

  it("judges another host's process by the age of its file alone", () => {
    const other = { host: `not-${hostname()}`, pid: 1 };
    expect(isLive({ ...other, updatedAt: fresh }, { now, maxAgeMs: 5000 })).toBe(true);
    expect(isLive({ ...other, updatedAt: '2026-01-01T00:00:00.000Z' }, { now, maxAgeMs: 5000 })).toBe(false);
    expect(isLive({ ...other, updatedAt: 'yesterday' }, { now, maxAgeMs: 5000 })).toBe(false);
    expect(isLive({ ...other, updatedAt: '2026-01-01T00:00:00.000Z' }, { now })).toBe(true);
  });
});
