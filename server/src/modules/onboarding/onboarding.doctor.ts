import { and, count, eq } from 'drizzle-orm';
import type { JobDeps } from '../../queue/job-types.js';
import { ValidationError, MetaRequestError } from '../../lib/errors.js';
import { decryptSecret } from '../../lib/secrets.js';
import { isMetaApiError, type MetaApiError } from '../../meta/meta-errors.js';
import { OPERATOR, assertOperator, type Viewer } from '../auth/auth.viewer.js';
import type { PhoneNumberService } from '../phone-numbers/phone-numbers.service.js';
import type { MessageTemplateService } from '../message-templates/message-templates.service.js';
import { messageTemplates } from '../message-templates/message-templates.table.js';
import type { PhoneNumberRow } from '../phone-numbers/phone-numbers.table.js';
import { isRegistered, refreshMetaState } from '../phone-numbers/phone-numbers.meta-state.js';
import { classifyStepFailure } from './onboarding.errors.js';

// The number doctor: every check of what makes a number receive and send, each answered ok, warn
// or fail with the evidence (what Meta or Postgres said) and the fix; a failure wabahub can mend
// itself carries a fixAction that fixPhoneNumber performs. Users of other products most often
// fail at "subscribed" and "registered" and then see no messages at all: those come first.

export const FIX_ACTIONS = ['subscribe', 'register', 'sync_templates', 'refresh'] as const;
export type FixAction = (typeof FIX_ACTIONS)[number];
export type CheckStatus = 'ok' | 'warn' | 'fail';

export interface DoctorCheck {
  name: string;
  status: CheckStatus;
  summary: string;
  evidence: unknown;
  fix: string | null;
  fixAction: FixAction | null;
}

export interface Diagnosis {
  phoneNumber: PhoneNumberRow;
  checks: DoctorCheck[];
  checkedAt: Date;
}

const check = (name: string, status: CheckStatus, summary: string, evidence: unknown, fix: string | null = null, fixAction: FixAction | null = null): DoctorCheck => ({ name, status, summary, evidence, fix, fixAction });

/** A check whose Meta call failed: the error is the evidence, the fix is onboarding's for that code. */
function metaFailure(name: string, error: MetaApiError, fixAction: FixAction | null = null): DoctorCheck {
  const { error: e } = classifyStepFailure(name, error);
  return check(name, 'fail', `Meta answered (#${error.code}) ${error.message}`, error.toJSON(), e.fix, fixAction);
}

const DAY_MS = 24 * 3600 * 1000;

export class PhoneNumberDoctor {
  constructor(
    private readonly deps: Pick<JobDeps, 'db' | 'graph' | 'env'>,
    private readonly phoneNumbers: PhoneNumberService,
    private readonly messageTemplateService: MessageTemplateService,
  ) {}

  private tokenOf(number: PhoneNumberRow): string {
    return number.accessToken ? decryptSecret(number.accessToken, this.deps.env.SECRETS_KEY) : this.deps.env.META_SYSTEM_TOKEN;
  }

  async diagnose(viewer: Viewer, ref: string): Promise<Diagnosis> {
    assertOperator(viewer);
    let number = await this.phoneNumbers.findByRef(viewer, ref);
    const { graph, env } = this.deps;
    const token = this.tokenOf(number);
    const checks: DoctorCheck[] = [];
    const guard = async (name: string, run: () => Promise<DoctorCheck | DoctorCheck[]>, fixAction: FixAction | null = null) => {
      try {
        const result = await run();
        checks.push(...(Array.isArray(result) ? result : [result]));
      } catch (error) {
        if (!isMetaApiError(error)) throw error;
        checks.push(metaFailure(name, error, fixAction));
      }
    };

    await guard('token', async () => {
      const data = await graph.debugToken(token);
      const which = number.accessToken ? "the number's business token (Embedded Signup)" : "the app's system-user token";
      if (!data.is_valid) {
        return check('token', 'fail', `${which} is not valid${data.error ? `: ${data.error.message}` : ''}`, data,
          number.accessToken ? 'have the client run Connect WhatsApp again (a new Embedded Signup gives a new token)' : 'generate a new system-user token in Business Settings and set META_SYSTEM_TOKEN');
      }
      const missing = ['whatsapp_business_management', 'whatsapp_business_messaging'].filter((scope) => {
        const grant = data.granular_scopes?.find((g) => g.scope === scope);
        return !grant || (grant.target_ids !== undefined && !grant.target_ids.includes(number.wabaId));
      });
      if (missing.length > 0) return check('token', 'fail', `${which} lacks ${missing.join(' and ')} on WABA ${number.wabaId}`, data, "grant the token both WhatsApp permissions on this WABA (Business Settings → System users → Assign assets, or the client's Embedded Signup)");
      const expires = data.expires_at ? new Date(data.expires_at * 1000) : null;
      if (expires && expires.getTime() - Date.now() < 7 * DAY_MS) return check('token', 'warn', `${which} expires ${expires.toISOString()}`, data, 'renew it before it expires');
      return check('token', 'ok', `${which} is valid with both WhatsApp permissions on the WABA${expires ? `, until ${expires.toISOString()}` : ', never expiring'}`, data);
    });

    await guard('app_webhook', async () => {
      const subscriptions = await graph.listAppSubscriptions();
      const waba = subscriptions.find((s) => s.object === 'whatsapp_business_account' && s.active !== false);
      if (!waba?.callback_url) return check('app_webhook', 'fail', 'the app has no webhook for whatsapp_business_account: Meta sends nowhere', subscriptions, 'set the callback URL (<wabahub>/webhooks/whatsapp) and verify token in the Meta app dashboard (WhatsApp → Configuration)');
      if (!waba.fields?.some((f) => f.name === 'messages')) return check('app_webhook', 'fail', 'the app webhook does not listen to the messages field', subscriptions, 'subscribe the messages field in the Meta app dashboard (WhatsApp → Configuration → Webhook fields)');
      return check('app_webhook', 'ok', `the app webhook is ${waba.callback_url}, with messages`, subscriptions);
    });

    await guard('waba_subscribed', async () => {
      const apps = await graph.listSubscribedApps(number.wabaId, token);
      if (apps.some((a) => a.whatsapp_business_api_data?.id === env.META_APP_ID)) return check('waba_subscribed', 'ok', `WABA ${number.wabaId} has subscribed our app`, apps);
      return check('waba_subscribed', 'fail', `WABA ${number.wabaId} has not subscribed our app: its webhooks (every customer message) go nowhere`, apps, 'subscribe the app to the WABA', 'subscribe');
    });

    await guard('registered', async () => {
      const refreshed = await refreshMetaState(this.deps.db, graph, number, token);
      number = refreshed.row;
      const info = refreshed.info;
      const state = [
        isRegistered(info)
          ? (info.status === 'CONNECTED'
            ? check('registered', 'ok', `registered on Cloud API, status ${info.status}`, info)
            : check('registered', info.status === 'BANNED' ? 'fail' : 'warn', `registered, but Meta's status is ${info.status}`, info, 'see health_status below for what Meta asks'))
          : check('registered', 'fail', `not registered on Cloud API (status ${info.status ?? 'unknown'}, platform ${info.platform_type ?? 'unknown'}): it can neither send nor receive`, info,
            number.twoStepPin ? 'register the number again with its two-step PIN (wabahub keeps it)' : "register the number with its two-step PIN (this number's PIN is not known to wabahub: onboard it again, or register with the PIN from WhatsApp Manager)",
            number.twoStepPin ? 'register' : null),
        qualityCheck(info.quality_rating, info.name_status),
        check('messaging_limit', 'ok', `messaging limit ${info.messaging_limit_tier ?? 'unknown'}, throughput ${info.throughput?.level ?? 'unknown'} (${number.throughputTier}/s)`, { messaging_limit_tier: info.messaging_limit_tier, throughput: info.throughput }),
      ];
      return state;
    }, 'refresh');

    await guard('health_status', async () => {
      const health = await graph.getHealthStatus(number.phoneNumberId, token);
      const problems = (health.entities ?? []).flatMap((e) => (e.errors ?? []).map((x) => `${e.entity_type} ${e.id}: (#${x.error_code}) ${x.error_description} → ${x.possible_solution}`));
      const status: CheckStatus = health.can_send_message === 'AVAILABLE' ? 'ok' : health.can_send_message === 'LIMITED' ? 'warn' : 'fail';
      return check('health_status', status, `Meta says can_send_message ${health.can_send_message}${problems.length ? `: ${problems.join('; ')}` : ''}`, health,
        problems.length ? (health.entities ?? []).flatMap((e) => (e.errors ?? []).map((x) => x.possible_solution)).join(' ') : null);
    });

    const [{ approved }] = await this.deps.db.select({ approved: count() }).from(messageTemplates).where(and(eq(messageTemplates.wabaId, number.wabaId), eq(messageTemplates.status, 'APPROVED')));
    checks.push(approved > 0
      ? check('templates', 'ok', `${approved} approved message template(s) known for WABA ${number.wabaId}`, { approved })
      : check('templates', 'warn', `no approved message template known for WABA ${number.wabaId}: outside the 24 h window nothing can be sent`, { approved }, "sync the WABA's templates from Meta (and submit one if it has none)", 'sync_templates'));

    const last = number.lastWebhookAt;
    checks.push(!last
      ? check('last_webhook', 'warn', 'no webhook has arrived for this number yet', { lastWebhookAt: null }, 'send the number a WhatsApp message: if nothing arrives, fix the failed checks above (app webhook, subscription, registration)')
      : Date.now() - last.getTime() > DAY_MS
        ? check('last_webhook', 'warn', `the last webhook for this number arrived ${last.toISOString()}, over a day ago`, { lastWebhookAt: last }, 'send the number a WhatsApp message to see that Meta still reaches wabahub')
        : check('last_webhook', 'ok', `the last webhook for this number arrived ${last.toISOString()}`, { lastWebhookAt: last }));

    return { phoneNumber: number, checks, checkedAt: new Date() };
  }

  /** Performs a fixAction, then diagnoses again. */
  async fix(viewer: Viewer, ref: string, action: string): Promise<Diagnosis> {
    assertOperator(viewer);
    if (!FIX_ACTIONS.includes(action as FixAction)) throw new ValidationError(`action: must be one of ${FIX_ACTIONS.join(', ')}`, 'action');
    const number = await this.phoneNumbers.findByRef(viewer, ref);
    const token = this.tokenOf(number);
    try {
      switch (action as FixAction) {
        case 'subscribe':
          await this.deps.graph.subscribeApp(number.wabaId, {}, token);
          break;
        case 'register':
          if (!number.twoStepPin) throw new ValidationError("action: wabahub does not know this number's two-step PIN; register it with the PIN from WhatsApp Manager, or onboard it again", 'action');
          await this.deps.graph.registerNumber(number.phoneNumberId, decryptSecret(number.twoStepPin, this.deps.env.SECRETS_KEY), token);
          break;
        case 'sync_templates':
          await this.messageTemplateService.sync(OPERATOR, number.id);
          break;
        case 'refresh':
          await refreshMetaState(this.deps.db, this.deps.graph, number, token);
          break;
      }
    } catch (error) {
      if (!isMetaApiError(error)) throw error;
      const { error: e } = classifyStepFailure(action === 'subscribe' ? 'subscribe_app' : action, error);
      throw new MetaRequestError(`${action}: Meta answered (#${error.code}) ${error.message.replace(/\.$/, '')}. Fix: ${e.fix}`, { metaCode: error.code, fix: e.fix });
    }
    return this.diagnose(viewer, number.id);
  }
}

function qualityCheck(quality: string | undefined, nameStatus: string | undefined): DoctorCheck {
  const q = quality ?? 'UNKNOWN';
  const n = nameStatus ?? 'UNKNOWN';
  const status: CheckStatus = q === 'RED' || n === 'DECLINED' ? 'fail' : q === 'YELLOW' || (n !== 'APPROVED' && n !== 'AVAILABLE_WITHOUT_REVIEW') ? 'warn' : 'ok';
  const fix = q === 'RED' || q === 'YELLOW'
    ? 'customers block or report this number: send fewer, more expected messages until quality recovers'
    : n === 'DECLINED' ? 'the display name was declined: change it in WhatsApp Manager to match the business' : n === 'PENDING_REVIEW' ? 'Meta is reviewing the display name: nothing to do but wait' : null;
  return check('quality_and_name', status, `quality ${q}, display name ${n}`, { quality_rating: q, name_status: n }, status === 'ok' ? null : fix);
}
