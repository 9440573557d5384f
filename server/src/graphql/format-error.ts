import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import { unwrapResolverError } from '@apollo/server/errors';
import { DomainError } from '../lib/errors.js';
import { logger, type LogSink } from '../lib/logger.js';

export interface FormatErrorOptions {
  /** Told of each error answered INTERNAL_SERVER_ERROR (once it is logged), to count it. */
  onInternal?: (formatted: GraphQLFormattedError) => void;
  /** Where the causes go (the process's logger). */
  log?: LogSink;
}

/**
 * Domain errors become GraphQL errors with a stable `extensions.code` and their details; GraphQL's
 * own errors about the request (validation, variables) keep theirs. Anything else is the server's
 * fault: logged with its cause, counted, and reported as INTERNAL_SERVER_ERROR; an error somebody
 * threw (a resolver, the context) keeps its message to the log, so internals (SQL, secrets) never
 * reach a client.
 */
export function createFormatError(options: FormatErrorOptions = {}) {
  const log = options.log ?? logger;
  const internal = (formatted: GraphQLFormattedError, cause: unknown, message: string): GraphQLFormattedError => {
    log.error({ err: cause, path: formatted.path }, 'graphql: unexpected error');
    const answer = { message, locations: formatted.locations, path: formatted.path, extensions: { code: 'INTERNAL_SERVER_ERROR' } };
    options.onInternal?.(answer);
    return answer;
  };
  return function formatError(formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError {
    const original = unwrapResolverError(error);
    if (original instanceof DomainError) {
      return { ...formatted, message: original.message, extensions: { ...original.details, code: original.code } };
    }
    const code = formatted.extensions?.code;
    const { stacktrace: _s, limit, ...extensions } = formatted.extensions ?? {};
    if (code && code !== 'INTERNAL_SERVER_ERROR') return { ...formatted, extensions: limit ? { ...extensions, code: limit } : extensions };
    if (original instanceof GraphQLError && !original.originalError) {
      // graphql-js's own word, nothing thrown. Without a path it is about the request, before
      // anything ran, and Apollo left it without a code: "Too many errors processing variables"
      // (more than 50 bad values) is one. The caller's fault.
      if (!original.path) return { ...formatted, extensions: code ? { ...extensions, code: 'BAD_USER_INPUT' } : extensions };
      // With a path, it found our answer at fault (null for a non-null field, a value its type
      // cannot serialize): ours. Its message names only the schema's fields, and stays.
      return internal(formatted, original, formatted.message);
    }
    return internal(formatted, original, 'internal error');
  };
}

/** Without counting, for callers that have no metrics. */
export const formatError = createFormatError();
