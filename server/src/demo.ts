import { eq } from 'drizzle-orm';
import { OPERATOR } from './modules/auth/auth.viewer.js';
import type { Services } from './graphql/context.js';
import type { Database } from './db/client.js';
import { tenants } from './modules/tenants/tenants.table.js';

// The demo the README promises: with no Meta settings, `pnpm start` plays Meta with the simulator
// and seeds one tenant owning the simulator's demo numbers, an instance each, a rule template, and
// an API key, so the dashboard shows live traffic at once. Idempotent: a restart reuses them.
export const DEMO_TENANT = 'Loja Demo';
export const DEMO_TENANT_KEY = 'whk_demo_tenant_key_for_local_use_only';

export interface DemoNumber {
  id: string;
  displayPhoneNumber: string;
  verifiedName: string;
  tier: number;
  wabaId: string;
}

export async function seedDemo(db: Database, services: Services, numbers: DemoNumber[]): Promise<{ tenantId: string }> {
  let [tenant] = await db.select().from(tenants).where(eq(tenants.name, DEMO_TENANT));
  tenant ??= await services.tenants.create(OPERATOR, { name: DEMO_TENANT });
  for (const n of numbers) {
    const existing = await services.phoneNumbers.findByMetaId(n.id);
    const number = existing ?? await services.phoneNumbers.add(OPERATOR, {
      tenantId: tenant.id, phoneNumberId: n.id, displayPhoneNumber: `+${n.displayPhoneNumber}`, wabaId: n.wabaId, throughputTier: n.tier, verifiedName: n.verifiedName,
    });
    if (!(await services.instances.findByPhoneNumber(number.id))) {
      await services.instances.create(OPERATOR, { phoneNumberId: number.id, name: n.verifiedName, timezone: 'America/Sao_Paulo' });
    }
  }
  const templates = await services.ruleTemplates.list(OPERATOR, { nameContains: 'Atendimento básico' }, { first: 1 });
  if (templates.nodes.length === 0) {
    await services.ruleTemplates.create(OPERATOR, {
      name: 'Atendimento básico',
      description: 'Greets new customers, answers opening hours, hands over to a person on request.',
      variables: [
        { name: 'business_name', description: 'Your business name, as customers know it', required: true },
        { name: 'opening_hours', description: 'e.g. "seg–sex, 9h às 18h"', required: true },
      ],
      rules: [
        { name: 'Boas-vindas', trigger: { type: 'first_message' }, action: { type: 'reply_text', text: 'Olá! Aqui é {{business_name}}. Como podemos ajudar?' } },
        { name: 'Horário', trigger: { type: 'keyword', keywords: ['horário', 'horario', 'hours'], match: 'contains' }, action: { type: 'reply_text', text: 'Funcionamos {{opening_hours}}.' } },
        { name: 'Atendente', trigger: { type: 'keyword', keywords: ['atendente', 'human'], match: 'contains' }, action: { type: 'handoff' } },
      ],
    });
  }
  return { tenantId: tenant.id };
}
