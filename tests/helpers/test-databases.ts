import { randomUUID } from 'node:crypto';
import pg from 'pg';

const ADMIN_URL = 'postgres://postgres@127.0.0.1:5432/postgres';

async function asAdmin(task: (admin: pg.Client) => Promise<void>): Promise<void> {
  const admin = new pg.Client({ connectionString: ADMIN_URL });
  await admin.connect();
  try {
    await task(admin);
  } finally {
    await admin.end();
  }
}

/**
 * PostgreSQL databases of a test file's own on this machine's server, named after `prefix`:
 * `fresh()` makes one and gives its DATABASE_URL, `dropAll()` (in afterAll) drops every one made.
 */
export function testDatabases(prefix: string) {
  const made: string[] = [];
  return {
    async fresh(): Promise<string> {
      const name = `${prefix}_${process.pid}_${randomUUID().slice(0, 8)}`;
      await asAdmin((admin) => admin.query(`CREATE DATABASE ${name}`).then(() => undefined));
      made.push(name);
      return `postgres://postgres@127.0.0.1:5432/${name}`;
    },
    async dropAll(): Promise<void> {
      await asAdmin(async (admin) => {
        for (const name of made) await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      });
    },
  };
}
