import { Arg, Args, Ctx, FieldResolver, ID, Mutation, Query, Resolver, Root } from 'type-graphql';
import type { AppContext } from '../../graphql/context.js';
import { PageArgs, toConnection } from '../../graphql/connection.js';
import { ApiKey } from '../auth/auth.types.js';
import { CreateTenantInput, TenantFilter, UpdateTenantInput } from './tenants.inputs.js';
import { Tenant, TenantConnection } from './tenants.types.js';

@Resolver(() => Tenant)
export class TenantResolver {
  @Query(() => TenantConnection, { description: 'Tenants, newest first. A tenant key sees only its own tenant.' })
  async tenants(@Args(() => PageArgs) page: PageArgs, @Arg('filter', () => TenantFilter, { nullable: true, description: 'Narrows the list; all tenants the caller may see when absent.' }) filter: TenantFilter | null, @Ctx() { viewer, services }: AppContext) {
    return toConnection(await services.tenants.list(viewer, filter ?? {}, page), Tenant.from);
  }

  @Query(() => Tenant, { description: 'One tenant by id.' })
  async tenant(@Arg('id', () => ID, { description: 'The tenant id.' }) id: string, @Ctx() { viewer, services }: AppContext) {
    return Tenant.from(await services.tenants.findOrFail(viewer, id));
  }

  @Mutation(() => Tenant, { description: 'Create a tenant (operator only).' })
  async createTenant(@Arg('input', () => CreateTenantInput, { description: 'The new tenant.' }) input: CreateTenantInput, @Ctx() { viewer, services }: AppContext) {
    return Tenant.from(await services.tenants.create(viewer, input));
  }

  @Mutation(() => Tenant, { description: 'Rename a tenant (the tenant may), or disable or enable it (operator only).' })
  async updateTenant(@Arg('input', () => UpdateTenantInput, { description: 'The tenant and what changes.' }) input: UpdateTenantInput, @Ctx() { viewer, services }: AppContext) {
    return Tenant.from(await services.tenants.update(viewer, input));
  }

  @Mutation(() => ID, { description: 'Delete a tenant and all its data (operator only): its numbers are released for anyone to register again. Returns its id.' })
  async deleteTenant(@Arg('id', () => ID, { description: 'The tenant.' }) id: string, @Ctx() { viewer, services }: AppContext) {
    return (await services.tenants.delete(viewer, id)).id;
  }

  @FieldResolver(() => [ApiKey], { description: "The tenant's API keys (never their secrets)." })
  async apiKeys(@Root() tenant: Tenant, @Ctx() { viewer, services }: AppContext) {
    return (await services.auth.listForTenant(viewer, tenant.id)).map(ApiKey.from);
  }
}
