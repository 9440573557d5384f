import { Field, ID, InputType, Int, ObjectType } from 'type-graphql';
import { Connection } from '../../graphql/connection.js';
import type { TemplateComponent } from '../../meta/index.js';
import type { MessageTemplateRow } from './message-templates.table.js';
import { templateBody } from './message-templates.service.js';

@ObjectType({ description: "One of Meta's message templates of a WABA, as wabahub mirrors it (synced from Meta, kept current by status webhooks). Only APPROVED templates can be sent." })
export class MessageTemplate {
  @Field(() => ID, { description: 'wabahub id of the template copy.' })
  id!: string;

  @Field(() => ID, { nullable: true, description: 'The tenant owning the WABA.' })
  tenantId!: string | null;

  @Field(() => String, { description: 'The WhatsApp Business Account the template belongs to.' })
  wabaId!: string;

  @Field(() => String, { nullable: true, description: "Meta's template id." })
  metaTemplateId!: string | null;

  @Field(() => String, { description: 'Template name (lowercase, digits and underscores).' })
  name!: string;

  @Field(() => String, { description: 'Language code, e.g. pt_BR or en_US.' })
  language!: string;

  @Field(() => String, { nullable: true, description: 'MARKETING, UTILITY or AUTHENTICATION.' })
  category!: string | null;

  @Field(() => String, { description: "Meta's status: APPROVED, PENDING, REJECTED, PAUSED, DISABLED, ...; DELETED once Meta no longer lists it." })
  status!: string;

  @Field(() => Int, { description: 'How many body variables ({{1}}, {{2}}, ...) a send must pass.' })
  variableCount!: number;

  @Field(() => String, { nullable: true, description: 'The BODY text with its {{n}} placeholders.' })
  body!: string | null;

  @Field(() => String, { nullable: true, description: 'Why Meta rejected or paused it, when it said.' })
  rejectedReason!: string | null;

  @Field(() => Date, { description: 'When wabahub last changed its copy.' })
  updatedAt!: Date;

  static from(row: MessageTemplateRow): MessageTemplate {
    const { components, createdAt: _c, ...rest } = row;
    return Object.assign(new MessageTemplate(), rest, { body: templateBody((components ?? []) as TemplateComponent[]) });
  }
}

export const MessageTemplateConnection = Connection(MessageTemplate, 'MessageTemplate');

@InputType({ description: 'Filters for the template list.' })
export class MessageTemplateFilter {
  @Field(() => String, { nullable: true, description: 'Only templates in this status, e.g. APPROVED.' })
  status?: string | null;

  @Field(() => String, { nullable: true, description: 'Only templates of this name (every language).' })
  name?: string | null;
}
