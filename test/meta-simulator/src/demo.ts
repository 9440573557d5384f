import type { TemplateCategory, ThroughputTier } from './types.js';

/**
 * The demo Meta app that exists with no setup (seedDemo, on by default). Its credentials are public
 * on purpose: they only open the simulator. Ids match /work/shared/fixtures/webhooks.
 */
export const DEMO = {
  appId: '880412345678901',
  appSecret: 'wabahub-demo-app-secret',
  /** A system user's permanent token, granted every demo WABA. */
  systemToken: 'EAAWabahubDemoSystemUserToken0001',
  verifyToken: 'wabahub-demo-verify-token',
  /** The business portfolio (Business Manager) the app and its system user belong to; it owns the demo WABAs. */
  businessId: '510020030040050',
  businessName: 'wabahub Demo',
  /** Two-step verification PIN of every demo number (POST /{id}/register). */
  pin: '123456',
  wabas: [
    {
      id: '102290129340398',
      name: 'Loja Demo',
      numbers: [
        { id: '106540352242922', displayPhoneNumber: '15550783881', verifiedName: 'Loja Demo', tier: 80 as ThroughputTier },
        { id: '106540352242944', displayPhoneNumber: '15550783882', verifiedName: 'Loja Demo Atacado', tier: 1000 as ThroughputTier },
        // Shared with the WhatsApp Business app ("coexistence"): Meta caps such numbers at 20/s.
        { id: '106540352242966', displayPhoneNumber: '15550783883', verifiedName: 'Loja Demo Balcão', tier: 20 as ThroughputTier },
      ],
    },
    {
      id: '203310129340411',
      name: 'Clínica Demo',
      numbers: [{ id: '207651352242933', displayPhoneNumber: '15550990011', verifiedName: 'Clínica Demo', tier: 80 as ThroughputTier }],
    },
  ],
  /** Seeded APPROVED on every demo WABA (ids differ per WABA; the first WABA's boas_vindas id is the fixture's). */
  templates: [
    {
      name: 'boas_vindas',
      language: 'pt_BR',
      category: 'UTILITY' as TemplateCategory,
      body: 'Olá {{1}}! Seja bem-vindo(a). Como podemos ajudar hoje?',
      variables: 1,
    },
    {
      name: 'order_update',
      language: 'en_US',
      category: 'UTILITY' as TemplateCategory,
      body: 'Hi {{1}}, your order {{2}} has been updated.',
      variables: 2,
    },
    {
      // Meta creates hello_world on every new WABA.
      name: 'hello_world',
      language: 'en_US',
      category: 'UTILITY' as TemplateCategory,
      body: 'Hello World! Welcome and congratulations!! This message demonstrates your ability to send a WhatsApp message notification from the Cloud API.',
      variables: 0,
    },
  ],
  /** message_template_id of boas_vindas on the first demo WABA (template-status-update.json). */
  firstTemplateId: '1689556908129832',
} as const;
