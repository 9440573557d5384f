import { lexicographicSortSchema, printSchema } from 'graphql';
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { buildAppSchema } from './build-schema.js';
import { createPubSub } from '@graphql-yoga/subscription';

// Writes schema/schema.graphql from the code; with --check, fails when the committed file is stale.
const target = fileURLToPath(new URL('../../../schema/schema.graphql', import.meta.url));
const schema = await buildAppSchema(createPubSub() as never);
const printed = `# Generated from server/src by \`pnpm schema:emit\`. Do not edit by hand.\n\n${printSchema(lexicographicSortSchema(schema))}\n`;

if (process.argv.includes('--check')) {
  let committed = '';
  try {
    committed = readFileSync(target, 'utf8');
  } catch {
    // missing counts as stale
  }
  if (committed !== printed) {
    process.stderr.write('schema/schema.graphql is stale: run `pnpm schema:emit` and commit the result\n');
    process.exit(1);
  }
  process.stdout.write('schema/schema.graphql is up to date\n');
} else {
  writeFileSync(target, printed);
  process.stdout.write(`wrote ${target}\n`);
}
