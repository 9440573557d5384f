import { eq } from 'drizzle-orm';
import type { Database } from '../../db/client.js';
import { OPERATOR } from '../auth/auth.viewer.js';
import { canonicalJson } from '../outbound/outbound.content.js';
import type { SampleMessage, TemplateConfig } from './rule-templates.config.js';
import { RuleTemplateService, parseContent } from './rule-templates.service.js';
import { ruleTemplates } from './rule-templates.table.js';

// The starter gallery every install has: five configuration templates a client can pick on day
// one, in Portuguese (Brazil) and English, each with the sample messages its preview plays.
// Seeded idempotently on migrate and on start (seedStarterTemplates): found by its starter key;
// when the code here changes, the next version is published (instances keep theirs until they
// upgrade). An operator clones one to start a template of their own.

type Lang = 'pt-BR' | 'en';

interface Starter {
  key: string;
  name: Record<Lang, string>;
  description: Record<Lang, string>;
  build(lang: Lang): { variables: unknown[]; config: TemplateConfig; sampleMessages: SampleMessage[] };
}

const t = (lang: Lang, pt: string, en: string) => (lang === 'pt-BR' ? pt : en);
const SP = 'America/Sao_Paulo';
const weekdays = (open: string, close: string, days = [1, 2, 3, 4, 5]) => ({ days: days.map((day) => ({ day, open, close })) });

const businessName = (lang: Lang, example: string) => ({ name: 'business_name', type: 'text', label: t(lang, 'Nome do negócio', 'Business name'), help: t(lang, 'Como seus clientes conhecem você.', 'As your customers know you.'), example, required: true });
const openingHours = (lang: Lang, example: unknown) => ({ name: 'opening_hours', type: 'weekly_hours', label: t(lang, 'Horário de funcionamento', 'Opening hours'), help: t(lang, 'Fora dele, os clientes recebem o aviso de fechado.', 'Outside them, customers get the closed notice.'), example, required: true });
const hoursRule = (lang: Lang) => ({
  name: t(lang, 'Horário', 'Opening hours'),
  trigger: { type: 'keyword', keywords: t(lang, 'horário,horario,hora,aberto,abre,fecha', 'hours,open,close,opening,closing').split(','), match: 'contains' },
  actions: [{ type: 'reply_text', text: t(lang, 'Funcionamos {{opening_hours}}. Hoje: {{business.hours_today}}.', 'We are open {{opening_hours}}. Today: {{business.hours_today}}.') }],
});
const closedRule = (lang: Lang) => ({
  name: t(lang, 'Fora do horário', 'After hours'), stop: false,
  trigger: { type: 'outside_business_hours' },
  conditions: [{ type: 'cooldown', hours: 6 }],
  actions: [{ type: 'reply_text', text: t(lang, 'Estamos fechados agora 🌙 Funcionamos {{opening_hours}}. Sua mensagem fica registrada e respondemos assim que abrirmos.', "We're closed right now 🌙 We're open {{opening_hours}}. Your message is saved and we'll reply as soon as we open.") }],
});

export const STARTERS: Starter[] = [
  {
    key: 'restaurant',
    name: { 'pt-BR': 'Restaurante', en: 'Restaurant' },
    description: { 'pt-BR': 'Cardápio, horário, área de entrega e pedidos anotados por uma pessoa.', en: 'Menu, opening hours, delivery area, and orders taken by a person.' },
    build: (lang) => ({
      variables: [
        businessName(lang, t(lang, 'Cantina da Nona', "Nona's Kitchen")),
        { name: 'menu_url', type: 'url', label: t(lang, 'Link do cardápio', 'Menu link'), help: t(lang, 'Um PDF ou página com o cardápio.', 'A PDF or page with the menu.'), example: 'https://example.com/cardapio', required: true },
        openingHours(lang, weekdays('11:30', '23:00', [0, 2, 3, 4, 5, 6])),
        { name: 'delivery_area', type: 'multiline', label: t(lang, 'Área de entrega', 'Delivery area'), help: t(lang, 'Bairros ou distância.', 'Neighbourhoods or distance.'), example: t(lang, 'Centro, Vila Madalena e Pinheiros (até 5 km)', 'Downtown and up to 5 km around'), required: true },
        { name: 'delivery_fee', type: 'money', label: t(lang, 'Taxa de entrega', 'Delivery fee'), help: '', example: { amount: 7.9, currency: lang === 'pt-BR' ? 'BRL' : 'USD' }, required: true },
      ],
      config: {
        timezone: lang === 'pt-BR' ? SP : 'America/New_York', businessHours: '{{opening_hours}}', handoffTimeoutHours: 4,
        rules: [
          {
            name: t(lang, 'Boas-vindas', 'Welcome'), stop: false, trigger: { type: 'first_message' },
            actions: [{ type: 'reply_buttons', text: t(lang, 'Olá {{contact.first_name}}! Bem-vindo(a) ao {{business_name}} 🍝 Como podemos ajudar?', 'Hi {{contact.first_name}}! Welcome to {{business_name}} 🍝 How can we help?'), buttons: [
              { id: 'menu', title: t(lang, 'Ver cardápio', 'See the menu') }, { id: 'hours', title: t(lang, 'Horário', 'Opening hours') }, { id: 'order', title: t(lang, 'Fazer pedido', 'Place an order') },
            ] }],
          },
          closedRule(lang),
          { name: t(lang, 'Cardápio', 'Menu'), trigger: { type: 'keyword', keywords: t(lang, 'cardápio,cardapio,menu', 'menu').split(','), match: 'contains' }, actions: [{ type: 'reply_text', text: t(lang, 'Nosso cardápio 📖 {{menu_url}}', 'Our menu 📖 {{menu_url}}') }] },
          { name: t(lang, 'Cardápio (botão)', 'Menu (button)'), trigger: { type: 'button_reply', buttonId: 'menu' }, actions: [{ type: 'reply_text', text: t(lang, 'Nosso cardápio 📖 {{menu_url}}', 'Our menu 📖 {{menu_url}}') }] },
          hoursRule(lang),
          { name: t(lang, 'Horário (botão)', 'Opening hours (button)'), trigger: { type: 'button_reply', buttonId: 'hours' }, actions: [{ type: 'reply_text', text: t(lang, 'Funcionamos {{opening_hours}}. Hoje: {{business.hours_today}}.', 'We are open {{opening_hours}}. Today: {{business.hours_today}}.') }] },
          { name: t(lang, 'Entrega', 'Delivery'), trigger: { type: 'keyword', keywords: t(lang, 'entrega,entregam,delivery,taxa', 'delivery,deliver,fee').split(','), match: 'contains' }, actions: [{ type: 'reply_text', text: t(lang, 'Entregamos em: {{delivery_area}}. Taxa de entrega: {{delivery_fee}}.', 'We deliver to: {{delivery_area}}. Delivery fee: {{delivery_fee}}.') }] },
          { name: t(lang, 'Pedido', 'Order'), trigger: { type: 'keyword', keywords: t(lang, 'pedido,pedir,encomenda', 'order').split(','), match: 'contains' }, actions: [{ type: 'reply_text', text: t(lang, 'Perfeito! Uma pessoa da equipe vai anotar seu pedido em instantes. 🧾', "Great! Someone from our team will take your order in a moment. 🧾") }, { type: 'handoff', note: t(lang, 'novo pedido', 'new order') }] },
          { name: t(lang, 'Pedido (botão)', 'Order (button)'), trigger: { type: 'button_reply', buttonId: 'order' }, actions: [{ type: 'reply_text', text: t(lang, 'Perfeito! Uma pessoa da equipe vai anotar seu pedido em instantes. 🧾', "Great! Someone from our team will take your order in a moment. 🧾") }, { type: 'handoff', note: t(lang, 'novo pedido', 'new order') }] },
        ],
      },
      sampleMessages: [
        { text: t(lang, 'Oi, boa noite!', 'Hi there!'), note: t(lang, 'primeira mensagem', 'first message') },
        { text: t(lang, 'Me manda o cardápio?', 'Can you send me the menu?') },
        { buttonId: 'hours', note: t(lang, 'toca no botão Horário', 'taps Opening hours') },
        { text: t(lang, 'Vocês fazem entrega no Centro?', 'Do you deliver downtown?') },
        { text: t(lang, 'Quero fazer um pedido', "I'd like to place an order") },
      ],
    }),
  },
  {
    key: 'clinic',
    name: { 'pt-BR': 'Clínica', en: 'Clinic' },
    description: { 'pt-BR': 'Agendamentos com uma pessoa, horário, endereço e convênios aceitos.', en: 'Appointments handled by a person, opening hours, address and accepted insurance.' },
    build: (lang) => ({
      variables: [
        businessName(lang, t(lang, 'Clínica Bem Viver', 'Well Being Clinic')),
        openingHours(lang, weekdays('08:00', '18:00')),
        { name: 'address', type: 'multiline', label: t(lang, 'Endereço', 'Address'), help: '', example: t(lang, 'Rua das Flores, 123, sala 4 — Centro, São Paulo', '123 Main St, Suite 4, Springfield'), required: true },
        { name: 'insurance_list', type: 'multiline', label: t(lang, 'Convênios aceitos', 'Accepted insurance'), help: '', example: t(lang, 'Unimed, Bradesco Saúde e SulAmérica', 'Aetna, Cigna and Blue Cross'), required: true },
      ],
      config: {
        timezone: lang === 'pt-BR' ? SP : 'America/New_York', businessHours: '{{opening_hours}}', handoffTimeoutHours: 8,
        rules: [
          {
            name: t(lang, 'Boas-vindas', 'Welcome'), stop: false, trigger: { type: 'first_message' },
            actions: [{ type: 'reply_list', text: t(lang, 'Olá {{contact.first_name}}, aqui é a {{business_name}}. Escolha uma opção:', 'Hello {{contact.first_name}}, this is {{business_name}}. Choose an option:'), button: t(lang, 'Opções', 'Options'), sections: [{ title: t(lang, 'Atendimento', 'How can we help'), rows: [
              { id: 'book', title: t(lang, 'Agendar consulta', 'Book an appointment') }, { id: 'address', title: t(lang, 'Endereço', 'Address') },
              { id: 'insurance', title: t(lang, 'Convênios', 'Insurance') }, { id: 'hours', title: t(lang, 'Horário', 'Opening hours') },
            ] }] }],
          },
          closedRule(lang),
          { name: t(lang, 'Agendar', 'Book'), trigger: { type: 'keyword', keywords: t(lang, 'agendar,agendamento,consulta,marcar', 'book,appointment,schedule').split(','), match: 'contains' }, actions: [{ type: 'reply_text', text: t(lang, 'Vamos agendar! Uma pessoa da recepção continua com você em instantes. 🩺', "Let's book it! Someone from reception will continue with you shortly. 🩺") }, { type: 'handoff', note: t(lang, 'agendamento', 'appointment') }] },
          { name: t(lang, 'Agendar (lista)', 'Book (list)'), trigger: { type: 'list_reply', rowId: 'book' }, actions: [{ type: 'reply_text', text: t(lang, 'Vamos agendar! Uma pessoa da recepção continua com você em instantes. 🩺', "Let's book it! Someone from reception will continue with you shortly. 🩺") }, { type: 'handoff', note: t(lang, 'agendamento', 'appointment') }] },
          { name: t(lang, 'Endereço', 'Address'), trigger: { type: 'keyword', keywords: t(lang, 'endereço,endereco,onde,localização,localizacao', 'address,where,location').split(','), match: 'contains' }, actions: [{ type: 'reply_text', text: t(lang, 'Estamos em: {{address}}', 'We are at: {{address}}') }] },
          { name: t(lang, 'Endereço (lista)', 'Address (list)'), trigger: { type: 'list_reply', rowId: 'address' }, actions: [{ type: 'reply_text', text: t(lang, 'Estamos em: {{address}}', 'We are at: {{address}}') }] },
          { name: t(lang, 'Convênios', 'Insurance'), trigger: { type: 'keyword', keywords: t(lang, 'convênio,convenio,plano,aceita', 'insurance,plan,accept').split(','), match: 'contains' }, actions: [{ type: 'reply_text', text: t(lang, 'Aceitamos: {{insurance_list}}.', 'We accept: {{insurance_list}}.') }] },
          { name: t(lang, 'Convênios (lista)', 'Insurance (list)'), trigger: { type: 'list_reply', rowId: 'insurance' }, actions: [{ type: 'reply_text', text: t(lang, 'Aceitamos: {{insurance_list}}.', 'We accept: {{insurance_list}}.') }] },
          hoursRule(lang),
          { name: t(lang, 'Horário (lista)', 'Opening hours (list)'), trigger: { type: 'list_reply', rowId: 'hours' }, actions: [{ type: 'reply_text', text: t(lang, 'Funcionamos {{opening_hours}}. Hoje: {{business.hours_today}}.', 'We are open {{opening_hours}}. Today: {{business.hours_today}}.') }] },
        ],
      },
      sampleMessages: [
        { text: t(lang, 'Bom dia', 'Good morning'), note: t(lang, 'primeira mensagem', 'first message') },
        { listRowId: 'insurance', note: t(lang, 'escolhe Convênios na lista', 'picks Insurance') },
        { text: t(lang, 'Qual o endereço de vocês?', "What's your address?") },
        { text: t(lang, 'Quero marcar uma consulta', "I'd like to book an appointment") },
      ],
    }),
  },
  {
    key: 'store',
    name: { 'pt-BR': 'Loja', en: 'Store' },
    description: { 'pt-BR': 'Status do pedido por template, dados do Pix, horário e trocas.', en: 'Order status by template, payment details, opening hours and returns.' },
    build: (lang) => ({
      variables: [
        businessName(lang, t(lang, 'Loja da Esquina', 'Corner Store')),
        { name: 'store_url', type: 'url', label: t(lang, 'Site da loja', 'Store website'), help: t(lang, 'Onde o cliente acompanha o pedido.', 'Where customers track their order.'), example: 'https://example.com/pedidos', required: true },
        { name: 'pix_key', type: 'text', label: t(lang, 'Chave Pix', 'Payment details'), help: t(lang, 'E-mail, telefone, CPF/CNPJ ou chave aleatória.', 'How customers can pay you.'), example: t(lang, 'pagamentos@example.com', 'pay@example.com'), required: true },
        openingHours(lang, weekdays('09:00', '19:00', [1, 2, 3, 4, 5, 6])),
        { name: 'returns_policy', type: 'multiline', label: t(lang, 'Política de trocas', 'Returns policy'), help: '', example: t(lang, 'Trocas em até 30 dias com a nota fiscal.', 'Returns within 30 days with the receipt.'), required: true },
      ],
      config: {
        timezone: lang === 'pt-BR' ? SP : 'America/New_York', businessHours: '{{opening_hours}}',
        messageTemplates: [{
          name: lang === 'pt-BR' ? 'status_pedido' : 'order_status', language: lang === 'pt-BR' ? 'pt_BR' : 'en_US', category: 'UTILITY',
          components: [{ type: 'BODY', text: t(lang, 'Olá {{1}}! Acompanhe seu pedido em {{2}} com o número da compra.', 'Hi {{1}}! Track your order at {{2}} with your order number.'), example: { body_text: [[t(lang, 'Ana', 'Alex'), 'https://example.com/pedidos']] } }],
        }],
        rules: [
          {
            name: t(lang, 'Boas-vindas', 'Welcome'), stop: false, trigger: { type: 'first_message' },
            actions: [{ type: 'reply_buttons', text: t(lang, 'Olá {{contact.first_name}}! Aqui é a {{business_name}} 🛍️ Como podemos ajudar?', 'Hi {{contact.first_name}}! This is {{business_name}} 🛍️ How can we help?'), buttons: [
              { id: 'order', title: t(lang, 'Meu pedido', 'My order') }, { id: 'pay', title: t(lang, 'Pagamento', 'Payment') }, { id: 'returns', title: t(lang, 'Trocas', 'Returns') },
            ] }],
          },
          { name: t(lang, 'Status do pedido', 'Order status'), trigger: { type: 'keyword', keywords: t(lang, 'pedido,rastreio,rastrear,entrega,status', 'order,tracking,track,status').split(','), match: 'contains' }, actions: [{ type: 'reply_template', template: lang === 'pt-BR' ? 'status_pedido' : 'order_status', language: lang === 'pt-BR' ? 'pt_BR' : 'en_US', parameters: ['{{contact.first_name}}', '{{store_url}}'] }] },
          { name: t(lang, 'Status do pedido (botão)', 'Order status (button)'), trigger: { type: 'button_reply', buttonId: 'order' }, actions: [{ type: 'reply_template', template: lang === 'pt-BR' ? 'status_pedido' : 'order_status', language: lang === 'pt-BR' ? 'pt_BR' : 'en_US', parameters: ['{{contact.first_name}}', '{{store_url}}'] }] },
          { name: t(lang, 'Pagamento', 'Payment'), trigger: { type: 'keyword', keywords: t(lang, 'pix,pagamento,pagar,boleto', 'pay,payment').split(','), match: 'contains' }, actions: [{ type: 'reply_text', text: t(lang, 'Pague com Pix: {{pix_key}}. Envie o comprovante por aqui. 💸', 'You can pay with: {{pix_key}}. Send us the receipt here. 💸') }] },
          { name: t(lang, 'Pagamento (botão)', 'Payment (button)'), trigger: { type: 'button_reply', buttonId: 'pay' }, actions: [{ type: 'reply_text', text: t(lang, 'Pague com Pix: {{pix_key}}. Envie o comprovante por aqui. 💸', 'You can pay with: {{pix_key}}. Send us the receipt here. 💸') }] },
          { name: t(lang, 'Trocas', 'Returns'), trigger: { type: 'keyword', keywords: t(lang, 'troca,trocar,devolução,devolucao,devolver', 'return,exchange,refund').split(','), match: 'contains' }, actions: [{ type: 'reply_text', text: '{{returns_policy}}' }] },
          { name: t(lang, 'Trocas (botão)', 'Returns (button)'), trigger: { type: 'button_reply', buttonId: 'returns' }, actions: [{ type: 'reply_text', text: '{{returns_policy}}' }] },
          hoursRule(lang),
        ],
      },
      sampleMessages: [
        { text: t(lang, 'Oi!', 'Hi!'), note: t(lang, 'primeira mensagem', 'first message') },
        { text: t(lang, 'Onde está meu pedido?', "Where's my order?") },
        { buttonId: 'pay', note: t(lang, 'toca em Pagamento', 'taps Payment') },
        { text: t(lang, 'Como faço uma troca?', 'How do I return an item?') },
      ],
    }),
  },
  {
    key: 'after-hours',
    name: { 'pt-BR': 'Resposta fora do horário', en: 'After-hours auto-reply' },
    description: { 'pt-BR': 'Fora do horário, avisa quando vocês voltam; no horário, não responde nada.', en: 'Outside opening hours, says when you are back; during them, stays quiet.' },
    build: (lang) => ({
      variables: [businessName(lang, t(lang, 'Estúdio Aurora', 'Aurora Studio')), openingHours(lang, weekdays('09:00', '18:00'))],
      config: {
        timezone: lang === 'pt-BR' ? SP : 'America/New_York', businessHours: '{{opening_hours}}',
        rules: [{
          name: t(lang, 'Fora do horário', 'After hours'), trigger: { type: 'outside_business_hours' }, conditions: [{ type: 'cooldown', hours: 12 }],
          actions: [{ type: 'reply_text', text: t(lang, 'Olá {{contact.first_name}}! O {{business_name}} está fechado agora. Funcionamos {{opening_hours}}; respondemos assim que abrirmos.', "Hi {{contact.first_name}}! {{business_name}} is closed right now. We're open {{opening_hours}} and will reply as soon as we open.") }],
        }],
      },
      sampleMessages: [{ text: t(lang, 'Olá, vocês estão abertos?', 'Hi, are you open?') }],
    }),
  },
  {
    key: 'handoff-only',
    name: { 'pt-BR': 'Só atendimento humano', en: 'People only' },
    description: { 'pt-BR': 'Cumprimenta e passa toda conversa para uma pessoa da equipe.', en: 'Greets, then hands every conversation to a person.' },
    build: (lang) => ({
      variables: [
        businessName(lang, t(lang, 'Escritório Lima', 'Lima & Co')),
        { name: 'greeting', type: 'multiline', label: t(lang, 'Mensagem de saudação', 'Greeting'), help: t(lang, 'Enviada antes de uma pessoa assumir.', 'Sent before a person takes over.'), example: t(lang, 'Obrigado por escrever! Uma pessoa da equipe responde em breve.', 'Thanks for writing! Someone from our team will reply shortly.'), default: t(lang, 'Obrigado por escrever! Uma pessoa da equipe responde em breve.', 'Thanks for writing! Someone from our team will reply shortly.'), required: false },
      ],
      config: {
        handoffTimeoutHours: 24,
        rules: [{
          name: t(lang, 'Saudação e atendimento', 'Greet and hand over'), trigger: { type: 'any_message' },
          actions: [{ type: 'reply_text', text: t(lang, 'Olá {{contact.first_name}}, aqui é {{business_name}}. {{greeting}}', 'Hi {{contact.first_name}}, this is {{business_name}}. {{greeting}}') }, { type: 'handoff', note: t(lang, 'nova conversa', 'new conversation') }],
        }],
      },
      sampleMessages: [{ text: t(lang, 'Olá, preciso de ajuda', 'Hello, I need some help') }, { text: t(lang, 'Alguém aí?', 'Anyone there?'), note: t(lang, 'já com uma pessoa: a automação espera', 'a person has it: automation waits') }],
    }),
  },
];

/** Creates the starter templates missing from this install, and publishes a new version of any whose content changed. Returns how many it wrote. */
export async function seedStarterTemplates(db: Database): Promise<number> {
  const service = new RuleTemplateService(db);
  let written = 0;
  for (const starter of STARTERS) {
    for (const lang of ['pt-BR', 'en'] as const) {
      const key = `${starter.key}:${lang}`;
      const content = starter.build(lang);
      const [existing] = await db.select().from(ruleTemplates).where(eq(ruleTemplates.starterKey, key));
      if (!existing) {
        try {
          await service.create(OPERATOR, { name: starter.name[lang], description: starter.description[lang], locale: lang, starterKey: key, ...content });
          written++;
        } catch (error) {
          // Two processes seeding at once: the other created it (the starter key is unique).
          if (!String((error as { cause?: { code?: string } }).cause?.code ?? (error as { code?: string }).code).includes('23505')) throw error;
        }
        continue;
      }
      const latest = await service.version(existing);
      // Compared as stored: the code's content parsed the way publishing would store it.
      const parsed = parseContent(content, lang);
      const same = canonicalJson({ v: latest.variables, c: latest.config, s: latest.sampleMessages }) === canonicalJson(JSON.parse(JSON.stringify({ v: parsed.variables, c: parsed.config, s: parsed.sampleMessages })));
      if (same) continue;
      await service.publishVersion(OPERATOR, { id: existing.id, ...content, notes: 'starter gallery updated' });
      written++;
    }
  }
  return written;
}
