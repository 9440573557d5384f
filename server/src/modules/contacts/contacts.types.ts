import { Field, ID, ObjectType } from 'type-graphql';
import { Connection } from '../../graphql/connection.js';
import type { ContactRow } from './contacts.table.js';

export const CUSTOMER_SERVICE_WINDOW_MS = 24 * 60 * 60 * 1000;

@ObjectType({ description: "A customer who wrote to (or was written to by) one of the tenant's numbers." })
export class Contact {
  @Field(() => ID, { description: 'The contact id.' }) id!: string;
  @Field(() => ID, { description: 'The owning tenant.' }) tenantId!: string;
  @Field(() => ID, { description: 'wabahub id of the phone number the customer talks to.' }) phoneNumberId!: string;
  @Field(() => String, { description: "The customer's WhatsApp id (digits of the phone number)." }) waId!: string;
  @Field(() => String, { nullable: true, description: 'Profile name the customer set.' }) name!: string | null;
  @Field(() => Date, { nullable: true, description: "The customer's last message: it opens the 24-hour window for free-form replies." }) lastInboundAt!: Date | null;
  @Field(() => Date, { nullable: true, description: 'When the 24-hour customer-service window closes (null: closed, only templates may be sent).' }) windowClosesAt!: Date | null;
  @Field(() => [String], { description: 'Labels put on the customer by people or rules (lower-case).' }) tags!: string[];
  @Field(() => Boolean, { description: 'Whether a person has the conversation: automation does not answer this customer meanwhile.' }) inHandoff!: boolean;
  @Field(() => Date, { nullable: true, description: 'When the current handoff started.' }) handoffStartedAt!: Date | null;
  @Field(() => Date, { nullable: true, description: 'When the current handoff ends by itself, if no one resolves it.' }) handoffExpiresAt!: Date | null;
  @Field(() => String, { nullable: true, description: 'The note the handing-off rule left.' }) handoffNote!: string | null;
  @Field(() => Date, { description: 'When the contact was first seen.' }) createdAt!: Date;

  static from(row: ContactRow): Contact {
    const closes = row.lastInboundAt ? new Date(new Date(row.lastInboundAt).getTime() + CUSTOMER_SERVICE_WINDOW_MS) : null;
    const inHandoff = row.handoffStartedAt !== null && (row.handoffExpiresAt === null || new Date(row.handoffExpiresAt).getTime() > Date.now());
    return Object.assign(new Contact(), row, {
      windowClosesAt: closes && closes.getTime() > Date.now() ? closes : null,
      inHandoff, handoffStartedAt: inHandoff ? row.handoffStartedAt : null, handoffExpiresAt: inHandoff ? row.handoffExpiresAt : null, handoffNote: inHandoff ? row.handoffNote : null,
    });
  }
}

export const ContactConnection = Connection(Contact, 'Contact');
