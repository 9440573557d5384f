import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { buildSchema, parse, validate } from 'graphql';

// Every GraphQL example in README.md is valid against the committed schema: an integrator who
// copies one gets data or a domain error, never "Cannot query field". Each ```graphql block holds
// operations one after another; they are validated one by one, so an error names its operation.

const root = new URL('../../', import.meta.url);
const schema = buildSchema(readFileSync(new URL('schema/schema.graphql', root), 'utf8'));
const readme = readFileSync(new URL('README.md', root), 'utf8');

/** The operations of a block: a new one starts at a line beginning with `{`, query, mutation or subscription. */
function operationsOf(block: string): string[] {
  const out: string[] = [];
  for (const line of block.split('\n')) {
    if (/^\s*#/.test(line) || line.trim() === '') continue;
    if (/^(\{|query\b|mutation\b|subscription\b)/.test(line)) out.push(line);
    else if (out.length > 0) out[out.length - 1] += `\n${line}`;
  }
  return out;
}

const examples = [...readme.matchAll(/```graphql\n([\s\S]*?)```/g)].flatMap((m) => operationsOf(m[1]));

describe('README GraphQL examples', () => {
  it('has examples to check', () => {
    expect(examples.length).toBeGreaterThan(20);
  });

  it.each(examples.map((e) => [e.split('\n')[0].slice(0, 90), e]))('%s', (_label, example) => {
    const errors = validate(schema, parse(example)).map((e) => e.message);
    expect(errors).toEqual([]);
  });
});
