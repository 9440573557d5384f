import { and, eq, inArray, sql } from 'drizzle-orm';
import type postgres from 'postgres';
import type { Database } from '../../db/client.js';
import { ConflictError, NotFoundError, ValidationError } from '../../lib/errors.js';
import { paginate, type PageRequest } from '../../lib/pagination.js';
import { normalizeE164, requireName } from '../../lib/phone.js';
import { isUuid, pgArray } from '../../lib/sql.js';
import { tenantScope, type Viewer } from '../auth/auth.viewer.js';
import type { Queues } from '../../queue/queues.js';
import type { TemplateComponent } from '../../meta/index.js';
import { contacts } from '../contacts/contacts.table.js';
import type { InstanceService } from '../instances/instances.service.js';
import { messages } from '../messages/messages.table.js';
import { phoneNumbers, type PhoneNumberRow } from '../phone-numbers/phone-numbers.table.js';
import type { MessageTemplateService } from '../message-templates/message-templates.service.js';
import { renderTemplateBody } from '../message-templates/message-templates.service.js';
import { checkVariables, templateContent } from '../outbound/outbound.content.js';
import type { SendLimiter } from '../outbound/outbound.limiter.js';
import { CAMPAIGN_STATES, campaigns, type CampaignRow, type CampaignState } from './campaigns.table.js';
import { campaignFinishedEvent, countCampaign, enqueueCampaignJob, enqueueQueuedMessages, type CampaignCounts } from './campaigns.jobs.js';
import { recordWebhookEvents } from '../tenant-webhooks/tenant-webhooks.events.js';
import { enqueueDeliveries } from '../tenant-webhooks/tenant-webhooks.jobs.js';

export const MAX_CAMPAIGN_RECIPIENTS = 100_000;
/** Recipients per pair of INSERTs (contacts, then messages), each bound as a few array parameters. */
const BATCH = 5_000;

export interface NewCampaign {
  instanceId: string;
  name?: string | null;
  template: { name: string; language: string };
  recipients: { to: string; variables?: string[] | null }[];
}

export class CampaignService {
  constructor(
    private readonly db: Database,
    /** postgres.js itself, for the bulk inserts: drizzle builds 100,000 rows' SQL slower than Postgres inserts them. */
    private readonly sql: postgres.Sql,
    private readonly queues: Queues,
    private readonly instances: InstanceService,
    private readonly templates: MessageTemplateService,
    private readonly limiter: SendLimiter,
  ) {}

  /**
   * Checks every recipient first (all or nothing), then stores the campaign and one queued message
   * per recipient in one transaction, in batches; a worker then enqueues them (campaigns.jobs.ts).
   * A recipient listed twice gets one message.
   */
  async create(viewer: Viewer, input: NewCampaign): Promise<CampaignRow> {
    const instance = await this.instances.findOrFail(viewer, input.instanceId);
    const [number] = await this.db.select().from(phoneNumbers).where(eq(phoneNumbers.id, instance.phoneNumberId));
    const count = input.recipients.length;
    if (count === 0) throw new ValidationError('recipients: at least one is needed', 'recipients');
    if (count > MAX_CAMPAIGN_RECIPIENTS) throw new ValidationError(`recipients: at most ${MAX_CAMPAIGN_RECIPIENTS.toLocaleString('en')} per campaign (got ${count})`, 'recipients');
    const ref = { name: input.template.name.trim(), language: input.template.language.trim() };
    const template = await this.templates.find(instance.tenantId, number.wabaId, ref.name, ref.language);
    // Validates the template itself (exists, APPROVED) with the first recipient's variables.
    templateContent(template, ref, input.recipients[0].variables ?? []);
    const components = (template!.components ?? []) as TemplateComponent[];

    const byWaId = new Map<string, string[]>();
    input.recipients.forEach((r, i) => {
      const waId = normalizeE164(r.to, `recipients[${i}].to`).slice(1);
      const variables = r.variables ?? [];
      checkVariables(template!, variables, `recipients[${i}].variables`);
      if (!byWaId.has(waId)) byWaId.set(waId, variables);
    });
    const name = input.name ? requireName(input.name) : `${ref.name} ${new Date().toISOString().slice(0, 16).replace('T', ' ')}`;

    const campaignId = await this.sql.begin(async (tx) => {
      const [row] = await tx<{ id: string }[]>`
        insert into campaigns (tenant_id, instance_id, name, template, state, recipient_count)
        values (${instance.tenantId}, ${instance.id}, ${name}, ${JSON.stringify(ref)}::jsonb, 'queued', ${byWaId.size}) returning id`;
      const entries = [...byWaId.entries()].sort(([a], [b]) => a.localeCompare(b)); // one lock order for concurrent upserts
      for (let i = 0; i < entries.length; i += BATCH) {
        const chunk = entries.slice(i, i + BATCH);
        const contactRows = await tx<{ id: string; wa_id: string }[]>`
          insert into contacts (tenant_id, phone_number_id, wa_id)
          select ${instance.tenantId}, ${number.id}, unnest(${pgArray(chunk.map(([waId]) => waId))}::text[])
          on conflict (tenant_id, phone_number_id, wa_id) do update set updated_at = contacts.updated_at
          returning id, wa_id`;
        const contactIds = new Map(contactRows.map((c) => [c.wa_id, c.id]));
        const texts = chunk.map(([, variables]) => renderTemplateBody(components, variables) ?? ref.name);
        const payloads = chunk.map(([, variables]) => JSON.stringify({
          type: 'template',
          template: { name: ref.name, language: { code: ref.language }, ...(variables.length > 0 ? { components: [{ type: 'body', parameters: variables.map((text) => ({ type: 'text', text })) }] } : {}) },
        }));
        await tx`
          insert into messages (tenant_id, instance_id, phone_number_id, contact_id, direction, type, status, campaign_id, text, payload)
          select ${instance.tenantId}, ${instance.id}, ${number.id}, v.contact_id, 'outbound', 'template', 'queued', ${row.id}, v.text, v.payload
          from unnest(${pgArray(chunk.map(([waId]) => contactIds.get(waId)!))}::uuid[], ${pgArray(texts)}::text[], ${pgArray(payloads)}::jsonb[]) as v(contact_id, text, payload)`;
      }
      return row.id;
    });
    const [campaign] = await this.db.select().from(campaigns).where(eq(campaigns.id, campaignId));
    await enqueueCampaignJob(this.queues.outbound, { tenantId: campaign.tenantId, campaignId: campaign.id });
    return campaign;
  }

  async findOrFail(viewer: Viewer, id: string): Promise<CampaignRow> {
    const scope = tenantScope(viewer);
    if (!isUuid(id)) throw new NotFoundError('Campaign', id);
    const [row] = await this.db.select().from(campaigns).where(and(eq(campaigns.id, id), scope ? eq(campaigns.tenantId, scope) : undefined));
    if (!row) throw new NotFoundError('Campaign', id);
    return row;
  }

  async list(viewer: Viewer, filter: { instanceId?: string | null; state?: string | null }, page: PageRequest) {
    const scope = tenantScope(viewer);
    if (filter.state && !CAMPAIGN_STATES.includes(filter.state as CampaignState)) throw new ValidationError(`state: must be one of ${CAMPAIGN_STATES.join(', ')}`, 'state');
    if (filter.instanceId && !isUuid(filter.instanceId)) throw new NotFoundError('Instance', filter.instanceId);
    return paginate(this.db, campaigns, and(
      scope ? eq(campaigns.tenantId, scope) : undefined,
      filter.instanceId ? eq(campaigns.instanceId, filter.instanceId) : undefined,
      filter.state ? eq(campaigns.state, filter.state as CampaignState) : undefined,
    ), page);
  }

  progress(campaign: CampaignRow): Promise<CampaignCounts> {
    return countCampaign(this.db, campaign);
  }

  /** Stops sending: queued messages stay queued (in-flight sends finish) until resumeCampaign. */
  async pause(viewer: Viewer, id: string): Promise<CampaignRow> {
    const campaign = await this.findOrFail(viewer, id);
    if (campaign.state === 'paused') return campaign;
    return this.transition(campaign, ['queued', 'running'], 'paused');
  }

  /** Sends the rest: every message still queued is enqueued again. */
  async resume(viewer: Viewer, id: string): Promise<CampaignRow> {
    const campaign = await this.findOrFail(viewer, id);
    if (campaign.state !== 'paused') {
      if (campaign.state === 'queued' || campaign.state === 'running') return campaign;
      throw new ConflictError(`campaign ${id} is ${campaign.state}; only a paused campaign can be resumed`, { state: campaign.state });
    }
    const row = await this.transition(campaign, ['paused'], campaign.startedAt ? 'running' : 'queued');
    // Batches that ran while paused completed without sending, so the messages need fresh ones. A
    // campaign that had not started has no batches yet: its own job enqueues them once it sees it queued.
    if (row.state === 'running') await enqueueQueuedMessages(this.db, this.queues.outbound, this.limiter, row, `r${Date.now()}`);
    await enqueueCampaignJob(this.queues.outbound, { tenantId: row.tenantId, campaignId: row.id });
    return row;
  }

  /** Stops for good: every message not yet sent fails with "campaign cancelled". */
  async cancel(viewer: Viewer, id: string): Promise<CampaignRow> {
    const campaign = await this.findOrFail(viewer, id);
    if (campaign.state === 'cancelled') return campaign;
    if (campaign.state === 'completed') throw new ConflictError(`campaign ${id} is already completed`, { state: campaign.state });
    const row = await this.db.transaction(async (tx) => {
      const [updated] = await tx.update(campaigns).set({ state: 'cancelled', finishedAt: new Date() })
        .where(and(eq(campaigns.id, campaign.id), inArray(campaigns.state, ['queued', 'running', 'paused']))).returning();
      if (!updated) throw new ConflictError(`campaign ${id} changed meanwhile; try again`);
      await tx.update(messages).set({ status: 'failed', failedAt: new Date(), errorTitle: 'campaign cancelled' })
        .where(and(eq(messages.campaignId, campaign.id), eq(messages.tenantId, campaign.tenantId), eq(messages.status, 'queued')));
      const deliveries = await recordWebhookEvents(tx, [campaignFinishedEvent(updated, await countCampaign(tx, updated))]);
      return Object.assign(updated, { deliveries });
    });
    const { deliveries, ...cancelled } = row;
    await enqueueDeliveries(this.queues['tenant-webhooks'], deliveries).catch(() => { /* the sweep enqueues them */ });
    await enqueueCampaignJob(this.queues.outbound, { tenantId: row.tenantId, campaignId: row.id });
    return cancelled;
    return row;
  }

  /** A resumed number (PhoneNumberService.onResumed): its running campaigns' queued messages get fresh batches. */
  async requeueNumber(number: PhoneNumberRow): Promise<number> {
    const running = await this.db.execute<{ id: string }>(sql`
      select c.id from campaigns c join instances i on i.id = c.instance_id
      where i.phone_number_id = ${number.id} and c.tenant_id = ${number.tenantId} and c.state = 'running'`);
    let total = 0;
    for (const campaign of running) total += await enqueueQueuedMessages(this.db, this.queues.outbound, this.limiter, { id: campaign.id, tenantId: number.tenantId }, `r${Date.now()}`);
    return total;
  }

  private async transition(campaign: CampaignRow, from: CampaignState[], to: CampaignState): Promise<CampaignRow> {
    const [row] = await this.db.update(campaigns).set({ state: to }).where(and(eq(campaigns.id, campaign.id), inArray(campaigns.state, from))).returning();
    if (!row) throw new ConflictError(`campaign ${campaign.id} is ${campaign.state}; it cannot become ${to}`, { state: campaign.state });
    return row;
  }
}
