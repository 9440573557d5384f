import type { MetaSimulator } from './simulator.js';
import type { NumberPatch } from './core.js';
import type { FaultSpec, HealthIssue, SmsRecord, TemplateStatus } from './types.js';
import { escapeHtml, isObject, type JsonObject } from './util.js';
import { verifyCallback } from './graph.js';
import { GraphError } from './errors.js';

export class ControlError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** A control answer that is a page for people rather than JSON. */
export class HtmlPage {
  constructor(readonly html: string) {}
}

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const bool = (v: unknown): boolean | undefined => (typeof v === 'boolean' ? v : undefined);
const strList = (v: unknown): string[] | undefined => (Array.isArray(v) ? v.map(String) : undefined);
const required = (v: string | undefined, name: string): string => {
  if (!v) throw new ControlError(400, `${name} is required`);
  return v;
};

/**
 * The control API under /_sim/: JSON in, JSON out. It mirrors the in-process helpers of Simulator,
 * for tests, demos and benchmarks that run the simulator in another process.
 */
export async function routeControl(sim: MetaSimulator, method: string, path: string, query: Record<string, string>, body: JsonObject): Promise<unknown> {
  const route = `${method} ${path.replace(/\/+$/, '')}`;
  switch (route) {
    case 'GET /_sim':
    case 'GET /_sim/state':
      return sim.snapshot();
    case 'POST /_sim/reset':
      sim.reset();
      return { ok: true };
    case 'POST /_sim/app': {
      const webhookUrl = body.webhookUrl === null ? null : str(body.webhookUrl);
      if (webhookUrl && body.verify === true) {
        try {
          await verifyCallback(webhookUrl, str(body.verifyToken) ?? sim.state.app.verifyToken);
        } catch (error) {
          throw new ControlError(400, error instanceof GraphError ? `${error.message}: ${error.details}` : String(error));
        }
      }
      return sim.configureApp({
        webhookUrl,
        appSecret: str(body.appSecret),
        verifyToken: str(body.verifyToken),
        fields: Array.isArray(body.fields) ? body.fields.map(String) : undefined,
      });
    }
    case 'POST /_sim/businesses':
      return sim.createBusiness({ id: str(body.id), name: str(body.name) });
    case 'POST /_sim/wabas':
      return sim.createWaba({
        id: str(body.id),
        name: str(body.name),
        ownerBusinessId: str(body.ownerBusinessId),
        partnerBusinessIds: strList(body.partnerBusinessIds),
        subscribed: typeof body.subscribed === 'boolean' ? body.subscribed : undefined,
        grantTo: Array.isArray(body.grantTo) ? body.grantTo.map(String) : undefined,
      });
    case 'POST /_sim/wabas/update':
      return sim.updateWaba(required(str(body.wabaId), 'wabaId'), { name: str(body.name), subscribed: bool(body.subscribed), partnerBusinessIds: strList(body.partnerBusinessIds) });
    case 'POST /_sim/numbers': {
      const wabaId = str(body.wabaId);
      if (!wabaId) throw new ControlError(400, 'wabaId is required');
      return sim.createNumber({
        wabaId,
        id: str(body.id),
        displayPhoneNumber: str(body.displayPhoneNumber),
        verifiedName: str(body.verifiedName),
        tier: body.tier === undefined ? undefined : (Number(body.tier) as 20 | 80 | 1000),
        quality: str(body.quality) as 'GREEN' | undefined,
        registered: typeof body.registered === 'boolean' ? body.registered : undefined,
        pin: str(body.pin),
        codeVerificationStatus: str(body.codeVerificationStatus) as NumberPatch['codeVerificationStatus'],
        nameStatus: str(body.nameStatus) as NumberPatch['nameStatus'],
        messagingLimitTier: str(body.messagingLimitTier) as NumberPatch['messagingLimitTier'],
      });
    }
    case 'POST /_sim/numbers/update': {
      const { phoneNumberId, ...patch } = body;
      return sim.updateNumber(required(str(phoneNumberId), 'phoneNumberId'), patch as NumberPatch);
    }
    case 'POST /_sim/numbers/elsewhere':
      return sim.placeNumberElsewhere({ displayPhoneNumber: required(str(body.displayPhoneNumber), 'displayPhoneNumber'), verifiedName: str(body.verifiedName) });
    case 'POST /_sim/limits': {
      const limit = str(body.limit);
      if (limit !== 'register' && limit !== 'request_code') throw new ControlError(400, 'limit must be register or request_code');
      return sim.setLimit(required(str(body.phoneNumberId), 'phoneNumberId'), limit, body.exhausted !== false);
    }
    case 'GET /_sim/sms': {
      const messages = sim.sms(query.phone);
      return { phone: query.phone?.replace(/\D/g, '') ?? null, latest: messages.at(-1) ?? null, messages };
    }
    case 'GET /_sim/sms.html':
      return new HtmlPage(smsPage(sim.sms(query.phone), query.phone));
    case 'GET /_sim/health':
      return sim.state.healthIssues;
    case 'POST /_sim/health':
      return sim.addHealthIssue(body as unknown as HealthIssue);
    case 'DELETE /_sim/health':
      sim.clearHealthIssues(query.id);
      return { ok: true };
    case 'POST /_sim/tokens':
      return sim.createToken({
        kind: body.kind === 'system' ? 'system' : 'business',
        wabaIds: Array.isArray(body.wabaIds) ? body.wabaIds.map(String) : [],
        noMessaging: strList(body.noMessaging),
        businessId: body.businessId === null ? null : str(body.businessId),
        expiresInMs: typeof body.expiresInMs === 'number' ? body.expiresInMs : undefined,
        token: str(body.token),
      });
    case 'POST /_sim/tokens/scopes': {
      const scopes = strList(body.scopes);
      if (!scopes) throw new ControlError(400, 'scopes (a list, possibly empty) is required');
      return sim.setTokenScopes(required(str(body.token), 'token'), required(str(body.wabaId), 'wabaId'), scopes);
    }
    case 'POST /_sim/tokens/expire': {
      const token = str(body.token);
      const wabaId = str(body.wabaId);
      if (wabaId && !token) return sim.expireBusinessTokens(wabaId);
      if (!token) throw new ControlError(400, 'token (or wabaId) is required');
      return sim.expireToken(token);
    }
    case 'POST /_sim/codes': {
      const wabaId = str(body.wabaId);
      if (!wabaId) throw new ControlError(400, 'wabaId is required');
      const record = sim.createCode({ wabaId, phoneNumberId: str(body.phoneNumberId) ?? null, scopes: strList(body.scopes) });
      return { code: record.code, waba_id: record.wabaId, phone_number_id: record.phoneNumberId };
    }
    case 'GET /_sim/scenario':
      return sim.state.scenario;
    case 'POST /_sim/scenario':
      return sim.setScenario(body as never);
    case 'GET /_sim/faults':
      return sim.state.faults;
    case 'POST /_sim/faults': {
      const target = str(body.target);
      if (!target) throw new ControlError(400, 'target (phone number id, WABA id or *) is required');
      const { target: _t, ...spec } = body;
      return sim.setFault(target, spec as unknown as FaultSpec);
    }
    case 'DELETE /_sim/faults':
      sim.clearFaults(query.target);
      return { ok: true };
    case 'POST /_sim/inbound': {
      const phoneNumberId = str(body.phoneNumberId);
      if (!phoneNumberId) throw new ControlError(400, 'phoneNumberId is required');
      const pending = sim.sendInbound({ ...(body as object), phoneNumberId } as Parameters<MetaSimulator['sendInbound']>[0]);
      if (body.wait === true) {
        const r = await pending;
        return { message_id: r.messageId, from: r.from, name: r.name, delivery: r.delivery };
      }
      void pending.catch(() => undefined);
      return { accepted: true };
    }
    case 'POST /_sim/templates/status': {
      const wabaId = str(body.wabaId);
      const name = str(body.name);
      const status = str(body.status) as TemplateStatus | undefined;
      if (!wabaId || !name || !status) throw new ControlError(400, 'wabaId, name and status are required');
      const delivery = await sim.setTemplateStatus({ wabaId, name, language: str(body.language), status, reason: str(body.reason) });
      return { ok: true, delivery };
    }
    case 'GET /_sim/traffic':
      return sim.traffic().map((t) => t.summary());
    case 'POST /_sim/traffic': {
      const run = sim.startTraffic({
        ratePerSecond: Number(body.ratePerSecond),
        phoneNumberIds: Array.isArray(body.phoneNumberIds) ? body.phoneNumberIds.map(String) : undefined,
        durationMs: typeof body.durationMs === 'number' ? body.durationMs : undefined,
        kinds: Array.isArray(body.kinds) ? (body.kinds.map(String) as never) : undefined,
        customers: typeof body.customers === 'number' ? body.customers : undefined,
      });
      return run.summary();
    }
    case 'POST /_sim/traffic/stop':
      return sim.stopTraffic(typeof body.id === 'number' ? body.id : undefined);
    case 'GET /_sim/requests':
      return sim.requests({ since: num(query.since), target: query.target, limit: num(query.limit) });
    case 'GET /_sim/deliveries':
      return sim.deliveries({ since: num(query.since), limit: num(query.limit) });
    case 'GET /_sim/messages':
      return sim.messages({ phoneNumberId: query.phoneNumberId, to: query.to });
    case 'GET /_sim/stats':
      return sim.stats();
    case 'POST /_sim/idle':
      await sim.idle(num(query.timeoutMs) ?? 30_000);
      return { idle: true };
    default:
      throw new ControlError(404, `no control route ${route}`);
  }
}

function num(v: string | undefined): number | undefined {
  if (v === undefined || v === '') return undefined;
  const n = Number(v);
  return Number.isFinite(n) ? n : undefined;
}

export function ensureObject(v: unknown): JsonObject {
  return isObject(v) ? v : {};
}

/** The business owner's phone, as a page the demo links to: every code the simulator "sent", newest first. */
function smsPage(messages: SmsRecord[], phone: string | undefined): string {
  const rows = [...messages]
    .reverse()
    .map(
      (m) => `<li><div class="code">${escapeHtml(m.code.slice(0, 3))}-${escapeHtml(m.code.slice(3))}</div>
        <div>${escapeHtml(m.method === 'SMS' ? 'SMS' : 'Voice call')} to <b>+${escapeHtml(m.phone)}</b> at ${escapeHtml(m.sentAt)}</div>
        <div class="text">${escapeHtml(m.text)}</div></li>`,
    )
    .join('\n');
  const title = phone ? `Codes sent to +${escapeHtml(phone.replace(/\D/g, ''))}` : 'Codes sent';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta http-equiv="refresh" content="3"><title>${title} (Meta simulator)</title>
<style>
  body { font: 15px system-ui, sans-serif; max-width: 32rem; margin: 2rem auto; color: #1c1e21; }
  ul { list-style: none; padding: 0; } li { border: 1px solid #dddfe2; border-radius: 8px; padding: .8rem 1rem; margin: .6rem 0; }
  .code { font: 600 2rem ui-monospace, monospace; letter-spacing: .15em; } .text, small { color: #65676b; }
</style></head>
<body><h1>${title}</h1>
<form method="get"><label>Phone <input name="phone" value="${escapeHtml(phone ?? '')}" placeholder="5511987654321"></label> <button>Show</button></form>
${rows ? `<ul id="codes">${rows}</ul>` : '<p id="none">No code sent yet. This page refreshes itself.</p>'}
<p><small>What the Meta simulator "sent" by SMS or voice call (POST /{phone-number-id}/request_code). JSON: <code>GET /_sim/sms?phone=</code></small></p>
</body></html>`;
}
