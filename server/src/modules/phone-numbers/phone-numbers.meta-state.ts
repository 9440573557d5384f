import { eq } from 'drizzle-orm';
import type { Database } from '../../db/client.js';
import type { GraphClient, PhoneNumberField, PhoneNumberInfo } from '../../meta/graph-client.js';
import { phoneNumbers, type PhoneNumberRow, type PhoneNumberStatus, type ThroughputTier } from './phone-numbers.table.js';

// Meta's view of a number (status, quality, name review, messaging limit, throughput tier), read
// from `GET /{phone-number-id}` and written onto the number. Onboarding, the doctor and the
// account webhooks all go through here, so the dashboard shows what Meta says, not what was
// typed when the number was added.

/** The fields a state read asks Meta for. */
export const META_STATE_FIELDS: readonly PhoneNumberField[] = [
  'display_phone_number', 'verified_name', 'quality_rating', 'code_verification_status', 'name_status', 'status',
  'platform_type', 'throughput', 'messaging_limit_tier',
];

const LEVEL_TIERS: Record<string, ThroughputTier> = { STANDARD: 80, HIGH: 1000, LOW: 20 };

/** Meta's throughput level as wabahub's tier; undefined when Meta names none (NOT_APPLICABLE before registering). */
export function tierOf(info: Pick<PhoneNumberInfo, 'throughput' | 'throughput_mps'>): ThroughputTier | undefined {
  if (info.throughput_mps === 20 || info.throughput_mps === 80 || info.throughput_mps === 1000) return info.throughput_mps;
  return LEVEL_TIERS[info.throughput?.level ?? ''];
}

/** Whether Meta serves the number on the Cloud API (registered). */
export function isRegistered(info: Pick<PhoneNumberInfo, 'platform_type' | 'status' | 'throughput'>): boolean {
  if (info.platform_type) return info.platform_type === 'CLOUD_API';
  return info.status === 'CONNECTED' || (info.throughput?.level !== undefined && info.throughput.level !== 'NOT_APPLICABLE');
}

/** wabahub's status of a number from Meta's: a number wabahub paused stays paused (the operator resumes it). */
export function statusFrom(info: PhoneNumberInfo, current: PhoneNumberStatus): PhoneNumberStatus {
  if (current === 'paused') return current;
  const meta = (info.status ?? '').toUpperCase();
  if (['BANNED', 'DELETED', 'DISCONNECTED', 'UNAVAILABLE', 'MIGRATED'].includes(meta)) return 'disconnected';
  if (meta === 'CONNECTED' || meta === 'FLAGGED' || meta === 'RESTRICTED' || meta === 'RATE_LIMITED') return 'connected';
  return isRegistered(info) ? 'registered' : 'pending';
}

/** The columns of a number that Meta's answer sets. */
export function metaStateColumns(info: PhoneNumberInfo, current: Pick<PhoneNumberRow, 'status'>, now = new Date()) {
  const tier = tierOf(info);
  return {
    status: statusFrom(info, current.status),
    metaStatus: info.status ?? null,
    qualityRating: info.quality_rating ?? 'UNKNOWN',
    nameStatus: info.name_status ?? null,
    messagingLimitTier: info.messaging_limit_tier ?? null,
    ...(info.verified_name ? { verifiedName: info.verified_name } : {}),
    ...(tier ? { throughputTier: tier } : {}),
    metaCheckedAt: now,
  };
}

/** Reads the number's state from Meta and writes it; throws Meta's error (the caller decides what it means). */
export async function refreshMetaState(db: Database, graph: GraphClient, row: PhoneNumberRow, token: string): Promise<{ row: PhoneNumberRow; info: PhoneNumberInfo }> {
  const info = await graph.getPhoneNumber(row.phoneNumberId, token, META_STATE_FIELDS);
  const [updated] = await db.update(phoneNumbers).set(metaStateColumns(info, row)).where(eq(phoneNumbers.id, row.id)).returning();
  return { row: updated ?? row, info };
}
