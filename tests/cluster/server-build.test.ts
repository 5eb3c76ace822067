import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { missingServerParts, requireServerParts, serverPaths } from '../../temporal/server-build.mjs';

const saved = process.env.TROUPE_CACHE_DIR;
afterEach(() => {
  if (saved === undefined) delete process.env.TROUPE_CACHE_DIR;
  else process.env.TROUPE_CACHE_DIR = saved;
});

it('keeps the server, SQL tool, schema and Temporal Web in versioned folders of the cache', () => {
  process.env.TROUPE_CACHE_DIR = '/cache';
  expect(serverPaths()).toEqual({
    server: '/cache/temporal-server/v1.29.1/temporal-server',
    sqlTool: '/cache/temporal-server/v1.29.1/temporal-sql-tool',
    schemaDir: '/cache/temporal-server/v1.29.1/schema/postgresql/v12',
    uiServer: '/cache/temporal-ui-server/v2.42.1/temporal-ui-server',
  });
});

it('names every missing part and says to run npm run setup -- --server', async () => {
  process.env.TROUPE_CACHE_DIR = await mkdtemp(join(tmpdir(), 'troupe-empty-cache-'));
  expect(missingServerParts()).toHaveLength(5);
  expect(() => requireServerParts()).toThrow(
    /Temporal Server is not built .*Run `npm run setup -- --server`/,
  );
});

it('finds what npm run setup built (this machine has run it, as CI does)', () => {
  expect(missingServerParts()).toEqual([]);
  expect(requireServerParts().server).toMatch(/temporal-server$/);
});
