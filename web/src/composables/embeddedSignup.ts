// Meta's Embedded Signup, as the invite page drives it. In production the page loads Meta's JS SDK
// and calls FB.login with the app's config_id: the one-time code comes back in the login callback,
// and the popup posts the client's choices (waba_id, phone_number_id) to the page as a
// `WA_EMBEDDED_SIGNUP` message, or CANCEL with the screen the client left on (`current_step`).
// In development the simulator's popup posts the same message, with the code inside it.

export type SignupOutcome =
  | { kind: 'finish'; wabaId: string; phoneNumberId: string; code: string | null }
  | { kind: 'cancel'; step: string | null }
  | { kind: 'error'; message: string };

const str = (v: unknown): string | null => (typeof v === 'string' && v.trim() ? v.trim() : typeof v === 'number' ? String(v) : null);

/**
 * Reads one `message` event's data; null for anything that is not Embedded Signup's (other
 * windows post messages too). Meta's SDK posts a JSON string, the simulator an object.
 */
export function readSignupMessage(data: unknown): SignupOutcome | null {
  let message = data;
  if (typeof message === 'string') {
    try {
      message = JSON.parse(message);
    } catch {
      return null;
    }
  }
  if (!message || typeof message !== 'object') return null;
  const { type, event, data: payload } = message as { type?: unknown; event?: unknown; data?: Record<string, unknown> };
  if (type !== 'WA_EMBEDDED_SIGNUP') return null;
  const body = payload && typeof payload === 'object' ? payload : {};
  if (event === 'CANCEL') return { kind: 'cancel', step: str(body.current_step) };
  if (event === 'ERROR') return { kind: 'error', message: str(body.error_message) ?? 'Meta reported an error in the signup window' };
  if (typeof event === 'string' && event.startsWith('FINISH')) {
    const wabaId = str(body.waba_id);
    const phoneNumberId = str(body.phone_number_id);
    if (!wabaId) return { kind: 'error', message: 'the signup finished without a WhatsApp Business account' };
    if (!phoneNumberId) return { kind: 'error', message: 'the signup finished without a phone number: run it again and choose (or add) the number to connect' };
    return { kind: 'finish', wabaId, phoneNumberId, code: str(body.code) };
  }
  return null;
}

/** "PHONE_NUMBER_SETUP" → "phone number setup": the screen the client left Meta's window on. */
export function describeCancelStep(step: string | null): string {
  if (!step) return 'before finishing';
  return `at “${step.toLowerCase().replace(/_/g, ' ')}”`;
}

/** Only the popup's own origin may hand us a code: Meta's (facebook.com) or the simulator's. */
export function isTrustedOrigin(origin: string, simulatorSignupUrl: string | null): boolean {
  if (simulatorSignupUrl) {
    try {
      return new URL(simulatorSignupUrl).origin === origin;
    } catch {
      return false;
    }
  }
  try {
    const host = new URL(origin).hostname;
    return host === 'facebook.com' || host.endsWith('.facebook.com');
  } catch {
    return false;
  }
}

/** The simulator's popup page for this page: the app id it was given, and our origin to post back to. */
export function simulatorPopupUrl(simulatorSignupUrl: string, state: string): string {
  const url = new URL(simulatorSignupUrl);
  url.searchParams.set('state', state);
  return url.toString();
}

// ---- Meta's JS SDK (production) --------------------------------------------------------------

interface FacebookSdk {
  init(options: Record<string, unknown>): void;
  login(callback: (response: { authResponse?: { code?: string } | null; status?: string }) => void, options: Record<string, unknown>): void;
}
declare global {
  interface Window { FB?: FacebookSdk; fbAsyncInit?: () => void }
}

let sdk: Promise<FacebookSdk> | null = null;

/** Loads connect.facebook.net's SDK once, initialised for the app. */
export function loadFacebookSdk(appId: string, graphVersion = 'v21.0'): Promise<FacebookSdk> {
  sdk ??= new Promise<FacebookSdk>((resolve, reject) => {
    window.fbAsyncInit = () => {
      window.FB!.init({ appId, autoLogAppEvents: true, xfbml: false, version: graphVersion });
      resolve(window.FB!);
    };
    const script = document.createElement('script');
    script.src = 'https://connect.facebook.net/en_US/sdk.js';
    script.async = true;
    script.crossOrigin = 'anonymous';
    script.onerror = () => { sdk = null; reject(new Error("could not load Meta's SDK (connect.facebook.net): check the connection or an ad blocker")); };
    document.head.appendChild(script);
  });
  return sdk;
}

/** FB.login with Embedded Signup's configuration: resolves the one-time code, or null when the client closed the window. */
export async function facebookLogin(appId: string, configId: string): Promise<string | null> {
  const fb = await loadFacebookSdk(appId);
  return new Promise((resolve) => {
    fb.login((response) => resolve(response.authResponse?.code ?? null), {
      config_id: configId,
      response_type: 'code',
      override_default_response_type: true,
      extras: { setup: {}, featureType: '', sessionInfoVersion: '3' },
    });
  });
}

// ---- one click of "Connect WhatsApp" ----------------------------------------------------------

export interface SignupSettings { appId: string | null; configId: string | null; simulatorSignupUrl: string | null }

/**
 * Opens Embedded Signup and settles with what the client did: finished (with the code and the
 * chosen ids), cancelled (with the screen it stopped on), or an error. A window closed without a
 * word from it counts as cancelled before finishing.
 */
export function connectWhatsApp(settings: SignupSettings, win: Window = window): Promise<SignupOutcome> {
  return new Promise((resolve) => {
    let finished: Extract<SignupOutcome, { kind: 'finish' }> | null = null;
    let code: string | null = null;
    let loginDone = false;
    let closedWatch: ReturnType<typeof setInterval> | null = null;
    const settle = (outcome: SignupOutcome) => {
      win.removeEventListener('message', onMessage);
      if (closedWatch) clearInterval(closedWatch);
      resolve(outcome);
    };
    // Meta's code comes in FB.login's callback, its ids in the message: settle once both are in.
    const settleFinish = () => {
      if (finished && (finished.code ?? code)) settle({ ...finished, code: finished.code ?? code });
      else if (finished && loginDone) settle({ kind: 'error', message: 'Meta returned no authorization code: click Connect WhatsApp again' });
    };
    function onMessage(event: MessageEvent): void {
      if (!isTrustedOrigin(event.origin, settings.simulatorSignupUrl)) return;
      const outcome = readSignupMessage(event.data);
      if (!outcome) return;
      if (outcome.kind === 'finish') {
        finished = outcome;
        settleFinish();
      } else settle(outcome);
    }
    win.addEventListener('message', onMessage);

    if (settings.simulatorSignupUrl) {
      const popup = win.open(simulatorPopupUrl(settings.simulatorSignupUrl, 'wabahub-invite'), 'wa-embedded-signup', 'popup,width=640,height=720');
      if (!popup) {
        settle({ kind: 'error', message: 'the browser blocked the signup window: allow pop-ups for this page and click again' });
        return;
      }
      // The message arrives just before the window closes itself: give it a moment before deciding it was closed unfinished.
      closedWatch = setInterval(() => {
        if (popup.closed) setTimeout(() => { if (!finished) settle({ kind: 'cancel', step: null }); }, 300);
      }, 400);
      return;
    }
    if (!settings.appId || !settings.configId) {
      settle({ kind: 'error', message: 'Embedded Signup is not configured on this server (META_APP_ID and the configuration id): ask the operator' });
      return;
    }
    facebookLogin(settings.appId, settings.configId).then((loginCode) => {
      loginDone = true;
      code = loginCode;
      if (finished) settleFinish();
      // Closed without finishing: Meta's CANCEL message (with its step) usually came first; give it a moment.
      else if (!loginCode) setTimeout(() => settle({ kind: 'cancel', step: null }), 500);
    }, (error: Error) => settle({ kind: 'error', message: error.message }));
  });
}
