import { eq } from 'drizzle-orm';
import { OPERATOR } from './modules/auth/auth.viewer.js';
import type { Services } from './graphql/context.js';
import type { Database } from './db/client.js';
import { tenants } from './modules/tenants/tenants.table.js';
import { ruleTemplates } from './modules/rule-templates/rule-templates.table.js';

// The demo the README promises: with no Meta settings, `pnpm start` plays Meta with the simulator
// and seeds one tenant owning the simulator's demo numbers, an instance each (the store and
// the clinic answering with their starter templates), and an API key, so the dashboard shows live
// traffic and automation at once. Idempotent: a restart reuses them.
export const DEMO_TENANT = 'Loja Demo';
export const DEMO_TENANT_KEY = 'whk_demo_tenant_key_for_local_use_only';

/** Demo numbers that answer with a starter configuration template (by the number's name). */
const DEMO_STARTERS: Record<string, string> = { 'Loja Demo': 'store:pt-BR', 'Clínica Demo': 'clinic:pt-BR' };

export interface DemoNumber {
  id: string;
  displayPhoneNumber: string;
  verifiedName: string;
  tier: number;
  wabaId: string;
}

export async function seedDemo(db: Database, services: Services, numbers: DemoNumber[], systemToken?: string): Promise<{ tenantId: string }> {
  let [tenant] = await db.select().from(tenants).where(eq(tenants.name, DEMO_TENANT));
  tenant ??= await services.tenants.create(OPERATOR, { name: DEMO_TENANT });
  for (const n of numbers) {
    const existing = await services.phoneNumbers.findByMetaId(n.id);
    const number = existing ?? await services.phoneNumbers.add(OPERATOR, {
      tenantId: tenant.id, phoneNumberId: n.id, displayPhoneNumber: `+${n.displayPhoneNumber}`, wabaId: n.wabaId, throughputTier: n.tier, verifiedName: n.verifiedName,
    });
    // What Meta (the simulator) says of the number: connected, GREEN, its name and limit; not the
    // defaults a row starts with (pending, UNKNOWN). Best effort: the demo starts either way.
    if (systemToken) await services.phoneNumbers.refreshFromMeta(number, systemToken).catch(() => undefined);
    if (!(await services.instances.findByPhoneNumber(number.id))) {
      await services.instances.create(OPERATOR, { phoneNumberId: number.id, name: n.verifiedName, timezone: 'America/Sao_Paulo' });
    }
  }
  for (const n of numbers) {
    const starterKey = DEMO_STARTERS[n.verifiedName];
    const number = starterKey && await services.phoneNumbers.findByMetaId(n.id);
    const instance = number && await services.instances.findByPhoneNumber(number.id);
    if (!instance || await services.templateApplications.applied(OPERATOR, instance)) continue;
    const [starter] = await db.select().from(ruleTemplates).where(eq(ruleTemplates.starterKey, starterKey));
    if (!starter) continue;
    // Filled with the starter's own examples, under the number's name.
    const { variables } = await services.ruleTemplates.version(starter);
    const values = Object.fromEntries(variables.map((v) => [v.name, v.default ?? v.example]));
    await services.templateApplications.apply(OPERATOR, { instanceId: instance.id, ruleTemplateId: starter.id, variables: { ...values, business_name: n.verifiedName } });
  }
  return { tenantId: tenant.id };
}
