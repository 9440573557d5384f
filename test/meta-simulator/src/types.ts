/** Messages per second a number may send: 80 by default, 1000 once upgraded, 20 when shared with the WhatsApp Business app. */
export type ThroughputTier = 20 | 80 | 1000;
/** UNKNOWN: a number too new (or too idle) to have a rating, as Meta reports it. */
export type QualityRating = 'GREEN' | 'YELLOW' | 'RED' | 'UNKNOWN';
/** Meta's code_verification_status: a number added by API starts NOT_VERIFIED until verify_code succeeds. */
export type CodeVerificationStatus = 'NOT_VERIFIED' | 'VERIFIED' | 'EXPIRED';
/** Meta's name_status of the display name. */
export type NameStatus = 'APPROVED' | 'PENDING_REVIEW' | 'DECLINED' | 'EXPIRED' | 'NONE';
/** Meta's messaging_limit_tier: unique customers a business may start conversations with in 24 h. */
export type MessagingLimitTier = 'TIER_250' | 'TIER_1K' | 'TIER_10K' | 'TIER_100K' | 'TIER_UNLIMITED';
export type CanSendMessage = 'AVAILABLE' | 'LIMITED' | 'BLOCKED';
export type HealthEntityType = 'PHONE_NUMBER' | 'WABA' | 'BUSINESS' | 'APP';
export type TemplateStatus = 'PENDING' | 'APPROVED' | 'REJECTED' | 'PAUSED' | 'DISABLED';
export type TemplateCategory = 'MARKETING' | 'UTILITY' | 'AUTHENTICATION';
export type MessageStatus = 'sent' | 'delivered' | 'read' | 'failed';
export type InboundKind = 'text' | 'button' | 'list' | 'location' | 'image';

export interface AppConfig {
  appId: string;
  appSecret: string;
  /** The token Meta echoes in the GET verification handshake. */
  verifyToken: string;
  /** The app-level webhook ("callback URL" in the app dashboard); null until configured. */
  webhookUrl: string | null;
  /** Webhook fields the app subscribed to on the whatsapp_business_account object. */
  fields: string[];
}

/** A Meta business portfolio (Business Manager): it owns WABAs, and its system users' tokens act for it. */
export interface BusinessRecord {
  id: string;
  name: string;
}

export interface WabaRecord {
  id: string;
  name: string;
  ownerBusinessId: string;
  /** Partner businesses the WABA is shared with (Embedded Signup): it is a *client* WABA for them. */
  partnerBusinessIds: string[];
  /** Whether our app is in the WABA's subscribed_apps: Meta only sends a WABA's webhooks to apps subscribed to it. */
  subscribed: boolean;
  overrideCallbackUri: string | null;
}

export interface PhoneNumberRecord {
  id: string;
  wabaId: string;
  /** E.164 digits, as in webhook metadata. */
  displayPhoneNumber: string;
  verifiedName: string;
  quality: QualityRating;
  tier: ThroughputTier;
  /** Registered for Cloud API (POST /{id}/register); an unregistered number cannot send (133010). */
  registered: boolean;
  /** Two-step verification PIN, set by the first successful register. */
  pin: string | null;
  codeVerificationStatus: CodeVerificationStatus;
  nameStatus: NameStatus;
  messagingLimitTier: MessagingLimitTier;
  /** A status Meta imposed (BANNED, FLAGGED, RESTRICTED, ...), reported instead of CONNECTED/PENDING; null: none. */
  statusOverride: string | null;
  /** The code the last request_code "sent", until verified, replaced or expired. */
  verification: { code: string; method: 'SMS' | 'VOICE'; language: string; sentAt: number; expiresAt: number; wrongAttempts: number } | null;
  /** Epoch ms of recent request_code calls (rate limit). */
  codeRequests: number[];
  /** Epoch ms of recent register and deregister calls (Meta: 10 per number in a moving 72 h window). */
  registerAttempts: number[];
}

/** A verification code the simulator "sent" by SMS or voice call: what the business owner's phone shows. */
export interface SmsRecord {
  /** The number the code was sent to, E.164 digits. */
  phone: string;
  phoneNumberId: string;
  code: string;
  method: 'SMS' | 'VOICE';
  language: string;
  text: string;
  /** ISO time. */
  sentAt: string;
}

/** A problem Meta's health_status reports on one entity (payment method, business verification, policy, ...). */
export interface HealthIssue {
  entityType: HealthEntityType;
  id: string;
  canSendMessage: Exclude<CanSendMessage, 'AVAILABLE'>;
  errorCode: number;
  errorDescription: string;
  possibleSolution: string;
}

export interface TokenRecord {
  token: string;
  /** system: a system user's token, granted some WABAs; business: from Embedded Signup's code exchange, one WABA. */
  kind: 'system' | 'business';
  /** WABAs the token may act on: granted whatsapp_business_management (and, unless in noMessaging, whatsapp_business_messaging). */
  wabaIds: string[];
  /** WABAs of wabaIds on which whatsapp_business_messaging was not granted: sends are refused with 200. */
  noMessaging: string[];
  /** The business portfolio the token's (system) user belongs to. */
  businessId: string | null;
  userId: string;
  createdAt: number;
  /** Epoch ms; null never expires (Meta's system user and business integration tokens). */
  expiresAt: number | null;
}

export interface CodeRecord {
  code: string;
  wabaId: string;
  phoneNumberId: string | null;
  /** The scopes the exchanged token gets on the WABA (default both WhatsApp scopes; [] leaves the WABA out). */
  scopes: string[];
  expiresAt: number;
  used: boolean;
}

export interface TemplateComponent {
  type: string;
  text?: string;
  format?: string;
  buttons?: unknown[];
  [key: string]: unknown;
}

export interface TemplateRecord {
  id: string;
  wabaId: string;
  name: string;
  language: string;
  category: TemplateCategory;
  status: TemplateStatus;
  components: TemplateComponent[];
  /** Distinct {{n}} placeholders in the BODY component; a send must pass exactly this many body parameters. */
  variableCount: number;
  reason: string;
}

export interface StatusDelays {
  sent: number;
  delivered: number;
  /** null: the customer never reads. */
  read: number | null;
}

export interface WebhookDeliverySettings {
  /** Our receiver must answer within this, or the attempt counts as failed. */
  timeoutMs: number;
  maxAttempts: number;
  /** First retry after this; each next retry doubles it (Meta's exponential backoff, scaled down). */
  backoffMs: number;
  /** > 0: changes emitted within this many ms share one POST (several entries/changes), like Meta's batching. */
  batchMs: number;
}

export interface Scenario {
  statusDelaysMs: StatusDelays;
  /** Share of accepted messages that end `failed` with 131026 instead of being delivered. */
  failureRatio: number;
  /** Share of status webhooks delivered twice. */
  duplicateRatio: number;
  /** Share of messages whose `read` is delivered before their `delivered`. */
  reorderRatio: number;
  /** Minimum ms between two messages from one number to one recipient (131056); 0 disables. */
  pairRateWindowMs: number;
  /** Length of the customer service window opened by an inbound message (24 h); 0 disables the check. */
  customerWindowMs: number;
  /** sync: a closed window is answered 400/131047; status: accepted, then a `failed` status with 131047 (what Meta mostly does). */
  windowErrorMode: 'sync' | 'status';
  templateReviewDelayMs: number;
  /** A display name added by POST /{waba}/phone_numbers stays PENDING_REVIEW this long, then APPROVED. */
  nameReviewDelayMs: number;
  /** request_code: at most this many codes per number within codeRequestWindowMs (then 136024). */
  maxCodeRequests: number;
  codeRequestWindowMs: number;
  /** A code stops working this long after it was sent. */
  codeTtlMs: number;
  /** verify_code: wrong codes allowed before the code is void and a new one must be requested. */
  maxVerifyAttempts: number;
  /** register/deregister: at most this many calls per number within registerWindowMs (then 133016). Meta: 10 in 72 h. */
  maxRegisterAttempts: number;
  registerWindowMs: number;
  /** auto: APPROVED unless the name contains "reject". */
  templateReview: 'auto' | 'approve' | 'reject';
  webhook: WebhookDeliverySettings;
}

export type FaultKind = 'http_5xx' | 'slow' | 'drop' | 'token_expired' | 'error';

export interface FaultSpec {
  /**
   * http_5xx: answer a transient Meta error (code 1, 2 or 131000; default 131000, HTTP 500/503).
   * slow: wait delayMs, then answer normally (the request still takes effect).
   * drop: destroy the socket without answering.
   * token_expired: answer 190/463 as if the caller's token had expired.
   * error: answer any Meta error: code, status (default 400), subcode, message.
   */
  kind: FaultKind;
  /** Apply to the next N matching requests, then disappear. */
  next?: number;
  /** Or apply to this share of matching requests until cleared. */
  ratio?: number;
  delayMs?: number;
  code?: number;
  status?: number;
  subcode?: number;
  message?: string;
}

export interface FaultRecord extends FaultSpec {
  id: number;
  /** A phone number id or WABA id (the Graph path's first segment), or '*' for every Graph request. */
  target: string;
  hits: number;
}

export interface RequestLogEntry {
  seq: number;
  /** ISO time the request arrived. */
  time: string;
  /** Epoch ms (fractional) when the answer was decided; for accepted sends, the instant the limiter counted. */
  ts: number;
  method: string;
  /** Path as received (a /vNN.N prefix included). */
  path: string;
  query: Record<string, string>;
  body: unknown;
  /** Which kind of credential the caller used. */
  auth: 'none' | 'system' | 'business' | 'app' | 'invalid';
  /** The Graph object the path addressed (phone number or WABA id), if any. */
  target: string | null;
  /** HTTP status answered; 0 when the connection was dropped. */
  status: number;
  response: unknown;
  durationMs: number;
  /** For POST /{id}/messages: accepted message, mark-as-read, or the Meta error code. */
  outcome?: 'accepted' | 'read' | 'rejected' | 'dropped';
  errorCode?: number;
  messageId?: string;
  fault?: FaultKind;
}

export interface DeliveryAttempt {
  at: string;
  ts: number;
  /** Receiver's HTTP status; absent when the request failed (timeout, refused). */
  status?: number;
  error?: string;
  durationMs: number;
}

export interface DeliveryRecord {
  id: number;
  url: string | null;
  /** Exactly the bytes POSTed (and signed). */
  body: string;
  signature: string;
  fields: string[];
  wabaIds: string[];
  attempts: DeliveryAttempt[];
  /** Our last receiver answer: HTTP status, or 0 for none. */
  finalStatus: number;
  acknowledged: boolean;
  done: boolean;
  /** Why nothing was sent at all. */
  skipped?: 'no_webhook_url' | 'waba_not_subscribed' | 'field_not_subscribed' | 'simulator_closed';
  duplicate?: boolean;
}

export interface OutboundMessageRecord {
  id: string;
  phoneNumberId: string;
  wabaId: string;
  to: string;
  type: string;
  templateName: string | null;
  acceptedAt: number;
  body: unknown;
  statuses: { status: MessageStatus; at: number }[];
}

export interface NumberStats {
  phoneNumberId: string;
  tier: ThroughputTier;
  accepted: number;
  rejected: Record<string, number>;
  /** Most messages accepted within any sliding 1-second window. */
  busiestWindow: number;
  inbound: number;
}

export interface SimStats {
  numbers: Record<string, NumberStats>;
  deliveries: { total: number; acknowledged: number; failed: number; pending: number; skipped: number; attempts: number };
  requests: number;
}
