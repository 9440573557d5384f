import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MessageTemplateService, applyTemplateStatusUpdate, countBodyVariables } from '../../server/src/modules/message-templates/message-templates.service.js';
import { codes, gql, gqlOk } from '../setup/graphql-client.js';
import { makeTenant, uniqueMetaId } from '../factories/index.js';
import { makeSender, startOutboundHarness, type OutboundHarness } from '../setup/outbound.js';

// setup(): the simulator holds each test WABA's templates, as Meta does; a real server reads them
// through the Graph client. No worker is needed, but the harness starts one anyway.
let h: OutboundHarness;
beforeAll(async () => {
  h = await startOutboundHarness('message-templates');
});
afterAll(async () => h?.close());

const TEMPLATES = `query($n: ID!, $f: MessageTemplateFilter) { messageTemplates(phoneNumberId: $n, filter: $f) { totalCount edges { node { name language status category variableCount body rejectedReason metaTemplateId } } } }`;
const SYNC = `mutation($n: ID!) { syncMessageTemplates(phoneNumberId: $n) { name language status variableCount } }`;

describe(MessageTemplateService.name, () => {
  describe('countBodyVariables', () => {
    it('counts the distinct {{n}} of the BODY only', () => {
      expect(countBodyVariables([{ type: 'HEADER', text: '{{1}}' }, { type: 'BODY', text: 'Hi {{1}}, order {{2}}, again {{1}}, {{ 3 }}' }])).toBe(3);
      expect(countBodyVariables([{ type: 'BODY', text: 'Hello' }])).toBe(0);
      expect(countBodyVariables([])).toBe(0);
    });
  });

  describe('syncMessageTemplates', () => {
    it("mirrors the WABA's templates with their variable counts, and marks the ones Meta dropped DELETED", async () => {
      const s = await makeSender(h); // makeSender already synced once
      const { messageTemplates } = await gqlOk(h.server.url, s.key, TEMPLATES, { n: s.phoneNumber.id });
      expect(messageTemplates.totalCount).toBe(4);
      const byName = Object.fromEntries(messageTemplates.edges.map((e: any) => [e.node.name, e.node]));
      expect(byName.order_update).toMatchObject({ language: 'en_US', status: 'APPROVED', category: 'UTILITY', variableCount: 2, body: 'Hi {{1}}, your order {{2}} has been updated.' });
      expect(byName.promo_pausada).toMatchObject({ status: 'PAUSED', variableCount: 1 });
      expect(byName.hello_world.variableCount).toBe(0);
      expect(byName.boas_vindas.metaTemplateId).toMatch(/^\d+$/);

      // At Meta: one template deleted, one approved after a pause, one created.
      const templates = [...h.sim.state.templates.values()].filter((t) => t.wabaId === s.waba.id);
      h.sim.state.templates.delete(templates.find((t) => t.name === 'hello_world')!.id);
      templates.find((t) => t.name === 'promo_pausada')!.status = 'APPROVED';
      h.sim.core.addTemplate({ wabaId: s.waba.id, name: 'lembrete', language: 'pt_BR', category: 'UTILITY', status: 'APPROVED', components: [{ type: 'BODY', text: 'Lembrete: {{1}} às {{2}} com {{3}}' }] });
      // By Meta's Phone Number ID this time.
      const { syncMessageTemplates } = await gqlOk(h.server.url, s.key, SYNC, { n: s.simNumber.id });
      const synced = Object.fromEntries(syncMessageTemplates.map((t: any) => [t.name, t]));
      expect(synced).toMatchObject({ hello_world: { status: 'DELETED' }, promo_pausada: { status: 'APPROVED' }, lembrete: { status: 'APPROVED', variableCount: 3 } });
      const approved = await gqlOk(h.server.url, s.key, TEMPLATES, { n: s.phoneNumber.id, f: { status: 'APPROVED' } });
      expect(approved.messageTemplates.edges.map((e: any) => e.node.name).sort()).toEqual(['boas_vindas', 'lembrete', 'order_update', 'promo_pausada']);
    });

    it('says which call Meta refused when the token is bad (META_ERROR)', async () => {
      const s = await makeSender(h);
      h.sim.setFault(s.waba.id, { kind: 'token_expired', next: 1 });
      const response = await gql(h.server.url, s.key, SYNC, { n: s.phoneNumber.id });
      expect(codes(response)).toEqual(['META_ERROR']);
      expect(response.errors![0].message).toMatch(new RegExp(`Meta refused to list the templates of WABA ${s.waba.id}: \\(#190\\)`));
    });

    it("keeps other tenants' numbers out of reach", async () => {
      const s = await makeSender(h);
      const other = await makeTenant(h.server.core.services);
      expect(codes(await gql(h.server.url, other.key, TEMPLATES, { n: s.phoneNumber.id }))).toEqual(['NOT_FOUND']);
      expect(codes(await gql(h.server.url, other.key, SYNC, { n: s.simNumber.id }))).toEqual(['NOT_FOUND']);
    });
  });

  describe('applyTemplateStatusUpdate', () => {
    it('moves a template to the status Meta reports, with the reason, and REINSTATED back to APPROVED', async () => {
      const s = await makeSender(h);
      const db = h.server.core.database.db;
      const rejected = await applyTemplateStatusUpdate(db, { wabaId: s.waba.id, name: 'boas_vindas', language: 'pt_BR', event: 'REJECTED', reason: 'INVALID_FORMAT', metaTemplateId: 42 });
      expect(rejected).toMatchObject({ status: 'REJECTED', rejectedReason: 'INVALID_FORMAT', variableCount: 1 });
      // A rejected template can no longer be sent.
      const refused = await gql(h.server.url, s.key, `mutation($i: SendMessageInput!) { sendMessage(input: $i) { id } }`, { i: { instanceId: s.instance.id, to: '+5511987654321', template: { name: 'boas_vindas', language: 'pt_BR', variables: ['Ana'] } } });
      expect(refused.errors![0].message).toMatch(/is REJECTED/);
      const back = await applyTemplateStatusUpdate(db, { wabaId: s.waba.id, name: 'boas_vindas', language: 'pt_BR', event: 'REINSTATED', reason: 'NONE' });
      expect(back).toMatchObject({ status: 'APPROVED', rejectedReason: null });
    });

    it('creates a template it never synced (for a WABA of wabahub), and ignores WABAs wabahub does not know', async () => {
      const s = await makeSender(h);
      const db = h.server.core.database.db;
      const created = await applyTemplateStatusUpdate(db, { wabaId: s.waba.id, name: 'novo_modelo', language: 'pt_BR', event: 'APPROVED', reason: null, metaTemplateId: '987' });
      expect(created).toMatchObject({ tenantId: s.tenant.id, status: 'APPROVED', metaTemplateId: '987' });
      expect(await applyTemplateStatusUpdate(db, { wabaId: uniqueMetaId(), name: 'x', language: 'pt_BR', event: 'APPROVED' })).toBeNull();
    });
  });
});
