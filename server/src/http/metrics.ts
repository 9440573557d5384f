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
  const graphqlInternalErrors = new Counter({
    name: 'wabahub_graphql_internal_errors_total',
    help: "GraphQL errors answered INTERNAL_SERVER_ERROR (each logged with its cause), by the root field they came from ('none': outside any field; 'other': an alias that names no root field). Should stay at zero: each is a server fault to fix",
    labelNames: ['field'] as const,
    registers: [registry],
  });
  // Shown at zero from the start, so that a first one is an increase a rule can see.
  graphqlInternalErrors.inc({ field: 'none' }, 0);
  const webhooksReceived = new Counter({
    name: 'wabahub_webhooks_received_total',
    help: "Meta's webhook POSTs by outcome: stored, duplicate, rejected (not JSON), bad_signature, too_large, unavailable (Postgres down)",
    labelNames: ['outcome'] as const,
    registers: [registry],
  });
  return { registry, httpDuration, graphqlOperations, graphqlInternalErrors, webhooksReceived };
}

export type Metrics = ReturnType<typeof createMetrics>;
