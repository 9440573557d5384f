import { Arg, Args, Ctx, FieldResolver, ID, Mutation, Query, Resolver, Root, Subscription } from 'type-graphql';
import type { AppContext } from '../../graphql/context.js';
import { PageArgs, toConnection } from '../../graphql/connection.js';
import { Topics } from '../../graphql/pubsub.js';
import type { CampaignProgressPayload } from './campaigns.jobs.js';
import { Campaign, CampaignConnection, CampaignFilter, CampaignProgress, SendCampaignInput } from './campaigns.types.js';

@Resolver(() => Campaign)
export class CampaignResolver {
  @Query(() => Campaign, { description: 'One campaign.' })
  async campaign(@Arg('id', () => ID, { description: 'The campaign id.' }) id: string, @Ctx() { viewer, services }: AppContext) {
    return Campaign.from(await services.campaigns.findOrFail(viewer, id));
  }

  @Query(() => CampaignConnection, { description: 'Campaigns, newest first.' })
  async campaigns(@Args(() => PageArgs) page: PageArgs, @Arg('filter', () => CampaignFilter, { nullable: true, description: 'Narrows the list; all campaigns the caller may see when absent.' }) filter: CampaignFilter | null, @Ctx() { viewer, services }: AppContext) {
    return toConnection(await services.campaigns.list(viewer, filter ?? {}, page), Campaign.from);
  }

  @Mutation(() => Campaign, { description: 'Send an approved template to up to 100,000 recipients, each with its variables. Every recipient is checked first; nothing is stored if one is wrong.' })
  async sendCampaign(@Arg('input', () => SendCampaignInput, { description: 'The instance, the template and the recipients with their variables.' }) input: SendCampaignInput, @Ctx() { viewer, services }: AppContext) {
    return Campaign.from(await services.campaigns.create(viewer, input));
  }

  @Mutation(() => Campaign, { description: 'Stop sending; messages not yet sent wait until resumeCampaign.' })
  async pauseCampaign(@Arg('id', () => ID, { description: 'The campaign to pause.' }) id: string, @Ctx() { viewer, services }: AppContext) {
    return Campaign.from(await services.campaigns.pause(viewer, id));
  }

  @Mutation(() => Campaign, { description: 'Send the rest of a paused campaign.' })
  async resumeCampaign(@Arg('id', () => ID, { description: 'The campaign to resume.' }) id: string, @Ctx() { viewer, services }: AppContext) {
    return Campaign.from(await services.campaigns.resume(viewer, id));
  }

  @Mutation(() => Campaign, { description: 'Stop for good: messages not yet sent fail with "campaign cancelled".' })
  async cancelCampaign(@Arg('id', () => ID, { description: 'The campaign to cancel.' }) id: string, @Ctx() { viewer, services }: AppContext) {
    return Campaign.from(await services.campaigns.cancel(viewer, id));
  }

  @FieldResolver(() => CampaignProgress, { description: 'Its messages counted by status, now.' })
  async progress(@Root() campaign: Campaign, @Ctx() { viewer, services }: AppContext) {
    const row = await services.campaigns.findOrFail(viewer, campaign.id);
    return CampaignProgress.from(row, await services.campaigns.progress(row));
  }

  @Subscription(() => CampaignProgress, {
    description: "A campaign's counts each time they change (about once a second while it runs, and for two minutes after, as delivered and read statuses arrive). Query `campaign { progress }` for the counts now.",
    topics: Topics.CampaignProgress,
    // Tenant check on the server: a tenant key only ever receives its own campaigns.
    filter: ({ payload, args, context }: { payload: CampaignProgressPayload; args: { id: string }; context: AppContext }) =>
      payload.campaignId === args.id && (context.viewer.kind === 'operator' || context.viewer.tenantId === payload.tenantId),
  })
  campaignProgress(@Root() payload: CampaignProgressPayload, @Arg('id', () => ID, { description: 'The campaign to follow.' }) _id: string): CampaignProgress {
    return CampaignProgress.fromPayload(payload);
  }
}
