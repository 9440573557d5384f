import type { Redis } from 'ioredis';
import type { Env } from '../../config/env.js';
import { logRedisError, queuePrefix } from '../../queue/connection.js';

// The per-number send limiter, shared by every worker process through Redis. Every decision is one
// Lua script, so it is atomic across processes, and every clock reading is Redis's own TIME, so
// the processes' clocks never have to agree.
//
// Why slots and not a plain counter: Meta (and the simulator) count a message in the second it is
// *accepted*, which is somewhere between our request leaving and its answer arriving. A limiter that
// counts requests when they leave can be fooled by jitter: 80 requests granted over 0..999 ms, the
// first delayed 10 ms on the way, the 81st granted at 1000 ms and not delayed, and Meta sees 81
// messages in one second. So a number has `tier` slots; a send holds one from the moment it is
// granted until one second after its answer arrived (`release`). Two sends that use the same slot
// are then accepted at least one second apart, whatever the latency, so no sliding one-second window
// can ever hold more than `tier` accepted messages. The cost is the latency: a slot turns over every
// 1 s + round trip, so a number runs at tier / (1 + latency) — 98 % at 20 ms.
//
// A send that was refused outright (a 4xx: Meta did not accept it) gives its slot back at once. A
// worker that dies holding a slot loses it only until the lease ends.
//
// Per-recipient pacing works the same way: the recipient is held while a send to them is in flight
// and until `gapMs` after its answer (Meta allows about one message per 6 s to one person).
//
// A job that has to wait is told how long. A short wait (a slot frees within `shortWaitMs`) is
// returned as is, for the caller to sleep it off in place. A longer one takes a turn on the
// number's schedule: a cursor that hands out start times `window / tier` apart, so a backlog of
// 10,000 jobs for one number comes back at the tier's rate instead of all at once, each most
// likely finding a free slot (and, if not, sleeping the few milliseconds until one frees).

/** Why a send must wait. */
export type WaitReason = 'number_backoff' | 'recipient' | 'throughput';

export type Acquired = { granted: true } | { granted: false; reason: WaitReason; waitMs: number };

/** What became of a granted send, which decides how its slot and its recipient are released. */
export type ReleaseOutcome =
  /** Meta accepted it: hold the slot one second and the recipient `gapMs` from now. */
  | 'accepted'
  /** No answer (timeout, dropped connection): it may have been accepted, so release as if it was. */
  | 'unknown'
  /** Meta refused it: it never counted, so the slot and the recipient are free again at once. */
  | 'refused';

export interface LimiterOptions {
  /** Key namespace, e.g. the queue prefix `{wabahub}` (braces keep the keys in one Cluster slot). */
  prefix: string;
  /** Minimum gap between two sends from one number to one recipient (default 6000 ms; 0 disables). */
  recipientGapMs?: number;
  /**
   * How long a granted slot stays held without a release (default 12 s): the Graph timeout (10 s)
   * plus a margin, since a request cut off mid-call may have been accepted until its deadline.
   */
  leaseMs?: number;
  /** Length of Meta's throughput window (1000 ms). */
  windowMs?: number;
  /** Waits up to this long are returned as is (sleep in place); longer ones take a turn (default 50 ms). */
  shortWaitMs?: number;
}

// KEYS: slots, backoff, cursor, epoch, then one pace key per candidate. ARGV: tier, lease, window, gap,
// short, scheduled, then one token per candidate. Candidates are granted in order while slots
// last. Returns, per candidate, a code (0 granted, 1 number backoff, 2 recipient, 3 throughput)
// and a wait in ms.
const ACQUIRE = `
local slots, backoff, cursor, epoch = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local tier = tonumber(ARGV[1])
local lease = tonumber(ARGV[2])
local window = tonumber(ARGV[3])
local gap = tonumber(ARGV[4])
local short = tonumber(ARGV[5])
local scheduled = ARGV[6] == '1'
local n = #KEYS - 4
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', slots, '-inf', now)
local used = redis.call('ZCARD', slots)
local blocked = redis.call('PTTL', backoff)
-- Workers write the epoch key when they start. Without it, Redis has lost its data (a restart, a
-- failover) and with it the slots of sends that may still be on the wire: nothing is granted for
-- a lease, until every send from before the loss has been answered or given up.
local guard = redis.call('GET', epoch)
if not guard then
  guard = now + lease
  redis.call('SET', epoch, guard)
end
guard = tonumber(guard)
if guard - now > blocked then blocked = guard - now end
local out = {}
local denied = {}
for i = 1, n do
  local pace = KEYS[4 + i]
  local token = ARGV[6 + i]
  -- The recipient first: a send paced for its recipient does not queue for the number.
  -- A pace key holds "until|token": the send that set it is the one whose release may clear it.
  local held = redis.call('GET', pace)
  local paceUntil = 0
  if held then paceUntil = tonumber(string.match(held, '^[^|]+')) end
  if paceUntil > now then
    out[2 * i - 1] = 2
    out[2 * i] = paceUntil - now
  elseif blocked <= 0 and used < tier then
    redis.call('ZADD', slots, now + lease, token)
    used = used + 1
    if gap > 0 then redis.call('SET', pace, (now + lease) .. '|' .. token, 'PX', lease) end
    out[2 * i - 1] = 0
    out[2 * i] = 0
  else
    denied[#denied + 1] = i
  end
end
redis.call('PEXPIRE', slots, lease + window + 1000)
if #denied > 0 then
  -- When could they go: the end of the number's backoff, or the slots turning over (at most a
  -- window away: a send in flight frees its slot a window after its answer). The j-th denied send
  -- is told when the j-th slot to free does, so a batch can wait once for all the slots it needs.
  local start = 0
  if blocked > 0 then start = blocked end
  local frees = {}
  if used >= tier then frees = redis.call('ZRANGE', slots, 0, #denied - 1, 'WITHSCORES') end
  local reason = 3
  if blocked > 0 then reason = 1 end
  local firstFree = start
  if frees[2] then firstFree = math.max(start, math.min(tonumber(frees[2]) - now, window)) end
  -- Sends that jump the schedule (conversational replies, batches already on it) wait for their
  -- slots; a lone scheduled (campaign) send facing a long wait takes the next turn on the schedule.
  local cursorAt = nil
  if firstFree > short and scheduled then
    local at = tonumber(redis.call('GET', cursor) or '0')
    if at < now + firstFree then at = now + firstFree end
    local nextAt = at + #denied * window / tier
    redis.call('SET', cursor, tostring(nextAt), 'PX', math.ceil(nextAt - now) + 10000)
    cursorAt = math.ceil(at - now)
  end
  for j, i in ipairs(denied) do
    local wait = cursorAt
    if not wait then
      wait = start
      local free = frees[2 * j]
      if free then wait = math.max(wait, math.min(tonumber(free) - now, window)) elseif used >= tier then wait = math.max(wait, window) end
    end
    out[2 * i - 1] = reason
    out[2 * i] = wait
  end
end
return out
`;

const RESERVE = `
local cursor = KEYS[1]
local tier = tonumber(ARGV[1])
local count = tonumber(ARGV[2])
local window = tonumber(ARGV[3])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local at = tonumber(redis.call('GET', cursor) or '0')
if at < now then at = now end
local nextAt = at + count * window / tier
redis.call('SET', cursor, tostring(nextAt), 'PX', math.ceil(nextAt - now) + 10000)
return math.floor(at - now)
`;

// Releases several granted sends at once. KEYS: per release its slots, recipient and counter keys.
// ARGV: gap, window, lease, then per release its token, outcome, recipient pause and age: how long
// ago, by the worker's own monotonic clock, Meta's answer arrived. The slot's second is counted
// from the answer (now - age, on Redis's clock; the trip to Redis only makes that later, never
// earlier; 2 ms more for the rounding to whole milliseconds), not from whenever the release
// reaches Redis. A send without an answer (timeout, dropped connection) may still be taken by Meta
// after we gave up on it: its slot is held a whole lease.
const RELEASE = `
local gap = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local lease = tonumber(ARGV[3])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
for i = 1, #KEYS / 3 do
  local slots, pace, counter = KEYS[3 * i - 2], KEYS[3 * i - 1], KEYS[3 * i]
  local token = ARGV[4 * i]
  local outcome = ARGV[4 * i + 1]
  local paceFor = tonumber(ARGV[4 * i + 2])
  local at = now - math.max(0, math.floor(tonumber(ARGV[4 * i + 3]))) + 2
  if outcome == 'refused' then
    redis.call('ZREM', slots, token)
  else
    local hold = window
    if outcome == 'unknown' then hold = lease end
    redis.call('ZADD', slots, at + hold, token)
    redis.call('PEXPIRE', slots, hold + 60000)
  end
  local held = redis.call('GET', pace)
  local mine = held and string.sub(held, -string.len(token) - 1) == '|' .. token
  if paceFor > 0 then
    redis.call('SET', pace, (at + paceFor) .. '|' .. token, 'PX', paceFor)
  elseif outcome == 'refused' or gap <= 0 then
    -- Another send to this person may hold the key now (a second job for the same message):
    -- only the send that set it clears it.
    if mine then redis.call('DEL', pace) end
  else
    redis.call('SET', pace, (at + gap) .. '|' .. token, 'PX', gap)
  end
  if outcome == 'accepted' then
    local key = counter .. ':' .. math.floor(at / 1000)
    redis.call('INCR', key)
    redis.call('EXPIRE', key, 120)
  end
end
return now
`;

// A starting worker's epoch key (see markStarted): KEYS: epoch. ARGV: how long to hold sends.
const START = `
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('SET', KEYS[1], now + tonumber(ARGV[1]))
return 1
`;

// Extends the lease of granted slots that still exist (an expired slot is not brought back).
// KEYS: slots. ARGV: lease, then the tokens. Returns 1 or 0 per token. Whether a slot is held is
// its score (ZADD's CH count is 0 when a renewal in the acquiring millisecond changes nothing).
const RENEW = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local out = {}
for i = 2, #ARGV do
  local held = redis.call('ZSCORE', KEYS[1], ARGV[i])
  if held and tonumber(held) > now then
    redis.call('ZADD', KEYS[1], 'XX', now + tonumber(ARGV[1]), ARGV[i])
    out[i - 1] = 1
  else
    out[i - 1] = 0
  end
end
return out
`;

/** Releases waiting for the next flush (one Lua call for all of them). */
interface PendingRelease {
  keys: [string, string, string];
  args: [string, ReleaseOutcome, number];
  /** performance.now() when Meta's answer arrived. */
  answeredAt: number;
  resolve: () => void;
}

type LimiterRedis = Redis & {
  outboundAcquire(...args: (string | number)[]): Promise<number[]>;
  outboundReserve(cursor: string, tier: number, count: number, windowMs: number): Promise<number>;
  outboundRelease(...args: (string | number)[]): Promise<number>;
  outboundRenew(slots: string, leaseMs: number, ...tokens: string[]): Promise<number[]>;
  outboundStart(epoch: string, guardMs: number): Promise<number>;
};

const REASONS: Record<number, WaitReason> = { 1: 'number_backoff', 2: 'recipient', 3: 'throughput' };

export class SendLimiter {
  private readonly redis: LimiterRedis;
  private pendingReleases: PendingRelease[] = [];
  readonly recipientGapMs: number;
  readonly leaseMs: number;
  readonly windowMs: number;
  readonly shortWaitMs: number;

  constructor(redis: Redis, private readonly options: LimiterOptions) {
    this.recipientGapMs = options.recipientGapMs ?? 6_000;
    this.leaseMs = options.leaseMs ?? 12_000;
    this.windowMs = options.windowMs ?? 1_000;
    this.shortWaitMs = options.shortWaitMs ?? 50;
    if (!('outboundAcquire' in redis)) {
      redis.defineCommand('outboundAcquire', { lua: ACQUIRE });
      redis.defineCommand('outboundRelease', { lua: RELEASE });
      redis.defineCommand('outboundReserve', { numberOfKeys: 1, lua: RESERVE });
      redis.defineCommand('outboundRenew', { numberOfKeys: 1, lua: RENEW });
      redis.defineCommand('outboundStart', { numberOfKeys: 1, lua: START });
    }
    this.redis = redis as LimiterRedis;
  }

  private key(number: string, what: string): string {
    return `${this.options.prefix}:outbound:${number}:${what}`;
  }

  private epochKey(): string {
    return `${this.options.prefix}:outbound:epoch`;
  }

  /**
   * A worker says it is starting: writes the epoch key if there is none, holding every send for
   * `guardMs`. A running worker that finds the key missing holds them a whole lease (see
   * ACQUIRE); a starting one cannot tell a fresh Redis from one that lost its data, so its caller
   * says how long sends from before may still count (see outbound.jobs.ts).
   */
  async markStarted(guardMs: number): Promise<void> {
    await this.redis.outboundStart(this.epochKey(), Math.max(0, Math.ceil(guardMs)));
  }

  /**
   * Extends the leases of granted sends that waited before going out (for a free connection, say),
   * so that a slot cannot expire while its send is still to come. Returns the tokens still held; a
   * send whose slot already expired must not go (ask again).
   */
  async renew(number: string, tokens: string[]): Promise<Set<string>> {
    if (tokens.length === 0) return new Set();
    const out = await this.redis.outboundRenew(this.key(number, 'slots'), this.leaseMs, ...tokens);
    return new Set(tokens.filter((_t, i) => Number(out[i]) === 1));
  }

  /**
   * Asks to send one message now from `number` (Meta's Phone Number ID) to `recipient`. `token`
   * names this send (the message id). A `scheduled` send (a campaign's) that must wait long takes
   * a turn on the number's schedule; an unscheduled one (a reply) waits for the next free slot.
   */
  async acquire(number: string, tier: number, recipient: string, token: string, scheduled = true): Promise<Acquired> {
    return (await this.acquireMany(number, tier, [{ recipient, token }], scheduled))[0];
  }

  /** The same for several sends of one number at once (a batch), granted in order while slots last. */
  async acquireMany(number: string, tier: number, sends: { recipient: string; token: string }[], scheduled = true): Promise<Acquired[]> {
    if (sends.length === 0) return [];
    const keys = [this.key(number, 'slots'), this.key(number, 'backoff'), this.key(number, 'cursor'), this.epochKey(), ...sends.map((s) => this.key(number, `to:${s.recipient}`))];
    const args = [tier, this.leaseMs, this.windowMs, this.recipientGapMs, this.shortWaitMs, scheduled ? 1 : 0, ...sends.map((s) => s.token)];
    const out = await this.redis.outboundAcquire(keys.length, ...keys, ...args);
    return sends.map((_s, i): Acquired => {
      const code = Number(out[2 * i]);
      return code === 0 ? { granted: true } : { granted: false, reason: REASONS[code] ?? 'throughput', waitMs: Math.max(1, Number(out[2 * i + 1])) };
    });
  }

  /**
   * Reserves `count` consecutive turns on a number's schedule (`window / tier` apart) and returns
   * when the first one is, in ms from now: a campaign's sends are enqueued to come due at the
   * number's rate instead of all at once.
   */
  async reserveTurns(number: string, tier: number, count: number): Promise<number> {
    return this.redis.outboundReserve(this.key(number, 'cursor'), tier, count, this.windowMs);
  }

  /**
   * Ends a granted send. `recipientPauseMs` overrides the recipient's gap (Meta's 131056 asks for a
   * longer pause before the next message to that person). Releases made in the same turn of the
   * event loop go to Redis in one call: a batch's sends end within microseconds of each other, and
   * each slot's second is counted from `answeredAt` (performance.now() when Meta's answer arrived;
   * default: now), so the wait for the flush costs no throughput.
   */
  release(number: string, recipient: string, token: string, outcome: ReleaseOutcome, recipientPauseMs = 0, answeredAt = performance.now()): Promise<void> {
    return new Promise((resolve) => {
      this.pendingReleases.push({
        keys: [this.key(number, 'slots'), this.key(number, `to:${recipient}`), this.key(number, 'sent')],
        args: [token, outcome, recipientPauseMs], answeredAt, resolve,
      });
      if (this.pendingReleases.length === 1) setImmediate(() => this.flushReleases());
    });
  }

  private flushReleases(): void {
    const batch = this.pendingReleases.splice(0);
    if (batch.length === 0) return;
    const flushedAt = performance.now();
    // A release that cannot reach Redis is not the send's failure: its slot frees when its lease
    // ends, which is only later (safe), and Meta's answer must still be recorded.
    this.redis.outboundRelease(batch.length * 3, ...batch.flatMap((r) => r.keys), this.recipientGapMs, this.windowMs, this.leaseMs, ...batch.flatMap((r) => [...r.args, Math.floor(flushedAt - r.answeredAt)]))
      .catch((error: Error) => logRedisError(error))
      .finally(() => { for (const r of batch) r.resolve(); });
  }

  /** Meta said the number is over its limit (130429): every worker holds that number's sends for `ms`. */
  async backOffNumber(number: string, ms: number): Promise<void> {
    const key = this.key(number, 'backoff');
    // Never shorten a longer backoff another worker already set.
    const current = await this.redis.pttl(key);
    if (current < ms) await this.redis.set(key, '1', 'PX', ms);
  }

  /** Forgets a number's backoff (the operator resumed it). */
  async clearBackoff(number: string): Promise<void> {
    await this.redis.del(this.key(number, 'backoff'));
  }

  /**
   * Sends Meta accepted per second over the last `seconds` seconds (oldest first), from the
   * counters `release` keeps, for the dashboard. The current, unfinished second is left out.
   */
  async sentPerSecond(numbers: string[], seconds = 60): Promise<Map<string, number[]>> {
    const out = new Map<string, number[]>();
    if (numbers.length === 0) return out;
    const [sec] = await this.redis.time();
    const now = Number(sec);
    const keys: string[] = [];
    for (const n of numbers) for (let s = now - seconds; s < now; s++) keys.push(`${this.key(n, 'sent')}:${s}`);
    const values = await this.redis.mget(keys);
    numbers.forEach((n, i) => out.set(n, values.slice(i * seconds, (i + 1) * seconds).map((v) => Number(v ?? 0))));
    return out;
  }
}

// One limiter per process (per Redis connection): its releases are batched, and the API and the
// worker of one process share its view. Jobs, sweeps and services all get it through here.
const limiters = new WeakMap<Redis, SendLimiter>();

export function sendLimiter(deps: { redis: Redis; env: Pick<Env, 'OUTBOUND_RECIPIENT_GAP_MS' | 'WABAHUB_QUEUE_PREFIX'> }): SendLimiter {
  let limiter = limiters.get(deps.redis);
  if (!limiter) {
    limiter = new SendLimiter(deps.redis, { prefix: queuePrefix(deps.env.WABAHUB_QUEUE_PREFIX), recipientGapMs: deps.env.OUTBOUND_RECIPIENT_GAP_MS });
    limiters.set(deps.redis, limiter);
  }
  return limiter;
}
