import { afterAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { Queue, Worker } from 'bullmq';
import { closeWorker } from '../../server/src/runtime.js';
import { createRedis } from '../../server/src/queue/connection.js';
import { testEnv } from '../setup/test-env.js';
import { eventually } from '../setup/webhooks.js';

// A worker's shutdown must end even when one of its jobs does not: real BullMQ on the test Redis.
const env = testEnv();
const prefix = `test-shutdown-${randomBytes(4).toString('hex')}`;
const connection = createRedis(env.REDIS_URL);
const queue = new Queue('stuck', { connection, prefix });
afterAll(async () => {
  await queue.obliterate({ force: true });
  await queue.close();
  connection.disconnect();
});

describe(closeWorker.name, () => {
  it('closes within its timeout while a job never finishes, leaving the job to be taken again', async () => {
    const worker = new Worker('stuck', () => new Promise(() => {}), { connection: createRedis(env.REDIS_URL), prefix });
    await queue.add('never', {}, { jobId: 'never' });
    await eventually(async () => (await queue.getJobState('never')) === 'active', 'the job to be active');
    const started = Date.now();
    await closeWorker(worker, 500);
    const took = Date.now() - started;
    expect(took).toBeGreaterThanOrEqual(500);
    expect(took).toBeLessThan(5_000);
    // Left active (its lock lapses and BullMQ hands it on as stalled), not failed or lost.
    expect(await queue.getJobState('never')).toBe('active');
  });

  it('waits for a job that finishes within the timeout', async () => {
    let finished = false;
    const worker = new Worker('stuck', async () => { await new Promise((r) => setTimeout(r, 300)); finished = true; }, { connection: createRedis(env.REDIS_URL), prefix });
    await queue.add('quick', {}, { jobId: 'quick' });
    await eventually(async () => (await queue.getJobState('quick')) === 'active', 'the job to be active');
    await closeWorker(worker, 5_000);
    expect(finished).toBe(true);
  });
});
