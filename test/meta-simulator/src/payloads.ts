import type { MessageStatus, PhoneNumberRecord, TemplateRecord, WabaRecord } from './types.js';
import { unixSeconds } from './util.js';

/** One `changes[]` item plus the WABA whose entry carries it. */
export interface WebhookChange {
  wabaId: string;
  field: 'messages' | 'message_template_status_update' | 'account_update' | 'phone_number_quality_update';
  value: Record<string, unknown>;
  /** Entry-level `time` (epoch seconds): Meta sets it on template and account updates, not on messages. */
  time?: number;
}

export interface WebhookBody {
  object: 'whatsapp_business_account';
  entry: { id: string; time?: number; changes: { field: string; value: Record<string, unknown> }[] }[];
}

/** Groups changes into entries by WABA, keeping their order: one POST may carry several WABAs. */
export function envelope(changes: WebhookChange[]): WebhookBody {
  const entries: WebhookBody['entry'] = [];
  const byWaba = new Map<string, WebhookBody['entry'][number]>();
  for (const change of changes) {
    let entry = byWaba.get(change.wabaId);
    if (!entry) {
      entry = { id: change.wabaId, ...(change.time !== undefined ? { time: change.time } : {}), changes: [] };
      byWaba.set(change.wabaId, entry);
      entries.push(entry);
    }
    entry.changes.push({ field: change.field, value: change.value });
  }
  return { object: 'whatsapp_business_account', entry: entries };
}

function metadata(number: PhoneNumberRecord) {
  return { display_phone_number: number.displayPhoneNumber, phone_number_id: number.id };
}

export interface StatusInput {
  number: PhoneNumberRecord;
  messageId: string;
  status: MessageStatus;
  recipient: string;
  at: number;
  /** Conversation of this (number, recipient, category); billing info rides on sent and delivered. */
  conversation?: { id: string; category: string; expiresAt: number };
  error?: { code: number; title: string; details: string };
  /** What the send carried in biz_opaque_callback_data: Meta echoes it in every status of that message. */
  bizOpaqueCallbackData?: string;
}

export function statusChange(input: StatusInput): WebhookChange {
  const status: Record<string, unknown> = {
    id: input.messageId,
    status: input.status,
    timestamp: unixSeconds(input.at),
    recipient_id: input.recipient,
  };
  if (input.bizOpaqueCallbackData !== undefined) status.biz_opaque_callback_data = input.bizOpaqueCallbackData;
  if (input.conversation && (input.status === 'sent' || input.status === 'delivered')) {
    const category = input.conversation.category;
    status.conversation = {
      id: input.conversation.id,
      ...(input.status === 'sent' ? { expiration_timestamp: unixSeconds(input.conversation.expiresAt) } : {}),
      origin: { type: category },
    };
    // Per-message pricing (PMP): service conversations are free, templates are billed by category.
    status.pricing = { billable: category !== 'service', pricing_model: 'PMP', category };
  }
  if (input.error) {
    status.errors = [
      { code: input.error.code, title: input.error.title, message: input.error.title, error_data: { details: input.error.details } },
    ];
  }
  return {
    wabaId: input.number.wabaId,
    field: 'messages',
    value: { messaging_product: 'whatsapp', metadata: metadata(input.number), statuses: [status] },
  };
}

export function inboundChange(number: PhoneNumberRecord, from: string, name: string, message: Record<string, unknown>): WebhookChange {
  return {
    wabaId: number.wabaId,
    field: 'messages',
    value: {
      messaging_product: 'whatsapp',
      metadata: metadata(number),
      contacts: [{ profile: { name }, wa_id: from }],
      messages: [message],
    },
  };
}

export function templateStatusChange(template: TemplateRecord, at: number = Date.now()): WebhookChange {
  return {
    wabaId: template.wabaId,
    field: 'message_template_status_update',
    time: Math.floor(at / 1000),
    value: {
      event: template.status,
      // A number here, unlike the string id of the Graph API's template list: Meta's own inconsistency.
      message_template_id: Number(template.id),
      message_template_name: template.name,
      message_template_language: template.language,
      reason: template.reason,
    },
  };
}

/** Embedded Signup's completion notice: Meta sends it to the app, whether or not the WABA subscribed it yet. */
export function partnerAddedChange(waba: WabaRecord, appId: string, at: number = Date.now()): WebhookChange {
  return {
    wabaId: waba.id,
    field: 'account_update',
    time: Math.floor(at / 1000),
    value: {
      event: 'PARTNER_ADDED',
      waba_info: { waba_id: waba.id, owner_business_id: waba.ownerBusinessId, partner_app_id: appId },
    },
  };
}

/** A number's quality or messaging limit changed: Meta tells the WABA's subscribed apps. */
export function qualityUpdateChange(number: PhoneNumberRecord, event: 'UPGRADE' | 'DOWNGRADE' | 'FLAGGED' | 'UNFLAGGED', at: number = Date.now()): WebhookChange {
  return {
    wabaId: number.wabaId,
    field: 'phone_number_quality_update',
    time: Math.floor(at / 1000),
    value: { display_phone_number: number.displayPhoneNumber, event, current_limit: number.messagingLimitTier },
  };
}
