import { NotFoundError } from '../../lib/errors.js';
import { isUuid } from '../../lib/sql.js';
import { tenantScope, type Viewer } from '../../graphql/viewer.js';
import type { PhoneNumberService } from '../phone-numbers/phone-numbers.service.js';
import type { PhoneNumberRow } from '../phone-numbers/phone-numbers.table.js';

/** A phone number named by wabahub's id or by Meta's Phone Number ID, within what the viewer may see. */
export async function findNumberByRef(phoneNumbers: PhoneNumberService, viewer: Viewer, ref: string): Promise<PhoneNumberRow> {
  if (isUuid(ref)) return phoneNumbers.findOrFail(viewer, ref);
  const row = /^\d+$/.test(ref.trim()) ? await phoneNumbers.findByMetaId(ref.trim()) : undefined;
  const scope = tenantScope(viewer);
  if (!row || (scope && row.tenantId !== scope)) throw new NotFoundError('PhoneNumber', ref);
  return row;
}
