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
// Interactive list messages (Meta's "Interactive list messages" reference): up to 10 sections and 10
// rows in all; a section title is required once there is more than one section.
export const LIST_BUTTON_MAX = 20;
export const LIST_MAX_SECTIONS = 10;
export const LIST_MAX_ROWS = 10;
export const LIST_SECTION_TITLE_MAX = 24;
export const LIST_ROW_ID_MAX = 200;
export const LIST_ROW_TITLE_MAX = 24;
export const LIST_ROW_DESCRIPTION_MAX = 72;
// Media sent by link: Meta fetches the URL itself and only over HTTPS; captions share the
// interactive body's limit. Meta states no filename limit; 240 keeps it a valid name on every disk.
export const MEDIA_CAPTION_MAX = 1024;
export const MEDIA_LINK_MAX = 2048;
export const MEDIA_FILENAME_MAX = 240;

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

export interface ListSectionInput {
  /** Required when the list has more than one section. */
  title?: string;
  rows: { id: string; title: string; description?: string }[];
}

/** An interactive list: a body, the label of the button that opens the list, and its sections. */
export function listContent(input: { body: string; button: string; sections: ListSectionInput[] }): BuiltContent {
  const body = input.body;
  if (body.trim() === '') throw new ValidationError('interactive.body: must not be empty', 'interactive.body');
  if (body.length > INTERACTIVE_BODY_MAX) throw new ValidationError(`interactive.body: must be at most ${INTERACTIVE_BODY_MAX} characters`, 'interactive.body');
  const button = input.button.trim();
  if (button === '' || button.length > LIST_BUTTON_MAX) throw new ValidationError(`interactive.button: must be 1 to ${LIST_BUTTON_MAX} characters`, 'interactive.button');
  if (input.sections.length === 0 || input.sections.length > LIST_MAX_SECTIONS) {
    throw new ValidationError(`interactive.sections: must have 1 to ${LIST_MAX_SECTIONS} sections (got ${input.sections.length})`, 'interactive.sections');
  }
  const ids = new Set<string>();
  let rowCount = 0;
  const sections = input.sections.map((section, s) => {
    const path = `interactive.sections[${s}]`;
    const title = section.title?.trim() ?? '';
    if (title === '' && input.sections.length > 1) throw new ValidationError(`${path}.title: required when the list has more than one section`, `${path}.title`);
    if (title.length > LIST_SECTION_TITLE_MAX) throw new ValidationError(`${path}.title: must be at most ${LIST_SECTION_TITLE_MAX} characters`, `${path}.title`);
    if (section.rows.length === 0) throw new ValidationError(`${path}.rows: must have at least 1 row`, `${path}.rows`);
    const rows = section.rows.map((row, r) => {
      const rowPath = `${path}.rows[${r}]`;
      if (++rowCount > LIST_MAX_ROWS) throw new ValidationError(`${rowPath}: a list has at most ${LIST_MAX_ROWS} rows in all`, rowPath);
      const id = row.id.trim();
      const rowTitle = row.title.trim();
      const description = row.description?.trim() ?? '';
      if (id === '' || id.length > LIST_ROW_ID_MAX) throw new ValidationError(`${rowPath}.id: must be 1 to ${LIST_ROW_ID_MAX} characters`, `${rowPath}.id`);
      if (ids.has(id)) throw new ValidationError(`${rowPath}.id: "${id}" is used by another row`, `${rowPath}.id`);
      ids.add(id);
      if (rowTitle === '' || rowTitle.length > LIST_ROW_TITLE_MAX) throw new ValidationError(`${rowPath}.title: must be 1 to ${LIST_ROW_TITLE_MAX} characters`, `${rowPath}.title`);
      if (description.length > LIST_ROW_DESCRIPTION_MAX) throw new ValidationError(`${rowPath}.description: must be at most ${LIST_ROW_DESCRIPTION_MAX} characters`, `${rowPath}.description`);
      return { id, title: rowTitle, ...(description !== '' ? { description } : {}) };
    });
    return { ...(title !== '' ? { title } : {}), rows };
  });
  return { type: 'interactive', payload: { type: 'interactive', interactive: { type: 'list', body: { text: body }, action: { button, sections } } }, text: body };
}

/** Why a media link is refused, or null: Meta downloads it itself, over HTTPS only. */
export function mediaLinkProblem(link: string): string | null {
  if (link.length > MEDIA_LINK_MAX) return `must be at most ${MEDIA_LINK_MAX} characters`;
  let url: URL;
  try {
    url = new URL(link);
  } catch {
    return 'must be an https:// URL';
  }
  if (url.protocol !== 'https:' || url.hostname === '') return 'must be an https:// URL';
  return null;
}

/** An image or a document that Meta fetches from a link, with an optional caption (and a document's file name). */
export function mediaContent(input: { mediaType: 'image' | 'document'; link: string; caption?: string; filename?: string }): BuiltContent {
  const { mediaType } = input;
  if (mediaType !== 'image' && mediaType !== 'document') throw new ValidationError('media.type: must be image or document', 'media.type');
  const linkProblem = mediaLinkProblem(input.link);
  if (linkProblem) throw new ValidationError(`media.link: ${linkProblem}`, 'media.link');
  const caption = input.caption?.trim() ? input.caption : undefined;
  if (caption && caption.length > MEDIA_CAPTION_MAX) throw new ValidationError(`media.caption: must be at most ${MEDIA_CAPTION_MAX} characters`, 'media.caption');
  const filename = input.filename?.trim() || undefined;
  // Meta ignores a filename on an image; refusing it says so instead of dropping it quietly.
  if (filename && mediaType !== 'document') throw new ValidationError('media.filename: only a document has a file name', 'media.filename');
  if (filename && filename.length > MEDIA_FILENAME_MAX) throw new ValidationError(`media.filename: must be at most ${MEDIA_FILENAME_MAX} characters`, 'media.filename');
  const media = { link: input.link, ...(caption ? { caption } : {}), ...(filename ? { filename } : {}) };
  const payload: MessageContent = mediaType === 'image' ? { type: 'image', image: media } : { type: 'document', document: media };
  return { type: mediaType, payload, text: caption ?? null };
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
