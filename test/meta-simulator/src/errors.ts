import { fbtraceId } from './util.js';

/** Meta's error body: `{ error: { message, type, code, error_subcode?, error_data: { messaging_product, details }, fbtrace_id } }`. */
export interface GraphErrorBody {
  error: {
    message: string;
    type: string;
    code: number;
    error_subcode?: number;
    error_user_title?: string;
    error_user_msg?: string;
    error_data?: { messaging_product: 'whatsapp'; details: string };
    fbtrace_id: string;
  };
}

/** What Meta adds for people on some errors (request_code's "try again later", for one). */
export interface GraphErrorExtra {
  userTitle?: string;
  userMsg?: string;
}

/** An error the simulator answers as Meta would; thrown by handlers, rendered by the router. */
export class GraphError extends Error {
  constructor(
    readonly httpStatus: number,
    readonly code: number,
    message: string,
    readonly details?: string,
    readonly subcode?: number,
    readonly type: string = 'OAuthException',
    readonly extra: GraphErrorExtra = {},
  ) {
    super(message);
  }

  toBody(): GraphErrorBody {
    return {
      error: {
        message: this.message,
        type: this.type,
        code: this.code,
        ...(this.subcode !== undefined ? { error_subcode: this.subcode } : {}),
        ...(this.extra.userTitle !== undefined ? { error_user_title: this.extra.userTitle } : {}),
        ...(this.extra.userMsg !== undefined ? { error_user_msg: this.extra.userMsg } : {}),
        ...(this.details !== undefined ? { error_data: { messaging_product: 'whatsapp' as const, details: this.details } } : {}),
        fbtrace_id: fbtraceId(),
      },
    };
  }
}

/**
 * The catalogue of errors the simulator produces, with Meta's codes, HTTP statuses and wording.
 * wabahub's client (server/src/meta/meta-errors.ts) maps the same codes to what it does about them.
 */
export const graphErrors = {
  invalidParameter: (details: string) => new GraphError(400, 100, '(#100) Invalid parameter', details),
  unknownObject: (id: string, method = 'POST') =>
    new GraphError(
      400,
      100,
      `Unsupported ${method.toLowerCase()} request. Object with ID '${id}' does not exist, cannot be loaded due to missing permissions, or does not support this operation.`,
      undefined,
      33,
      'GraphMethodException',
    ),
  unknownPath: (path: string) => new GraphError(400, 2500, `Unknown path components: ${path}`),
  nonexistingField: (field: string, nodeType: string) => new GraphError(400, 100, `(#100) Tried accessing nonexisting field (${field}) on node type (${nodeType})`),
  invalidCursor: (name: string) => graphErrors.invalidParameter(`${name}: not a cursor this edge handed out`),
  // Meta answers 400 with code 104 for a missing token; the simulator treats it as the 190 it is
  // about to become, so a client stops the number's sends either way.
  missingToken: () => new GraphError(401, 190, 'An access token is required to request this resource.'),
  invalidToken: () => new GraphError(401, 190, 'Invalid OAuth access token - Cannot parse access token'),
  expiredToken: (at: number) =>
    new GraphError(401, 190, `Error validating access token: Session has expired on ${new Date(at).toUTCString()}.`, undefined, 463),
  permission: (details: string) => new GraphError(403, 200, '(#200) Permissions error', details),
  throughput: () =>
    new GraphError(400, 130429, '(#130429) Rate limit hit', 'Cloud API message throughput has been reached. Try again later.'),
  pairRate: () =>
    new GraphError(
      400,
      131056,
      '(#131056) (Business Account, Consumer Account) pair rate limit hit',
      'Too many messages sent from the sender phone number to the same recipient phone number in a short period of time.',
    ),
  reengagement: () =>
    new GraphError(
      400,
      131047,
      '(#131047) Re-engagement message',
      'Message failed to send because more than 24 hours have passed since the customer last replied to this number.',
    ),
  templateMissing: (details: string) => new GraphError(404, 132001, '(#132001) Template name does not exist in the translation', details),
  templateParams: (details: string) =>
    new GraphError(400, 132000, '(#132000) Number of parameters does not match the expected number of params', details),
  notRegistered: () => new GraphError(400, 133010, '(#133010) Account not registered', 'The phone number is not registered on Cloud API.'),
  // ---- onboarding: the wording of Meta's error-codes page and Graph API reference (see the README's table) ----
  /** POST /{waba}/phone_numbers: Meta's reference lists 200000 for this edge, without saying when; the simulator answers it for a number already on a WABA. */
  cannotAddNumber: (details: string) => new GraphError(400, 200000, '(#200000) Cannot add phone number to WhatsApp Business Account', details),
  /** request_code: the one code Meta's reference lists for this edge (besides 100 and 200). */
  requestCode: (details: string, subcode?: number, extra?: GraphErrorExtra) =>
    new GraphError(400, 136024, '(#136024) Request code error', details, subcode, 'OAuthException', extra),
  /** verify_code: the one code Meta's reference lists for this edge (besides 100). */
  verifyCode: (details: string, extra?: GraphErrorExtra) => new GraphError(400, 136025, '(#136025) Verify code error', details, undefined, 'OAuthException', extra),
  pinMismatch: () =>
    new GraphError(400, 133005, '(#133005) Two step verification PIN Mismatch', 'Verify that the two-step verification PIN included in the request is correct.'),
  needsVerification: () => new GraphError(400, 133006, '(#133006) Phone number re-verification needed', 'Phone number needs to be verified before registering.'),
  registerRateLimit: () =>
    new GraphError(
      400,
      133016,
      '(#133016) Account register/deregister rate limit exceeded',
      'Registration or Deregistration failed because there were too many attempts for this phone number in a short period of time',
    ),
  transient: (code: 1 | 2 | 131000) =>
    code === 1
      ? new GraphError(500, 1, 'An unknown error occurred')
      : code === 2
        ? new GraphError(503, 2, 'An unexpected error has occurred. Please retry your request later.')
        : new GraphError(500, 131000, '(#131000) Something went wrong', 'Something went wrong. Please try again later.'),
  noAppWebhook: () =>
    new GraphError(
      400,
      100,
      '(#100) The app has no callback URL for the whatsapp_business_account object, or is not subscribed to its messages field',
      'Configure the app-level webhook (callback URL, verify token) and subscribe it to the messages field before subscribing the app to a WABA.',
    ),
  callbackVerification: (details: string) => new GraphError(400, 2200, '(#2200) Callback verification failed', details),
} as const;

/** Meta's transient codes, as a fault may inject them. */
export function transientFor(code: number | undefined): GraphError {
  return graphErrors.transient(code === 1 || code === 2 ? code : 131000);
}
