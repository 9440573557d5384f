import { Field, ID, InputType, Int, ObjectType } from 'type-graphql';
import { Connection } from '../../graphql/connection.js';
import type { CampaignRow, CampaignState } from './campaigns.table.js';
import type { CampaignCounts, CampaignProgressPayload } from './campaigns.jobs.js';

@ObjectType({ description: "How far a campaign got: its messages counted by status. Each message is counted once, in its current status (a read message counts in `read`, not in `sent`)." })
export class CampaignProgress {
  @Field(() => ID, { description: 'The campaign.' })
  campaignId!: string;

  @Field(() => String, { description: 'The campaign state: queued, running, paused, cancelled or completed.' })
  state!: CampaignState;

  @Field(() => Int, { description: 'Messages in the campaign (one per distinct recipient).' })
  total!: number;

  @Field(() => Int, { description: 'Waiting to be sent.' })
  queued!: number;

  @Field(() => Int, { description: 'Being sent right now.' })
  sending!: number;

  @Field(() => Int, { description: 'Accepted by Meta, not yet delivered.' })
  sent!: number;

  @Field(() => Int, { description: 'Delivered to the phone, not yet read.' })
  delivered!: number;

  @Field(() => Int, { description: 'Read by the recipient.' })
  read!: number;

  @Field(() => Int, { description: 'Failed (Meta refused or could not deliver, or the campaign was cancelled before they went).' })
  failed!: number;

  @Field(() => Int, { description: "Sends interrupted mid-call whose outcome is unknown; never sent again, to avoid duplicates." })
  unknown!: number;

  @Field(() => Date, { description: 'When these counts were taken.' })
  updatedAt!: Date;

  static from(campaign: Pick<CampaignRow, 'id' | 'state'>, counts: CampaignCounts, at = new Date()): CampaignProgress {
    return Object.assign(new CampaignProgress(), counts, { campaignId: campaign.id, state: campaign.state, updatedAt: at });
  }

  static fromPayload(payload: CampaignProgressPayload): CampaignProgress {
    const { tenantId: _t, campaignId, state, updatedAt, ...counts } = payload;
    return CampaignProgress.from({ id: campaignId, state }, counts, new Date(updatedAt));
  }
}

@ObjectType({ description: 'A template sent to many recipients from one instance, within the number\'s throughput.' })
export class Campaign {
  @Field(() => ID, { description: 'The campaign id.' })
  id!: string;

  @Field(() => ID, { description: 'The owning tenant.' })
  tenantId!: string;

  @Field(() => ID, { description: 'The instance that sends.' })
  instanceId!: string;

  @Field(() => String, { description: 'Display name.' })
  name!: string;

  @Field(() => String, { description: 'The template sent.' })
  templateName!: string;

  @Field(() => String, { description: "The template's language." })
  templateLanguage!: string;

  @Field(() => String, { description: 'queued, running, paused, cancelled or completed.' })
  state!: CampaignState;

  @Field(() => Int, { description: 'Distinct recipients.' })
  recipientCount!: number;

  @Field(() => Date, { nullable: true, description: 'When sending started.' })
  startedAt!: Date | null;

  @Field(() => Date, { nullable: true, description: 'When every message was sent (or failed), or the campaign was cancelled.' })
  finishedAt!: Date | null;

  @Field(() => Date, { description: 'When the campaign was created.' })
  createdAt!: Date;

  static from(row: CampaignRow): Campaign {
    const { template, updatedAt: _u, ...rest } = row;
    return Object.assign(new Campaign(), rest, { templateName: template.name, templateLanguage: template.language });
  }
}

export const CampaignConnection = Connection(Campaign, 'Campaign');

@InputType({ description: 'The template of a campaign.' })
export class CampaignTemplateInput {
  @Field(() => String, { description: 'An APPROVED template of the WABA.' })
  name!: string;

  @Field(() => String, { description: 'Its language code, e.g. pt_BR.' })
  language!: string;
}

@InputType({ description: 'One recipient of a campaign.' })
export class CampaignRecipientInput {
  @Field(() => String, { description: 'The recipient in E.164 form.' })
  to!: string;

  @Field(() => [String], { nullable: true, description: "The template's body variables for this recipient, in order." })
  variables?: string[] | null;
}

@InputType({ description: 'A new campaign.' })
export class SendCampaignInput {
  @Field(() => ID, { description: 'The instance that sends.' })
  instanceId!: string;

  @Field(() => String, { nullable: true, description: 'Display name (default: the template name and the time).' })
  name?: string | null;

  @Field(() => CampaignTemplateInput, { description: 'The template to send.' })
  template!: CampaignTemplateInput;

  @Field(() => [CampaignRecipientInput], { description: 'Up to 100,000 recipients; a number listed twice gets one message.' })
  recipients!: CampaignRecipientInput[];
}

@InputType({ description: 'Filters for the campaign list.' })
export class CampaignFilter {
  @Field(() => ID, { nullable: true, description: "Only this instance's campaigns." })
  instanceId?: string | null;

  @Field(() => String, { nullable: true, description: 'Only campaigns in this state.' })
  state?: string | null;
}
