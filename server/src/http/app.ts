import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import fastifyStatic from '@fastify/static';
import { ApolloServer } from '@apollo/server';
import { fastifyApolloDrainPlugin, fastifyApolloHandler } from '@as-integrations/fastify';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { Transform } from 'node:stream';
import { WebSocketServer } from 'ws';
import { useServer } from 'graphql-ws/use/ws';
import { GraphQLError, Kind, OperationTypeNode, parse, specifiedRules, validate } from 'graphql';
import type { Redis } from 'ioredis';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Env } from '../config/env.js';
import type { DatabaseHandle } from '../db/client.js';
import type { AppContext, Services } from '../graphql/context.js';
import { buildAppSchema } from '../graphql/build-schema.js';
import { queryLimits } from '../graphql/limits.js';
import { createFormatError } from '../graphql/format-error.js';
import type { RedisPubSub } from '../graphql/pubsub.js';
import { DomainError, RateLimitedError } from '../lib/errors.js';
import { ApiRateLimiter } from '../modules/auth/auth.rate-limit.js';
import { queuePrefix } from '../queue/connection.js';
import { withTimeout } from '../lib/timeout.js';
import { sharedSubscriptions } from '../graphql/shared-subscriptions.js';
import { viewerScope } from '../modules/auth/auth.viewer.js';
import { createMetrics, type Metrics } from './metrics.js';
import { logger, redactUrl, type LogSink } from '../lib/logger.js';

export const GRAPHQL_BODY_LIMIT = 256 * 1024;
/**
 * sendCampaign carries up to 100,000 recipients with their variables (about 8 MB): larger bodies,
 * up to this, are read only for an authenticated caller, and run only when they are that mutation.
 */
export const CAMPAIGN_BODY_LIMIT = 16 * 1024 * 1024;
const LARGE_BODY = Symbol('large body');
const DASHBOARD_DIR = fileURLToPath(new URL('../../../web/dist', import.meta.url));

export interface HttpDeps {
  env: Env;
  database: DatabaseHandle;
  redis: Redis;
  pubSub: RedisPubSub;
  services: Services;
  /** Routes added by other domains (webhooks, onboarding) before the server listens. */
  routes?: ((app: FastifyInstance) => Promise<void> | void)[];
  /** Hot routes served by Node's request handler ahead of Fastify (see RawRoute). */
  rawRoutes?: ((metrics: Metrics) => RawRoute)[];
}

/**
 * A route that needs none of Fastify's machinery and is called often enough for it to show: its
 * handler gets Node's request and response. Metrics still count it as a route like any other.
 */
export interface RawRoute {
  method: string;
  path: string;
  handle(request: IncomingMessage, response: ServerResponse): void;
}

/** The one HTTP server: GraphQL over HTTP and websockets, health, metrics, the dashboard. */
export async function createHttpApp(deps: HttpDeps): Promise<FastifyInstance> {
  const { services } = deps;
  const metrics = createMetrics();
  const rawRoutes = new Map((deps.rawRoutes ?? []).map((make) => make(metrics)).map((route) => [`${route.method} ${route.path}`, route]));
  // Once closing, raw routes answer with Connection: close, as Fastify's do: a client that keeps
  // posting on a keep-alive connection (Meta, the simulator) would otherwise hold the close open.
  let closing = false;
  const app = Fastify({
    // Fastify's logger is the process's (JSON lines, secrets redacted); each line of a request
    // carries its reqId. Requests are logged once, at debug, on completion (onResponse below).
    loggerInstance: logger.child({ component: 'http' }) as unknown as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: true, requestIdLogLabel: 'reqId' }),
    bodyLimit: GRAPHQL_BODY_LIMIT, trustProxy: true,
    serverFactory: (fastifyHandler, options) => {
      const server = createServer((request, response) => {
        const query = request.url!.indexOf('?');
        const route = rawRoutes.get(`${request.method} ${query === -1 ? request.url : request.url!.slice(0, query)}`);
        if (!route) return fastifyHandler(request, response);
        if (closing) response.setHeader('connection', 'close');
        const started = performance.now();
        response.once('finish', () => metrics.httpDuration.observe({ method: route.method, route: route.path, status: String(response.statusCode) }, (performance.now() - started) / 1000));
        route.handle(request, response);
      });
      // What Fastify sets on a server it makes itself (its defaults are filled in by now).
      const timeouts = options as { keepAliveTimeout: number; requestTimeout: number; connectionTimeout: number };
      server.keepAliveTimeout = timeouts.keepAliveTimeout;
      server.requestTimeout = timeouts.requestTimeout;
      server.setTimeout(timeouts.connectionTimeout);
      return server;
    },
  });

  app.addHook('preClose', async () => { closing = true; });
  app.addHook('onResponse', async (request, reply) => {
    metrics.httpDuration.observe({ method: request.method, route: request.routeOptions.url ?? 'unmatched', status: String(reply.statusCode) }, reply.elapsedTime / 1000);
    request.log.debug({ method: request.method, url: redactUrl(request.url), status: reply.statusCode, ms: Math.round(reply.elapsedTime) }, 'request completed');
  });

  // Errors outside GraphQL execution (oversize or malformed bodies) still answer in GraphQL's shape.
  app.setErrorHandler((error: Error & { statusCode?: number; code?: string }, request, reply) => {
    const status = error.statusCode ?? 500;
    const code = error.code === 'FST_ERR_CTP_BODY_TOO_LARGE' ? 'PAYLOAD_TOO_LARGE' : status >= 500 ? 'INTERNAL_SERVER_ERROR' : 'BAD_REQUEST';
    if (status >= 500) request.log.error({ err: error }, 'http: request failed');
    const message = code === 'PAYLOAD_TOO_LARGE' ? bodyTooLarge().message : status >= 500 ? 'internal error' : error.message;
    void reply.status(status).send({ errors: [{ message, extensions: { code } }] });
  });

  const schema = await buildAppSchema(deps.pubSub.pubSub as never);
  // Internal errors are counted by root field: a path's first key is the field or its alias, and
  // an alias is the caller's text, so only the schema's own names become labels.
  const rootFields = new Set([schema.getQueryType(), schema.getMutationType(), schema.getSubscriptionType()].flatMap((type) => Object.keys(type?.getFields() ?? {})));
  const formatError = createFormatError({
    onInternal: ({ path }) => {
      const root = path?.[0];
      metrics.graphqlInternalErrors.inc({ field: root === undefined ? 'none' : rootFields.has(String(root)) ? String(root) : 'other' });
    },
  });
  const rateLimiter = new ApiRateLimiter(deps.redis, queuePrefix(deps.env.WABAHUB_QUEUE_PREFIX), deps.env.API_RATE_LIMIT_PER_MINUTE);
  const authenticate = async (authorization: string | undefined, log: LogSink = logger): Promise<AppContext> => {
    try {
      const inviteToken = inviteTokenOf(authorization);
      if (inviteToken) {
        // An invite link's page: no key. Its viewer sees no tenant; only INVITE_FIELDS run (below).
        const invite = await services.onboarding.inviteOrFail(inviteToken, { allowUsed: true });
        const viewer = { kind: 'tenant' as const, tenantId: NO_TENANT, apiKeyId: `invite:${invite.id}`, scope: 'read' as const };
        await rateLimiter.take(viewer);
        return { viewer, services, log, inviteToken };
      }
      const viewer = await services.auth.authenticate(authorization);
      // Every call counts against its key's budget, a subscription once when it connects.
      await rateLimiter.take(viewer);
      return { viewer, services, log };
    } catch (error) {
      if (error instanceof RateLimitedError) {
        throw new GraphQLError(error.message, { extensions: { ...error.details, code: error.code, http: { status: 429, headers: new Map([['retry-after', String(error.retryAfterSeconds)]]) } } });
      }
      // Rejected before validation, so unauthenticated callers never see field suggestions.
      if (error instanceof DomainError) throw new GraphQLError(error.message, { extensions: { code: error.code, http: { status: 401 } } });
      throw error;
    }
  };

  const apollo = new ApolloServer<AppContext>({
    schema,
    formatError,
    validationRules: queryLimits,
    introspection: true,
    includeStacktraceInErrorResponses: false,
    plugins: [
      fastifyApolloDrainPlugin(app),
      {
        async requestDidStart() {
          return {
            async didResolveOperation({ operation, operationName, request, contextValue }) {
              if (contextValue.inviteToken) {
                // An invite's page runs its own onboarding and nothing else.
                const fields = operation?.selectionSet.selections.map((s) => (s.kind === Kind.FIELD ? s.name.value : '?')) ?? [];
                const refused = fields.filter((f) => !INVITE_FIELDS.has(f) && f !== '__typename');
                if (refused.length > 0) throw new GraphQLError(`an invite link may only run ${[...INVITE_FIELDS].join(', ')} (not ${refused.join(', ')})`, { extensions: { code: 'FORBIDDEN', http: { status: 403 } } });
                return;
              }
              // A read key reads: queries and subscriptions, never a mutation.
              if (operation?.operation === 'mutation' && contextValue.viewer.kind === 'tenant' && contextValue.viewer.scope === 'read') {
                throw new GraphQLError('this API key is read-only (scope read): mutations need a key with scope full', { extensions: { code: 'FORBIDDEN', http: { status: 403 } } });
              }
              // Variables at debug only, and redacted by path like every line (tokens, keys, PINs).
              contextValue.log?.debug({ operation: operation?.operation, operationName, variables: request.variables }, 'graphql operation');
            },
            async willSendResponse({ operation, errors }) {
              metrics.graphqlOperations.inc({ operation: operation?.operation ?? 'unknown', outcome: errors?.length ? 'error' : 'ok' });
            },
          };
        },
      },
    ],
  });
  await apollo.start();
  const graphqlHandler = fastifyApolloHandler(apollo, { context: async (request) => authenticate(request.headers.authorization, request.log) });
  app.route({
    method: ['GET', 'POST', 'OPTIONS'], url: '/graphql', bodyLimit: CAMPAIGN_BODY_LIMIT, handler: graphqlHandler,
    // Bodies up to GRAPHQL_BODY_LIMIT for anyone; beyond it, the key is checked before a byte is read.
    preParsing: async (request, reply, payload) => {
      const declared = Number(request.headers['content-length']);
      // No length and no chunked body: nothing to read (a GET).
      if (declared <= GRAPHQL_BODY_LIMIT || (Number.isNaN(declared) && request.headers['transfer-encoding'] === undefined)) return payload;
      const authenticated = await services.auth.authenticate(request.headers.authorization).then(() => true, () => false);
      const limit = authenticated ? CAMPAIGN_BODY_LIMIT : GRAPHQL_BODY_LIMIT;
      if (declared > limit) {
        // Refused before reading: close, or Node would read the whole declared body to reuse the connection.
        reply.header('connection', 'close');
        throw bodyTooLarge();
      }
      return capped(payload, limit, () => { (request as unknown as Record<symbol, boolean>)[LARGE_BODY] = true; });
    },
    preHandler: async (request) => {
      if ((request as unknown as Record<symbol, boolean>)[LARGE_BODY] && !isSendCampaign((request.body as { query?: unknown } | null)?.query)) throw bodyTooLarge();
    },
  });

  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_request, reply) => {
    const [postgres, redis] = await Promise.all([
      deps.database.sql`select 1`.then(() => 'ok', (e: Error) => `down: ${e.message}`),
      withTimeout(deps.redis.ping(), 1000).then(() => 'ok', (e: Error) => `down: ${e.message}`),
    ]);
    const ready = postgres === 'ok' && redis === 'ok';
    return reply.status(ready ? 200 : 503).send({ status: ready ? 'ready' : 'not ready', postgres, redis });
  });
  app.get('/metrics', async (_request, reply) => reply.type(metrics.registry.contentType).send(await metrics.registry.metrics()));

  for (const register of deps.routes ?? []) await register(app);

  if (existsSync(DASHBOARD_DIR)) {
    await app.register(fastifyStatic, { root: DASHBOARD_DIR, wildcard: false });
    // The dashboard is a single-page app: unknown GET paths get its index.
    app.setNotFoundHandler((request, reply) => {
      if (request.method === 'GET' && (request.headers.accept ?? '').includes('text/html')) return reply.sendFile('index.html');
      return reply.status(404).send({ error: 'not found' });
    });
  }

  // graphql-ws shares the HTTP server on /graphql; the key comes in connectionParams.authorization.
  const wsServer = new WebSocketServer({ noServer: true });
  app.server.on('upgrade', (request, socket, head) => {
    if (new URL(request.url ?? '/', 'http://x').pathname !== '/graphql') return socket.destroy();
    wsServer.handleUpgrade(request, socket, head, (ws) => wsServer.emit('connection', ws, request));
  });
  // The same limits and error shapes as over HTTP: a socket is no way around them.
  const formatAll = (errors: readonly GraphQLError[], fallbackCode?: string) => errors.map((e) => {
    const formatted = formatError(e.toJSON(), e);
    return fallbackCode && !formatted.extensions?.code ? { ...formatted, extensions: { ...formatted.extensions, code: fallbackCode } } : formatted;
  });
  const wsCleanup = useServer<{ authorization?: string }, { context?: AppContext }>({
    schema,
    validate: (s, document) => validate(s, document, [...specifiedRules, ...queryLimits]),
    // Sockets of one scope asking the same thing share one execution per event (see there).
    subscribe: sharedSubscriptions((contextValue) => viewerScope((contextValue as AppContext).viewer)),
    onError: (_ctx, _id, _payload, errors) => formatAll(errors, 'GRAPHQL_VALIDATION_FAILED'),
    onNext: (_ctx, _id, _payload, _args, result) => (result.errors ? { ...result, errors: formatAll(result.errors) } : undefined),
    onConnect: async (ctx) => {
      // Invite pages poll over HTTP; sockets are for keys.
      if (inviteTokenOf(ctx.connectionParams?.authorization)) return false;
      try {
        ctx.extra.context = await authenticate(ctx.connectionParams?.authorization);
        return true;
      } catch {
        return false; // closes with 4403 Forbidden
      }
    },
    context: (ctx) => ctx.extra.context!,
  }, wsServer);
  app.addHook('onClose', async () => {
    await wsCleanup.dispose();
    wsServer.close();
  });

  return app;
}

/** The root fields an onboarding invite link's token may run (without an API key). */
const INVITE_FIELDS = new Set(['onboardingInvite', 'quickSetup', 'startEmbeddedSignup', 'onboardingRun', 'submitVerificationCode', 'retryOnboarding', 'ruleTemplates']);
/** The tenant of an invite's viewer: none exists with this id, so every tenant-scoped query finds nothing. */
const NO_TENANT = '00000000-0000-0000-0000-000000000000';

function inviteTokenOf(authorization: string | undefined): string | null {
  const match = /^Bearer\s+(whi_\S+)$/i.exec(authorization?.trim() ?? '');
  return match ? match[1] : null;
}

function bodyTooLarge(): Error {
  return Object.assign(new Error(`request body exceeds ${GRAPHQL_BODY_LIMIT} bytes; only sendCampaign, by an authenticated caller, may send up to ${CAMPAIGN_BODY_LIMIT} bytes`), { statusCode: 413, code: 'FST_ERR_CTP_BODY_TOO_LARGE' });
}

/** Whether `query` is one mutation with the one field sendCampaign. */
function isSendCampaign(query: unknown): boolean {
  if (typeof query !== 'string') return false;
  try {
    const document = parse(query, { noLocation: true });
    if (document.definitions.length !== 1) return false;
    const [operation] = document.definitions;
    if (operation.kind !== Kind.OPERATION_DEFINITION || operation.operation !== OperationTypeNode.MUTATION) return false;
    const fields = operation.selectionSet.selections;
    return fields.length === 1 && fields[0].kind === Kind.FIELD && fields[0].name.value === 'sendCampaign';
  } catch {
    return false;
  }
}

/** The request stream, failing with 413 past `limit` bytes, and calling `onLarge` once it passes GRAPHQL_BODY_LIMIT. */
function capped(payload: NodeJS.ReadableStream, limit: number, onLarge: () => void): NodeJS.ReadableStream {
  let seen = 0;
  return payload.pipe(new Transform({
    transform(chunk: Buffer, _encoding, done) {
      const before = seen;
      seen += chunk.length;
      if (before <= GRAPHQL_BODY_LIMIT && seen > GRAPHQL_BODY_LIMIT) onLarge();
      done(seen > limit ? bodyTooLarge() : null, chunk);
    },
  }));
}
