import { fbtraceId } from './util.js';

/** Meta's error body: `{ error: { message, type, code, error_subcode?, error_data: { messaging_product, details }, fbtrace_id } }`. */
export interface GraphErrorBody {
  error: {
    message: string;
    type: string;
    code: number;
    error_subcode?: number;
    error_data?: { messaging_product: 'whatsapp'; details: string };
    fbtrace_id: string;
  };
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
  unknownObject: (id: string) =>
    new GraphError(
      400,
      100,
      `Unsupported post request. Object with ID '${id}' does not exist, cannot be loaded due to missing permissions, or does not support this operation.`,
      undefined,
      33,
      'GraphMethodException',
    ),
  unknownPath: (path: string) => new GraphError(400, 2500, `Unknown path components: ${path}`),
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
