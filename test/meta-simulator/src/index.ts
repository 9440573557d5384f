/**
 * @wabahub/meta-simulator: a simulator of Meta's WhatsApp Cloud API (Graph API, webhooks, Embedded
 * Signup), served over real HTTP so wabahub talks to it exactly as it talks to graph.facebook.com.
 * See README.md for the endpoints and the control API.
 */
export { startSimulator, MetaSimulator, type Simulator, type SimulatorOptions, type RequestFilter } from './simulator.js';
export { DEMO } from './demo.js';
export { CUSTOMER_NAMES, CUSTOMER_TEXTS } from './customers.js';
export { DEFAULT_SCENARIO, type SimState, type NewWaba, type NewNumber } from './state.js';
export type { InboundInput, InboundResult, NewToken, DeepPartial } from './core.js';
export type { TrafficOptions, TrafficSummary, TrafficRun } from './traffic.js';
export type { WebhookBody, WebhookChange } from './payloads.js';
export type { GraphErrorBody } from './errors.js';
export * from './types.js';
export { startWebhookReceiver, shapeMismatches, type WebhookReceiver, type ReceivedWebhook, type Responder } from './testing.js';
