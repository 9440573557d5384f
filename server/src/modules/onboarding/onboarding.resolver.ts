import { Arg, Args, Ctx, FieldResolver, ID, Mutation, Query, Resolver, Root, Subscription } from 'type-graphql';
import type { AppContext } from '../../graphql/context.js';
import { ForbiddenError } from '../../lib/errors.js';
import { PageArgs, toConnection } from '../../graphql/connection.js';
import { Topics } from '../../graphql/pubsub.js';
import { Tenant } from '../tenants/tenants.types.js';
import { PhoneNumber } from '../phone-numbers/phone-numbers.types.js';
import { Instance } from '../instances/instances.types.js';
import type { OnboardingCaller } from './onboarding.service.js';
import type { OnboardingProgressPayload } from './onboarding.runner.js';
import {
  CreateOnboardingInviteInput, OnboardingInvite, OnboardingRun, OnboardingRunConnection, OnboardingRunFilter, OnboardingStep, QuickSetupInput, StartEmbeddedSignupInput,
} from './onboarding.types.js';

const caller = (ctx: AppContext): OnboardingCaller => ({ viewer: ctx.viewer, inviteToken: ctx.inviteToken ?? null });

@Resolver(() => OnboardingRun)
export class OnboardingResolver {
  @Query(() => OnboardingRun, { description: "One onboarding run: the operator's, a tenant's own, or (with the invite link's token) the invite's run." })
  async onboardingRun(@Arg('id', () => ID, { description: 'The run id.' }) id: string, @Ctx() ctx: AppContext) {
    return OnboardingRun.from(await ctx.services.onboarding.findOrFail(caller(ctx), id));
  }

  @Query(() => OnboardingRunConnection, { description: 'Onboarding runs, newest first: every run for the operator, its own for a tenant.' })
  async onboardingRuns(@Args(() => PageArgs) page: PageArgs, @Arg('filter', () => OnboardingRunFilter, { nullable: true, description: 'Narrows the list; every run the caller may see when absent.' }) filter: OnboardingRunFilter | null, @Ctx() { viewer, services }: AppContext) {
    return toConnection(await services.onboarding.list(viewer, filter ?? {}, page), OnboardingRun.from);
  }

  @Query(() => OnboardingInvite, { description: "The invite of the link's token (sent as Authorization: Bearer whi_...): what its page shows." })
  async onboardingInvite(@Ctx() ctx: AppContext) {
    if (!ctx.inviteToken) throw new ForbiddenError("only an invite link's page reads its invite (send its token as the key)");
    const invite = await ctx.services.onboarding.inviteOrFail(ctx.inviteToken, { allowUsed: true });
    return OnboardingInvite.from(invite, ctx.services.onboarding.signupSettings());
  }

  @Mutation(() => OnboardingRun, { description: 'Onboard a client from two typed fields: finds the number at Meta (or adds it and has Meta text a code), registers it, subscribes the app, creates the tenant, key, number and instance, applies the template and waits for the first message. Operator, or an invite link.' })
  async quickSetup(@Arg('input', () => QuickSetupInput, { description: 'The business name and number.' }) input: QuickSetupInput, @Ctx() ctx: AppContext) {
    return OnboardingRun.from(await ctx.services.onboarding.quickSetup(caller(ctx), input));
  }

  @Mutation(() => OnboardingRun, { description: "Onboard a client who finished Meta's Embedded Signup: exchanges the code, checks the token's scopes, subscribes, registers, stores the business token and creates the tenant. Operator, or an invite link." })
  async startEmbeddedSignup(@Arg('input', () => StartEmbeddedSignupInput, { description: "What the popup returned, and the client's choices." }) input: StartEmbeddedSignupInput, @Ctx() ctx: AppContext) {
    return OnboardingRun.from(await ctx.services.onboarding.startEmbeddedSignup(caller(ctx), input));
  }

  @Mutation(() => OnboardingRun, { description: 'The 6-digit code Meta texted the client, for a run waiting_for_code. A wrong code is an error (META_ERROR, with the fix) and the run keeps waiting.' })
  async submitVerificationCode(@Arg('runId', () => ID, { description: 'The run.' }) runId: string, @Arg('code', () => String, { description: 'The code, as typed.' }) code: string, @Ctx() ctx: AppContext) {
    return OnboardingRun.from(await ctx.services.onboarding.submitVerificationCode(caller(ctx), runId, code));
  }

  @Mutation(() => OnboardingRun, { description: 'Resume a failed run from its failed step (finished steps are not redone), after the fix its error names; on a run waiting_for_code, ask Meta for a new code.' })
  async retryOnboarding(
    @Arg('runId', () => ID, { description: 'The run.' }) runId: string,
    @Arg('code', () => String, { nullable: true, description: 'Embedded Signup: a new code, when the last one was used, expired, or its token lacked a scope.' }) code: string | null,
    @Arg('pin', () => String, { nullable: true, description: "The number's existing two-step verification PIN (6 digits), when register failed with a PIN mismatch." }) pin: string | null,
    @Ctx() ctx: AppContext,
  ) {
    return OnboardingRun.from(await ctx.services.onboarding.retry(caller(ctx), runId, { code, pin }));
  }

  @Mutation(() => OnboardingRun, { description: 'Stop a run for good (what it made at Meta and in wabahub stays).' })
  async cancelOnboarding(@Arg('runId', () => ID, { description: 'The run.' }) runId: string, @Ctx() ctx: AppContext) {
    return OnboardingRun.from(await ctx.services.onboarding.cancel(caller(ctx), runId));
  }

  @Mutation(() => OnboardingInvite, { description: 'A single-use, expiring link for a client to onboard alone (quick setup or Embedded Signup). Operator only. The token is shown once, here.' })
  async createOnboardingInvite(@Arg('input', () => CreateOnboardingInviteInput, { nullable: true, description: 'What the page pre-fills.' }) input: CreateOnboardingInviteInput | null, @Ctx() { viewer, services }: AppContext) {
    const { invite, token } = await services.onboarding.createInvite(viewer, input ?? {});
    return OnboardingInvite.from(invite, { ...services.onboarding.signupSettings(), token });
  }

  @FieldResolver(() => [OnboardingStep], { description: 'The steps, in order.' })
  async steps(@Root() run: OnboardingRun, @Ctx() { services }: AppContext) {
    return (await services.onboarding.steps(run.id)).map(OnboardingStep.from);
  }

  @FieldResolver(() => String, { nullable: true, description: 'The step the run is on (or stopped at); null once every step is done.' })
  async currentStep(@Root() run: OnboardingRun, @Ctx() { services }: AppContext) {
    return (await services.onboarding.steps(run.id)).find((s) => s.state !== 'succeeded' && s.state !== 'skipped')?.name ?? null;
  }

  @FieldResolver(() => Tenant, { nullable: true, description: 'The tenant the run created.' })
  async tenant(@Root() run: OnboardingRun, @Ctx() ctx: AppContext) {
    return run.row.tenantId ? Tenant.from(await ctx.services.onboarding.tenantOf(run.row)) : null;
  }

  @FieldResolver(() => PhoneNumber, { nullable: true, description: 'The number the run added to wabahub.' })
  async phoneNumber(@Root() run: OnboardingRun, @Ctx() ctx: AppContext) {
    const row = await ctx.services.onboarding.phoneNumberOf(run.row);
    return row ? PhoneNumber.from(row) : null;
  }

  @FieldResolver(() => Instance, { nullable: true, description: 'The instance the run created.' })
  async instance(@Root() run: OnboardingRun, @Ctx() ctx: AppContext) {
    const row = await ctx.services.onboarding.instanceOf(run.row);
    return row ? Instance.from(row) : null;
  }

  @FieldResolver(() => String, { nullable: true, description: "The new tenant's API key, shown ONCE: the first read (operator or the invite's page) takes it off the run. Store it then." })
  async apiKeySecret(@Root() run: OnboardingRun, @Ctx() ctx: AppContext) {
    return ctx.services.onboarding.takeApiKeySecret(caller(ctx), run.row);
  }

  @Subscription(() => OnboardingRun, {
    description: 'The run each time a step moves or its state changes. Operator, or the tenant of the run.',
    topics: Topics.OnboardingProgress,
    topicId: ({ args }: { args: { runId: string } }) => args.runId,
    filter: ({ payload, args, context }: { payload: OnboardingProgressPayload; args: { runId: string }; context: AppContext }) =>
      payload.runId === args.runId && (context.viewer.kind === 'operator' || (payload.tenantId !== null && context.viewer.tenantId === payload.tenantId)),
  })
  async onboardingProgress(@Root() payload: OnboardingProgressPayload, @Arg('runId', () => ID, { description: 'The run to follow.' }) _runId: string, @Ctx() ctx: AppContext): Promise<OnboardingRun> {
    return OnboardingRun.from(await ctx.services.onboarding.findOrFail(caller(ctx), payload.runId));
  }
}
