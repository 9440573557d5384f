// What the number doctor page shows of a diagnosis: each check's name for people, each one-click
// fix's label, the failing checks first, and Meta's evidence as readable text.

export const CHECK_LABELS: Record<string, string> = {
  token: 'Access token and its permissions',
  app_webhook: "The app's webhook",
  waba_subscribed: 'WABA subscribed to the app',
  registered: 'Registered on the Cloud API',
  quality_and_name: 'Quality rating and display name',
  messaging_limit: 'Messaging limit and throughput',
  health_status: "Meta's health status",
  templates: 'Approved message templates',
  last_webhook: 'Last webhook received',
};

export const FIX_LABELS: Record<string, string> = {
  subscribe: 'Subscribe the app to the WABA',
  register: 'Register the number',
  sync_templates: 'Sync the templates',
  refresh: "Read Meta's state again",
};

const RANK: Record<string, number> = { fail: 0, warn: 1, ok: 2 };

/** Failing checks first, then warnings, then the rest, each group in the server's order. */
export function worstFirst<T extends { status: string }>(checks: readonly T[]): T[] {
  return checks.map((check, i) => ({ check, i })).sort((a, b) => (RANK[a.check.status] ?? 3) - (RANK[b.check.status] ?? 3) || a.i - b.i).map((x) => x.check);
}

/** The evidence as people read it: a sentence stays a sentence, Meta's JSON is indented. */
export function evidenceText(evidence: unknown): string {
  if (typeof evidence === 'string') return evidence;
  return JSON.stringify(evidence, null, 2);
}
