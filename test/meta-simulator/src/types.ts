/** Messages per second a number may send: 80 by default, 1000 once upgraded, 20 when shared with the WhatsApp Business app. */
export type ThroughputTier = 20 | 80 | 1000;
export type QualityRating = 'GREEN' | 'YELLOW' | 'RED';
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

export interface WabaRecord {
  id: string;
  name: string;
  ownerBusinessId: string;
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
}

export interface TokenRecord {
  token: string;
  /** system: a system user's token, granted some WABAs; business: from Embedded Signup's code exchange, one WABA. */
  kind: 'system' | 'business';
  wabaIds: string[];
  userId: string;
  createdAt: number;
  /** Epoch ms; null never expires (Meta's system user and business integration tokens). */
  expiresAt: number | null;
}

export interface CodeRecord {
  code: string;
  wabaId: string;
  phoneNumberId: string | null;
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
