import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO } from '@wabahub/meta-simulator';
import { seedDemo } from '../../server/src/demo.js';
import { startOutboundHarness, type OutboundHarness } from '../setup/outbound.js';
import { eventually } from '../setup/webhooks.js';
import { uniqueMetaId } from '../factories/index.js';

// What `pnpm start` seeds with no Meta settings, against the simulator's demo app: the demo tenant,
// an instance per demo number, the store and the clinic answering with their starter templates,
// and a customer of the store who asks about payment gets the Pix reply.
let h: OutboundHarness;
beforeAll(async () => {
  h = await startOutboundHarness('demo', { env: { META_APP_ID: DEMO.appId, META_APP_SECRET: DEMO.appSecret, META_SYSTEM_TOKEN: DEMO.systemToken } });
});
afterAll(async () => h?.close());

/** Numbers named as the demo's are (the starters go by name), with ids of their own: other test files use the demo's ids. */
function demoLikeNumbers() {
  return DEMO.wabas.flatMap((w) => {
    const waba = h.sim.createWaba({ id: uniqueMetaId(), subscribed: true });
    return w.numbers.map((n) => {
      const made = h.sim.createNumber({ wabaId: waba.id, id: uniqueMetaId(), verifiedName: n.verifiedName, tier: n.tier });
      return { id: made.id, displayPhoneNumber: made.displayPhoneNumber, verifiedName: n.verifiedName, tier: n.tier, wabaId: waba.id };
    });
  });
}

describe('the demo', () => {
  it('seeds the demo tenant with its numbers, starter templates on the store and the clinic, idempotently; the store answers a customer', async () => {
    const { db, sql } = h.server.core.database;
    const numbers = demoLikeNumbers();
    const { tenantId } = await seedDemo(db, h.server.core.services, numbers, DEMO.systemToken);
    const again = await seedDemo(db, h.server.core.services, numbers, DEMO.systemToken);
    expect(again.tenantId).toBe(tenantId);
    // Meta's state of each number, as the simulator reports it: connected and GREEN, not pending and UNKNOWN.
    const states = await sql`select status, meta_status, quality_rating, name_status, messaging_limit_tier from phone_numbers where tenant_id = ${tenantId}`;
    expect(states.map((r) => ({ ...r }))).toEqual(numbers.map(() => ({ status: 'connected', meta_status: 'CONNECTED', quality_rating: 'GREEN', name_status: 'APPROVED', messaging_limit_tier: 'TIER_1K' })));

    const instances = await sql`select i.name, (select distinct t.starter_key from automation_rules r join rule_templates t on t.id = r.rule_template_id where r.instance_id = i.id) as starter_key
      from instances i where i.tenant_id = ${tenantId} order by i.name`;
    expect(instances.map((i) => [i.name, i.starter_key])).toEqual([
      ['Clínica Demo', 'clinic:pt-BR'], ['Loja Demo', 'store:pt-BR'], ['Loja Demo Atacado', null], ['Loja Demo Balcão', null],
    ]);
    // Applied once: the second seed changed nothing.
    const [{ n }] = await sql`select count(*)::int as n from automation_rules r join instances i on i.id = r.instance_id where i.tenant_id = ${tenantId} and i.name = 'Loja Demo'`;
    const rulesAfterFirst = n;
    expect(rulesAfterFirst).toBeGreaterThan(2);

    // A customer of the store: greeted with buttons, presses "Pagamento", gets the Pix key.
    const store = numbers.find((x) => x.verifiedName === 'Loja Demo')!;
    const customer = '5511987650001';
    const repliesSoFar = (count: number) => eventually(async () => {
      const got = h.sim.messages({ phoneNumberId: store.id, to: customer }).sort((a, b) => a.acceptedAt - b.acceptedAt);
      return got.length >= count && got;
    }, `reply ${count} of the store`);
    await h.sim.sendInbound({ phoneNumberId: store.id, from: customer, text: 'Oi!', name: 'Ana' });
    const [greeting] = await repliesSoFar(1);
    expect(JSON.stringify(greeting.body)).toMatch(/Loja Demo.*"id":"pay","title":"Pagamento"/);
    await h.sim.sendInbound({ phoneNumberId: store.id, from: customer, name: 'Ana', kind: 'button', buttonId: 'pay', buttonTitle: 'Pagamento' });
    const [, pix] = await repliesSoFar(2);
    expect(JSON.stringify(pix.body)).toMatch(/Pix: pagamentos@example\.com/);
  });
});
