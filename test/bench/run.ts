// `pnpm bench`: runs every benchmark in test/bench/ one after the other (they must not share the
// machine's two cores). Each prints its own figures and the baseline it measured in the same run.
// `pnpm bench webhook-ingest` runs one.
import { readdirSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const dir = fileURLToPath(new URL('.', import.meta.url));
const only = process.argv.slice(2);
const benches = readdirSync(dir).filter((f) => f.endsWith('.ts') && f !== 'run.ts' && !f.startsWith('_')).filter((f) => only.length === 0 || only.some((o) => f.startsWith(o)));
let failed = 0;
for (const file of benches) {
  console.log(`\n=== ${file} ===`);
  // Benchmarks get a database of their own: their backlogs must never reach the tests' workers.
  const env = { ...process.env, TEST_DATABASE_URL: process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/wabahub_bench' };
  const result = spawnSync(`${dir}../../node_modules/.bin/tsx`, [`${dir}${file}`], { stdio: 'inherit', env });
  if (result.status !== 0) failed++;
}
process.exit(failed ? 1 : 0);
