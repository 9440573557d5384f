import { Field, ID, ObjectType } from 'type-graphql';
import { Connection } from '../../graphql/connection.js';
import type { TenantRow } from './tenants.table.js';

@ObjectType({ description: 'A client of the operator: owns phone numbers, instances and API keys.' })
export class Tenant {
  @Field(() => ID, { description: 'The tenant id.' })
  id!: string;

  @Field(() => String, { description: 'Display name of the client.' })
  name!: string;

  @Field(() => Boolean, { description: 'Whether the tenant is disabled: its keys do not authenticate and its automation waits.' })
  disabled!: boolean;

  @Field(() => Date, { description: 'When the tenant was created.' })
  createdAt!: Date;

  static from(row: TenantRow): Tenant {
    return Object.assign(new Tenant(), { id: row.id, name: row.name, disabled: row.disabledAt !== null, createdAt: row.createdAt });
  }
}

export const TenantConnection = Connection(Tenant, 'Tenant');
