import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import { unwrapResolverError } from '@apollo/server/errors';
import { DomainError } from '../lib/errors.js';
import { logger } from '../lib/logger.js';

/**
 * Domain errors become GraphQL errors with a stable `extensions.code` and their details; any other
 * error thrown in a resolver is logged and reported as INTERNAL_SERVER_ERROR without its message,
 * so internals (SQL, secrets) never reach a client.
 */
export function formatError(formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError {
  const original = unwrapResolverError(error);
  if (original instanceof DomainError) {
    return { ...formatted, message: original.message, extensions: { ...original.details, code: original.code } };
  }
  const code = formatted.extensions?.code;
  if (original instanceof GraphQLError || (code && code !== 'INTERNAL_SERVER_ERROR')) {
    const { stacktrace: _s, limit, ...extensions } = formatted.extensions ?? {};
    return { ...formatted, extensions: limit ? { ...extensions, code: limit } : extensions };
  }
  logger.error({ err: original, path: formatted.path }, 'graphql: unexpected error');
  return { message: 'internal error', locations: formatted.locations, path: formatted.path, extensions: { code: 'INTERNAL_SERVER_ERROR' } };
}
