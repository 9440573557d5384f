import type { MetaSimulator } from './simulator.js';
import type { FaultSpec, TemplateStatus } from './types.js';
import { isObject, type JsonObject } from './util.js';
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

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

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
    case 'POST /_sim/wabas':
      return sim.createWaba({
        id: str(body.id),
        name: str(body.name),
        ownerBusinessId: str(body.ownerBusinessId),
        subscribed: typeof body.subscribed === 'boolean' ? body.subscribed : undefined,
        grantTo: Array.isArray(body.grantTo) ? body.grantTo.map(String) : undefined,
      });
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
      });
    }
    case 'POST /_sim/tokens':
      return sim.createToken({
        kind: body.kind === 'system' ? 'system' : 'business',
        wabaIds: Array.isArray(body.wabaIds) ? body.wabaIds.map(String) : [],
        expiresInMs: typeof body.expiresInMs === 'number' ? body.expiresInMs : undefined,
        token: str(body.token),
      });
    case 'POST /_sim/tokens/expire': {
      const token = str(body.token);
      if (!token) throw new ControlError(400, 'token is required');
      return sim.expireToken(token);
    }
    case 'POST /_sim/codes': {
      const wabaId = str(body.wabaId);
      if (!wabaId) throw new ControlError(400, 'wabaId is required');
      const record = sim.createCode({ wabaId, phoneNumberId: str(body.phoneNumberId) ?? null });
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
