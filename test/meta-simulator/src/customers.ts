import type { InboundKind } from './types.js';
import { pick, randomDigits, randomHex } from './util.js';

/** Simulated customers: a small built-in cast, Brazilian and English-speaking, with E.164 numbers. */
const BRAZILIAN_NAMES = [
  'Ana Souza', 'Bruno Lima', 'Carla Dias', 'Diego Santos', 'Fernanda Oliveira', 'Gabriel Costa',
  'Juliana Pereira', 'Lucas Almeida', 'Mariana Rocha', 'Pedro Carvalho', 'Rafaela Gomes', 'Thiago Ribeiro',
];
const ENGLISH_NAMES = ['Emily Carter', 'James Walker', 'Olivia Bennett', 'Noah Mitchell', 'Sophia Turner', 'Liam Brooks'];

const PORTUGUESE_TEXTS = [
  'Oi! Qual o horário de funcionamento?', 'Bom dia, vocês entregam no meu bairro?', 'Quero fazer um pedido',
  'cardápio', 'quero agendar', 'Qual o valor do frete?', 'Meu pedido ainda não chegou', 'Obrigada!',
  'Vocês aceitam Pix?', 'Falar com atendente',
];
const ENGLISH_TEXTS = [
  'Hi! What are your opening hours?', 'Where is my order?', 'Can I book an appointment for tomorrow?',
  'Do you ship internationally?', 'Thanks a lot!', 'I need to talk to a human',
];
/** What simulated customers write, by language (exported for tests). */
export const CUSTOMER_TEXTS = { pt: PORTUGUESE_TEXTS, en: ENGLISH_TEXTS } as const;
/** Their names, by language. */
export const CUSTOMER_NAMES = { pt: BRAZILIAN_NAMES, en: ENGLISH_NAMES } as const;

const BUTTON_REPLIES = [
  { id: 'talk_to_human', title: 'Falar com atendente' },
  { id: 'see_menu', title: 'Ver cardápio' },
  { id: 'track_order', title: 'Track my order' },
  { id: 'confirm', title: 'Confirmar' },
];
const PLACES = [
  { latitude: -23.5614, longitude: -46.6559, name: 'Avenida Paulista', address: 'Av. Paulista, 1578 - Bela Vista, São Paulo - SP' },
  { latitude: -22.9711, longitude: -43.1822, name: 'Copacabana', address: 'Av. Atlântica - Copacabana, Rio de Janeiro - RJ' },
  { latitude: -19.9320, longitude: -43.9380, name: 'Praça da Liberdade', address: 'Praça da Liberdade - Funcionários, Belo Horizonte - MG' },
  { latitude: 40.7580, longitude: -73.9855, name: 'Times Square', address: 'Manhattan, NY 10036, USA' },
];
const BR_AREA_CODES = ['11', '21', '31', '41', '51', '61', '71', '81'];

export interface Customer {
  name: string;
  waId: string;
  language: 'pt' | 'en';
}

/** A pool of customers: 3 in 4 Brazilian (55 + area code + 9-digit mobile), the rest US (1 + 10 digits). */
export function makeCustomers(count: number): Customer[] {
  const customers: Customer[] = [];
  const seen = new Set<string>();
  while (customers.length < count) {
    const brazilian = customers.length % 4 !== 3;
    const waId = brazilian ? `55${pick(BR_AREA_CODES)}9${randomDigits(8)}` : `1${pick(['212', '415', '617', '305'])}${randomDigits(7)}`;
    if (seen.has(waId)) continue;
    seen.add(waId);
    customers.push({ name: pick(brazilian ? BRAZILIAN_NAMES : ENGLISH_NAMES), waId, language: brazilian ? 'pt' : 'en' });
  }
  return customers;
}

export function randomCustomer(): Customer {
  return makeCustomers(1)[0];
}

export interface InboundContent {
  kind: InboundKind;
  text?: string;
  /** For a button reply: the button's id and title. */
  buttonId?: string;
  buttonTitle?: string;
  /** For a list reply: the row's id and title. */
  listRowId?: string;
  listRowTitle?: string;
  /** The wamid of our message the customer is answering (a button reply always has one). */
  contextMessageId?: string;
  location?: { latitude: number; longitude: number; name?: string; address?: string };
  image?: { caption?: string; mimeType?: string };
}

/** The `messages[0]` of an inbound webhook, in Meta's shape for each kind. */
export function inboundMessage(
  content: InboundContent,
  from: string,
  id: string,
  timestamp: string,
  businessDisplayNumber: string,
  language: 'pt' | 'en',
): Record<string, unknown> {
  const base: Record<string, unknown> = {};
  if (content.contextMessageId) base.context = { from: businessDisplayNumber, id: content.contextMessageId };
  Object.assign(base, { from, id, timestamp, type: content.kind === 'button' || content.kind === 'list' ? 'interactive' : content.kind });
  switch (content.kind) {
    case 'text':
      return { ...base, text: { body: content.text ?? pick(language === 'pt' ? PORTUGUESE_TEXTS : ENGLISH_TEXTS) } };
    case 'button': {
      const reply = content.buttonId ? { id: content.buttonId, title: content.buttonTitle ?? content.buttonId } : pick(BUTTON_REPLIES);
      return { ...base, interactive: { type: 'button_reply', button_reply: reply } };
    }
    case 'list':
      return { ...base, interactive: { type: 'list_reply', list_reply: { id: content.listRowId ?? 'row', title: content.listRowTitle ?? content.listRowId ?? 'row' } } };
    case 'location':
      return { ...base, location: content.location ?? pick(PLACES) };
    case 'image': {
      const caption = content.image?.caption ?? (Math.random() < 0.5 ? pick(language === 'pt' ? ['Segue a foto', 'Comprovante do Pix'] : ['Here is the photo']) : undefined);
      return {
        ...base,
        image: {
          ...(caption ? { caption } : {}),
          mime_type: content.image?.mimeType ?? 'image/jpeg',
          sha256: randomHex(32),
          id: randomDigits(16),
        },
      };
    }
  }
}
