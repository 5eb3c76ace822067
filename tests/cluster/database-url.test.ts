import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { internalPorts, loadClusterConfig } from '../../temporal/cluster-config';
import { DEFAULT_DATABASE_URL, parseDatabaseUrl } from '../../temporal/database-url';

describe('TEMPORAL_DATABASE_URL', () => {
  it("defaults to this machine's PostgreSQL, user postgres, databases temporal and temporal_visibility", () => {
    expect(parseDatabaseUrl()).toEqual({
      host: '127.0.0.1',
      port: 5432,
      user: 'postgres',
      password: '',
      database: 'temporal',
      visibilityDatabase: 'temporal_visibility',
    });
    expect(parseDatabaseUrl(DEFAULT_DATABASE_URL)).toEqual(parseDatabaseUrl());
  });

  it('reads user, password, host, port and database, decoding what the URL encodes', () => {
    expect(parseDatabaseUrl('postgresql://troupe:p%40ss%3Aword@db.internal:6543/runs_1')).toEqual({
      host: 'db.internal',
      port: 6543,
      user: 'troupe',
      password: 'p@ss:word',
      database: 'runs_1',
      visibilityDatabase: 'runs_1_visibility',
    });
    expect(parseDatabaseUrl('postgres://root@[::1]/').database).toBe('temporal');
    expect(parseDatabaseUrl('postgres://root@[::1]/').host).toBe('::1');
  });

  it('refuses what is not a postgres URL or names a database the tools cannot use, never echoing the password', () => {
    for (const [url, why] of [
      ['127.0.0.1:5432', /is not a URL|scheme/],
      ['mysql://root:secret@127.0.0.1/temporal', /scheme "mysql"/],
      ['postgres://root:secret@127.0.0.1/Temporal', /names the database "Temporal"/],
      ['postgres://root:secret@127.0.0.1/a-b', /lower-case letters/],
      [`postgres://root:secret@127.0.0.1/${'a'.repeat(53)}`, /at most 52/],
    ] as const) {
      expect(() => parseDatabaseUrl(url), url).toThrow(why);
      expect(() => parseDatabaseUrl(url)).toThrow(/TEMPORAL_DATABASE_URL/);
      try {
        parseDatabaseUrl(url);
      } catch (err) {
        expect((err as Error).message).not.toContain('secret');
      }
    }
  });

  it('accepts every lower-case name up to 52 characters and puts visibility beside it', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[a-z_][a-z0-9_]{0,51}$/), (name) => {
        const parsed = parseDatabaseUrl(`postgres://u@h/${name}`);
        expect(parsed.database).toBe(name);
        expect(parsed.visibilityDatabase).toBe(`${name}_visibility`);
        expect(parsed.visibilityDatabase.length).toBeLessThanOrEqual(63);
      }),
    );
  });
});

describe('cluster config', () => {
  it('keeps clear of the dev server ports 7233 and 8233 by default, and starts two of each process', () => {
    const cluster = loadClusterConfig({});
    expect(cluster.port).toBe(7333);
    expect(cluster.uiPort).toBe(8333);
    const ports = [cluster.port, cluster.uiPort, ...Object.values(cluster.internalPorts)];
    expect(new Set(ports).size).toBe(ports.length);
    expect(ports).not.toContain(7233);
    expect(ports).not.toContain(8233);
    expect(cluster.workersPerPool).toBe(2);
    expect(cluster.apiProcesses).toBe(2);
    expect(cluster.redisUrl).toBe('redis://127.0.0.1:6379');
  });

  it('derives eight distinct internal ports from the first', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 32760 }), (first) => {
        const ports = Object.values(internalPorts(first));
        expect(new Set(ports).size).toBe(8);
        expect(Math.min(...ports)).toBe(first);
        expect(Math.max(...ports)).toBe(first + 7);
      }),
    );
  });

  it('names a bad variable without showing the database URL, which may hold a password', () => {
    expect(() => loadClusterConfig({ TEMPORAL_PORT: 'seventy' })).toThrow(/TEMPORAL_PORT="seventy"/);
    expect(() => loadClusterConfig({ TEMPORAL_INTERNAL_PORTS: '40000' })).toThrow(
      /TEMPORAL_INTERNAL_PORTS="40000": must be at most 32760/,
    );
    expect(() => loadClusterConfig({ TEMPORAL_DATABASE_URL: '' })).toThrow(
      /TEMPORAL_DATABASE_URL=\(not shown\)/,
    );
  });
});
