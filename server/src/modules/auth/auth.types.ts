import { Field, ID, Int, ObjectType } from 'type-graphql';
import { Tenant } from '../tenants/tenants.types.js';
import type { ApiKeyRow } from './api-keys.table.js';

@ObjectType({ description: "A tenant's API key. The secret itself is shown only once, when it is created." })
export class ApiKey {
  @Field(() => ID, { description: 'The key id (not the secret).' })
  id!: string;

  @Field(() => ID, { description: 'The tenant the key belongs to.' })
  tenantId!: string;

  @Field(() => String, { description: 'A label for people.' })
  name!: string;

  @Field(() => String, { description: 'The first characters of the secret, to tell keys apart.' })
  prefix!: string;

  @Field(() => Date, { description: 'When the key was created.' })
  createdAt!: Date;

  @Field(() => Date, { nullable: true, description: 'When the key was last used (to the minute).' })
  lastUsedAt!: Date | null;

  @Field(() => String, { description: 'read (queries and subscriptions only) or full (mutations too).' })
  scope!: string;

  @Field(() => Int, { nullable: true, description: 'Calls per minute it may make; null: the platform default (API_RATE_LIMIT_PER_MINUTE).' })
  rateLimitPerMinute!: number | null;

  @Field(() => Date, { nullable: true, description: 'When the key was revoked; a revoked key no longer authenticates.' })
  revokedAt!: Date | null;

  static from(row: ApiKeyRow): ApiKey {
    const { keyHash: _hash, ...visible } = row;
    return Object.assign(new ApiKey(), visible);
  }
}

@ObjectType({ description: 'A newly created API key with its secret: store it now, it is never shown again.' })
export class CreatedApiKey {
  @Field(() => ApiKey, { description: 'The key.' })
  apiKey!: ApiKey;

  @Field(() => String, { description: 'The secret to send as `Authorization: Bearer <secret>`.' })
  secret!: string;
}

@ObjectType({ description: 'Who the API key of this request belongs to.' })
export class ViewerInfo {
  @Field(() => String, { description: '"operator" or "tenant".' })
  kind!: 'operator' | 'tenant';

  @Field(() => Tenant, { nullable: true, description: 'The tenant, for a tenant key.' })
  tenant!: Tenant | null;

  @Field(() => ApiKey, { nullable: true, description: 'The key used, for a tenant key.' })
  apiKey!: ApiKey | null;
}
