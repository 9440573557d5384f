import { defaultFieldResolver, isObjectType, type GraphQLFieldResolver, type GraphQLSchema } from 'graphql';
import { ValidationError } from '../lib/errors.js';
import { unstorableDate, unstorableText } from '../lib/storable.js';

// One check at the API's edge, for every argument of every field: a value Postgres cannot store
// (a NUL or an unpaired surrogate in any string, a date outside 1970-9999) is VALIDATION_FAILED,
// naming its path, before any resolver runs. Services never see such values, so none of them
// checks, and a new operation is covered without a line of its own. The walk covers the values
// graphql-js has already coerced, whatever their type: strings and IDs, input objects and lists,
// dates (DateTimeISO is a Date by now) and JSON scalars, object keys included.

interface Position {
  value: unknown;
  parent: Position | null;
  key: string | number;
}

const NAME = /^[_A-Za-z][_0-9A-Za-z]*$/;

/** `input.recipients[3].variables[0]`, `input.variables.greeting`, `input.rules[0]["odd key"]`. */
function pathOf(node: Position): string {
  const keys: (string | number)[] = [];
  for (let n: Position | null = node; n; n = n.parent) keys.unshift(n.key);
  return keys.map((key, i) => {
    if (typeof key === 'number') return `[${key}]`;
    if (i === 0) return key;
    // A key is text from the caller: escaped (no NUL in the message) and cut short.
    return NAME.test(key) ? `.${key}` : `[${JSON.stringify(key.length > 40 ? `${key.slice(0, 40)}…` : key)}]`;
  }).join('');
}

function refuse(node: Position, reason: string): never {
  const field = pathOf(node);
  throw new ValidationError(`${field}: ${reason}`, field);
}

/** Throws ValidationError for the first value under `args` that Postgres cannot store. Iterative: JSON may be deep. */
export function assertStorable(args: Record<string, unknown>): void {
  const stack: Position[] = Object.keys(args).reverse().map((key) => ({ value: args[key], parent: null, key }));
  while (stack.length > 0) {
    const node = stack.pop()!;
    const { value } = node;
    if (typeof value === 'string') {
      const reason = unstorableText(value);
      if (reason) refuse(node, reason);
    } else if (value instanceof Date) {
      const reason = unstorableDate(value);
      if (reason) refuse(node, reason);
    } else if (Array.isArray(value)) {
      for (let i = value.length - 1; i >= 0; i--) stack.push({ value: value[i], parent: node, key: i });
    } else if (value !== null && typeof value === 'object') {
      const keys = Object.keys(value);
      for (let i = keys.length - 1; i >= 0; i--) {
        const key = keys[i];
        const child: Position = { value: (value as Record<string, unknown>)[key], parent: node, key };
        const reason = unstorableText(key);
        if (reason) refuse(child, `the key ${reason}`);
        stack.push(child);
      }
    }
  }
}

/**
 * Puts the check in front of every field that takes arguments (queries, mutations, subscriptions
 * and nested fields such as a connection's `after`); a subscription is checked once, when it
 * starts, not on each event. Changes `schema` in place and returns it.
 */
export function withStorableArguments(schema: GraphQLSchema): GraphQLSchema {
  for (const type of Object.values(schema.getTypeMap())) {
    if (!isObjectType(type) || type.name.startsWith('__')) continue;
    for (const field of Object.values(type.getFields())) {
      if (field.args.length === 0) continue;
      if (field.subscribe) {
        const subscribe = field.subscribe;
        field.subscribe = (source, args, context, info) => {
          assertStorable(args);
          return subscribe(source, args, context, info);
        };
        continue;
      }
      const resolve: GraphQLFieldResolver<unknown, unknown> = field.resolve ?? defaultFieldResolver;
      field.resolve = (source, args, context, info) => {
        assertStorable(args);
        return resolve(source, args, context, info);
      };
    }
  }
  return schema;
}
