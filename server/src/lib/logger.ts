import { destination as fileDestination, pino, stdSerializers, type Logger, type LoggerOptions } from 'pino';
import pretty from 'pino-pretty';

// One logger for every process role: JSON lines (one object per line) with the ids that tie them
// together (reqId, jobId, queue, tenantId), secrets removed by path before a line is written.
// A person running `pnpm start` in a terminal sees the same lines pretty-printed.

export type { Logger };

/** What code that only writes lines needs of a logger (a request's or a job's child fits). */
export type LogSink = Pick<Logger, 'debug' | 'info' | 'warn' | 'error'>;

/**
 * Where secrets can sit in what we log: credentials in headers, in GraphQL variables and inputs,
 * in job data, in errors. Censored wherever these names appear, up to four levels deep.
 */
const SECRET_KEYS = [
  'authorization', 'x-hub-signature-256', 'x-wabahub-signature', 'cookie',
  'accessToken', 'access_token', 'token', 'systemToken', 'apiKey', 'secret', 'appSecret', 'app_secret',
  'clientSecret', 'client_secret', 'pin', 'password', 'verifyToken', 'hub.verify_token', 'keyHash',
];
const DEPTHS = ['', '*.', '*.*.', '*.*.*.'];
export const REDACTED_PATHS = [
  ...DEPTHS.flatMap((prefix) => SECRET_KEYS.map((key) => (/^[A-Za-z_$][\w$]*$/.test(key) ? `${prefix}${key}` : `${prefix}["${key}"]`))),
  // Embedded Signup's one-time code: only where an input carries it (`code` elsewhere is an error code).
  'variables.input.code', 'input.code', '*.input.code',
  // The SMS code of submitVerificationCode and the new Embedded Signup code of retryOnboarding.
  'variables.code',
];

/** Query parameters that carry secrets (the webhook handshake's verify token, OAuth codes). */
const SECRET_QUERY = /([?&](?:hub\.verify_token|access_token|code|client_secret|token)=)[^&#]*/gi;
export function redactUrl(url: string): string {
  return url.replace(SECRET_QUERY, '$1[Redacted]');
}

/**
 * An error as a log line wants it: type, message, code and stack, and its cause's message. Not
 * its other properties: a database error carries the whole SQL text and its parameters.
 */
function serializeError(error: unknown): unknown {
  if (!(error instanceof Error)) return error;
  const { type, message, stack } = stdSerializers.err(error);
  const cause = (error as { cause?: unknown }).cause;
  const code = (error as { code?: unknown }).code ?? (cause as { code?: unknown } | undefined)?.code;
  return { type, message, ...(code !== undefined ? { code } : {}), stack, ...(cause instanceof Error ? { cause: cause.message } : {}) };
}

export function loggerOptions(level = 'info'): LoggerOptions {
  return {
    level,
    base: { pid: process.pid },
    redact: { paths: REDACTED_PATHS, censor: '[Redacted]' },
    serializers: {
      err: serializeError,
      req: (req: { method?: string; url?: string; id?: string }) => ({ method: req.method, url: req.url ? redactUrl(req.url) : req.url }),
      res: (res: { statusCode?: number }) => ({ statusCode: res.statusCode }),
    },
  };
}

/** Pretty lines for a person at a terminal; JSON everywhere else (files, pipes, tests, production). */
function destination() {
  const interactive = process.stdout.isTTY === true && process.env.NODE_ENV !== 'production';
  return interactive ? pretty({ colorize: true, sync: true, translateTime: 'HH:MM:ss.l', ignore: 'pid,hostname' }) : fileDestination({ sync: true });
}

/** The process's root logger. Its level is set once the environment is parsed (configureLogger). */
export const logger: Logger = pino(loggerOptions(), destination());

/** Applies LOG_LEVEL; call once at boot, before children are made. */
export function configureLogger(options: { level: string; role?: string }): Logger {
  logger.level = options.level;
  if (options.role) logger.setBindings({ role: options.role });
  return logger;
}
