// Pure helpers behind the composer and the campaign form: template placeholders, the recipients
// textarea, and the progress bar's segments.

/** The body with {{1}}, {{2}}, ... replaced by the values given (blank ones left as placeholders). */
export function fillTemplate(body: string, variables: string[]): string {
  return body.replace(/\{\{\s*(\d+)\s*\}\}/g, (whole, n: string) => {
    const value = variables[Number(n) - 1];
    return value?.trim() ? value : whole;
  });
}

export interface ParsedRecipients {
  recipients: { to: string; variables: string[] }[];
  errors: { line: number; message: string }[];
}

/**
 * One recipient per line: the number, then the template's body variables, comma- (or tab- or
 * semicolon-) separated, e.g. "+55 11 98765-4321, Ana, 10%". Blank lines and lines starting with #
 * are skipped. A line is wrong when its number is not E.164-like or its variable count is not the
 * template's. The server checks every recipient again; this only catches typos before sending.
 */
export function parseRecipients(text: string, variableCount: number): ParsedRecipients {
  const recipients: ParsedRecipients['recipients'] = [];
  const errors: ParsedRecipients['errors'] = [];
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = raw.trim();
    if (!line || line.startsWith('#')) return;
    const [first, ...rest] = line.split(/\s*[,;\t]\s*/);
    const digits = first.replace(/[\s()-]/g, '');
    if (!/^\+?\d{8,15}$/.test(digits)) {
      errors.push({ line: index + 1, message: `"${first}" is not a phone number` });
      return;
    }
    const variables = rest.map((v) => v.trim());
    if (variables.length !== variableCount) {
      errors.push({ line: index + 1, message: `${variables.length} variable${variables.length === 1 ? '' : 's'}; the template needs ${variableCount}` });
      return;
    }
    recipients.push({ to: digits.startsWith('+') ? digits : `+${digits}`, variables });
  });
  return { recipients, errors };
}

export interface ProgressCounts { total: number; queued: number; sending: number; sent: number; delivered: number; read: number; failed: number; unknown: number }

export const SEGMENTS = ['read', 'delivered', 'sent', 'sending', 'failed', 'unknown'] as const;
export type Segment = (typeof SEGMENTS)[number];

/** Each status as a percentage of the total, for a stacked bar; "done" is everything no longer queued or sending. */
export function progressSegments(p: ProgressCounts): { segments: { name: Segment; count: number; percent: number }[]; donePercent: number; done: number } {
  const total = Math.max(p.total, 0);
  const percent = (n: number) => (total > 0 ? Math.min(100, (n / total) * 100) : 0);
  const segments = SEGMENTS.map((name) => ({ name, count: p[name], percent: percent(p[name]) }));
  const done = p.sent + p.delivered + p.read + p.failed + p.unknown;
  return { segments, donePercent: percent(done), done };
}

/** Reply button ids the customer's tap echoes back: from the title, unique within the message. */
export function buttonIds(titles: string[]): string[] {
  const seen = new Map<string, number>();
  return titles.map((title) => {
    const base = title.normalize('NFD').replace(/[\u0300-\u036f]/g, '').toLowerCase().replace(/[^a-z0-9]+/g, '_').replace(/^_|_$/g, '') || 'button';
    const n = (seen.get(base) ?? 0) + 1;
    seen.set(base, n);
    return n === 1 ? base : `${base}_${n}`;
  });
}
