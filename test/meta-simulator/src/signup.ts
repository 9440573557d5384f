import type { SimulatorCore } from './core.js';
import { numbersOf } from './state.js';
import { escapeHtml, randomDigits } from './util.js';

/**
 * Plays Embedded Signup's popup: the client picks a WABA and number (or creates a new one) and
 * presses Finish. The page then hands back a one-time code with the chosen ids, as Meta's does:
 * `window.opener.postMessage(...)` when opened as a popup, or a redirect to `redirect_uri` with
 * `code`, `waba_id`, `phone_number_id` and `state` in the query.
 */
export function signupPage(core: SimulatorCore, query: Record<string, string>): { status: number; html: string } {
  const app = core.state.app;
  if (query.app_id !== app.appId) return { status: 400, html: page('Embedded Signup', `<p class="error">Unknown app_id ${escapeHtml(query.app_id ?? '(none)')}.</p>`) };
  const options = [...core.state.wabas.values()]
    .flatMap((waba) =>
      numbersOf(core.state, waba.id).map(
        (n, i) =>
          `<label><input type="radio" name="choice" value="${escapeHtml(`${waba.id}:${n.id}`)}"${i === 0 && waba === [...core.state.wabas.values()][0] ? ' checked' : ''}>
          <b>${escapeHtml(waba.name)}</b> — ${escapeHtml(n.verifiedName)} (+${escapeHtml(n.displayPhoneNumber)}) <small>WABA ${escapeHtml(waba.id)}, number ${escapeHtml(n.id)}</small></label>`,
      ),
    )
    .join('\n');
  const hidden = ['app_id', 'redirect_uri', 'state']
    .filter((k) => query[k] !== undefined)
    .map((k) => `<input type="hidden" name="${k}" value="${escapeHtml(query[k])}">`)
    .join('');
  const body = `
    <p>Connect your WhatsApp Business account to <b>wabahub</b> (app ${escapeHtml(app.appId)}).</p>
    <form method="post" action="" id="signup">
      ${hidden}
      <fieldset><legend>Choose a WhatsApp Business account and phone number</legend>
      ${options}
      <label><input type="radio" name="choice" value="new"${options ? '' : ' checked'}> Create a new WhatsApp Business account with a new number</label>
      <label>Business name for a new account <input name="business_name" value="Nova Empresa"></label>
      </fieldset>
      <label>Leave on the screen <select name="current_step">${CANCEL_STEPS.map((step) => `<option>${step}</option>`).join('')}</select></label>
      <button type="submit" id="finish">Finish</button>
      <button type="submit" id="cancel" name="action" value="cancel" class="secondary">Cancel</button>
    </form>`;
  return { status: 200, html: page('Embedded Signup', body) };
}

/** Screens of Embedded Signup a client can leave on; CANCEL reports the one (Meta's `current_step`). */
// PHONE_NUMBER_SETUP first: the popup's one screen (choose an account and a number), the default.
export const CANCEL_STEPS = ['PHONE_NUMBER_SETUP', 'BUSINESS_ACCOUNT_SELECTION', 'WABA_PHONE_SELECTION', 'PHONE_NUMBER_ADDITION', 'PHONE_NUMBER_VERIFICATION'] as const;

export type SignupResult =
  | { kind: 'redirect'; location: string; result: SignupIds }
  | { kind: 'html'; status: number; html: string; result?: SignupIds }
  | { kind: 'cancelled'; location: string; currentStep: string };

export interface SignupIds {
  code: string;
  waba_id: string;
  phone_number_id: string;
}

export function submitSignup(core: SimulatorCore, params: Record<string, unknown>): SignupResult {
  const str = (k: string) => (typeof params[k] === 'string' ? (params[k] as string) : undefined);
  if (str('app_id') !== core.state.app.appId) return { kind: 'html', status: 400, html: page('Embedded Signup', '<p class="error">Unknown app_id.</p>') };
  if (str('action') === 'cancel') return cancelSignup(str('current_step'), str('redirect_uri'), str('state'));
  const choice = str('choice') ?? '';
  let wabaId: string;
  let numberId: string;
  if (choice === 'new') {
    // A brand-new client: a WABA nobody subscribed to yet, with an unregistered number.
    // Owned by the client's new business portfolio, and shared with ours: a client WABA for us.
    const name = str('business_name') || 'Nova Empresa';
    const business = core.createBusiness({ name });
    const waba = core.createWaba({ name, ownerBusinessId: business.id, partnerBusinessIds: [core.state.businessId], grantTo: [] });
    const number = core.createNumber({ wabaId: waba.id, verifiedName: waba.name, displayPhoneNumber: `5511${randomDigits(9)}`, registered: false });
    wabaId = waba.id;
    numberId = number.id;
  } else {
    [wabaId, numberId] = choice.split(':');
    const number = core.state.numbers.get(numberId ?? '');
    if (!number || number.wabaId !== wabaId) return { kind: 'html', status: 400, html: page('Embedded Signup', '<p class="error">Choose a phone number.</p>') };
  }
  const { code } = core.completeSignup(wabaId, numberId);
  const result: SignupIds = { code: code.code, waba_id: wabaId, phone_number_id: numberId };
  const redirect = str('redirect_uri');
  if (redirect) {
    const location = new URL(redirect);
    for (const [k, v] of Object.entries(result)) location.searchParams.set(k, v);
    if (str('state') !== undefined) location.searchParams.set('state', str('state')!);
    return { kind: 'redirect', location: location.toString(), result };
  }
  // Meta's popup posts the chosen ids as a WA_EMBEDDED_SIGNUP message, and the code through the SDK's
  // login callback; with no SDK here, the code rides in the same message.
  const message = { type: 'WA_EMBEDDED_SIGNUP', event: 'FINISH', version: 4, data: { ...result } };
  const json = JSON.stringify(message).replace(/</g, '\\u003c');
  const body = `
    <p>Done. You can close this window.</p>
    <pre id="result">${escapeHtml(JSON.stringify(result, null, 2))}</pre>
    <script>
      const message = ${json};
      if (window.opener) { window.opener.postMessage(message, '*'); window.close(); }
    </script>`;
  return { kind: 'html', status: 200, html: page('Embedded Signup — finished', body), result };
}

/**
 * The client closed the popup (or pressed Cancel): Meta posts `{ event: "CANCEL", data: { current_step } }`
 * and issues no code. With a redirect_uri: `?error=access_denied&current_step=...&state=...`.
 */
function cancelSignup(step: string | undefined, redirect: string | undefined, state: string | undefined): SignupResult {
  const currentStep = CANCEL_STEPS.includes(step as never) ? step! : CANCEL_STEPS[0];
  if (redirect) {
    const location = new URL(redirect);
    location.searchParams.set('error', 'access_denied');
    location.searchParams.set('current_step', currentStep);
    if (state !== undefined) location.searchParams.set('state', state);
    return { kind: 'cancelled', location: location.toString(), currentStep };
  }
  const message = { type: 'WA_EMBEDDED_SIGNUP', event: 'CANCEL', version: 4, data: { current_step: currentStep } };
  const body = `
    <p>Cancelled. You can close this window.</p>
    <pre id="result">${escapeHtml(JSON.stringify(message.data, null, 2))}</pre>
    <script>
      const message = ${JSON.stringify(message)};
      if (window.opener) { window.opener.postMessage(message, '*'); window.close(); }
    </script>`;
  return { kind: 'html', status: 200, html: page('Embedded Signup — cancelled', body) };
}

function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)} (Meta simulator)</title>
<style>
  body { font: 15px system-ui, sans-serif; max-width: 40rem; margin: 2rem auto; color: #1c1e21; }
  h1 { font-size: 1.3rem; } label { display: block; margin: .5rem 0; } small { color: #65676b; }
  fieldset { border: 1px solid #dddfe2; border-radius: 8px; } .error { color: #b00020; }
  button.secondary { background: #e4e6eb; color: #1c1e21; margin-left: .5rem; }
  button { background: #1877f2; color: white; border: 0; border-radius: 6px; padding: .6rem 1.4rem; font-size: 1rem; }
</style></head>
<body><h1>${escapeHtml(title)}</h1>${body}</body></html>`;
}
