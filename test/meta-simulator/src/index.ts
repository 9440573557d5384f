/**
 * @wabahub/meta-simulator: a simulator of Meta's WhatsApp Cloud API (Graph API, webhooks, Embedded
 * Signup), served over real HTTP so wabahub talks to it exactly as it talks to graph.facebook.com.
 * See README.md for the endpoints and the control API.
 */
export { startSimulator, MetaSimulator, type Simulator, type SimulatorOptions, type RequestFilter } from './simulator';
export { DEMO } from './demo';
export { DEFAULT_SCENARIO, type SimState, type NewWaba, type NewNumber } from './state';
export type { InboundInput, InboundResult, NewToken, DeepPartial } from './core';
export type { TrafficOptions, TrafficSummary, TrafficRun } from './traffic';
export type { WebhookBody, WebhookChange } from './payloads';
export type { GraphErrorBody } from './errors';
export * from './types';
