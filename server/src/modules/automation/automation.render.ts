// Runtime placeholders in a rule's replies, filled when the rule fires: `{{contact.name}}`,
// `{{contact.first_name}}`, `{{instance.name}}`, `{{business.hours_today}}`. They are dotted so they
// never collide with a rule template's `{{variable}}`s, which are filled once when a template is
// applied (rules.schema.ts).

export const RUNTIME_PLACEHOLDERS = ['contact.name', 'contact.first_name', 'instance.name', 'business.hours_today'] as const;
export type RuntimePlaceholder = (typeof RUNTIME_PLACEHOLDERS)[number];

/**
 * What `{{contact.name}}` and `{{contact.first_name}}` become when the contact has no usable name
 * (no WhatsApp profile name, or one with no letters such as "🌸" or a phone number): "cliente" reads
 * naturally in Portuguese and Spanish, this platform's first markets ("Olá, cliente!"), where an
 * empty string would leave "Olá, !". A caller serving another language passes its own `fallbackName`.
 */
export const CONTACT_NAME_FALLBACK = 'cliente';

export interface RenderContext {
  contact: { name: string | null };
  instance: { name: string };
  /** `hoursToday()` of the instance, e.g. "09:00–18:00" or "closed today". */
  businessHoursToday: string;
  /** Replaces CONTACT_NAME_FALLBACK. */
  fallbackName?: string;
}

// One or more dot-separated words between double braces, spaces allowed inside the braces.
const DOTTED = /\{\{\s*([a-zA-Z0-9_]+(?:\.[a-zA-Z0-9_]+)+)\s*\}\}/g;
const LETTER = /\p{L}/u;
const isKnown = (name: string): name is RuntimePlaceholder => (RUNTIME_PLACEHOLDERS as readonly string[]).includes(name);

/** A profile name as people read it, or null when it has no letters to call someone by. */
function usableName(name: string | null): string | null {
  const clean = name?.replace(/\s+/gu, ' ').trim() ?? '';
  return LETTER.test(clean) ? clean : null;
}

/** The first word of the name that has a letter: "🌸 Maria Souza" → "Maria". */
function firstNameOf(name: string): string {
  return name.split(' ').find((word) => LETTER.test(word)) ?? name;
}

/**
 * Fills the known runtime placeholders in one pass; unknown dotted placeholders stay as written (the
 * API refuses them at write time, see `unknownPlaceholders`). One pass matters: a customer whose
 * profile name is "{{instance.name}}" gets that text, not the instance's name.
 */
export function renderPlaceholders(text: string, ctx: RenderContext): string {
  const name = usableName(ctx.contact.name);
  const fallback = ctx.fallbackName ?? CONTACT_NAME_FALLBACK;
  const values: Record<RuntimePlaceholder, string> = {
    'contact.name': name ?? fallback,
    'contact.first_name': name ? firstNameOf(name) : fallback,
    'instance.name': ctx.instance.name,
    'business.hours_today': ctx.businessHoursToday,
  };
  return text.replace(DOTTED, (whole, key: string) => (isKnown(key) ? values[key] : whole));
}

/** The dotted placeholders in a text that the engine does not fill, each once, in order of appearance. */
export function unknownPlaceholders(text: string): string[] {
  const unknown = new Set<string>();
  for (const m of text.matchAll(DOTTED)) if (!isKnown(m[1])) unknown.add(m[1]);
  return [...unknown];
}
