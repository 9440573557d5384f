import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CampaignService } from '../../server/src/modules/campaigns/campaigns.service.js';
import { codes, gql, gqlOk } from '../setup/graphql-client.js';
import { eventually } from '../setup/webhooks.js';
import { makeTenant, uniqueE164 } from '../factories/index.js';
import { QueueName, JobName } from '../../server/src/queue/names.js';
import { acceptedFor, busiestWindow, makeSender, startOutboundHarness, type OutboundHarness } from '../setup/outbound.js';
import { campaignProgressProbe, subscribeLive, type LiveSubscription } from '../setup/subscriptions.js';
import { messageIdsOf, watchJobs } from '../setup/queues.js';

// setup(): the simulator plays Meta (pair rate on, statuses sent → delivered → read); a real
// server and worker; subscriptions over graphql-ws on the real server. "Nothing more is sent" is
// proven by running the campaign's remaining send jobs to their end, never by waiting a while.
let h: OutboundHarness;
const subscriptions: LiveSubscription<any>[] = [];
beforeAll(async () => {
  h = await startOutboundHarness('campaigns');
});
// Longer than the 60 s default: a close seen waiting that long in CI (the harness names the slow part).
afterAll(async () => {
  await Promise.all(subscriptions.map((s) => s.close()));
  await h?.close();
}, 150_000);

const SEND_CAMPAIGN = `mutation($input: SendCampaignInput!) { sendCampaign(input: $input) { id name state recipientCount templateName templateLanguage } }`;
const CAMPAIGN = `query($id: ID!) { campaign(id: $id) { id state recipientCount startedAt finishedAt progress { total queued sending sent delivered read failed unknown } } }`;

function recipients(n: number, variables: (i: number) => string[] = (i) => [`Cliente ${i}`]) {
  return Array.from({ length: n }, (_, i) => ({ to: uniqueE164(), variables: variables(i) }));
}

/** A socket following one campaign's progress with `key`, proven live by probes as `tenantId` would see them. */
function subscribeProgress(key: string, tenantId: string, id: string) {
  const subscription = subscribeLive<any>(h.server.url, key, {
    query: `subscription($id: ID!) { campaignProgress(id: $id) { campaignId state total queued sending sent delivered read failed unknown updatedAt } }`, variables: { id }, field: 'campaignProgress',
  }, campaignProgressProbe(h.server.core, tenantId, id));
  subscriptions.push(subscription);
  return subscription;
}

const accepted = (numberId: string) => h.sim.requests({ target: numberId }).filter((r) => r.outcome === 'accepted');
/** The tenant's send jobs that may still run (not its campaigns' tickers, which only count). */
const watchSends = (tenantId: string) => watchJobs(h.server.core.queues.outbound, (job) => job.data.tenantId === tenantId && job.name !== JobName.Campaign);

describe(CampaignService.name, () => {
  describe('sendCampaign', () => {
    it('sends the template to every recipient with its own variables, within the tier, and streams progress to read', { timeout: 30_000 }, async () => {
      const s = await makeSender(h, { tier: 80 });
      const list = recipients(160);
      // Subscribing needs the id: create through GraphQL, then subscribe at once (the campaign job
      // ticks every second and the sends take two, so most counts come after the socket is live).
      const { sendCampaign } = await gqlOk(h.server.url, s.key, SEND_CAMPAIGN, { input: { instanceId: s.instance.id, name: 'Boas-vindas de março', template: { name: 'boas_vindas', language: 'pt_BR' }, recipients: list } });
      expect(sendCampaign).toMatchObject({ name: 'Boas-vindas de março', state: 'queued', recipientCount: 160, templateName: 'boas_vindas', templateLanguage: 'pt_BR' });
      const progress = subscribeProgress(s.key, s.tenant.id, sendCampaign.id);
      const stranger = await makeTenant(h.server.core.services);
      const peeking = subscribeProgress(stranger.key, stranger.tenant.id, sendCampaign.id);
      await Promise.all([progress.sync(), peeking.sync()]);

      await progress.until((events) => events.some((e) => e.read === 160), 'every message read, reported by the subscription', 25_000).catch((e) => { console.log(JSON.stringify(progress.received.slice(-3))); throw e; });
      const sent = accepted(s.simNumber.id);
      expect(sent).toHaveLength(160);
      // Each recipient got its own variable.
      const byTo = new Map(sent.map((r) => [(r.body as any).to, (r.body as any).template.components[0].parameters[0].text]));
      list.forEach((r, i) => expect(byTo.get(r.to.slice(1))).toBe(`Cliente ${i}`));
      expect(busiestWindow(sent)).toBeLessThanOrEqual(80);
      // The counts only ever grow toward the end state, and each event is the campaign's.
      expect(progress.received.every((e) => e.campaignId === sendCampaign.id && e.total === 160)).toBe(true);
      expect(progress.received.some((e) => e.state === 'running')).toBe(true);
      expect(progress.received.at(-1)).toMatchObject({ state: 'completed', queued: 0, sending: 0, read: 160, failed: 0, unknown: 0 });
      // Another tenant's socket gets nothing: a probe published after the last count reached it,
      // so every count published before had reached it too.
      await peeking.sync();
      expect(peeking.received).toEqual([]);
      expect([...progress.errors, ...peeking.errors]).toEqual([]);
      const { campaign } = await gqlOk(h.server.url, s.key, CAMPAIGN, { id: sendCampaign.id });
      expect(campaign.state).toBe('completed');
      expect(campaign.finishedAt).not.toBeNull();
      expect(campaign.progress).toEqual({ total: 160, queued: 0, sending: 0, sent: 0, delivered: 0, read: 160, failed: 0, unknown: 0 });
    });

    it('checks every recipient first and stores nothing when one is wrong, naming it', async () => {
      const s = await makeSender(h);
      const send = (input: Record<string, unknown>) => gql(h.server.url, s.key, SEND_CAMPAIGN, { input: { instanceId: s.instance.id, template: { name: 'order_update', language: 'en_US' }, ...input } });
      const badVariables = await send({ recipients: [...recipients(3, () => ['Ana', '#1']), { to: uniqueE164(), variables: ['Ana'] }] });
      expect(codes(badVariables)).toEqual(['VALIDATION_FAILED']);
      expect(badVariables.errors![0].message).toBe('recipients[3].variables: template "order_update" takes exactly 2 variables (got 1)');
      const badNumber = await send({ recipients: [{ to: uniqueE164(), variables: ['a', 'b'] }, { to: 'not-a-number', variables: ['a', 'b'] }] });
      expect(badNumber.errors![0].message).toMatch(/^recipients\[1\]\.to: "not-a-number" is not a phone number/);
      const paused = await send({ template: { name: 'promo_pausada', language: 'pt_BR' }, recipients: recipients(1) });
      expect(paused.errors![0].message).toMatch(/is PAUSED/);
      expect(codes(await send({ recipients: [] }))).toEqual(['VALIDATION_FAILED']);
      const [{ n }] = await h.server.core.database.sql`select count(*)::int as n from campaigns where tenant_id = ${s.tenant.id}`;
      expect(n).toBe(0);
    });

    it('takes 100,000 recipients in one request (a body far over the usual 256 KB), and refuses 100,001', { timeout: 90_000 }, async () => {
      const s = await makeSender(h, { tier: 1000 });
      // Meta is kept waiting, so that the campaign can be cancelled before it has sent much.
      h.sim.setFault(s.simNumber.id, { kind: 'slow', delayMs: 2_000, ratio: 1 });
      const list = Array.from({ length: 100_000 }, (_, i) => ({ to: `+5511${String(900_000_000 + i)}`, variables: [`Cliente ${i}`, `#${i}`] }));
      const input = { instanceId: s.instance.id, template: { name: 'order_update', language: 'en_US' }, recipients: list };
      expect(JSON.stringify(input).length).toBeGreaterThan(5 * 1024 * 1024);
      const { sendCampaign } = await gqlOk(h.server.url, s.key, SEND_CAMPAIGN, { input });
      expect(sendCampaign.recipientCount).toBe(100_000);
      await gqlOk(h.server.url, s.key, `mutation($id: ID!) { cancelCampaign(id: $id) { state } }`, { id: sendCampaign.id });
      h.sim.clearFaults(s.simNumber.id);
      const [{ n }] = await h.server.core.database.sql`select count(*)::int as n from messages where campaign_id = ${sendCampaign.id}`;
      expect(n).toBe(100_000);

      const tooMany = await gql(h.server.url, s.key, SEND_CAMPAIGN, { input: { ...input, recipients: [...list, { to: uniqueE164(), variables: ['a', 'b'] }] } });
      expect(codes(tooMany)).toEqual(['VALIDATION_FAILED']);
      expect(tooMany.errors![0].message).toBe('recipients: at most 100,000 per campaign (got 100001)');
    });

    it('sends one message to a recipient listed twice', async () => {
      const s = await makeSender(h);
      const to = uniqueE164();
      const { sendCampaign } = await gqlOk(h.server.url, s.key, SEND_CAMPAIGN, { input: { instanceId: s.instance.id, template: { name: 'hello_world', language: 'en_US' }, recipients: [{ to }, { to: to.replace('+55', '+55 ') }, { to: uniqueE164() }] } });
      expect(sendCampaign.recipientCount).toBe(2);
      await eventually(async () => (await gqlOk(h.server.url, s.key, CAMPAIGN, { id: sendCampaign.id })).campaign.state === 'completed', 'the campaign to complete');
      expect(accepted(s.simNumber.id)).toHaveLength(2);
    });
  });

  describe('pause, resume and cancel', () => {
    it('pauses: nothing more leaves until resume, then the rest is sent, each once', { timeout: 40_000 }, async () => {
      const s = await makeSender(h, { tier: 20 });
      const { sendCampaign } = await gqlOk(h.server.url, s.key, SEND_CAMPAIGN, { input: { instanceId: s.instance.id, template: { name: 'hello_world', language: 'en_US' }, recipients: recipients(120, () => []) } });
      await eventually(async () => accepted(s.simNumber.id).length >= 30, '30 sends');
      const sends = await watchSends(s.tenant.id);
      const { pauseCampaign } = await gqlOk(h.server.url, s.key, `mutation($id: ID!) { pauseCampaign(id: $id) { state } }`, { id: sendCampaign.id });
      expect(pauseCampaign.state).toBe('paused');
      // Every send job the campaign has runs now, while it is paused, to its end: sends already in
      // flight finish, and every batch that would send the rest runs and leaves its messages queued.
      await sends.runToEnd();
      const atPause = accepted(s.simNumber.id).length;
      expect(atPause).toBeLessThan(120);
      const paused = (await gqlOk(h.server.url, s.key, CAMPAIGN, { id: sendCampaign.id })).campaign;
      expect(paused.progress.queued).toBe(120 - atPause);
      // Each message still queued was in a job due at the pause: it had its chance to leave, and did not.
      const stillQueued = (await h.server.core.database.sql`select id from messages where campaign_id = ${sendCampaign.id} and status = 'queued'`).map((r) => r.id as string);
      expect(sends.atStart.flatMap(messageIdsOf)).toEqual(expect.arrayContaining(stillQueued));

      const { resumeCampaign } = await gqlOk(h.server.url, s.key, `mutation($id: ID!) { resumeCampaign(id: $id) { state } }`, { id: sendCampaign.id });
      expect(resumeCampaign.state).toBe('running');
      await eventually(async () => (await gqlOk(h.server.url, s.key, CAMPAIGN, { id: sendCampaign.id })).campaign.state === 'completed', 'the campaign to complete', 20_000);
      const sent = accepted(s.simNumber.id);
      expect(sent).toHaveLength(120);
      expect(new Set(sent.map((r) => (r.body as any).biz_opaque_callback_data)).size).toBe(120);
      expect(busiestWindow(sent)).toBeLessThanOrEqual(20);
    });

    // Paused and resumed before its job first ran: resume puts it back to queued (it never
    // started), and its own job then enqueues the messages, once.
    it('resumes a campaign paused before it started: queued again, then every message is sent once', { timeout: 30_000 }, async () => {
      const outbound = h.worker.workers.find((w) => w.name === QueueName.Outbound)!;
      await outbound.pause(true);
      let campaignId: string;
      const s = await makeSender(h, { tier: 80 });
      try {
        const { sendCampaign } = await gqlOk(h.server.url, s.key, SEND_CAMPAIGN, { input: { instanceId: s.instance.id, template: { name: 'hello_world', language: 'en_US' }, recipients: recipients(40, () => []) } });
        campaignId = sendCampaign.id;
        expect(sendCampaign.state).toBe('queued');
        const { pauseCampaign } = await gqlOk(h.server.url, s.key, `mutation($id: ID!) { pauseCampaign(id: $id) { state startedAt } }`, { id: campaignId });
        expect(pauseCampaign).toEqual({ state: 'paused', startedAt: null });
        const { resumeCampaign } = await gqlOk(h.server.url, s.key, `mutation($id: ID!) { resumeCampaign(id: $id) { state startedAt } }`, { id: campaignId });
        expect(resumeCampaign).toEqual({ state: 'queued', startedAt: null });
        expect(accepted(s.simNumber.id)).toHaveLength(0);
      } finally {
        outbound.resume();
      }
      await eventually(async () => (await gqlOk(h.server.url, s.key, CAMPAIGN, { id: campaignId })).campaign.state === 'completed', 'the campaign to complete', 20_000);
      const { campaign } = await gqlOk(h.server.url, s.key, CAMPAIGN, { id: campaignId });
      expect(campaign.startedAt).not.toBeNull();
      expect(campaign.progress.total).toBe(40);
      expect(campaign.progress.queued + campaign.progress.sending + campaign.progress.failed + campaign.progress.unknown).toBe(0);
      const sent = accepted(s.simNumber.id);
      expect(sent).toHaveLength(40);
      expect(new Set(sent.map((r) => (r.body as any).biz_opaque_callback_data)).size).toBe(40);
    });

    it('cancels: what was not sent fails as "campaign cancelled" and never leaves', { timeout: 20_000 }, async () => {
      const s = await makeSender(h, { tier: 20 });
      const { sendCampaign } = await gqlOk(h.server.url, s.key, SEND_CAMPAIGN, { input: { instanceId: s.instance.id, template: { name: 'hello_world', language: 'en_US' }, recipients: recipients(100, () => []) } });
      await eventually(async () => accepted(s.simNumber.id).length >= 10, '10 sends');
      const sends = await watchSends(s.tenant.id);
      const { cancelCampaign } = await gqlOk(h.server.url, s.key, `mutation($id: ID!) { cancelCampaign(id: $id) { state finishedAt } }`, { id: sendCampaign.id });
      expect(cancelCampaign.state).toBe('cancelled');
      // Cancel fails, in one transaction, every message not yet claimed by a send.
      const cancelled = (await h.server.core.database.sql`select id, error_title from messages where campaign_id = ${sendCampaign.id} and status = 'failed'`);
      expect(cancelled.length).toBeGreaterThan(0);
      expect(cancelled.every((r) => r.error_title === 'campaign cancelled')).toBe(true);
      // Every send job the campaign has runs now to its end: sends in flight finish, and every
      // batch that would have sent a cancelled message runs.
      await sends.runToEnd();
      const sentCount = accepted(s.simNumber.id).length;
      const { campaign } = await gqlOk(h.server.url, s.key, CAMPAIGN, { id: sendCampaign.id });
      expect(campaign.progress.queued).toBe(0);
      expect(campaign.progress.failed).toBe(100 - sentCount);
      // No cancelled message ever left, though each was in a job due at the cancel, which has run.
      const cancelledIds = cancelled.map((r) => r.id as string);
      expect(sends.atStart.flatMap(messageIdsOf)).toEqual(expect.arrayContaining(cancelledIds));
      expect(cancelledIds.filter((id) => acceptedFor(h.sim, id).length > 0)).toEqual([]);
      expect(codes(await gql(h.server.url, s.key, `mutation($id: ID!) { resumeCampaign(id: $id) { state } }`, { id: sendCampaign.id }))).toEqual(['CONFLICT']);
    });
  });

  describe('campaign and campaigns', () => {
    it('lists a tenant\'s campaigns, newest first, and hides other tenants\' campaigns', async () => {
      const s = await makeSender(h);
      const ids: string[] = [];
      for (let i = 0; i < 2; i++) ids.push((await gqlOk(h.server.url, s.key, SEND_CAMPAIGN, { input: { instanceId: s.instance.id, template: { name: 'hello_world', language: 'en_US' }, recipients: recipients(1, () => []) } })).sendCampaign.id);
      const { campaigns } = await gqlOk(h.server.url, s.key, `query($i: ID) { campaigns(filter: { instanceId: $i }) { totalCount edges { node { id } } } }`, { i: s.instance.id });
      expect(campaigns.totalCount).toBe(2);
      expect(campaigns.edges.map((e: any) => e.node.id)).toEqual([...ids].reverse());
      const other = await makeTenant(h.server.core.services);
      expect(codes(await gql(h.server.url, other.key, CAMPAIGN, { id: ids[0] }))).toEqual(['NOT_FOUND']);
      expect(codes(await gql(h.server.url, other.key, `mutation($id: ID!) { pauseCampaign(id: $id) { state } }`, { id: ids[0] }))).toEqual(['NOT_FOUND']);
      const { campaigns: none } = await gqlOk(h.server.url, other.key, `{ campaigns { totalCount } }`);
      expect(none.totalCount).toBe(0);
    });
  });
});
