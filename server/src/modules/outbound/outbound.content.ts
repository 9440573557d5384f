import { ValidationError } from '../../lib/errors.js';
import type { MessageContent, TemplateComponent } from '../../meta/index.js';
import type { MessageTemplateRow } from '../message-templates/message-templates.table.js';
import { SENDABLE_TEMPLATE_STATUS, renderTemplateBody } from '../message-templates/message-templates.service.js';

// What a send puts in messages.payload: Meta's message body without the recipient (the worker adds
// `to` from the contact). Built and checked here, once, for single sends and campaigns alike, with
// Meta's own limits so a message Meta would refuse is refused before it is queued.

export const TEXT_MAX = 4096;
export const INTERACTIVE_BODY_MAX = 1024;
export const MAX_REPLY_BUTTONS = 3;
export const BUTTON_TITLE_MAX = 20;
export const BUTTON_ID_MAX = 256;
export const TEMPLATE_VARIABLE_MAX = 1024;

export interface BuiltContent {
  type: MessageContent['type'];
  payload: MessageContent;
  /** What people read in lists and timelines. */
  text: string | null;
}

export function textContent(text: string): BuiltContent {
  if (text.trim() === '') throw new ValidationError('text: must not be empty', 'text');
  if (text.length > TEXT_MAX) throw new ValidationError(`text: must be at most ${TEXT_MAX} characters (got ${text.length})`, 'text');
  return { type: 'text', payload: { type: 'text', text: { body: text, preview_url: false } }, text };
}

export function interactiveContent(input: { body: string; buttons: { id: string; title: string }[] }): BuiltContent {
  const body = input.body;
  if (body.trim() === '') throw new ValidationError('interactive.body: must not be empty', 'interactive.body');
  if (body.length > INTERACTIVE_BODY_MAX) throw new ValidationError(`interactive.body: must be at most ${INTERACTIVE_BODY_MAX} characters`, 'interactive.body');
  if (input.buttons.length === 0 || input.buttons.length > MAX_REPLY_BUTTONS) {
    throw new ValidationError(`interactive.buttons: must have 1 to ${MAX_REPLY_BUTTONS} buttons (got ${input.buttons.length})`, 'interactive.buttons');
  }
  const ids = new Set<string>();
  const buttons = input.buttons.map((b, i) => {
    const path = `interactive.buttons[${i}]`;
    const id = b.id.trim();
    const title = b.title.trim();
    if (id === '' || id.length > BUTTON_ID_MAX) throw new ValidationError(`${path}.id: must be 1 to ${BUTTON_ID_MAX} characters`, path);
    if (title === '' || title.length > BUTTON_TITLE_MAX) throw new ValidationError(`${path}.title: must be 1 to ${BUTTON_TITLE_MAX} characters`, path);
    if (ids.has(id)) throw new ValidationError(`${path}.id: "${id}" is used by another button`, path);
    ids.add(id);
    return { type: 'reply' as const, reply: { id, title } };
  });
  return { type: 'interactive', payload: { type: 'interactive', interactive: { type: 'button', body: { text: body }, action: { buttons } } }, text: body };
}

/** Checks a template against the mirrored copy: it must be APPROVED and get exactly its variables. */
export function templateContent(template: MessageTemplateRow | undefined, ref: { name: string; language: string }, variables: readonly string[], field = 'template'): BuiltContent {
  if (!template || template.status === 'DELETED') {
    throw new ValidationError(`${field}: no template "${ref.name}" (${ref.language}) on this WABA; run syncMessageTemplates if it was created recently`, field, { template: ref.name, language: ref.language });
  }
  if (template.status !== SENDABLE_TEMPLATE_STATUS) {
    throw new ValidationError(`${field}: template "${ref.name}" (${ref.language}) is ${template.status}; only ${SENDABLE_TEMPLATE_STATUS} templates can be sent`, field, { template: ref.name, status: template.status });
  }
  checkVariables(template, variables, `${field}.variables`);
  const components = (template.components ?? []) as TemplateComponent[];
  return {
    type: 'template',
    payload: {
      type: 'template',
      template: {
        name: template.name,
        language: { code: template.language },
        ...(variables.length > 0 ? { components: [{ type: 'body' as const, parameters: variables.map((text) => ({ type: 'text' as const, text })) }] } : {}),
      },
    },
    text: renderTemplateBody(components, variables) ?? template.name,
  };
}

export function checkVariables(template: Pick<MessageTemplateRow, 'name' | 'variableCount'>, variables: readonly string[], field: string): void {
  if (variables.length !== template.variableCount) {
    throw new ValidationError(`${field}: template "${template.name}" takes exactly ${template.variableCount} variable${template.variableCount === 1 ? '' : 's'} (got ${variables.length})`, field, { expected: template.variableCount, got: variables.length });
  }
  variables.forEach((v, i) => {
    if (v.trim() === '') throw new ValidationError(`${field}[${i}]: must not be empty (Meta refuses empty parameters)`, field);
    if (v.length > TEMPLATE_VARIABLE_MAX) throw new ValidationError(`${field}[${i}]: must be at most ${TEMPLATE_VARIABLE_MAX} characters`, field);
  });
}

/** JSON with sorted keys: jsonb reorders keys, so stored and new payloads compare by this. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    return `{${Object.keys(value as object).sort().filter((k) => (value as Record<string, unknown>)[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`).join(',')}}`;
  }
  return JSON.stringify(value);
}
