import { Field, ID, InputType } from 'type-graphql';

@InputType({ description: 'A new tenant (client).' })
export class CreateTenantInput {
  @Field(() => String, { description: 'Display name, 1 to 200 characters.' })
  name!: string;
}

@InputType({ description: 'Filters for the tenant list.' })
export class TenantFilter {
  @Field(() => String, { nullable: true, description: 'Only tenants whose name contains this text (case-insensitive).' })
  nameContains?: string | null;
}

@InputType({ description: 'Changes to a tenant; omitted fields stay as they are.' })
export class UpdateTenantInput {
  @Field(() => ID, { description: 'The tenant.' })
  id!: string;

  @Field(() => String, { nullable: true, description: 'New display name.' })
  name?: string | null;

  @Field(() => Boolean, { nullable: true, description: 'Disable (its keys stop working, its automation waits) or enable again (operator only).' })
  disabled?: boolean | null;
}
