// The one mapping from Meta's error codes to what wabahub does about them. The send worker, the
// onboarding steps and the ingest of `failed` status callbacks all classify through here, so a code
// means the same thing wherever it shows up (docs: /work/shared/meta-cloud-api.md, "Limits and error codes").

/**
 * What a Meta error asks of us:
 * - transient: Meta hiccuped (1, 2, 131000, HTTP 5xx). Retry the same request with backoff.
 * - network: the request never got a clear answer (timeout, reset, dropped connection). Retry with
 *   backoff, idempotently: Meta may have accepted the message anyway.
 * - rate_limited_number: the number's throughput is spent (130429). Back off the whole number, retry.
 * - rate_limited_recipient: pair rate limit (131056). Delay this recipient only; other sends go on.
 * - window_closed: the 24 h customer window is closed (131047). Never retry; only a template may go.
 * - policy_limited: spam or per-user marketing limits (131048, 131049). Stop, surface to the tenant.
 * - token: the credential is invalid, expired or lacks access (190, 10, 200). Stop the number's sends,
 *   alert the operator.
 * - terminal: anything else we asked wrongly or cannot deliver (100, 131026, 132xxx, unknown 4xx).
 *   Fail this message with Meta's message; retrying changes nothing.
 */
export type MetaErrorKind =
  | 'transient'
  | 'network'
  | 'rate_limited_number'
  | 'rate_limited_recipient'
  | 'window_closed'
  | 'policy_limited'
  | 'token'
  | 'terminal';

interface Classification {
  kind: MetaErrorKind;
  /** Suggested first wait before a retry; callers grow it exponentially. Absent when not retryable. */
  backoffMs?: number;
}

const RETRYABLE_KINDS: ReadonlySet<MetaErrorKind> = new Set(['transient', 'network', 'rate_limited_number', 'rate_limited_recipient']);

/** Meta's codes we act on specifically. Codes not listed fall back on the HTTP status (see classifyMetaError). */
export const META_ERROR_TABLE: Readonly<Record<number, Classification & { meaning: string }>> = {
  1: { kind: 'transient', backoffMs: 1_000, meaning: 'unknown error (API unavailable)' },
  2: { kind: 'transient', backoffMs: 1_000, meaning: 'service temporarily unavailable' },
  131000: { kind: 'transient', backoffMs: 1_000, meaning: 'something went wrong' },
  // The app-wide call budget: everything from this app waits, so back off long.
  4: { kind: 'transient', backoffMs: 60_000, meaning: 'application request limit reached' },
  130429: { kind: 'rate_limited_number', backoffMs: 1_000, meaning: "the number's throughput limit reached" },
  // Meta allows about one message per 6 s to one recipient.
  131056: { kind: 'rate_limited_recipient', backoffMs: 6_000, meaning: 'pair rate limit: too many messages to one recipient' },
  131047: { kind: 'window_closed', meaning: 'more than 24 h since the customer last wrote: a template is needed' },
  131048: { kind: 'policy_limited', meaning: 'spam rate limit hit' },
  131049: { kind: 'policy_limited', meaning: 'per-user marketing message limit' },
  131026: { kind: 'terminal', meaning: 'message undeliverable' },
  100: { kind: 'terminal', meaning: 'invalid parameter' },
  190: { kind: 'token', meaning: 'access token invalid or expired' },
  10: { kind: 'token', meaning: 'the token lacks the permission for this action' },
  200: { kind: 'token', meaning: 'the token lacks access to this object' },
};

export function classifyMetaError(code: number, httpStatus: number): Classification {
  const known = META_ERROR_TABLE[code];
  if (known) return { kind: known.kind, backoffMs: known.backoffMs };
  if (httpStatus >= 500) return { kind: 'transient', backoffMs: 1_000 };
  if (httpStatus === 429) return { kind: 'rate_limited_number', backoffMs: 1_000 };
  if (httpStatus === 401) return { kind: 'token' };
  return { kind: 'terminal' };
}

/** Meta's error body, as the Graph API answers it. */
export interface MetaErrorBody {
  error?: {
    message?: string;
    type?: string;
    code?: number;
    error_subcode?: number;
    error_user_msg?: string;
    error_data?: { messaging_product?: string; details?: string } | string;
    fbtrace_id?: string;
  };
}

/** One entry of `statuses[].errors` in a `failed` status callback. */
export interface MetaStatusError {
  code: number;
  title?: string;
  message?: string;
  error_data?: { details?: string };
}

export interface MetaApiErrorInit {
  message: string;
  code: number;
  httpStatus: number;
  subcode?: number;
  type?: string;
  details?: string;
  fbtraceId?: string;
  /** Overrides the table, for the network error. */
  kind?: MetaErrorKind;
  backoffMs?: number;
  cause?: unknown;
}

/** An error Meta answered (or, for MetaNetworkError, failed to answer), classified once. Carries no token or secret. */
export class MetaApiError extends Error {
  readonly code: number;
  readonly subcode: number | undefined;
  readonly httpStatus: number;
  readonly type: string | undefined;
  readonly kind: MetaErrorKind;
  readonly retryable: boolean;
  readonly backoffMs: number | undefined;
  readonly details: string | undefined;
  readonly fbtraceId: string | undefined;

  constructor(init: MetaApiErrorInit) {
    super(init.message, init.cause === undefined ? undefined : { cause: init.cause });
    this.name = new.target.name;
    this.code = init.code;
    this.subcode = init.subcode;
    this.httpStatus = init.httpStatus;
    this.type = init.type;
    this.details = init.details;
    this.fbtraceId = init.fbtraceId;
    const classified = init.kind ? { kind: init.kind, backoffMs: init.backoffMs } : classifyMetaError(init.code, init.httpStatus);
    this.kind = classified.kind;
    this.retryable = RETRYABLE_KINDS.has(classified.kind);
    this.backoffMs = this.retryable ? (init.backoffMs ?? classified.backoffMs ?? 1_000) : undefined;
  }

  /**
   * From a Graph API answer. A body without Meta's `error` object (a proxy's HTML 502, say) keeps
   * code 0 and is classified by its HTTP status alone.
   */
  static fromResponse(httpStatus: number, body: unknown): MetaApiError {
    const error = (body as MetaErrorBody | null)?.error;
    if (!error || typeof error !== 'object') {
      return new MetaApiError({ message: `Graph API answered HTTP ${httpStatus} without an error body`, code: 0, httpStatus });
    }
    const data = error.error_data;
    const details = typeof data === 'string' ? data : (data?.details ?? error.error_user_msg);
    return new MetaApiError({
      message: error.message ?? `Graph API error ${error.code ?? 0}`,
      code: typeof error.code === 'number' ? error.code : 0,
      httpStatus,
      subcode: error.error_subcode,
      type: error.type,
      details,
      fbtraceId: error.fbtrace_id,
    });
  }

  /** From a `failed` status callback's `errors[0]`: the same codes, reported after the fact. */
  static fromStatusError(error: MetaStatusError): MetaApiError {
    return new MetaApiError({
      message: error.message ?? error.title ?? `Meta error ${error.code}`,
      code: error.code,
      httpStatus: 0,
      details: error.error_data?.details,
    });
  }

  toJSON() {
    return {
      name: this.name,
      message: this.message,
      code: this.code,
      subcode: this.subcode,
      httpStatus: this.httpStatus,
      kind: this.kind,
      retryable: this.retryable,
      backoffMs: this.backoffMs,
      details: this.details,
      fbtraceId: this.fbtraceId,
    };
  }
}

/** Codes of the errors that never reached an answer from Meta; negative so they cannot clash with Meta's. */
export const NETWORK_TIMEOUT_CODE = -1;
export const NETWORK_CONNECTION_CODE = -2;

/**
 * No usable answer: the request timed out, or the connection was refused, reset or dropped.
 * Retryable, but Meta may have acted on the request, so sends must be idempotent on our side.
 */
export class MetaNetworkError extends MetaApiError {
  readonly reason: 'timeout' | 'connection';

  constructor(reason: 'timeout' | 'connection', message: string, cause?: unknown) {
    super({
      message,
      code: reason === 'timeout' ? NETWORK_TIMEOUT_CODE : NETWORK_CONNECTION_CODE,
      httpStatus: 0,
      kind: 'network',
      backoffMs: 1_000,
      cause,
    });
    this.reason = reason;
  }
}

export function isMetaApiError(error: unknown): error is MetaApiError {
  return error instanceof MetaApiError;
}
