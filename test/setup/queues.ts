import { QueueEvents, type Job, type JobState, type Queue } from 'bullmq';
import type { Redis } from 'ioredis';

// Proving that jobs did NOT do something ("a paused campaign sends nothing more") without
// sleeping: make every job that could do it run now, hear BullMQ report each one finished, then
// look. Waiting a fixed time instead proves nothing about a job that comes due after the wait.

/** States from which a job may still run. */
const MAY_RUN: JobState[] = ['active', 'waiting', 'prioritized', 'delayed', 'waiting-children'];

/** The jobs of `queue` that may still run and that `mine` picks (one atomic read). */
export async function jobsThatMayRun(queue: Queue, mine: (job: Job) => boolean): Promise<Job[]> {
  return (await queue.getJobs(MAY_RUN)).filter((job): job is Job => Boolean(job) && mine(job));
}

/** The message ids an outbound job carries (`send`: one, `send-batch`: several), as they were read. */
export function messageIdsOf(job: Job): string[] {
  const data = job.data as { messageId?: string; messageIds?: string[] };
  return data.messageIds ?? (data.messageId ? [data.messageId] : []);
}

export interface JobWatch {
  /** The jobs `mine` picked when the watch began (before what the test does next). */
  readonly atStart: Job[];
  /**
   * Runs, now, every job `mine` picks that may still run (a delayed one is promoted, so the test
   * does not wait for its turn) and resolves once BullMQ has reported each one completed or failed
   * for good, again and again until none is left: jobs those jobs add are run too. A job that
   * puts itself back in the delayed set (a DelayedError) is waited for until it finishes.
   */
  runToEnd(timeoutMs?: number): Promise<void>;
}

/**
 * Starts hearing the ends of `queue`'s jobs and notes those `mine` picks that may still run. Begin
 * the watch before the action under test (a pause, a cancel), so that `atStart` names every job
 * that was due to act after it, even one that finishes before `runToEnd` is called.
 */
export async function watchJobs(queue: Queue, mine: (job: Job) => boolean): Promise<JobWatch> {
  // Read the event stream from its current end: QueueEvents alone starts at '$' a moment after it
  // says it is ready, and would not hear a job that finished in between.
  const client = (await queue.client) as unknown as Redis;
  const [last] = await client.xrevrange(queue.keys.events, '+', '-', 'COUNT', 1);
  const events = new QueueEvents(queue.name, { connection: queue.opts.connection, prefix: queue.opts.prefix, lastEventId: last?.[0] ?? '0-0' });
  const finished = new Set<string>();
  const waiting = new Map<string, () => void>();
  const onFinished = ({ jobId }: { jobId: string }) => {
    finished.add(jobId);
    waiting.get(jobId)?.();
  };
  events.on('completed', onFinished);
  events.on('failed', onFinished);
  await events.waitUntilReady();
  const atStart = await jobsThatMayRun(queue, mine);

  /** Resolves when the job (listed as able to run) has finished since the watch began. */
  const end = async (id: string) => {
    const heard = new Promise<void>((resolve) => waiting.set(id, resolve));
    if (finished.delete(id)) return;
    // Finished after the listing but before the stream's starting point: gone (removeOnComplete) or final.
    if (['completed', 'failed', 'unknown'].includes(await queue.getJobState(id))) return;
    await heard;
    finished.delete(id);
  };

  return {
    atStart,
    async runToEnd(timeoutMs = 20_000) {
      let timer: NodeJS.Timeout | undefined;
      let left: string[] = [];
      const timedOut = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`jobs of "${queue.name}" still unfinished after ${timeoutMs} ms: ${left.join(', ')}`)), timeoutMs);
      });
      timedOut.catch(() => {}); // raced below; only a rejection while a race runs matters
      try {
        for (;;) {
          const jobs = await jobsThatMayRun(queue, mine);
          if (jobs.length === 0) return;
          left = jobs.map((job) => job.id!);
          for (const job of jobs) {
            // It may have come due (or run) since the listing: then there is nothing to promote.
            if ((await job.getState()) === 'delayed') await job.promote().catch(() => {});
          }
          await Promise.race([Promise.all(left.map(end)), timedOut]);
        }
      } finally {
        clearTimeout(timer);
        await events.close();
      }
    },
  };
}
