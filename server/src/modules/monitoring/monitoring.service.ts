import { sql } from 'drizzle-orm';
import type { Database } from '../../db/client.js';
import { ValidationError } from '../../lib/errors.js';
import type { Queues } from '../../queue/queues.js';
import { QueueName } from '../../queue/names.js';
import { assertOperator, tenantScope, type Viewer } from '../auth/auth.viewer.js';

// What the operator watches besides the feed itself: the queues' health and traffic per second.
export class MonitoringService {
  constructor(private readonly db: Database, private readonly queues: Queues) {}

  async queueHealth(viewer: Viewer) {
    assertOperator(viewer);
    return Promise.all(this.queues.all.map(async (queue) => {
      const counts = await queue.getJobCounts('waiting', 'active', 'delayed', 'failed', 'completed', 'prioritized');
      return { name: queue.name, waiting: (counts.waiting ?? 0) + (counts.prioritized ?? 0), active: counts.active ?? 0, delayed: counts.delayed ?? 0, failed: counts.failed ?? 0, completed: counts.completed ?? 0 };
    }));
  }

  /** Moves every failed job of a queue back to waiting; returns how many. */
  async retryFailedJobs(viewer: Viewer, queueName: string): Promise<number> {
    assertOperator(viewer);
    const queue = this.queues.all.find((q) => q.name === queueName);
    if (!queue) throw new ValidationError(`queue: must be one of ${Object.values(QueueName).join(', ')}`, 'queue');
    const failed = await queue.getJobCountByTypes('failed');
    await queue.retryJobs({ state: 'failed', count: 1000 });
    return failed;
  }

  /** Messages in and out per second over the last `seconds`, for the throughput chart. */
  async trafficSeries(viewer: Viewer, seconds: number) {
    if (!Number.isInteger(seconds) || seconds < 10 || seconds > 3600) throw new ValidationError('seconds: must be between 10 and 3600', 'seconds');
    const scope = tenantScope(viewer);
    // In: customers' messages and Meta's status callbacks (what webhooks carry); out: our sends.
    const rows = await this.db.execute<{ at: Date; inbound: number; outbound: number }>(sql`
      select at, sum(inbound)::int as inbound, sum(outbound)::int as outbound from (
        select date_trunc('second', coalesce(sent_at, created_at)) as at,
               count(*) filter (where direction = 'inbound') as inbound,
               count(*) filter (where direction = 'outbound') as outbound
        from messages
        where coalesce(sent_at, created_at) > now() - make_interval(secs => ${seconds})
          and (direction = 'inbound' or sent_at is not null)
          ${scope ? sql`and tenant_id = ${scope}` : sql``}
        group by 1
        union all
        select date_trunc('second', created_at), count(*), 0
        from message_status_events
        where created_at > now() - make_interval(secs => ${seconds})
          ${scope ? sql`and tenant_id = ${scope}` : sql``}
        group by 1
      ) t group by at order by at`);
    return [...rows].map((r) => ({ at: new Date(r.at), inbound: Number(r.inbound), outbound: Number(r.outbound) }));
  }
}
