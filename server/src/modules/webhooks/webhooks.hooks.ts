import type { JobDeps } from '../../queue/job-types.js';
import type { MetaMessage } from '../../meta/webhook-payload.js';

// The after-commit hooks of inbound processing: once a job's changes are committed, each hook is
// told what was newly stored (customers' messages, status moves, template and account events),
// each item with its tenant. This is where other domains plug into inbound traffic (automation
// rules, tenant webhooks' outbox, onboarding's first-message check, template statuses) without
// the processor knowing them. The registry (queue/registry.ts) lists the hooks.
//
// DELIVERY IS AT LEAST ONCE. A job's events stay `committed` until every hook has returned; a
// worker killed in between, or a hook that throws, leaves them so, and the job's retry (or the
// sweeper, if Redis lost the job) runs the hooks again with the same items, re-read from
// Postgres (`redelivered: true`). So a hook must be idempotent: key what it writes on the items'
// ids (a unique index), never on "this is the first time I see it". And a hook must finish what
// must not be lost in Postgres before it returns: once it returns, it is not called again.

/** A customer's message stored by this job (never our own messages, statuses or echoes). */
export interface CommittedMessage {
  id: string;
  tenantId: string;
  instanceId: string | null;
  /** wabahub's id of the business number it was sent to. */
  phoneNumberRowId: string;
  contactId: string;
  /** The customer's WhatsApp id (digits). */
  waId: string;
  wamid: string;
  type: string;
  text: string | null;
  payload: MetaMessage;
  /** When Meta says the customer sent it. */
  sentAt: Date;
  webhookEventId: number;
}

/** A status Meta reported for one of our messages, stored by this job. */
export interface CommittedStatus {
  tenantId: string;
  /** The message it is about; null when we do not (yet) know the wamid, or it is another tenant's. */
  messageId: string | null;
  wamid: string;
  status: string;
  occurredAt: Date;
  errorCode: number | null;
  errorTitle: string | null;
  recipientWaId: string | null;
  webhookEventId: number;
}

/** A `message_template_status_update`: Meta approved, rejected, paused... one of a WABA's templates. */
export interface CommittedTemplateStatus {
  tenantId: string | null;
  wabaId: string;
  name: string;
  language: string;
  event: string;
  reason: string | null;
  metaTemplateId: string | null;
  webhookEventId: number;
}

/** Any other account-level change (account_update, phone_number_quality_update, ...), by WABA. */
export interface CommittedAccountEvent {
  tenantId: string | null;
  wabaId: string;
  field: string;
  event: string | null;
  value: Record<string, unknown>;
  webhookEventId: number;
  changeRef: string;
}

export interface InboundCommit {
  eventIds: number[];
  messages: CommittedMessage[];
  statuses: CommittedStatus[];
  templateStatuses: CommittedTemplateStatus[];
  accountEvents: CommittedAccountEvent[];
  /** True when the items were re-read after an interruption: a hook may have seen them already. */
  redelivered: boolean;
}

export interface InboundHook {
  /** For logs and errors. */
  name: string;
  /** Idempotent (see above). Throwing retries the job's hooks later; it never undoes the commit. */
  afterCommit(deps: JobDeps, commit: InboundCommit): Promise<void>;
}

export function emptyCommit(redelivered = false): InboundCommit {
  return { eventIds: [], messages: [], statuses: [], templateStatuses: [], accountEvents: [], redelivered };
}

export function mergeCommits(commits: InboundCommit[]): InboundCommit {
  const merged = emptyCommit(commits.some((c) => c.redelivered));
  for (const c of commits) {
    merged.eventIds.push(...c.eventIds);
    merged.messages.push(...c.messages);
    merged.statuses.push(...c.statuses);
    merged.templateStatuses.push(...c.templateStatuses);
    merged.accountEvents.push(...c.accountEvents);
  }
  return merged;
}

export function isEmptyCommit(commit: InboundCommit): boolean {
  return commit.messages.length + commit.statuses.length + commit.templateStatuses.length + commit.accountEvents.length === 0;
}

/** Runs every hook in order; the first that throws stops the rest (they all run again on the retry). */
export async function runInboundHooks(deps: JobDeps, hooks: readonly InboundHook[], commit: InboundCommit): Promise<void> {
  if (isEmptyCommit(commit)) return;
  for (const hook of hooks) {
    try {
      await hook.afterCommit(deps, commit);
    } catch (error) {
      throw new Error(`after-commit hook "${hook.name}" failed: ${(error as Error).message}`, { cause: error });
    }
  }
}
