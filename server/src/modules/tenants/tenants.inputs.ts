import { Field, InputType } from 'type-graphql';

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
