import type { Database } from './db/client.js';
import type { Env } from './config/env.js';
import { TenantService } from './modules/tenants/tenants.service.js';
import { AuthService } from './modules/auth/auth.service.js';
import { PhoneNumberService } from './modules/phone-numbers/phone-numbers.service.js';
import { InstanceService } from './modules/instances/instances.service.js';
import { RuleTemplateService } from './modules/rule-templates/rule-templates.service.js';
import { AutomationService } from './modules/automation/automation.service.js';

export interface ServiceDeps {
  db: Database;
  env: Pick<Env, 'OPERATOR_API_KEY' | 'SECRETS_KEY' | 'META_SYSTEM_TOKEN'>;
}

/** Every domain service, wired once per process. Resolvers and jobs reach them through this. */
export function createServices({ db, env }: ServiceDeps) {
  const tenants = new TenantService(db);
  const auth = new AuthService(db, env.OPERATOR_API_KEY, tenants);
  const phoneNumbers = new PhoneNumberService(db, env.SECRETS_KEY, tenants);
  const instances = new InstanceService(db, phoneNumbers);
  const ruleTemplates = new RuleTemplateService(db);
  const automation = new AutomationService(db, instances, ruleTemplates);
  return { tenants, auth, phoneNumbers, instances, ruleTemplates, automation };
}

export type Services = ReturnType<typeof createServices>;
