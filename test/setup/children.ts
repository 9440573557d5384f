import { existsSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TEST_DATABASE_URL } from './test-env.js';

// The pids of the wabahub processes a test run spawned, one file per test database (two runs on
// one machine use two databases, and never reap each other's). A test that dies (a timeout, a
// killed fork) never runs its afterAll: its children would live on, keep sweeping the shared
// database with the code they started with, and take CPU from every later run.

export function childrenFile(): string {
  return join(tmpdir(), `wabahub-test-children-${new URL(TEST_DATABASE_URL).pathname.slice(1)}.pids`);
}

/** SIGKILLs every process written down (those already gone are skipped); returns how many were alive. */
export function reapChildren(): number {
  const file = childrenFile();
  if (!existsSync(file)) return 0;
  let alive = 0;
  for (const pid of readFileSync(file, 'utf8').split('\n').map(Number).filter((n) => Number.isInteger(n) && n > 1)) {
    try {
      process.kill(pid, 'SIGKILL');
      alive++;
    } catch {
      // already gone
    }
  }
  rmSync(file, { force: true });
  return alive;
}
