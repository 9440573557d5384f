import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import postgres from 'postgres';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { TEST_DATABASE_URL, testEnv } from '../setup/test-env.js';
import { pnpmScript, roleEnv, roleExit, spawnRole, type RoleProcess } from '../setup/processes.js';

// Scaling out: `pnpm db:migrate` once, then any number of `start:server` and `start:worker`
// processes. A one-role process never migrates, so on a database that is behind it must refuse to
// start with one line naming the command, instead of serving "relation ... does not exist".
// setup(): databases of their own beside the test database (an empty one, and a name that does
// not exist), dropped at the end; real processes, spawned as production runs them.

const suffix = randomBytes(4).toString('hex');
const urlOf = (name: string) => Object.assign(new URL(TEST_DATABASE_URL), { pathname: `/${name}` }).toString();
const baseName = new URL(TEST_DATABASE_URL).pathname.slice(1);
const EMPTY = `${baseName}_scaleout_${suffix}`;
const MISSING = `${baseName}_missing_${suffix}`;
const admin = postgres(urlOf('postgres'), { max: 1, onnotice: () => {} });
const journal = JSON.parse(readFileSync(new URL('../../drizzle/meta/_journal.json', import.meta.url), 'utf8')) as { entries: { tag: string }[] };
const running: RoleProcess[] = [];
// Generous: a role compiles the server with tsx as it starts, which takes long on a loaded machine.
const START_MS = 90_000;

beforeAll(async () => {
  await admin.unsafe(`create database "${EMPTY}"`);
});
afterAll(async () => {
  await Promise.all(running.map((p) => p.kill()));
  for (const name of [EMPTY, MISSING]) await admin.unsafe(`drop database if exists "${name}" with (force)`);
  await admin.end();
});

const envFor = (name: string) => roleEnv(testEnv({ DATABASE_URL: urlOf(name) }));
const lines = (text: string) => text.split('\n').filter((line) => line.trim() !== '');

describe('one-role processes on a database that is not migrated', () => {
  it('refuse to start on an empty database, with one line that names pnpm db:migrate', async () => {
    const [server, worker] = await Promise.all([roleExit('server', envFor(EMPTY), START_MS), roleExit('worker', envFor(EMPTY), START_MS)]);
    for (const result of [server, worker]) {
      expect(result.code).toBe(1);
      expect(result.stdout).toBe('');
      expect(lines(result.stderr)).toEqual([
        `wabahub: the database is ${journal.entries.length} migrations behind (${journal.entries[0].tag} … ${journal.entries.at(-1)!.tag}); run \`pnpm db:migrate\` once, then start the server and worker processes`,
      ]);
    }
  }, 2 * START_MS);

  it('refuse to start when the database does not exist, with one line that names pnpm db:migrate', async () => {
    const result = await roleExit('server', envFor(MISSING), START_MS);
    expect(result.code).toBe(1);
    expect(lines(result.stderr)).toEqual([
      `wabahub: database "${MISSING}" does not exist; run \`pnpm db:migrate\` once (it creates and migrates it), then start the server and worker processes`,
    ]);
  }, 2 * START_MS);
});

describe('pnpm db:migrate', () => {
  it('migrates the database, after which a server starts and is ready, and a worker starts', async () => {
    const migrated = await pnpmScript('db:migrate', { DATABASE_URL: urlOf(EMPTY) }, START_MS);
    expect(migrated.code, migrated.stderr).toBe(0);
    expect(migrated.stdout).toContain(`applied ${journal.entries.length} migrations`);

    const [server, worker] = await Promise.all([spawnRole('server', envFor(EMPTY), START_MS), spawnRole('worker', envFor(EMPTY), START_MS)]);
    running.push(server, worker);
    const ready = await fetch(`${server.url}/readyz`);
    expect(ready.status).toBe(200);

    const again = await pnpmScript('db:migrate', { DATABASE_URL: urlOf(EMPTY) }, START_MS);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('the database is up to date');
  }, 3 * START_MS);

  it('creates a database that does not exist yet', async () => {
    const migrated = await pnpmScript('db:migrate', { DATABASE_URL: urlOf(MISSING) }, START_MS);
    expect(migrated.code, migrated.stderr).toBe(0);
    const [{ n }] = await admin<{ n: number }[]>`select count(*)::int as n from pg_database where datname = ${MISSING}`;
    expect(n).toBe(1);
  }, 3 * START_MS);
});
