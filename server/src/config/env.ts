// The one typed environment. Every variable is declared here with what it expects; `loadEnv()`
// parses them once at boot and stops start-up with one line naming a missing or malformed value.
// Development defaults are the Meta simulator's documented demo app (test/meta-simulator/README.md).
// Variables flagged `secret` are never printed, logged, put in job data or returned by GraphQL.

type Parser<T> = (raw: string) => T;

interface VariableSpec<T> {
  description: string;
  expects: string;
  parse: Parser<T>;
  default?: string;
  secret?: boolean;
  /** The default only suits development (it points at the simulator's demo app): production must set it. */
  devDefault?: boolean;
  optional?: boolean;
  /** In production, this instead of `default` (e.g. '' for "not set": the feature it serves is off). */
  productionDefault?: string;
}

const url = (protocols: string[]): Parser<string> => (raw) => {
  const parsed = new URL(raw);
  if (!protocols.includes(parsed.protocol)) throw new Error(`protocol ${parsed.protocol}`);
  return raw;
};
const port: Parser<number> = (raw) => {
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new Error('not a port');
  return n;
};
const nonEmpty: Parser<string> = (raw) => {
  if (raw.trim() === '') throw new Error('empty');
  return raw;
};
const key32: Parser<Buffer> = (raw) => {
  const key = Buffer.from(raw, 'base64');
  if (key.length !== 32) throw new Error(`${key.length} bytes`);
  return key;
};
const integer = (min: number, max = Number.MAX_SAFE_INTEGER): Parser<number> => (raw) => {
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) throw new Error(raw);
  return n;
};
const metaIdOrEmpty: Parser<string> = (raw) => {
  if (raw !== '' && !/^\d{5,25}$/.test(raw)) throw new Error('not a Meta id');
  return raw;
};
const minLength = (n: number): Parser<string> => (raw) => {
  if (raw.length < n) throw new Error('too short');
  return raw;
};

function variable<T>(spec: VariableSpec<T>): VariableSpec<T> {
  return spec;
}

export const envSpec = {
  NODE_ENV: variable({ description: 'development | production | test', expects: 'one of development, production, test', default: 'development', parse: (raw) => {
    if (!['development', 'production', 'test'].includes(raw)) throw new Error(raw);
    return raw as 'development' | 'production' | 'test';
  } }),
  DATABASE_URL: variable({ description: 'PostgreSQL, the system of record', expects: 'a postgres:// URL', default: 'postgres://postgres@127.0.0.1:5432/wabahub', parse: url(['postgres:', 'postgresql:']), secret: true }),
  REDIS_URL: variable({ description: 'Redis: queues, pub/sub, limiter buckets (rebuildable from Postgres)', expects: 'a redis:// URL', default: 'redis://127.0.0.1:6379', parse: url(['redis:', 'rediss:']), secret: true }),
  PORT: variable({ description: 'HTTP port of the server role', expects: 'an integer port 0-65535', default: '4000', parse: port }),
  META_GRAPH_URL: variable({ description: 'Graph API base URL (the simulator in dev and tests)', expects: 'an http(s) URL such as https://graph.facebook.com/v21.0', default: 'http://127.0.0.1:4010/v21.0', parse: url(['http:', 'https:']), devDefault: true }),
  META_APP_ID: variable({ description: 'the Meta app id', expects: 'a non-empty app id', default: '880412345678901', parse: nonEmpty, devDefault: true }),
  META_APP_SECRET: variable({ description: 'the Meta app secret: signs webhooks, exchanges codes', expects: 'a non-empty secret', default: 'wabahub-demo-app-secret', parse: nonEmpty, secret: true }),
  META_VERIFY_TOKEN: variable({ description: 'the webhook verify token of the handshake', expects: 'a non-empty token', default: 'wabahub-demo-verify-token', parse: nonEmpty, secret: true }),
  META_SYSTEM_TOKEN: variable({ description: "the app's permanent system-user token, used where a number has no own token", expects: 'a non-empty token', default: 'EAAWabahubDemoSystemUserToken0001', parse: nonEmpty, secret: true }),
  META_BUSINESS_ID: variable({ description: "the business portfolio of the app's system user: quick setup looks for a client's number among its owned and client WABAs. Empty: quick setup is off (Embedded Signup still works)", expects: 'a Meta id (digits) or empty', default: '510020030040050', productionDefault: '', parse: metaIdOrEmpty }),
  META_OPERATOR_WABA_ID: variable({ description: "the operator's own WABA: quick setup adds a number found on no WABA here, then asks Meta to text the client a code. Empty: such numbers need Embedded Signup", expects: 'a Meta id (digits) or empty', default: '102290129340398', productionDefault: '', parse: metaIdOrEmpty }),
  META_APP_CONFIG_ID: variable({ description: "Embedded Signup's configuration id (FB.login config_id) for the invite page's Connect WhatsApp button. Empty: the page opens the simulator's popup (development)", expects: 'a Meta id (digits) or empty', default: '', parse: metaIdOrEmpty }),
  ONBOARDING_INVITE_TTL_HOURS: variable({ description: 'how long an onboarding invite link works (it also works once only)', expects: 'an integer 1-720', default: '72', parse: integer(1, 720) }),
  SECRETS_KEY: variable({ description: 'encrypts tokens at rest (AES-256-GCM)', expects: '32 bytes, base64-encoded (openssl rand -base64 32)', default: 'ZGV2LW9ubHktc2VjcmV0cy1rZXktMzItYnl0ZXMhIT8=', parse: key32, secret: true }),
  OPERATOR_API_KEY: variable({ description: 'the operator key: sees and manages every tenant', expects: 'at least 16 characters', default: 'dev-operator-key-change-me', parse: minLength(16), secret: true }),
  OUTBOUND_CONCURRENCY: variable({ description: 'outbound jobs in flight per worker process: a job is one send or a campaign batch of up to 50 (more only queues work inside the process, behind which replies would wait)', expects: 'an integer 1-1000', default: '16', parse: integer(1, 1000) }),
  META_HTTP_CONNECTIONS: variable({ description: 'keep-alive connections per process to the Graph API; also the most sends a worker has in flight (a send is claimed only when it can leave at once). Meta answers in 100-300 ms, so 1,000 sends/s needs about 200', expects: 'an integer 1-2000', default: '128', parse: integer(1, 2000) }),
  OUTBOUND_RECIPIENT_GAP_MS: variable({ description: "minimum gap between two sends from one number to one recipient (Meta's pair rate: about one per 6 s)", expects: 'an integer number of milliseconds, 0 or more', default: '6000', parse: integer(0) }),
  OUTBOUND_SWEEP_AFTER_MS: variable({ description: 'a queued outbound message that has not moved for this long and has no job (or one out of attempts) is re-enqueued (long: a job may wait minutes for a busy number, and deployments sharing a database must not take each other\'s messages)', expects: 'milliseconds', default: '600000', parse: integer(0) }),
  SWEEP_INTERVAL_MS: variable({ description: 'how often a worker looks for stored webhook events the queue lost', expects: 'milliseconds, 0 to disable', default: '5000', parse: integer(0) }),
  SWEEP_AFTER_MS: variable({ description: 'an unfinished webhook event older than this is re-enqueued', expects: 'milliseconds', default: '30000', parse: integer(0) }),
  API_RATE_LIMIT_PER_MINUTE: variable({ description: 'GraphQL calls a tenant API key may make per minute (a key can be given its own budget); the operator key is not limited', expects: 'an integer 1-1000000', default: '600', parse: integer(1, 1_000_000) }),
  WEBHOOK_COMMIT_TIMEOUT_MS: variable({ description: 'a webhook whose commit in Postgres has not come back in this time is answered 503 (Meta retries it): a hung database or network must not hold Meta\'s requests open', expects: 'milliseconds, at least 1', default: '10000', parse: integer(1) }),
  WEBHOOK_ALLOW_PRIVATE: variable({ description: "tenant webhooks may reach loopback, private and link-local addresses over http (development); production sends only to https URLs whose addresses are public, checked after DNS at each delivery", expects: 'true, false or auto (true unless NODE_ENV is production)', default: 'auto', parse: (raw) => {
    if (!['true', 'false', 'auto'].includes(raw)) throw new Error(raw);
    return raw as 'true' | 'false' | 'auto';
  } }),
  WEBHOOK_TIMEOUT_MS: variable({ description: "how long a tenant webhook delivery waits for the receiver's answer before it counts as a timeout (retried)", expects: 'milliseconds, at least 1', default: '10000', parse: integer(1) }),
  WEBHOOK_RETRY_BASE_MS: variable({ description: 'the first retry of a failed tenant webhook delivery waits about this long, each next one twice as long (with jitter, at most an hour)', expects: 'milliseconds, at least 1', default: '10000', parse: integer(1) }),
  WEBHOOK_GIVE_UP_AFTER_MS: variable({ description: 'a tenant webhook delivery is retried for this long, and an endpoint failing every delivery for this long is disabled (with an alert on the dashboard)', expects: 'milliseconds, at least 1', default: '86400000', parse: integer(1) }),
  WEBHOOK_DELIVERY_CONCURRENCY: variable({ description: 'tenant webhook deliveries in flight per worker process', expects: 'an integer 1-1000', default: '64', parse: integer(1, 1000) }),
  DEMO: variable({ description: 'pnpm start: run the Meta simulator, a demo tenant and live traffic', expects: 'true, false or auto (on when META_GRAPH_URL is not set)', default: 'auto', parse: (raw) => {
    if (!['true', 'false', 'auto'].includes(raw)) throw new Error(raw);
    return raw as 'true' | 'false' | 'auto';
  } }),
  WABAHUB_QUEUE_PREFIX: variable({ description: 'namespace of every Redis key (queues, limiter, pub/sub channels): deployments or test runs sharing one Redis stay apart', expects: 'letters, digits, - and _', default: 'wabahub', parse: (raw) => {
    if (!/^[A-Za-z0-9_-]{1,64}$/.test(raw)) throw new Error(raw);
    return raw;
  } }),
  LOG_LEVEL: variable({ description: 'least level logged: fatal, error, warn, info, debug, trace or silent', expects: 'one of fatal, error, warn, info, debug, trace, silent', default: 'info', parse: (raw) => {
    if (!['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].includes(raw)) throw new Error(raw);
    return raw as 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  } }),
  SIM_PORT: variable({ description: 'port of the Meta simulator in demo mode', expects: 'an integer port', default: '4010', parse: port }),
} as const;

type Spec = typeof envSpec;
export type Env = { [K in keyof Spec]: Spec[K] extends VariableSpec<infer T> ? T : never };

export class EnvError extends Error {}

/** Parses the environment once; throws an EnvError whose message is the one line to print. */
export function parseEnv(source: Record<string, string | undefined> = process.env): Env {
  const out: Record<string, unknown> = {};
  // Development defaults match the simulator's demo app; production must name every secret and
  // Meta itself (a production that fell back to the simulator would send nothing, silently).
  const production = source.NODE_ENV === 'production';
  for (const [name, spec] of Object.entries(envSpec) as [string, VariableSpec<unknown>][]) {
    const raw = source[name] ?? (production ? (spec.productionDefault ?? (spec.secret || spec.devDefault ? undefined : spec.default)) : spec.default);
    if (raw === undefined) throw new EnvError(`${name} is missing: expected ${spec.expects} (${spec.description})`);
    try {
      out[name] = spec.parse(raw);
    } catch {
      // The value itself is not echoed: it may be a secret.
      throw new EnvError(`${name} is malformed: expected ${spec.expects}`);
    }
  }
  return out as Env;
}

/** For process entry points: parse or exit with one line. */
export function loadEnv(): Env {
  try {
    return parseEnv();
  } catch (error) {
    if (error instanceof EnvError) {
      process.stderr.write(`wabahub: ${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
}
