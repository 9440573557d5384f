import { Arg, Ctx, Int, Mutation, Query, Resolver } from 'type-graphql';
import type { AppContext } from '../../graphql/context.js';
import { QueueHealth, TrafficPoint } from './monitoring.types.js';

@Resolver()
export class MonitoringResolver {
  @Query(() => [QueueHealth], { description: 'Waiting, active, delayed and failed jobs per queue (operator).' })
  async queueHealth(@Ctx() { viewer, services }: AppContext) {
    return services.monitoring.queueHealth(viewer);
  }

  @Mutation(() => Int, { description: 'Retry every failed job of a queue (operator); returns how many were retried.' })
  async retryFailedJobs(@Arg('queue', () => String, { description: 'The queue whose failed jobs are retried (a name from queueHealth).' }) queue: string, @Ctx() { viewer, services }: AppContext) {
    return services.monitoring.retryFailedJobs(viewer, queue);
  }

  @Query(() => [TrafficPoint], { description: 'Messages in and out per second over the last `seconds` (10 to 3600), for the throughput chart.' })
  async trafficSeries(@Arg('seconds', () => Int, { defaultValue: 300, description: 'How many of the last seconds to return (default 300).' }) seconds: number, @Ctx() { viewer, services }: AppContext) {
    return services.monitoring.trafficSeries(viewer, seconds);
  }
}
