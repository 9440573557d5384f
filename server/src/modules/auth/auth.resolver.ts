import { Arg, Ctx, ID, Int, Mutation, Query, Resolver } from 'type-graphql';
import type { AppContext } from '../../graphql/context.js';
import { Tenant } from '../tenants/tenants.types.js';
import { ApiKey, CreatedApiKey, ViewerInfo } from './auth.types.js';

@Resolver()
export class AuthResolver {
  @Query(() => ViewerInfo, { description: 'Who the API key of this request belongs to.' })
  async viewer(@Ctx() { viewer, services }: AppContext): Promise<ViewerInfo> {
    if (viewer.kind === 'operator') return { kind: 'operator', tenant: null, apiKey: null };
    const [tenant, apiKey] = await Promise.all([services.tenants.findOrFail(viewer, viewer.tenantId), services.auth.findOrFail(viewer, viewer.apiKeyId)]);
    return { kind: 'tenant', tenant: Tenant.from(tenant), apiKey: ApiKey.from(apiKey) };
  }

  @Mutation(() => CreatedApiKey, { description: 'Create an API key for a tenant; the secret is returned this once.' })
  async createApiKey(
    @Arg('tenantId', () => ID, { description: 'The tenant the key will act for.' }) tenantId: string,
    @Arg('name', () => String, { nullable: true, description: 'A label for people.' }) name: string | null,
    @Arg('scope', () => String, { nullable: true, description: 'read (queries and subscriptions only) or full (default: mutations too).' }) scope: string | null,
    @Arg('rateLimitPerMinute', () => Int, { nullable: true, description: 'Calls per minute this key may make (operator only); the platform default when absent.' }) rateLimitPerMinute: number | null,
    @Ctx() { viewer, services }: AppContext,
  ): Promise<CreatedApiKey> {
    const { row, secret } = await services.auth.create(viewer, tenantId, name, { scope, rateLimitPerMinute });
    return { apiKey: ApiKey.from(row), secret };
  }

  @Mutation(() => ApiKey, { description: 'Revoke an API key; it stops authenticating at once.' })
  async revokeApiKey(@Arg('id', () => ID, { description: 'The API key to revoke.' }) id: string, @Ctx() { viewer, services }: AppContext) {
    return ApiKey.from(await services.auth.revoke(viewer, id));
  }
}
