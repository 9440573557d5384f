import { randomUUID } from 'node:crypto';
import { and, asc, eq, sql } from 'drizzle-orm';
import type { Env } from '../../config/env.js';
import type { Database } from '../../db/client.js';
import { NotFoundError, ValidationError } from '../../lib/errors.js';
import { paginate, type PageRequest } from '../../lib/pagination.js';
import { encryptSecret } from '../../lib/secrets.js';
import { isUuid } from '../../lib/sql.js';
import type { Queues } from '../../queue/queues.js';
import { findScopedOrFail } from '../auth/auth.scope.js';
import { tenantScope, type Viewer } from '../auth/auth.viewer.js';
import type { InstanceService } from '../instances/instances.service.js';
import { isTenantWebhookEvent, TENANT_WEBHOOK_EVENTS, TEST_EVENT_TYPE, type TenantWebhookEventType } from './tenant-webhooks.events.js';
import { enqueueDeliveries, webhookUrlPolicy } from './tenant-webhooks.jobs.js';
import { generateWebhookSecret } from './tenant-webhooks.signing.js';
import { checkWebhookUrl, RefusedUrlError } from './tenant-webhooks.ssrf.js';
import { webhookDeliveries, webhookDeliveryAttempts, webhookEndpoints, type WebhookDeliveryRow, type WebhookEndpointRow } from './tenant-webhooks.table.js';

/** After a rotation the previous secret keeps signing this long, so receivers switch without missing a delivery. */
export const ROTATION_OVERLAP_MS = 24 * 3600 * 1000;
const MAX_URL_LENGTH = 2048;
const MAX_DESCRIPTION_LENGTH = 500;

export interface CreateEndpointInput {
  url: string;
  events: string[];
  instanceId?: string | null;
  description?: string | null;
  tenantId?: string | null;
}

export interface UpdateEndpointInput {
  id: string;
  url?: string | null;
  events?: string[] | null;
  description?: string | null;
  enabled?: boolean | null;
}

export class TenantWebhookService {
  constructor(
    private readonly db: Database,
    private readonly env: Env,
    private readonly queues: Queues,
    private readonly instances: InstanceService,
  ) {}

  async list(viewer: Viewer, filter: { tenantId?: string | null }, page: PageRequest) {
    const scope = tenantScope(viewer);
    if (filter.tenantId && !isUuid(filter.tenantId)) throw new NotFoundError('Tenant', filter.tenantId);
    return paginate(this.db, webhookEndpoints, and(
      scope ? eq(webhookEndpoints.tenantId, scope) : undefined,
      filter.tenantId ? eq(webhookEndpoints.tenantId, filter.tenantId) : undefined,
    ), page);
  }

  findOrFail(viewer: Viewer, id: string): Promise<WebhookEndpointRow> {
    return findScopedOrFail(this.db, webhookEndpoints, 'WebhookEndpoint', viewer, id);
  }

  /** Creates an endpoint; its signing secret is returned this once. */
  async create(viewer: Viewer, input: CreateEndpointInput): Promise<{ row: WebhookEndpointRow; secret: string }> {
    let tenantId: string;
    let instanceId: string | null = null;
    if (input.instanceId) {
      const instance = await this.instances.findOrFail(viewer, input.instanceId);
      if (input.tenantId && input.tenantId !== instance.tenantId) throw new ValidationError('instanceId: the instance belongs to another tenant than tenantId', 'instanceId');
      tenantId = instance.tenantId;
      instanceId = instance.id;
    } else if (viewer.kind === 'tenant') {
      if (input.tenantId && input.tenantId !== viewer.tenantId) throw new NotFoundError('Tenant', input.tenantId);
      tenantId = viewer.tenantId;
    } else {
      if (!input.tenantId) throw new ValidationError('tenantId: the operator must say whose endpoint this is (or give instanceId)', 'tenantId');
      if (!isUuid(input.tenantId)) throw new NotFoundError('Tenant', input.tenantId);
      const [tenant] = await this.db.execute<{ id: string }>(sql`select id from tenants where id = ${input.tenantId}`);
      if (!tenant) throw new NotFoundError('Tenant', input.tenantId);
      tenantId = tenant.id;
    }
    const secret = generateWebhookSecret();
    const [row] = await this.db.insert(webhookEndpoints).values({
      tenantId, instanceId, url: this.validUrl(input.url), events: validEvents(input.events), description: validDescription(input.description),
      secret: encryptSecret(secret, this.env.SECRETS_KEY),
    }).returning();
    return { row, secret };
  }

  /** Changes an endpoint. Enabling it again clears wabahub's alert and sends what waited. */
  async update(viewer: Viewer, input: UpdateEndpointInput): Promise<WebhookEndpointRow> {
    const existing = await this.findOrFail(viewer, input.id);
    const changes: Partial<WebhookEndpointRow> = {};
    if (input.url != null) changes.url = this.validUrl(input.url);
    if (input.events != null) changes.events = validEvents(input.events);
    if (input.description !== undefined) changes.description = validDescription(input.description);
    if (input.enabled != null && input.enabled !== existing.enabled) {
      changes.enabled = input.enabled;
      if (input.enabled) Object.assign(changes, { failingSince: null, disabledReason: null, disabledAt: null });
      else changes.disabledAt = new Date();
    }
    if (Object.keys(changes).length === 0) return existing;
    const [row] = await this.db.update(webhookEndpoints).set(changes).where(and(eq(webhookEndpoints.id, existing.id), eq(webhookEndpoints.tenantId, existing.tenantId))).returning();
    if (changes.enabled) await this.enqueueWaiting(row.id);
    return row;
  }

  async delete(viewer: Viewer, id: string): Promise<WebhookEndpointRow> {
    const existing = await this.findOrFail(viewer, id);
    await this.db.delete(webhookEndpoints).where(and(eq(webhookEndpoints.id, existing.id), eq(webhookEndpoints.tenantId, existing.tenantId)));
    return existing;
  }

  /** A new secret, returned this once; the old one keeps signing beside it for 24 h. */
  async rotateSecret(viewer: Viewer, id: string): Promise<{ row: WebhookEndpointRow; secret: string }> {
    const existing = await this.findOrFail(viewer, id);
    const secret = generateWebhookSecret();
    const [row] = await this.db.update(webhookEndpoints).set({
      secret: encryptSecret(secret, this.env.SECRETS_KEY), previousSecret: existing.secret, previousSecretExpiresAt: new Date(Date.now() + ROTATION_OVERLAP_MS),
    }).where(and(eq(webhookEndpoints.id, existing.id), eq(webhookEndpoints.tenantId, existing.tenantId))).returning();
    return { row, secret };
  }

  async deliveries(viewer: Viewer, endpointId: string, page: PageRequest) {
    const endpoint = await this.findOrFail(viewer, endpointId);
    return paginate(this.db, webhookDeliveries, and(eq(webhookDeliveries.endpointId, endpoint.id), eq(webhookDeliveries.tenantId, endpoint.tenantId)), page);
  }

  findDeliveryOrFail(viewer: Viewer, id: string): Promise<WebhookDeliveryRow> {
    return findScopedOrFail(this.db, webhookDeliveries, 'WebhookDelivery', viewer, id);
  }

  /** A delivery's attempts, first first (the delivery log). */
  attempts(delivery: Pick<WebhookDeliveryRow, 'id' | 'tenantId'>) {
    return this.db.select().from(webhookDeliveryAttempts)
      .where(and(eq(webhookDeliveryAttempts.deliveryId, delivery.id), eq(webhookDeliveryAttempts.tenantId, delivery.tenantId))).orderBy(asc(webhookDeliveryAttempts.attempt));
  }

  /** The delivered JSON of a delivery's event. */
  async payload(delivery: Pick<WebhookDeliveryRow, 'eventId' | 'tenantId'>): Promise<Record<string, unknown> | null> {
    const [row] = await this.db.execute<{ payload: Record<string, unknown> }>(sql`select payload from tenant_webhook_events where id = ${delivery.eventId} and tenant_id = ${delivery.tenantId}`);
    return row?.payload ?? null;
  }

  /** Sends a delivery's event again, as a new delivery (same event id: a receiver that dedups ignores it). */
  async redeliver(viewer: Viewer, deliveryId: string): Promise<WebhookDeliveryRow> {
    const original = await this.findDeliveryOrFail(viewer, deliveryId);
    const endpoint = await this.findOrFail(viewer, original.endpointId);
    if (!endpoint.enabled) throw new ValidationError('the endpoint is disabled: enable it (updateWebhookEndpoint) before redelivering', 'deliveryId');
    const [row] = await this.db.insert(webhookDeliveries).values({
      tenantId: original.tenantId, endpointId: original.endpointId, eventId: original.eventId, eventType: original.eventType, lane: null, redeliveryOf: original.id,
    }).returning();
    await enqueueDeliveries(this.queues['tenant-webhooks'], [{ id: row.id, tenantId: row.tenantId }]);
    return row;
  }

  /** A `webhook.test` event to this endpoint alone (even a disabled one: check it before enabling). */
  async sendTest(viewer: Viewer, endpointId: string): Promise<WebhookDeliveryRow> {
    const endpoint = await this.findOrFail(viewer, endpointId);
    const row = await this.db.transaction(async (tx) => {
      const eventId = randomUUID();
      const createdAt = new Date().toISOString();
      await tx.execute(sql`
        insert into tenant_webhook_events (id, tenant_id, instance_id, type, source_key, payload, created_at)
        values (${eventId}, ${endpoint.tenantId}, ${endpoint.instanceId}, ${TEST_EVENT_TYPE}, ${`${TEST_EVENT_TYPE}:${eventId}`},
          ${JSON.stringify({ id: eventId, type: TEST_EVENT_TYPE, createdAt, tenantId: endpoint.tenantId, data: { endpointId: endpoint.id, message: 'A test event from wabahub: your endpoint receives and verifies webhooks.' } })}::jsonb, ${createdAt})`);
      const [delivery] = await tx.insert(webhookDeliveries).values({ tenantId: endpoint.tenantId, endpointId: endpoint.id, eventId, eventType: TEST_EVENT_TYPE }).returning();
      return delivery;
    });
    await enqueueDeliveries(this.queues['tenant-webhooks'], [{ id: row.id, tenantId: row.tenantId }]);
    return row;
  }

  /** Deliveries that waited while the endpoint was disabled, due now. */
  private async enqueueWaiting(endpointId: string): Promise<void> {
    const waiting = await this.db.execute<{ id: string; tenant_id: string; attempts: number }>(sql`
      update webhook_deliveries d set next_attempt_at = least(next_attempt_at, now()) where d.endpoint_id = ${endpointId} and d.status = 'pending'
        and (d.lane is null or not exists (select 1 from webhook_deliveries p where p.endpoint_id = d.endpoint_id and p.lane = d.lane and p.seq < d.seq and p.status in ('pending', 'delivering')))
      returning d.id, d.tenant_id, d.attempts`);
    await enqueueDeliveries(this.queues['tenant-webhooks'], [...waiting].map((d) => ({ id: d.id, tenantId: d.tenant_id, attempts: d.attempts })));
  }

  private validUrl(raw: string): string {
    const url = raw.trim();
    if (url.length === 0) throw new ValidationError('url: required', 'url');
    if (url.length > MAX_URL_LENGTH) throw new ValidationError(`url: at most ${MAX_URL_LENGTH} characters`, 'url');
    try {
      return checkWebhookUrl(url, webhookUrlPolicy(this.env)).toString();
    } catch (error) {
      if (error instanceof RefusedUrlError) throw new ValidationError(`url: ${error.message}`, 'url');
      throw error;
    }
  }
}

function validEvents(events: string[]): TenantWebhookEventType[] {
  if (!Array.isArray(events) || events.length === 0) throw new ValidationError(`events: subscribe to at least one of ${TENANT_WEBHOOK_EVENTS.join(', ')}`, 'events');
  const unknown = events.find((e) => !isTenantWebhookEvent(e));
  if (unknown !== undefined) throw new ValidationError(`events: "${unknown.slice(0, 60)}" is not an event; one of ${TENANT_WEBHOOK_EVENTS.join(', ')}`, 'events');
  return [...new Set(events)] as TenantWebhookEventType[];
}

function validDescription(description: string | null | undefined): string | null {
  if (description == null) return null;
  const text = description.trim();
  if (text.length > MAX_DESCRIPTION_LENGTH) throw new ValidationError(`description: at most ${MAX_DESCRIPTION_LENGTH} characters`, 'description');
  return text.length === 0 ? null : text;
}
