import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

// One registry per process; /metrics serves it in Prometheus text format.
export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'wabahub_' });
  const httpDuration = new Histogram({
    name: 'wabahub_http_request_duration_seconds',
    help: 'HTTP request duration by route and status',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [registry],
  });
  const graphqlOperations = new Counter({
    name: 'wabahub_graphql_operations_total',
    help: 'GraphQL operations by type and outcome',
    labelNames: ['operation', 'outcome'] as const,
    registers: [registry],
  });
  const webhooksReceived = new Counter({
    name: 'wabahub_webhooks_received_total',
    help: "Meta's webhook POSTs by outcome: stored, duplicate, rejected (not JSON), bad_signature, too_large, unavailable (Postgres down)",
    labelNames: ['outcome'] as const,
    registers: [registry],
  });
  return { registry, httpDuration, graphqlOperations, webhooksReceived };
}

export type Metrics = ReturnType<typeof createMetrics>;
