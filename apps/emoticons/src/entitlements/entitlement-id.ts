import { createHash } from 'node:crypto';

/**
 * The entitlement id of one pack granted by one claim: a name-based UUID (version 5 layout, SHA-256
 * instead of SHA-1) of (claimId, emoticonId). The same decision seen twice can only mint the same id.
 * A newline separates the parts: contract ids are printable ASCII without control characters.
 */
export function entitlementIdFor(claimId: string, emoticonId: string): string {
  const h = createHash('sha256').update('emoticon-entitlement\n').update(claimId).update('\n').update(emoticonId).digest();
  h[6] = ((h[6] ?? 0) & 0x0f) | 0x50;
  h[8] = ((h[8] ?? 0) & 0x3f) | 0x80;
  const hex = h.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}
